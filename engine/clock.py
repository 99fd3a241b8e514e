"""The one clock: every "now" Plaudit reads (periods, demo data, award closing, grace hours, KPIs, outbox
schedules, token expiry) comes from :func:`now`.

Why one place: the results of a program depend on the calendar (the current week, month, quarter), so tests
and demos must be able to say what day it is, and a test that runs on the 3rd of a month must see what it
sees on the 15th. Durations (timeouts, throttles) keep ``time.monotonic``: they are not "now".

``PLAUDIT_NOW`` (an ISO instant, e.g. ``2026-11-20T12:00:00Z``) starts the clock of a process at that instant;
it then runs on at the pace of the machine's monotonic clock, so a server started under it still sees time
pass, and a jump of the wall clock does not move it. With a reading of the monotonic clock after an ``@``
(``2026-11-20T12:00:00+00:00@81234.5``) the clock read that instant at that reading: processes of one machine
started at different times agree on the time (a test suite and the servers it starts). Tests pin it with
:func:`pinned` (in process) or the environment variable (for the processes they start).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, tzinfo

__all__ = [
    "ENV_NOW",
    "Clock",
    "env_value",
    "now",
    "parse_instant",
    "pinned",
    "set_clock",
    "starting_at",
]

#: The environment variable that starts a process's clock at a given instant.
ENV_NOW = "PLAUDIT_NOW"

Clock = Callable[[], datetime]


def parse_instant(text: str, name: str = ENV_NOW, zone: tzinfo = UTC) -> datetime:
    """An ISO date or instant as an aware UTC datetime; one without a zone (a bare date: its midnight) is read
    in ``zone``.

    ValueError names ``name`` and what was expected.
    """
    try:
        at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{name}: expected an ISO date or instant like 2026-11-20T12:00:00Z, got {text!r}"
        ) from None
    return (at if at.tzinfo else at.replace(tzinfo=zone)).astimezone(UTC)


def _wall() -> datetime:
    return datetime.now(UTC)


def starting_at(at: datetime, monotonic: float | None = None) -> Clock:
    """A clock that reads ``at`` when ``time.monotonic()`` reads ``monotonic`` (default: now), and moves on
    with it."""
    start = at.astimezone(UTC)
    anchor = time.monotonic() if monotonic is None else monotonic
    return lambda: start + timedelta(seconds=time.monotonic() - anchor)


def env_value(clock: Clock) -> str:
    """``PLAUDIT_NOW`` for processes of this machine that must share ``clock`` (anchored to the monotonic clock,
    which all processes of a machine share)."""
    return f"{clock().isoformat()}@{time.monotonic():.6f}"


def _from_env() -> Clock:
    raw = os.environ.get(ENV_NOW, "").strip()
    if not raw:
        return _wall
    instant, _, reading = raw.partition("@")
    try:
        anchor = float(reading) if reading else None
    except ValueError:
        raise ValueError(f"{ENV_NOW}: expected INSTANT or INSTANT@MONOTONIC, got {raw!r}") from None
    return starting_at(parse_instant(instant), anchor)


#: Read from the environment at the first ``now()``, not at import.
_clock: Clock | None = None


def now() -> datetime:
    """The current instant, aware, in UTC."""
    global _clock
    if _clock is None:
        _clock = _from_env()
    return _clock()


def set_clock(clock: Clock | None) -> Clock | None:
    """Replace the process's clock (None: the environment's again, read at the next ``now()``); returns the
    one replaced."""
    global _clock
    previous, _clock = _clock, clock
    return previous


@contextlib.contextmanager
def pinned(at: datetime, *, ticking: bool = False) -> Iterator[Callable[[timedelta], None]]:
    """For the block, ``now()`` reads ``at`` (and moves on from it when ``ticking``).

    Yields a function that moves the clock on by a timedelta, for tests of schedules and expiry.
    """
    shift = timedelta()
    start = at.astimezone(UTC)
    began = time.monotonic()

    def read() -> datetime:
        moved = start + shift
        return moved + timedelta(seconds=time.monotonic() - began) if ticking else moved

    def advance(by: timedelta) -> None:
        nonlocal shift
        shift += by

    previous = set_clock(read)
    try:
        yield advance
    finally:
        set_clock(previous)
