"""Scoring checkpoints: an employee's counters at the start of a month, so an event that arrives late re-scores
that employee from its month on (engine.scoring.rescore) instead of from their first event."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T19:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "scoring checkpoints per employee and month"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="plaudit", description=DESCRIPTION)

    async def create_table() -> None:
        engine = engine_finder()
        await engine.run_ddl(
            'CREATE TABLE IF NOT EXISTS "scoring_checkpoint" ('
            '"employee" INTEGER NOT NULL, "month" VARCHAR(16) NOT NULL, "state" TEXT NOT NULL, '
            'PRIMARY KEY ("employee", "month"))'
        )

    manager.add_raw(create_table)
    return manager
