"""Room for any BCP 47 language tag in employee.locale (``sr-Latn-RS-u-nu-latn`` is 20 characters; the column
held 16). PostgreSQL only: SQLite does not enforce a VARCHAR's length."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-03T19:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "employee.locale up to 64 characters"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="plaudit", description=DESCRIPTION)

    async def widen() -> None:
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            await engine.run_ddl('ALTER TABLE "employee" ALTER COLUMN "locale" TYPE VARCHAR(64)')

    manager.add_raw(widen)
    return manager
