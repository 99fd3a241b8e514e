"""Events by type and time: the shoutout-ring signal reads a month of one type's events per scoring batch
(engine.scoring.integrity), which without it scans every event of the month."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T16:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "events by type and occurred_at"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="plaudit", description=DESCRIPTION)

    async def create_index() -> None:
        await engine_finder().run_ddl(
            'CREATE INDEX IF NOT EXISTS event_type_occurred ON "event" ("type", "occurred_at")'
        )

    manager.add_raw(create_index)
    return manager
