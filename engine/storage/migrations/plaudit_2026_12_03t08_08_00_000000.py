"""Employees stored before ``joined_at`` existed joined the program when they were first imported."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T08:08:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "employee.joined_at from created_at"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="plaudit", description=DESCRIPTION)

    async def backfill() -> None:
        await engine_finder().run_ddl(
            'UPDATE "employee" SET joined_at = created_at WHERE joined_at IS NULL'
        )

    manager.add_raw(backfill)
    return manager
