"""An event earns from a rule once (kind ``rule`` or ``badge``); the entries that move those points later (an
integrity hold taking them back, HR's review decision giving them) name the same event and rule, so the
unique index covers the first two kinds only."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T15:39:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger_event_rule unique for rule and badge entries only"

STATEMENTS = (
    "DROP INDEX IF EXISTS ledger_event_rule",
    'CREATE UNIQUE INDEX IF NOT EXISTS ledger_event_rule ON "ledger_entry" ("event", "rule_id") '
    "WHERE kind IN ('rule', 'badge')",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="plaudit", description=DESCRIPTION)

    async def partial_index() -> None:
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(partial_index)
    return manager
