"""Defaults of where and how Plaudit runs; each can be changed by the environment variable named beside it."""

__all__ = [
    "BATCH_SIZE",
    "BOARD_POINTS",
    "DEFAULT_DATABASE_URL",
    "DEFAULT_RULES_PATH",
    "SOURCE_DEMO",
]

#: ``DATABASE_URL``: the embedded default is a SQLite file in the working directory.
DEFAULT_DATABASE_URL = "sqlite:///plaudit.sqlite"

#: ``PLAUDIT_RULES``: the program published when the database has none yet.
DEFAULT_RULES_PATH = "rules.yaml"

#: Events scored per transaction. A batch rewrites most pages of the per-employee indexes (standings,
#: ledger by employee) whatever its size, so larger batches amortize that; 5,000 still commits in ~0.3 s.
BATCH_SIZE = 5000

#: The board every rule feeds; later boards (referrals, per campaign) get their own names.
BOARD_POINTS = "points"

SOURCE_DEMO = "demo"
