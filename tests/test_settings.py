"""The environment is read in one place (engine.settings), when first used, and again only when it changes; the
background threads share one start/wake/stop base (engine.jobs.background)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from engine.jobs.background import BackgroundThread
from engine.settings import Settings, settings


def test_the_defaults_without_any_variable() -> None:
    got = Settings.from_env({})
    assert got.database_url == "sqlite:///plaudit.sqlite" and got.redis_url is None
    assert got.rules_path == Path("rules.yaml") and got.shards == 16
    assert got.close_grace_seconds == 3600
    assert dict(got.intervals) == {
        "sweep_pending": 60,
        "reconcile_boards": 600,
        "close_periods": 900,
        "deliver_outbox": 5,
    }


def test_each_variable_is_read() -> None:
    got = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://p@db/plaudit",
            "REDIS_URL": "redis://cache:6379/0",
            "PLAUDIT_RULES": "/etc/plaudit/rules.yaml",
            "PLAUDIT_SHARDS": "64",
            "PLAUDIT_CLOSE_GRACE_SECONDS": "0",
            "PLAUDIT_OUTBOX_INTERVAL": "2",
        }
    )
    assert (got.database_url, got.redis_url) == (
        "postgresql://p@db/plaudit",
        "redis://cache:6379/0",
    )
    assert (got.rules_path, got.shards, got.close_grace_seconds) == (
        Path("/etc/plaudit/rules.yaml"),
        64,
        0,
    )
    assert got.intervals["deliver_outbox"] == 2 and got.intervals["sweep_pending"] == 60


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PLAUDIT_SHARDS", "many", "PLAUDIT_SHARDS: expected a whole number, got 'many'"),
        ("PLAUDIT_SHARDS", "0", "PLAUDIT_SHARDS: expected at least 1, got 0"),
        ("PLAUDIT_SWEEP_INTERVAL", "0", "PLAUDIT_SWEEP_INTERVAL: expected at least 1, got 0"),
        ("PLAUDIT_CLOSE_GRACE_SECONDS", "-5", "PLAUDIT_CLOSE_GRACE_SECONDS: expected at least 0"),
    ],
)
def test_a_malformed_variable_is_refused_by_name(name: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.from_env({name: value})


def test_settings_are_built_once_and_again_when_a_variable_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PLAUDIT_SHARDS", "8")
    first = settings()
    assert first.shards == 8 and settings() is first  # not rebuilt while nothing changed
    monkeypatch.setenv("PLAUDIT_SHARDS", "32")
    assert settings().shards == 32
    monkeypatch.setenv("PLAUDIT_SHARDS", "none")
    with pytest.raises(ValueError, match="PLAUDIT_SHARDS"):
        settings()


class Counting(BackgroundThread):
    def __init__(self) -> None:
        super().__init__("test-counting")
        self.rounds = 0
        self.released = threading.Event()

    def run(self) -> None:
        while not self.stopping:
            self.rounds += 1
            self.idle(60)  # only a wake or stop ends it within the test

    def closed(self) -> None:
        self.released.set()


def _until(condition: object, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.01)
    return False


def test_a_wake_cuts_the_idle_wait_short_and_stop_joins_and_releases() -> None:
    thread = Counting()
    thread.start()
    assert thread.is_alive()
    assert _until(lambda: thread.rounds == 1)
    thread.wake()
    assert _until(lambda: thread.rounds == 2)
    thread.stop(timeout=5)
    assert thread.stopping and thread.released.is_set()
    assert not thread.is_alive()
