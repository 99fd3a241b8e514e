"""Scoring features, one at a time, on small programs built from the test base program."""

from __future__ import annotations

from rules_support import at, build

T = at("2026-10-05T09:00:00+02:00")


def points(compiled, event_type, attributes, when=T, counters=None):
    awards = compiled.score(event_type, attributes, when, {} if counters is None else counters)
    return sum(a.points for a in awards)


def test_fixed_points_and_award_fields():
    compiled = build("""
        - id: share
          description: "Share company content"
          event: share
          points: 10
    """)
    [award] = compiled.score("share", {"content_id": "p1"}, T, {})
    assert award.rule_id == "share"
    assert award.points == 10
    assert award.reasons == ["Share company content: 10"]
    assert award.capped is False
    assert award.base_points == 10.0
    assert len(award.rule_version) == 12
    assert compiled.score("click", {}, T, {}) == []
    assert compiled.score("no_such_type", {}, T, {}) == []


def test_points_by_value_with_default():
    compiled = build("""
        - id: referral
          event: referral
          points: {by: stage, values: {submitted: 25, interviewed: 75}, default: 1}
    """)
    assert points(compiled, "referral", {"stage": "submitted"}) == 25
    assert points(compiled, "referral", {"stage": "interviewed"}) == 75
    assert points(compiled, "referral", {"stage": "hired"}) == 1
    [award] = compiled.score("referral", {"stage": "interviewed"}, T, {})
    assert award.reasons == ["referral: 75 (stage interviewed)"]


def test_points_from_a_field_times_a_factor():
    compiled = build("""
        - id: reach
          event: share
          points: {field: audience, times: 0.01}
        - id: reactions
          event: reaction
          points: {field: count, times: 2}
    """)
    assert points(compiled, "share", {"audience": 1250}) == 13  # 12.5 rounds half up
    assert points(compiled, "share", {}) == 0  # missing field: 0 points
    assert points(compiled, "reaction", {"count": 3}) == 6
    assert points(compiled, "reaction", {}) == 2  # declared default count: 1


def test_weight_by_field_value():
    compiled = build("""
        - id: share
          event: share
          points: 10
          weight: {by: content_kind, values: {owned: 1.2, promotional: 0.5}, default: 0.8}
    """)
    assert points(compiled, "share", {"content_kind": "owned"}) == 12
    assert points(compiled, "share", {"content_kind": "promotional"}) == 5
    assert points(compiled, "share", {"content_kind": "curated"}) == 8  # default weight
    [award] = compiled.score("share", {"content_kind": "owned"}, T, {})
    assert "content_kind owned ×1.2" in award.reasons


def test_multipliers_apply_only_when_their_condition_holds():
    compiled = build("""
        - id: share
          event: share
          points: 10
          multipliers:
            - when: {personalized: true}
              factor: 1.5
              reason: "own words added (+50%)"
            - when: "audience >= 1000"
              factor: 2
              reason: "big audience"
    """)
    assert points(compiled, "share", {}) == 10
    assert points(compiled, "share", {"personalized": True}) == 15
    assert points(compiled, "share", {"personalized": True, "audience": 1000}) == 30
    [award] = compiled.score("share", {"personalized": True}, T, {})
    assert award.reasons == ["share: 10", "own words added (+50%) ×1.5"]


CAMPAIGN = """
campaigns:
  - id: november
    name: "November push"
    from: "2026-11-01"
    until: "2026-11-30"
    rules: [share]
    multiplier: 2
"""


def test_campaign_window_edges_are_inclusive_in_the_program_time_zone():
    compiled = build("- {id: share, event: share, points: 10}", CAMPAIGN)
    # Amsterdam is UTC+1 in November: the window is 2026-10-31T23:00Z .. 2026-11-30T23:00Z.
    assert points(compiled, "share", {}, at("2026-10-31T22:59:59+00:00")) == 10
    assert points(compiled, "share", {}, at("2026-10-31T23:00:00+00:00")) == 20
    assert points(compiled, "share", {}, at("2026-11-30T23:59:59+01:00")) == 20
    assert points(compiled, "share", {}, at("2026-11-30T23:00:00+00:00")) == 10
    [award] = compiled.score("share", {}, at("2026-11-12T12:00:00+01:00"), {})
    assert "November push ×2" in award.reasons


def test_campaign_condition():
    compiled = build(
        "- {id: share, event: share, points: 10}",
        CAMPAIGN.replace("    multiplier: 2", "    multiplier: 1.5\n    when: {campaign: careers}"),
    )
    november = at("2026-11-12T12:00:00+01:00")
    assert points(compiled, "share", {"campaign": "careers"}, november) == 15
    assert points(compiled, "share", {"campaign": "other"}, november) == 10


def test_cap_shared_by_two_rules_resets_at_local_midnight():
    compiled = build("""
        - {id: share, event: share, points: 12, cap: daily}
        - {id: click, event: click, points: 6, cap: daily}
    """)
    counters: dict[str, float] = {}
    evening = at("2026-11-03T22:30:00+00:00")  # 23:30 in Amsterdam, 3 November
    assert points(compiled, "share", {}, evening, counters) == 12
    assert points(compiled, "click", {}, evening, counters) == 6
    [award] = compiled.score("share", {}, evening, counters)  # 2 left of 20
    assert (award.points, award.capped, award.base_points) == (2, True, 12.0)
    assert award.reasons[-1] == "cap sharing, per day: 20 reached, 2 of 12 given"
    [award] = compiled.score("click", {}, evening, counters)
    assert (award.points, award.capped) == (0, True)  # still returned, with 0 points
    assert counters["cap:daily:2026-11-03"] == 20
    after_midnight = at("2026-11-03T23:30:00+00:00")  # 00:30 in Amsterdam, 4 November
    assert points(compiled, "share", {}, after_midnight, counters) == 12
    assert counters["cap:daily:2026-11-04"] == 12


def test_cap_without_description_names_the_cap():
    compiled = build("- {id: share, event: share, points: 60, cap: weekly}")
    counters: dict[str, float] = {"cap:weekly:2026-W41": 90}
    [award] = compiled.score("share", {}, T, counters)
    assert award.points == 10
    assert award.reasons[-1] == "cap weekly (per week): 100 reached, 10 of 60 given"


def test_once_ever():
    compiled = build("""
        - id: click
          event: click
          when: "not suspected_bot"
          points: 2
          once: {key: [content_id, visitor]}
    """)
    counters: dict[str, float] = {}
    click = {"content_id": "p1", "visitor": "v1"}
    assert points(compiled, "click", click, T, counters) == 2
    [again] = compiled.score("click", click, at("2027-03-01T09:00:00+01:00"), counters)
    assert again.points == 0
    assert again.reasons[-1] == "already counted"
    assert points(compiled, "click", {**click, "visitor": "v2"}, T, counters) == 2
    # a missing key field: the rule does not match at all
    assert compiled.score("click", {"content_id": "p1"}, T, counters) == []


def test_once_per_day_counts_again_the_next_local_day():
    compiled = build("""
        - id: profile
          event: click
          points: 5
          once: {key: [content_id], per: day}
    """)
    counters: dict[str, float] = {}
    assert (
        points(compiled, "click", {"content_id": "a"}, at("2026-11-03T22:00:00+00:00"), counters)
        == 5
    )
    [award] = compiled.score(
        "click", {"content_id": "a"}, at("2026-11-03T22:59:00+00:00"), counters
    )
    assert (award.points, award.reasons[-1]) == (0, "already counted this day")
    assert (
        points(compiled, "click", {"content_id": "a"}, at("2026-11-03T23:00:00+00:00"), counters)
        == 5
    )


def test_repeat_factors_including_the_tail():
    compiled = build("""
        - id: share
          event: share
          points: 10
          repeat: {key: [content_id], factors: [1, 0.5, 0.2]}
    """)
    counters: dict[str, float] = {}
    got = [points(compiled, "share", {"content_id": "p1"}, T, counters) for _ in range(5)]
    assert got == [10, 5, 2, 2, 2]
    assert points(compiled, "share", {"content_id": "p2"}, T, counters) == 10
    assert counters["repeat:share:p1"] == 5
    [award] = compiled.score("share", {"content_id": "p2"}, T, counters)
    assert award.reasons[-1] == "repeat #2 of this content_id ×0.5"
    assert award.base_points == 10.0


def test_repeat_counts_zero_point_events_too():
    compiled = build("""
        - id: share
          event: share
          points: 10
          cap: daily
          repeat: {key: [content_id], factors: [1, 0]}
    """)
    counters = {"cap:daily:2026-10-05": 20.0}
    assert points(compiled, "share", {"content_id": "p1"}, T, counters) == 0
    assert counters["repeat:share:p1"] == 1
    next_day = at("2026-10-06T09:00:00+02:00")
    assert points(compiled, "share", {"content_id": "p1"}, next_day, counters) == 0  # repeat #2


def test_order_of_computation_and_rounding_half_up():
    compiled = build("""
        - id: share
          event: share
          points: 5
          weight: {by: content_kind, values: {promotional: 0.5}}
          multipliers:
            - {when: {personalized: true}, factor: 1.5, reason: mine}
          repeat: {key: [content_id], factors: [1, 0.5]}
    """)
    # 5 * 0.5 = 2.5 -> 3 (half up, not banker's 2)
    assert points(compiled, "share", {"content_kind": "promotional", "content_id": "a"}) == 3
    # 5 * 0.5 * 1.5 = 3.75 -> 4; then repeat: 3.75 * 0.5 = 1.875 -> 2
    counters: dict[str, float] = {}
    attrs = {"content_kind": "promotional", "personalized": True, "content_id": "b"}
    assert points(compiled, "share", attrs, T, counters) == 4
    assert points(compiled, "share", attrs, T, counters) == 2


def test_rounding_of_float_noise():
    compiled = build("""
        - id: share
          event: share
          points: 10
          weight: {by: content_kind, values: {owned: 0.25}}
    """)
    assert points(compiled, "share", {"content_kind": "owned"}) == 3  # 2.5, not 2.4999…


def test_counter_keys_lists_cap_once_and_repeat_keys():
    compiled = build("""
        - id: share
          event: share
          points: 10
          cap: daily
          repeat: {key: [content_id, network], factors: [1, 0.5]}
        - id: first
          event: share
          points: 1
          once: {key: [content_id], per: week}
          cap: daily
    """)
    keys = compiled.counter_keys("share", {"content_id": "p1", "network": "x"}, T)
    assert keys == ["cap:daily:2026-10-05", "repeat:share:p1\x1fx", "once:first:2026-W41:p1"]
    assert compiled.counter_keys("click", {}, T) == []


def test_hr_text_never_becomes_code():
    compiled = build("""
        - id: share
          description: "x'); import os; os.exit(1); ('\\n\\" {}"
          event: share
          points: 1
          multipliers:
            - {when: {network: "a'b\\"c"}, factor: 2, reason: "'); raise SystemExit('"}
    """)
    [award] = compiled.score("share", {"network": "a'b\"c"}, T, {})
    assert award.points == 2
    assert award.reasons == [
        "x'); import os; os.exit(1); ('\n\" {}: 1",
        "'); raise SystemExit(' ×2",
    ]
