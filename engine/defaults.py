"""Plaudit's constants, and the defaults of the settings the environment may change (``engine.settings``)."""

__all__ = [
    "ALL_TIME",
    "BATCH_SIZE",
    "BOARDS_CHECK_SECONDS",
    "BOARD_POINTS",
    "CLOSE_GRACE_SECONDS",
    "CRON_INTERVALS",
    "DEFAULT_DATABASE_URL",
    "DEFAULT_RULES_PATH",
    "REPLAY_BATCH_SIZE",
    "SHARDS",
    "SOURCE_DEMO",
]


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
SHARDS = 16

#: ``PLAUDIT_CLOSE_GRACE_SECONDS``: a period is closed this long after it ended, so late events (a tool's
#: retries, a worker catching up) are in its final board.
CLOSE_GRACE_SECONDS = 3600

#: Seconds between runs of each cron job, each changed by the variable beside it: parked events retried and
#: pending shards queued; reconciles of the current and previous periods' boards; looks for periods to close;
#: outbox deliveries (a message's first retry is due 5 s after its first try).
CRON_INTERVALS = {
    "sweep_pending": ("PLAUDIT_SWEEP_INTERVAL", 60),
    "reconcile_boards": ("PLAUDIT_RECONCILE_INTERVAL", 600),
    "close_periods": ("PLAUDIT_CLOSE_INTERVAL", 900),
    "deliver_outbox": ("PLAUDIT_OUTBOX_INTERVAL", 5),
}
