"""Defaults of where and how Plaudit runs; each can be changed by the environment variable named beside it."""

import os

__all__ = [
    "ALL_TIME",
    "BATCH_SIZE",
    "BOARDS_CHECK_SECONDS",
    "BOARD_POINTS",
    "DEFAULT_DATABASE_URL",
    "DEFAULT_RULES_PATH",
    "REPLAY_BATCH_SIZE",
    "SHARDS",
    "SOURCE_DEMO",
    "env_int",
]


def env_int(name: str, default: int, minimum: int = 0) -> int:
    """A whole-number setting from the environment; a malformed one is refused by name."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}: expected a whole number, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name}: expected at least {minimum}, got {value}")
    return value


#: ``DATABASE_URL``: the embedded default is a SQLite file in the working directory.
DEFAULT_DATABASE_URL = "sqlite:///plaudit.sqlite"

#: ``PLAUDIT_RULES``: the program published when the database has none yet.
DEFAULT_RULES_PATH = "rules.yaml"

#: Events scored per transaction. A batch rewrites most pages of the per-employee indexes (standings,
#: ledger by employee) whatever its size, so larger batches amortize that; 5,000 still commits in ~0.3 s.
BATCH_SIZE = 5000

#: Replay has no one waiting on the lock and the whole history ahead: bigger transactions, fewer page rewrites.
REPLAY_BATCH_SIZE = 20000

#: The period key of the all-time standings (beside day, week, month and quarter keys).
ALL_TIME = "all"

#: The board every rule feeds; later boards (referrals, per campaign) get their own names.
BOARD_POINTS = "points"

#: How often an API process checks for a new period (a new day, week, month) to load its boards ahead of the
#: first visitor, and forgets the boards of past periods.
BOARDS_CHECK_SECONDS = 60.0

SOURCE_DEMO = "demo"

#: ``PLAUDIT_SHARDS``: events are spread over this many shards by employee. Scaled workers score a shard at a
#: time, one worker per shard at once, so each employee's events stay in order whatever the number of workers.
#: Fixed for the life of a database: an event keeps the shard it was given at intake.
SHARDS = env_int("PLAUDIT_SHARDS", 16, minimum=1)
