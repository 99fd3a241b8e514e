"""Properties of score() on event streams: deterministic, and counter_keys covers every key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st
from rules_support import ROOT

from rules import load_rules

DEFAULT = load_rules(ROOT / "rules.yaml")

ids = st.sampled_from(["p1", "p2", "p3"])
ATTRIBUTES = {
    "share": st.fixed_dictionaries(
        {"content_id": ids},
        optional={
            "content_kind": st.sampled_from(["curated", "owned", "promotional"]),
            "personalized": st.booleans(),
            "campaign": st.sampled_from(["careers", "x"]),
        },
    ),
    "click": st.fixed_dictionaries(
        {},
        optional={
            "content_id": ids,
            "visitor": st.sampled_from(["v1", "v2"]),
            "suspected_bot": st.booleans(),
        },
    ),
    "reaction_received": st.fixed_dictionaries(
        {"reaction": st.sampled_from(["like", "comment", "reshare"])},
        optional={"count": st.integers(1, 30), "from_colleague": st.booleans()},
    ),
    "reaction_given": st.fixed_dictionaries(
        {
            "reaction": st.sampled_from(["like", "comment"]),
            "owner": st.sampled_from(["company", "colleague", "other"]),
        },
    ),
    "referral": st.fixed_dictionaries(
        {"stage": st.sampled_from(["submitted", "interviewed", "hired"])},
        optional={"candidate_id": st.sampled_from(["c1", "c2"])},
    ),
    "lead": st.fixed_dictionaries({"lead_id": ids}, optional={"qualified": st.booleans()}),
    "shoutout_received": st.just({"giver": "e2", "value": "care"}),
}


@st.composite
def streams(draw: st.DrawFn) -> list[tuple[str, dict[str, Any], datetime]]:
    """An employee's events in occurred_at order over a few weeks around the campaign."""
    moment = datetime(2026, 10, 28, tzinfo=UTC)
    events = []
    for _ in range(draw(st.integers(1, 40))):
        event_type = draw(st.sampled_from(sorted(ATTRIBUTES)))
        moment += timedelta(minutes=draw(st.integers(0, 60 * 30)))
        events.append((event_type, draw(ATTRIBUTES[event_type]), moment))
    return events


def play(events, counters=None) -> list[Any]:
    counters = {} if counters is None else counters
    return [msgspec.to_builtins(DEFAULT.score(t, a, when, counters)) for t, a, when in events]


@settings(max_examples=150, deadline=None)
@given(streams())
def test_score_on_a_stream_is_deterministic(events):
    assert play(events) == play(events)


class RecordingCounters(dict):
    """A counters dict that remembers every key score() read or wrote."""

    def __init__(self) -> None:
        super().__init__()
        self.touched: set[str] = set()

    def get(self, key, default=None):
        self.touched.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.touched.add(key)
        return super().__getitem__(key)

    def __setitem__(self, key, value):
        self.touched.add(key)
        super().__setitem__(key, value)


@settings(max_examples=150, deadline=None)
@given(streams())
def test_counter_keys_cover_every_key_score_touches(events):
    counters = RecordingCounters()
    for event_type, attributes, when in events:
        counters.touched.clear()
        DEFAULT.score(event_type, attributes, when, counters)
        assert counters.touched <= set(DEFAULT.counter_keys(event_type, attributes, when))


@settings(max_examples=100, deadline=None)
@given(streams())
def test_caps_are_never_exceeded(events):
    counters: dict[str, float] = {}
    play(events, counters)
    for key, used in counters.items():
        if key.startswith("cap:"):
            assert used <= DEFAULT.caps[key.split(":")[1]].max
