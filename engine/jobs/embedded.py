"""The embedded worker: scores the inbox in a background thread of the API process.

Intake only stores events; this thread picks them up batch by batch (``process_batch``), so a request never
waits for scoring. Intake wakes it; otherwise it polls. A failing batch is rolled back and tried again after a
pause, so nothing is lost or half-applied. In the scaled setup RQ workers do this job instead.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from engine.defaults import BATCH_SIZE
from engine.scoring.rulesets import PublishedRules
from engine.scoring.score import ProcessResult, process_batch
from engine.storage.database import DatabaseConfig, open_database

__all__ = ["EmbeddedWorker", "WorkerConfig", "WorkerStats"]

log = logging.getLogger("plaudit.worker")


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


class EmbeddedWorker:
    """A daemon thread running ``process_batch`` until stopped; ``on_batch`` sees each committed batch."""

    def __init__(
        self, config: WorkerConfig, on_batch: Callable[[ProcessResult], None] | None = None
    ) -> None:
        self.config = config
        self.on_batch = on_batch
        self.stats = WorkerStats()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._rules = PublishedRules()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="plaudit-worker", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        db = open_database(DatabaseConfig(url=self.config.database_url, migrate=False))
        db.write_lock = self.config.write_lock
        try:
            while not self._stop.is_set():
                try:
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
                    self._stop.wait(self.config.retry_seconds)
                    continue
                if not result.events:
                    self._wake.wait(self.config.idle_seconds)
                    self._wake.clear()
                    continue
                s = self.stats
                s.batches += 1
                s.scored += result.scored
                s.parked += result.parked
                s.busy_seconds += time.perf_counter() - started
                s.last_batch_at = time.time()
        finally:
            db.close()
