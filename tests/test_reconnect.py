"""engine.jobs.reconnect: a loop that loses Redis or PostgreSQL waits and runs again, logging once per outage."""

from __future__ import annotations

import logging
import threading
import time

import psycopg
import pytest
import redis

from engine.jobs.reconnect import ReconnectConfig, keep_running, when_back
from tests.redis_server import started_server


def test_an_outage_is_waited_out_with_backoff_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures = [
        redis.ConnectionError("refused"),
        redis.ConnectionError("refused"),
        psycopg.OperationalError("gone"),
    ]
    runs: list[int] = []
    waits: list[float] = []

    def run() -> None:
        runs.append(1)
        if failures:
            raise failures.pop(0)

    with caplog.at_level(logging.WARNING, logger="plaudit.reconnect"):
        keep_running("test loop", run, ReconnectConfig(first=0.5, longest=1.5), sleep=waits.append)
    assert len(runs) == 4
    assert waits == [0.5, 1.0, 1.5]
    assert [r.getMessage().split(";")[0] for r in caplog.records] == [
        "test loop: a dependency is unreachable (ConnectionError: refused)"
    ]


def test_other_errors_are_not_swallowed() -> None:
    def run() -> None:
        raise ValueError("a bug, not an outage")

    with pytest.raises(ValueError):
        keep_running("test loop", run, sleep=lambda _: None)


def test_when_redis_is_back_the_callback_runs_once() -> None:
    """A real redis-server stopped and started again: the watch calls back once, after it answers."""
    server = started_server()
    calls: list[float] = []
    stop = threading.Event()
    try:
        client = redis.Redis.from_url(server.url, socket_connect_timeout=0.2, socket_timeout=0.2)
        when_back(client, lambda: calls.append(time.monotonic()), every=0.05, stop=stop)
        time.sleep(0.2)
        assert calls == []  # up all along: nothing to do
        server.stop()
        time.sleep(0.3)
        server.start()
        back = time.monotonic()
        deadline = back + 5
        while not calls and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(calls) == 1 and calls[0] >= back
    finally:
        stop.set()
        server.close()
