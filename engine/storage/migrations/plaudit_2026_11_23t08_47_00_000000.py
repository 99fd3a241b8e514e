"""Awards close once per (award, period); archived boards and results keyed for their lookups; a shoutout from
the company has no giver (PostgreSQL only: SQLite's foreign-key columns are nullable already)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-23T08:47:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "award closings unique per award and period; company shoutouts without a giver"

STATEMENTS = (
    'CREATE UNIQUE INDEX IF NOT EXISTS award_closing_key ON "award_closing" ("award", "period")',
    'CREATE INDEX IF NOT EXISTS award_result_closing ON "award_result" ("closing", "scope", "team", "rank")',
    'CREATE INDEX IF NOT EXISTS board_archive_closing ON "board_archive" ("closing", "rank")',
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="plaudit", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)
        if isinstance(engine, PostgresEngine):
            await engine.run_ddl('ALTER TABLE "shoutout" ALTER COLUMN "giver" DROP NOT NULL')

    manager.add_raw(create_indexes)
    return manager
