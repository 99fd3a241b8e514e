"""The scaled worker's scan: a shard's pending events in occurred_at order (partial, like event_pending)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T06:48:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "pending events by shard"

STATEMENT = (
    'CREATE INDEX IF NOT EXISTS event_pending_shard ON "event" ("shard", "occurred_at", "source", "external_id") '
    "WHERE status = 'pending'"
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="plaudit", description=DESCRIPTION)

    async def create_index() -> None:
        await engine_finder().run_ddl(STATEMENT)

    manager.add_raw(create_index)
    return manager
