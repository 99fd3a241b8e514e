"""Events by employee: an event that arrives after later ones of its employee were scored re-scores that
employee (engine.scoring.rescore), which reads all their scored events; without it, a scan of every event."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "events by employee_ref"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="plaudit", description=DESCRIPTION)

    async def create_index() -> None:
        await engine_finder().run_ddl(
            'CREATE INDEX IF NOT EXISTS event_employee_ref ON "event" ("employee_ref")'
        )

    manager.add_raw(create_index)
    return manager
