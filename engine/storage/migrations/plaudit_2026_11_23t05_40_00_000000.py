"""Composite indexes, which Piccolo's column options cannot express (same SQL on SQLite and PostgreSQL)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T05:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite indexes"

COMPOSITE_INDEXES = [
    # Exactly once: a tool's event id is unique within its source.
    'CREATE UNIQUE INDEX IF NOT EXISTS event_source_external_id ON "event" ("source", "external_id")',
    # The worker's scan: pending events in occurred_at order. Partial, so a scored event leaves the index and
    # the index stays as small as the backlog.
    'CREATE INDEX IF NOT EXISTS event_pending ON "event" ("occurred_at", "source", "external_id") '
    "WHERE status = 'pending'",
    # Parked events by the employee they wait for (a roster import sets them back to pending). Partial: a
    # scored event is not in it, so intake does not pay for it.
    'CREATE INDEX IF NOT EXISTS event_parked_ref ON "event" ("employee_ref") WHERE status = \'parked\'',
    # A rule scores an event once.
    'CREATE UNIQUE INDEX IF NOT EXISTS ledger_event_rule ON "ledger_entry" ("event", "rule_id")',
    'CREATE INDEX IF NOT EXISTS ledger_employee_id ON "ledger_entry" ("employee", "id")',
    # One row per employee, board and period. No index on score: it would double the cost of every upsert on
    # the scoring hot path; boards are ranked in memory (embedded) or in Redis (scaled), and a SQL top-N
    # reads one period's rows through this index.
    'CREATE UNIQUE INDEX IF NOT EXISTS standing_key ON "standing" ("board", "period", "employee")',
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="plaudit", description=DESCRIPTION)

    async def create_indexes() -> None:
        db = engine_finder()
        for statement in COMPOSITE_INDEXES:
            await db.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
