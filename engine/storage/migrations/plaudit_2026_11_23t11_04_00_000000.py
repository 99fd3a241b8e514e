"""Outbox messages unique per (reward, idempotency key) and found by due time; SCIM user names unique;
a payout closed once per (reward, month)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T11:04:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox keys and due index; unique SCIM user names"

STATEMENTS = (
    'CREATE UNIQUE INDEX IF NOT EXISTS outbox_message_key ON "outbox_message" ("reward", "idempotency_key")',
    'CREATE INDEX IF NOT EXISTS outbox_message_due ON "outbox_message" ("status", "next_attempt_at")',
    'CREATE UNIQUE INDEX IF NOT EXISTS employee_user_name ON "employee" ("user_name")',
    'CREATE UNIQUE INDEX IF NOT EXISTS payout_closing_key ON "payout_closing" ("reward", "period")',
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="plaudit", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
