"""Intake's look-up of near-duplicates: stored events with one of a batch's dedupe keys, near its events in time.

Partial: only events of a type with ``dedupe:`` have a key, so the other events cost intake nothing here.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T15:38:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "event.dedupe_key index"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="plaudit", description=DESCRIPTION)

    async def create_index() -> None:
        await engine_finder().run_ddl(
            'CREATE INDEX IF NOT EXISTS event_dedupe ON "event" ("dedupe_key", "occurred_at") '
            "WHERE dedupe_key IS NOT NULL"
        )

    manager.add_raw(create_index)
    return manager
