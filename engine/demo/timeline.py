"""The simulated clock of the demo event stream: how busy each hour is, and its events' timestamps.

Why it exists: real advocacy happens in office hours, with a lunch dip and quiet weekends, in the company's
time zone (Europe/Amsterdam), and the benchmarks format millions of timestamps, so both are worth doing once.
Computed, not looked up: the output does not depend on the installed tzdata.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

__all__ = ["DAY", "HOUR", "HourClock", "amsterdam_offset", "hourly_weights"]

HOUR = 3600
DAY = 86400

# Relative activity by local hour (Europe/Amsterdam), Monday-Friday and weekend: office hours, a lunch dip,
# a small evening scroll; weekends are quiet.
_WEEKDAY_HOURS = (
    0.02, 0.01, 0.01, 0.01, 0.01, 0.03, 0.10, 0.35, 0.80, 1.00, 0.95, 0.85,
    0.90, 0.85, 0.80, 0.75, 0.70, 0.55, 0.35, 0.30, 0.35, 0.30, 0.15, 0.06,
)  # fmt: skip
_WEEKEND_HOURS = (
    0.02, 0.01, 0.01, 0.01, 0.01, 0.01, 0.02, 0.04, 0.07, 0.09, 0.11, 0.11,
    0.10, 0.09, 0.09, 0.09, 0.09, 0.09, 0.09, 0.10, 0.11, 0.10, 0.06, 0.03,
)  # fmt: skip
_SECONDS = tuple(f"{s:02d}+00:00" for s in range(60))


def hourly_weights(rng: random.Random, start_epoch: int, days: int) -> list[float]:
    """The relative activity of each hour of `days` days from `start_epoch`: office hours in Amsterdam.

    Each day also gets a random factor, because some days are busier than others.
    """
    weights = []
    for d in range(days):
        factor = rng.lognormvariate(0.0, 0.25)
        for h in range(24):
            epoch = start_epoch + (d * 24 + h) * HOUR
            local_dt = datetime.fromtimestamp(epoch + amsterdam_offset(epoch), UTC)
            table = _WEEKEND_HOURS if local_dt.weekday() >= 5 else _WEEKDAY_HOURS
            weights.append(table[local_dt.hour] * factor)
    return weights


def amsterdam_offset(epoch: int) -> int:
    """UTC offset of Europe/Amsterdam in seconds (EU rule: summer time from the last Sunday of March to the last
    Sunday of October, 01:00 UTC). Computed, not looked up, so the output does not depend on installed tzdata."""
    begin, end = _summer_time(datetime.fromtimestamp(epoch, UTC).year)
    return 7200 if begin <= epoch < end else 3600


@lru_cache(maxsize=64)
def _summer_time(year: int) -> tuple[int, int]:
    """The epochs at which EU summer time begins and ends in `year` (01:00 UTC on the last Sundays)."""
    begin = datetime.combine(_last_sunday(year, 3), datetime.min.time(), UTC)
    end = datetime.combine(_last_sunday(year, 10), datetime.min.time(), UTC)
    return int(begin.timestamp()) + HOUR, int(end.timestamp()) + HOUR


def _last_sunday(year: int, month: int) -> date:
    """The last Sunday of `month`: the EU's summer time starts and ends on one."""
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


class HourClock:
    """ISO-8601 UTC timestamps for the epochs of one simulated hour, from per-minute prefixes.

    Why: formatting a datetime per event costs more than making the event; an hour has at most 61 distinct
    "YYYY-MM-DDTHH:MM:" prefixes (it may start mid-minute), so those are made once and the second appended.
    """

    __slots__ = ("_first_minute", "_minutes")

    def __init__(self, hour_start: int) -> None:
        self._first_minute = hour_start // 60
        last_minute = (hour_start + HOUR - 1) // 60
        self._minutes = [
            f"{_hour_prefix(m // 60 * HOUR)}{m % 60:02d}:"
            for m in range(self._first_minute, last_minute + 1)
        ]

    def iso(self, epoch: int) -> str:
        """The timestamp of `epoch` (within this hour), e.g. ``2026-11-02T09:41:07+00:00``."""
        return self._minutes[epoch // 60 - self._first_minute] + _SECONDS[epoch % 60]


@lru_cache(maxsize=8)
def _hour_prefix(epoch_hour: int) -> str:
    """ "YYYY-MM-DDTHH:" for an epoch on the hour: each is needed for about sixty minutes in a row."""
    return datetime.fromtimestamp(epoch_hour, UTC).strftime("%Y-%m-%dT%H:")
