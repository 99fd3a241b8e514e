"""A badge tier is earned once per employee and window: re-earning it (replay, a retried batch) is a no-op."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T08:18:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "badge awards unique per employee, badge, tier and window (earned_in)"

STATEMENTS = (
    'CREATE UNIQUE INDEX IF NOT EXISTS badge_award_key ON "badge_award" '
    '("employee", "badge", "tier", "earned_in")',
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="plaudit", description=DESCRIPTION)

    async def create_indexes() -> None:
        for statement in STATEMENTS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
