"""The one clock: pinned, moved on, read from PLAUDIT_NOW (shared by processes through the monotonic clock)."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from engine import clock
from tests.machine import ROOT

AT = datetime(2028, 2, 29, 11, 0, tzinfo=UTC)


def test_pinned_reads_the_instant_and_moves_only_when_told() -> None:
    with clock.pinned(AT) as advance:
        assert clock.now() == AT
        advance(timedelta(hours=13))
        assert clock.now() == datetime(2028, 3, 1, 0, 0, tzinfo=UTC)
    assert clock.now() != AT  # the suite's clock again


def test_a_ticking_pin_moves_on_from_the_instant() -> None:
    with clock.pinned(AT, ticking=True):
        first = clock.now()
        time.sleep(0.01)
        assert AT <= first < clock.now() < AT + timedelta(seconds=5)


def test_plaudit_now_starts_a_process_clock_and_an_anchor_keeps_processes_together() -> None:
    program = "from engine import clock; print(clock.now().isoformat())"

    def child(value: str) -> datetime:
        done = subprocess.run(
            [sys.executable, "-c", program],
            cwd=ROOT,
            env={"PLAUDIT_NOW": value, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        )
        return datetime.fromisoformat(done.stdout.strip())

    started = child("2028-02-29T11:00:00Z")
    assert AT <= started < AT + timedelta(seconds=30)
    # Anchored an hour of monotonic time ago: the child reads an hour later.
    anchored = child(f"{AT.isoformat()}@{time.monotonic() - 3600:.6f}")
    assert AT + timedelta(hours=1) <= anchored < AT + timedelta(hours=1, seconds=30)


@pytest.mark.parametrize("value", ["tomorrow", "2028-02-30T00:00:00Z", "2028-02-29T11:00:00Z@soon"])
def test_a_malformed_plaudit_now_is_refused_by_name(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(clock.ENV_NOW, value)
    previous = clock.set_clock(None)
    try:
        with pytest.raises(ValueError, match=r"^PLAUDIT_NOW: expected"):
            clock.now()
    finally:
        clock.set_clock(previous)


def test_a_bare_date_is_its_midnight_in_utc() -> None:
    assert clock.parse_instant("2028-02-29") == datetime(2028, 2, 29, tzinfo=UTC)
    assert clock.parse_instant("2028-02-29T12:00:00+01:00") == datetime(2028, 2, 29, 11, tzinfo=UTC)
