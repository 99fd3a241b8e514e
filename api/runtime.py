"""Everything one API process holds: database connections, the rulebook, in-memory boards, the worker.

Intake hands events to the group-commit writer thread and leaderboards read the in-memory boards, both from the
event loop. Other handlers that touch the database are sync and run in Litestar's thread pool
(``sync_to_thread=True``); each thread keeps its own connection, because sqlite3 and psycopg connections are
not shared across threads.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass

import redis

from api.config import ApiConfig
from badges.card import AwardCards
from badges.images import BadgeImages
from engine import clock
from engine.boards.memory import Boards
from engine.boards.pages import BoardPages, MemoryPages, RedisPages
from engine.boards.redis import RedisBoards
from engine.boards.sql import PERIOD_NAMES, period_key
from engine.defaults import BOARD_POINTS, BOARDS_CHECK_SECONDS
from engine.jobs.embedded import EmbeddedWorker, OutboxWorker, WorkerConfig
from engine.jobs.shards import enqueue_shards, listening_workers
from engine.people.directory import Directory
from engine.scoring.intake import EventOutcome, IntakeWriter
from engine.scoring.rulesets import (
    PublishedRules,
    RuleBook,
    default_rules_path,
    load_rulebook,
    publish,
)
from engine.scoring.score import ProcessResult
from engine.storage.database import Database, DatabaseConfig, open_database, reconnected
from engine.storage.redis_circuit import RedisCircuit
from rules import CompiledRules, load_rules

__all__ = ["IntakeCounters", "Runtime"]

log = logging.getLogger("plaudit.api")


@dataclass
class IntakeCounters:
    """Events seen by intake, by outcome, for /metrics."""

    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0

    def count(self, status: str, n: int = 1) -> None:
        setattr(self, status, getattr(self, status) + n)


class Runtime:
    def __init__(self, config: ApiConfig) -> None:
        self.config = config
        self._local = threading.local()
        self.intake = IntakeCounters()
        self.started_at = time.time()
        db = open_database(DatabaseConfig(url=config.database_url))  # migrates once, here
        self._local.db = db
        if not load_rulebook(db) and default_rules_path().exists():
            publish(db, load_rules(default_rules_path()), actor="plaudit serve (first run)")
        # A ruleset published later (CLI, another process) is seen within seconds, without a restart.
        self._published = PublishedRules(check_every=5.0)
        if not self.book:
            raise RuntimeError(f"no ruleset published and no {default_rules_path()} to publish")
        self.directory = Directory()
        self.directory.load(db)
        find = self.directory.get
        self.boards = Boards(
            ties=self.rules.ties,
            visible=lambda e: (p := find(e)) is not None and p.active and p.visibility == "public",
            team_of=lambda e: (
                p.team if (p := find(e)) is not None and p.active and p.team else None
            ),
        )
        # One lock for the two writers of this process (intake and scoring): waiting on it wakes at once,
        # where SQLite's busy handler would sleep in steps of up to 100 ms.
        self.write_lock = threading.Lock()
        self.worker = EmbeddedWorker(
            WorkerConfig(
                database_url=config.database_url,
                write_lock=self.write_lock,
                batch_lock=self.boards.writing,
            ),
            on_batch=self._scored,
        )
        self.intake_writer: IntakeWriter | None = None
        #: Set once the current periods' boards are loaded (see ``_keep_boards``).
        self.boards_warm = threading.Event()
        self._stopping = threading.Event()
        # Embedded, this process delivers the outbox; scaled, the RQ workers do (the deliver_outbox cron job).
        self.outbox: OutboxWorker | None = None
        if config.run_worker and not config.redis_url:
            self.outbox = OutboxWorker(
                lambda: open_database(DatabaseConfig(url=config.database_url, migrate=False)),
                lambda: self.book.current,
            )
        self.badge_images = BadgeImages()
        self.award_cards = AwardCards()
        # Scaled (REDIS_URL set): the boards the RQ workers write in Redis, and its scoring queue, behind one
        # circuit (one Redis); embedded: this process's own boards.
        self.redis_circuit = RedisCircuit()
        self.redis: redis.Redis | None = None
        self.pages: BoardPages = MemoryPages(self.boards, self.db, self.directory)
        if config.redis_url:
            redis_boards = RedisBoards.from_url(config.redis_url, self.rules.ties)
            self.redis = redis_boards.client
            self.pages = RedisPages(redis_boards, self.db, self.redis_circuit)

    @property
    def book(self) -> RuleBook:
        """The published rulebook, checked for a newer ruleset every few seconds."""
        return self._published.get(self.db())

    def published(self) -> None:
        """A ruleset was published from this process: serve it now, not within seconds."""
        self._published.expire()

    @property
    def rules(self) -> CompiledRules:
        rules = self.book.current
        assert rules is not None
        return rules

    def db(self) -> Database:
        """This thread's connection; a new one when PostgreSQL dropped the old (a restart, a failover)."""
        db = self._local.db = reconnected(
            getattr(self._local, "db", None),
            DatabaseConfig(url=self.config.database_url, migrate=False),
        )
        return db

    def _scored(self, result: ProcessResult) -> None:
        # Someone the directory does not know scored: the roster changed (a CLI import, SCIM); reload first,
        # so the boards file them under the right team and visibility.
        by_id = self.directory.by_id
        if any(employee not in by_id for (_, _, employee) in result.deltas):
            self.directory.load(self.db())
        self.pages.scored(self.db(), result.deltas)
        if self.outbox is not None and result.scored:
            self.outbox.wake()  # a badge or a milestone may have queued a message

    def employee_changed(self, employee_id: int | None = None) -> None:
        """After a change to the roster (SCIM, Piccolo Admin): who is active, in which team (the directory),
        and the employee's place on the boards; events of theirs that waited (parked) may be pending now, so
        the worker is woken."""
        db = self.db()
        self.directory.load(db)
        if employee_id is not None:
            self.pages.refresh(db, employee_id)
        if self.config.run_worker:
            self.worker.wake()

    def store(self, events: list[dict]) -> Future[list[EventOutcome]]:
        """Queue events for the inbox (group commit); the future holds one outcome per event."""
        if self.intake_writer is None:
            raise RuntimeError("the API is not started")
        return self.intake_writer.submit(events)

    def _employee_ids(self, refs: set[str]) -> dict[str, int]:
        """Shards come from the in-memory directory: no query on the intake path."""
        directory = self.directory
        unknown = next((ref for ref in refs if directory.find(ref) is None), None)
        if unknown is not None:  # someone new, maybe: reload, at most every 5 s
            directory.find_fresh(self.db(), unknown)
        return {ref: p.id for ref in refs if (p := directory.find(ref)) is not None}

    def _stored(self, outcomes: list[EventOutcome]) -> None:
        for o in outcomes:
            self.intake.count(o.status)
        shards = {o.shard for o in outcomes if o.shard is not None}
        if not shards:
            return
        if (connection := self.redis) is not None:
            # The events are stored either way: if Redis is down, the sweep queues them once it is back.
            self.redis_circuit.call(
                lambda: enqueue_shards(connection, shards),
                f"{len(shards)} shard(s) not queued for scoring; the next sweep will",
            )
        if self.config.run_worker:
            self.worker.wake()

    def start(self) -> None:
        self.intake_writer = IntakeWriter(
            self.config.database_url,
            lambda: self.book.current,
            on_stored=self._stored,
            write_lock=self.write_lock,
            employee_ids=self._employee_ids,
        )
        if self.config.run_worker:
            self.worker.start()
        if self.outbox is not None:
            self.outbox.start()
        threading.Thread(target=self._keep_boards, name="plaudit-boards", daemon=True).start()

    def _keep_boards(self) -> None:
        """Load the current periods' boards at start (about a second each at 100,000 employees) and after each
        period turns, in the background, so no visitor waits for a load; forget past periods' boards. /health
        says when the first round is done."""
        while True:
            try:
                periods = [period_key(self.rules, name) for name in PERIOD_NAMES]
                self.pages.keep(self.db(), BOARD_POINTS, periods)
            except Exception:  # a request loads what it needs instead
                log.exception("could not load the current boards ahead of their first request")
            self.boards_warm.set()
            if self._stopping.wait(BOARDS_CHECK_SECONDS):
                return

    def stop(self) -> None:
        self._stopping.set()
        self.worker.stop()
        if self.outbox is not None:
            self.outbox.stop()
        if self.intake_writer is not None:
            self.intake_writer.stop()

    def redis_status(self) -> tuple[str, int | None]:
        """``ok`` with the number of RQ workers listening, ``unavailable``, or ``not used`` (embedded)."""
        connection = self.redis
        if connection is None:
            return "not used", None
        workers = self.redis_circuit.call(
            lambda: listening_workers(connection),
            "/health reports Redis unavailable",
        )
        return ("unavailable", None) if workers is None else ("ok", workers)

    def pending(self) -> tuple[int, float | None]:
        """Events waiting to be scored, and the age in seconds of the oldest (the worker's lag)."""
        db = self.db()
        count, oldest = db.query(
            "SELECT COUNT(*), MIN(received_at) FROM \"event\" WHERE status = 'pending'"
        )[0]
        if not count:
            return 0, None
        return count, max((clock.now() - db.read_ts(oldest)).total_seconds(), 0.0)
