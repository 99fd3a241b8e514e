"""The embedded default's background threads in the API process: scoring and outbox delivery.

Intake only stores events; the scoring thread picks them up batch by batch (``process_batch``), so a request
never waits for scoring. Intake wakes it; otherwise it polls. A failing batch is rolled back and tried again
after a pause, so nothing is lost or half-applied. The outbox thread delivers reward messages when they are
due. In the scaled setup RQ workers and the cron do both jobs instead (``engine.jobs.shards``,
``engine.jobs.cron``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from engine.defaults import BATCH_SIZE
from engine.jobs.background import BackgroundThread
from engine.rewards.outbox import Connectors, DeliveryConfig, deliver_due, has_messages
from engine.scoring.rulesets import PublishedRules
from engine.scoring.score import ProcessResult, process_batch
from engine.storage.database import Database, DatabaseConfig, reconnected
from rules import CompiledRules

__all__ = ["EmbeddedWorker", "OutboxWorker", "WorkerConfig", "WorkerStats"]

log = logging.getLogger("plaudit.worker")
outbox_log = logging.getLogger("plaudit.outbox")


@dataclass(frozen=True)
class WorkerConfig:
    database_url: str | None = None
    batch_size: int = BATCH_SIZE
    #: How long to sleep when the inbox is empty and nobody wakes the worker.
    idle_seconds: float = 0.5
    #: Pause after a failed batch before the next try.
    retry_seconds: float = 2.0
    #: Held while a batch is written; the process's intake writer takes it too (see ``IntakeWriter``).
    write_lock: threading.Lock = field(default_factory=threading.Lock, compare=False)
    #: Held from a batch's transaction until ``on_batch`` returns (``Boards.writing``: no board loads between).
    batch_lock: AbstractContextManager[Any] = field(
        default_factory=contextlib.nullcontext, compare=False
    )


@dataclass
class WorkerStats:
    batches: int = 0
    scored: int = 0
    parked: int = 0
    failures: int = 0
    last_error: str | None = None
    last_batch_at: float | None = None
    #: Seconds spent scoring, for the scoring rate in /metrics.
    busy_seconds: float = 0.0
    started_at: float = field(default_factory=time.time)


class EmbeddedWorker(BackgroundThread):
    """A daemon thread running ``process_batch`` until stopped; ``on_batch`` sees each committed batch."""

    def __init__(
        self, config: WorkerConfig, on_batch: Callable[[ProcessResult], None] | None = None
    ) -> None:
        super().__init__("plaudit-worker")
        self.config = config
        self.on_batch = on_batch
        self.stats = WorkerStats()
        self._rules = PublishedRules()

    def run(self) -> None:
        db: Database | None = None
        try:
            while not self.stopping:
                try:
                    # A new connection after PostgreSQL restarted; while it is down, this fails and pauses.
                    db = reconnected(
                        db, DatabaseConfig(url=self.config.database_url, migrate=False)
                    )
                    db.write_lock = self.config.write_lock
                    started = time.perf_counter()
                    with self.config.batch_lock:
                        # A ruleset published by HR (API or CLI) is picked up at the next batch.
                        result = process_batch(db, self._rules.get(db), self.config.batch_size)
                        if result.events and self.on_batch is not None:
                            self.on_batch(result)
                except Exception as exc:
                    # The failed batch was rolled back (a failing on_batch comes after the commit: the
                    # stats miss that batch, the ledger doesn't): note it, pause, try again.
                    self.stats.failures += 1
                    self.stats.last_error = f"{type(exc).__name__}: {exc}"
                    log.exception(
                        "scoring batch failed; retrying in %.0fs", self.config.retry_seconds
                    )
                    self.pause(self.config.retry_seconds)
                    continue
                if not result.events:
                    self.idle(self.config.idle_seconds)
                    continue
                s = self.stats
                s.batches += 1
                s.scored += result.scored
                s.parked += result.parked
                s.busy_seconds += time.perf_counter() - started
                s.last_batch_at = time.time()
        finally:
            if db is not None:
                db.close()


class OutboxWorker(BackgroundThread):
    """The embedded delivery loop: a thread that delivers what is due, then sleeps a second or until woken
    (messages queued by another process are seen within a second; a retry is due 5 s after at the soonest)."""

    def __init__(
        self,
        open_db: Callable[[], Database],
        rules: Callable[[], CompiledRules | None],
        config: DeliveryConfig | None = None,
        idle_seconds: float = 1.0,
    ) -> None:
        super().__init__("plaudit-outbox")
        self._open_db = open_db
        self._rules = rules
        self._config = config or DeliveryConfig()
        self._idle = idle_seconds
        self.connectors = Connectors()

    def closed(self) -> None:
        self.connectors.close()

    def run(self) -> None:
        db: Database | None = None
        with ThreadPoolExecutor(self._config.threads, thread_name_prefix="plaudit-outbox") as pool:
            while not self.stopping:
                rules = self._rules()
                try:
                    if db is None or db.lost:  # PostgreSQL restarted: a new connection
                        db = self._open_db()
                    if rules is not None and has_messages(db):
                        deliver_due(db, rules, self.connectors, self._config, pool=pool)
                except Exception:  # keep delivering: the messages are safe in the database
                    outbox_log.exception("outbox delivery failed; trying again")
                self.idle(self._idle)
        if db is not None:
            db.close()
