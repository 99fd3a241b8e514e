"""Period keys: which day, week, month and quarter an event belongs to, in the program's time zone.

Leaderboards, caps and ``once ... per`` all cut time the same way, so the cut lives here. Periods
come from ``occurred_at`` (when the employee acted), never from arrival time.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Final, NamedTuple
from zoneinfo import ZoneInfo

__all__ = [
    "PERIOD_KINDS",
    "WEEK_STARTS",
    "PeriodKeyCache",
    "PeriodKeys",
    "period_end",
    "period_keys",
    "period_kind",
    "period_label",
    "period_start",
    "previous_period",
]

PERIOD_KINDS: Final = ("day", "week", "month", "quarter", "all")
WEEK_STARTS: Final = ("monday", "sunday")


class PeriodKeys(NamedTuple):
    """Sortable text keys of one local date, e.g. day="2026-11-03", week="2026-W45"."""

    day: str
    week: str
    month: str
    quarter: str

    def of(self, kind: str) -> str:
        """The key for one of PERIOD_KINDS; "all" has the single key "all"."""
        return "all" if kind == "all" else getattr(self, kind)


@lru_cache(maxsize=4096)
def _keys_of_date(local_date: date, week_start: str) -> PeriodKeys:
    # Sunday weeks run Sunday..Saturday and take the ISO label of the Monday inside them, so a
    # week key is always the ISO week that overlaps it most (6 of 7 days).
    week_date = local_date + timedelta(days=1) if week_start == "sunday" else local_date
    iso_year, iso_week, _ = week_date.isocalendar()
    return PeriodKeys(
        day=local_date.isoformat(),
        week=f"{iso_year:04d}-W{iso_week:02d}",
        month=f"{local_date.year:04d}-{local_date.month:02d}",
        quarter=f"{local_date.year:04d}-Q{(local_date.month - 1) // 3 + 1}",
    )


def period_keys(occurred_at: datetime, tz: ZoneInfo, week_start: str = "monday") -> PeriodKeys:
    """Period keys of an aware instant as seen on the wall clock of ``tz``."""
    if occurred_at.tzinfo is None or occurred_at.utcoffset() is None:
        raise ValueError("occurred_at must be timezone-aware")
    if week_start not in WEEK_STARTS:
        raise ValueError(f'week_start must be "monday" or "sunday", got {week_start!r}')
    return _keys_of_date(occurred_at.astimezone(tz).date(), week_start)


class PeriodKeyCache:
    """period_keys for the hot path: memoized per 15-minute slice of the event's wall clock.

    Converting every event to the program time zone costs about a microsecond; events of one
    batch mostly fall in a few slices. A slice maps into a single program-local day when both
    UTC offsets are whole quarter hours (true of every zone since the 1970s; DST switches
    happen on quarter hours too); other offsets (historic local mean time) are not cached.
    """

    __slots__ = ("_cache", "tz", "week_start")

    def __init__(self, tz: ZoneInfo, week_start: str = "monday") -> None:
        if week_start not in WEEK_STARTS:
            raise ValueError(f'week_start must be "monday" or "sunday", got {week_start!r}')
        self.tz = tz
        self.week_start = week_start
        self._cache: dict[tuple[object, ...], PeriodKeys] = {}

    def __call__(self, occurred_at: datetime) -> PeriodKeys:
        t = occurred_at
        slot = (t.year, t.month, t.day, t.hour, t.minute // 15, t.fold, t.tzinfo)
        keys = self._cache.get(slot)
        if keys is not None:
            return keys
        keys = period_keys(t, self.tz, self.week_start)
        own_offset = t.utcoffset()
        program_offset = t.astimezone(self.tz).utcoffset()
        if (
            own_offset is not None
            and program_offset is not None
            and own_offset.total_seconds() % 900 == 0
            and program_offset.total_seconds() % 900 == 0
        ):
            if len(self._cache) > 50_000:
                self._cache.clear()  # bounded: a long replay must not grow it forever
            self._cache[slot] = keys
        return keys


_KEY_FORMATS = {
    "day": re.compile(r"(\d{4})-(\d{2})-(\d{2})"),
    "week": re.compile(r"(\d{4})-W(\d{2})"),
    "month": re.compile(r"(\d{4})-(\d{2})"),
    "quarter": re.compile(r"(\d{4})-Q([1-4])"),
}


# -- period keys back to instants ------------------------------------------------------------------------------------------------
def period_kind(key: str) -> str:
    """``day``, ``week``, ``month``, ``quarter`` or ``all`` for a key of :mod:`rules.periods`; ValueError if
    the key has none of their formats."""
    if key == "all":
        return "all"
    for kind, pattern in _KEY_FORMATS.items():
        if pattern.fullmatch(key):
            return kind
    raise ValueError(f"not a period key: {key!r}")


def _first_day(key: str, week_start: str) -> tuple[date, date]:
    """The first local date of the period and the first date after it."""
    kind = period_kind(key)
    if kind == "all":
        raise ValueError('the period "all" has no start or end')
    numbers = [int(n) for n in _KEY_FORMATS[kind].fullmatch(key).groups()]  # type: ignore[union-attr]
    if kind == "day":
        first = date(*numbers)
        return first, first + timedelta(days=1)
    if kind == "week":
        # A Sunday week runs Sunday..Saturday and carries the ISO label of the Monday inside it.
        monday = date.fromisocalendar(numbers[0], numbers[1], 1)
        first = monday - timedelta(days=1) if week_start == "sunday" else monday
        return first, first + timedelta(days=7)
    year, month = (numbers[0], numbers[1]) if kind == "month" else (numbers[0], 3 * numbers[1] - 2)
    if not 1 <= month <= 12:
        raise ValueError(f"not a period key: {key!r}")
    months = 1 if kind == "month" else 3
    after_year, after_month = divmod(month - 1 + months, 12)
    return date(year, month, 1), date(year + after_year, after_month + 1, 1)


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    # fold=0: in a DST gap at midnight this is the first instant of the day (the wall clock shows 01:00);
    # when midnight repeats (a fall-back from 01:00) the day starts at its first occurrence.
    return datetime.combine(day, time(0), tz).astimezone(UTC)


def period_start(key: str, tz: ZoneInfo, week_start: str = "monday") -> datetime:
    """The first instant (UTC) of a day, week, month or quarter key as cut in ``tz``."""
    if week_start not in WEEK_STARTS:
        raise ValueError(f'week_start must be "monday" or "sunday", got {week_start!r}')
    return _local_midnight(_first_day(key, week_start)[0], tz)


def period_end(key: str, tz: ZoneInfo, week_start: str = "monday") -> datetime | None:
    """The first instant (UTC) after a period key as cut in ``tz`` (the next period's start); None for
    ``all``, which never ends. Local midnights, so a DST day is 23 or 25 hours long."""
    if week_start not in WEEK_STARTS:
        raise ValueError(f'week_start must be "monday" or "sunday", got {week_start!r}')
    if key == "all":
        return None
    return _local_midnight(_first_day(key, week_start)[1], tz)


def previous_period(key: str, tz: ZoneInfo, week_start: str = "monday") -> str:
    """The key of the period of the same kind just before ``key`` (``all`` has none: itself)."""
    kind = period_kind(key)
    if kind == "all":
        return key
    before = period_start(key, tz, week_start) - timedelta(microseconds=1)
    return period_keys(before, tz, week_start).of(kind)


def period_label(period_key: str) -> str:
    """``2026-11`` → ``November 2026``; ``2026-Q4`` → ``Q4 2026``; other keys as they are (the pages translate
    the month names)."""
    kind = period_kind(period_key)
    year, _, rest = period_key.partition("-")
    if kind == "month":
        return f"{calendar.month_name[int(rest)]} {year}"
    if kind == "quarter":
        return f"{rest} {year}"
    return period_key
