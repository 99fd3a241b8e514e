"""Period keys: local days, ISO weeks across years, quarters, Sunday weeks, DST change days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules import PERIOD_KINDS, PeriodKeys, period_keys
from rules.periods import PeriodKeyCache

AMS = ZoneInfo("Europe/Amsterdam")


def keys(text: str, week_start: str = "monday", tz: ZoneInfo = AMS) -> PeriodKeys:
    return period_keys(datetime.fromisoformat(text), tz, week_start)


def test_shape():
    assert PERIOD_KINDS == ("day", "week", "month", "quarter", "all")
    assert keys("2026-11-03T10:00:00+01:00") == PeriodKeys(
        day="2026-11-03", week="2026-W45", month="2026-11", quarter="2026-Q4"
    )
    assert keys("2026-11-03T10:00:00+01:00").of("all") == "all"
    assert keys("2026-11-03T10:00:00+01:00").of("month") == "2026-11"


def test_iso_week_across_a_year_boundary():
    assert keys("2026-12-31T12:00:00+01:00").week == "2026-W53"
    assert keys("2027-01-01T12:00:00+01:00").week == "2026-W53"  # ISO year 2026
    assert keys("2027-01-03T12:00:00+01:00").week == "2026-W53"
    assert keys("2027-01-04T12:00:00+01:00").week == "2027-W01"
    assert keys("2024-12-30T12:00:00+01:00").week == "2025-W01"  # Monday in ISO year 2025


def test_new_year_is_local():
    # 23:30 UTC on 31 December is already 1 January in Amsterdam
    local = keys("2026-12-31T23:30:00+00:00")
    assert (local.day, local.month, local.quarter) == ("2027-01-01", "2027-01", "2027-Q1")
    utc = keys("2026-12-31T23:30:00+00:00", tz=ZoneInfo("UTC"))
    assert (utc.day, utc.quarter) == ("2026-12-31", "2026-Q4")


def test_quarters():
    assert keys("2026-03-31T12:00:00+02:00").quarter == "2026-Q1"
    assert keys("2026-04-01T12:00:00+02:00").quarter == "2026-Q2"
    assert keys("2026-09-30T12:00:00+02:00").quarter == "2026-Q3"
    assert keys("2026-10-01T12:00:00+02:00").quarter == "2026-Q4"


def test_week_start_sunday():
    sunday = "2026-11-01T12:00:00+01:00"
    assert keys(sunday).week == "2026-W44"  # ISO: Sunday ends the week
    assert keys(sunday, "sunday").week == "2026-W45"  # Sunday starts the week of 2 Nov
    assert keys("2026-11-07T12:00:00+01:00", "sunday").week == "2026-W45"  # Saturday
    assert keys("2026-11-08T12:00:00+01:00", "sunday").week == "2026-W46"


def test_dst_change_day_in_amsterdam():
    # 25 October 2026: clocks go back at 03:00 CEST; that local day lasts 25 hours.
    assert keys("2026-10-24T21:59:59+00:00").day == "2026-10-24"
    assert keys("2026-10-24T22:00:00+00:00").day == "2026-10-25"  # 00:00 CEST
    assert keys("2026-10-25T22:59:59+00:00").day == "2026-10-25"  # 23:59:59 CET
    assert keys("2026-10-25T23:00:00+00:00").day == "2026-10-26"
    # 29 March 2026: clocks go forward; that local day lasts 23 hours.
    assert keys("2026-03-28T23:00:00+00:00").day == "2026-03-29"
    assert keys("2026-03-29T21:59:59+00:00").day == "2026-03-29"
    assert keys("2026-03-29T22:00:00+00:00").day == "2026-03-30"


def test_naive_datetimes_and_bad_week_starts_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        period_keys(datetime(2026, 11, 3, 10), AMS)
    with pytest.raises(ValueError, match="week_start"):
        period_keys(datetime(2026, 11, 3, 10, tzinfo=UTC), AMS, "friday")


@given(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1)),
    st.sampled_from([0, 60, 90, 120, -300, 330, 345, -210]),
    st.sampled_from(["Europe/Amsterdam", "America/New_York", "Asia/Kolkata", "Australia/Eucla"]),
    st.sampled_from(["monday", "sunday"]),
)
def test_the_hot_path_cache_agrees_with_period_keys(moment, offset_minutes, zone, week_start):
    tz = ZoneInfo(zone)
    cache = PeriodKeyCache(tz, week_start)
    when = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    # warm the cache with a neighbour in the same quarter hour, then ask for this instant
    cache(when.replace(minute=when.minute - when.minute % 15, second=0, microsecond=0))
    assert cache(when) == period_keys(when, tz, week_start)
