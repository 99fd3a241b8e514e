"""Long-running processes outlive their dependencies: Redis or PostgreSQL gone means wait, not exit.

``plaudit worker`` and ``plaudit cron`` run RQ's loops, which raise when Redis goes away (a restart, a
failover) and let a dropped PostgreSQL connection surface as ``OperationalError``. ``keep_running`` runs such a
loop again with a short backoff until it returns normally, logging one warning per outage, so an operator sees
it and nothing needs restarting by hand.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
import redis

__all__ = ["OUTAGES", "ReconnectConfig", "keep_running", "when_back"]

log = logging.getLogger("plaudit.reconnect")

#: What a lost dependency raises: Redis (connection refused or reset, a read timed out) and PostgreSQL.
OUTAGES: tuple[type[Exception], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    psycopg.OperationalError,
)


@dataclass(frozen=True)
class ReconnectConfig:
    #: The first wait after a failure; doubled each time, up to ``longest``.
    first: float = 0.5
    #: The longest wait: the process is back within this long of its dependency.
    longest: float = 5.0
    #: A run that lasted this long (seconds) ended the outage: the next failure is a new one, logged again.
    healthy: float = 30.0


def keep_running(
    what: str,
    run: Callable[[], None],
    config: ReconnectConfig | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Call ``run`` until it returns; after an outage error, wait and call it again."""
    config = config or ReconnectConfig()
    wait = config.first
    down_since: float | None = None
    while True:
        started = time.monotonic()
        try:
            run()
            return
        except OUTAGES as exc:
            if down_since is not None and time.monotonic() - started > config.healthy:
                log.warning("%s: back after %.0f s", what, started - down_since)
                down_since, wait = (
                    None,
                    config.first,
                )  # it ran fine for a while: this is a new outage
            if down_since is None:
                down_since = time.monotonic()
                log.warning(
                    "%s: a dependency is unreachable (%s: %s); waiting for it",
                    what,
                    type(exc).__name__,
                    exc,
                )
            sleep(wait)
            wait = min(wait * 2, config.longest)


def when_back(
    connection: redis.Redis,
    then: Callable[[], object],
    every: float = 1.0,
    stop: threading.Event | None = None,
) -> threading.Thread:
    """A daemon thread that PINGs Redis every ``every`` seconds and calls ``then`` when it answers again
    after failing: RQ's worker waits out an outage by itself, but what was queued in an empty Redis is
    gone, and the shards with pending events must be queued again at once, not at the next cron sweep."""
    stop = stop or threading.Event()

    def watch() -> None:
        down = False
        while not stop.wait(every):
            try:
                connection.ping()
            except OUTAGES:
                down = True
                continue
            if down:
                down = False
                try:
                    then()
                except OUTAGES as exc:  # PostgreSQL down too: the next PING tries again
                    log.warning("after Redis came back: %s", exc)
                    down = True

    thread = threading.Thread(target=watch, name="plaudit-redis-watch", daemon=True)
    thread.start()
    return thread
