"""One review item per case (employee, kind, signal, bucket): scoring the same events again (a replay, a retried
batch) finds the item and its decision instead of opening a second one."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T15:37:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "review items unique per case"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="plaudit", description=DESCRIPTION)

    async def one_item_per_case() -> None:
        await engine_finder().run_ddl(
            'CREATE UNIQUE INDEX IF NOT EXISTS review_item_case ON "review_item" '
            '("employee", "kind", "signal", "bucket")'
        )

    manager.add_raw(one_item_per_case)
    return manager
