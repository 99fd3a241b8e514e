"""engine.jobs.reconnect: a loop that loses Redis or PostgreSQL waits and runs again, logging once per outage."""

from __future__ import annotations

import logging

import psycopg
import pytest
import redis

from engine.jobs.reconnect import ReconnectConfig, keep_running


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
