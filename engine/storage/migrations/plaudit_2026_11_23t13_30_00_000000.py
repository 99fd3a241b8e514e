"""Events and shoutouts by time, for the program KPIs (engine/insight/kpis.py): a period's figures are range scans.

Without them every KPI period reads the whole event table; the pending-only ``event_pending`` index does not
serve a scored event. The recipients' index serves the join from a period's shoutouts (and the feed).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T13:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "events and shoutouts by time (KPIs); shoutout recipients by shoutout"

STATEMENTS = (
    'CREATE INDEX IF NOT EXISTS event_occurred_at ON "event" ("occurred_at")',
    'CREATE INDEX IF NOT EXISTS shoutout_created_at ON "shoutout" ("created_at")',
    'CREATE INDEX IF NOT EXISTS shoutout_recipient_shoutout ON "shoutout_recipient" ("shoutout")',
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="plaudit", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
