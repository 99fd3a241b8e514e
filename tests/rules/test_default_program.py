"""The default rules.yaml: it loads, its own tests pass, and the public API works on it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from rules_support import ROOT, at

from rules import CompiledRules, load_rules, load_rules_text


@pytest.fixture(scope="module")
def default() -> CompiledRules:
    return load_rules(ROOT / "rules.yaml")


def test_loads_with_its_metadata(default):
    text = (ROOT / "rules.yaml").read_text()
    assert default.text == text
    assert len(default.content_hash) == 64
    assert default.program_id == "advocacy"
    assert default.version == "2026.11"
    assert default.timezone == ZoneInfo("Europe/Amsterdam")
    assert default.effective == datetime(2026, 1, 1, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert default.week_start == "monday"
    assert default.rule_ids[:3] == ["share", "reaction_received", "reaction_given"]
    assert set(default.caps) == {
        "sharing_daily",
        "engagement_daily",
        "giving_weekly",
        "shoutouts_monthly",
    }
    assert "share" in default.event_types


def test_its_tests_pass(default):
    results = default.run_checks()
    assert len(results) == 6
    assert all(r.ok for r in results), [r.message for r in results if not r.ok]
    assert results[0].line > 150


def test_rule_versions_are_stable_across_layout_changes(default):
    relaid = (ROOT / "rules.yaml").read_text().replace("points: 50", "points: 50.0  # fifty")
    other = load_rules_text(relaid)
    assert other.content_hash != default.content_hash
    assert other.rule_versions == default.rule_versions
    changed = load_rules_text(relaid.replace("points: 50.0", "points: 60"), run_tests=False)
    assert changed.rule_versions["qualified_lead"] != default.rule_versions["qualified_lead"]
    assert changed.rule_versions["share"] == default.rule_versions["share"]


def test_validate_event_names_each_field(default):
    assert default.validate_event("share", {"content_id": "p1", "audience": 12}) == []
    assert default.validate_event("foo", {}) == ['unknown event type "foo"']
    assert default.validate_event(
        "share", {"audience": "12", "content_kind": "x", "zzz": 1, "personalized": None}
    ) == [
        'attributes.audience: expected int, got str "12"',
        'attributes.content_kind: expected one of curated, owned, promotional, got "x"',
        "attributes.zzz: unknown field for event type share",
    ]
    assert default.validate_event("share", {"audience": True}) == [
        "attributes.audience: expected int, got bool true"
    ]


def test_required_fields():
    text = (
        (ROOT / "rules.yaml")
        .read_text()
        .replace(
            "      course_id: {type: string, max_length: 200}",
            "      course_id: {type: string, max_length: 200, required: true}",
        )
    )
    compiled = load_rules_text(text)
    assert compiled.validate_event("training_completed", {}) == [
        "attributes.course_id: required field missing"
    ]


def test_normalize_fills_defaults(default):
    assert default.normalize("click", {"content_id": "p1"}) == {
        "content_id": "p1",
        "suspected_bot": False,
    }
    assert default.normalize("reaction_received", {"count": 3})["count"] == 3


def test_score_examples(default):
    counters: dict[str, float] = {}
    when = at("2026-11-12T10:00:00+01:00")
    [award] = default.score(
        "share",
        {"content_id": "p1", "content_kind": "owned", "personalized": True, "campaign": "careers"},
        when,
        counters,
    )
    assert award.points == 27  # 10 * 1.2 * 1.5 * 1.5 = 27
    assert award.reasons == [
        "Share company content: 10",
        "content_kind owned ×1.2",
        "own words added (+50%) ×1.5",
        "Share our careers posts ×1.5",
    ]
    [again] = default.score(
        "share",
        {"content_id": "p1", "content_kind": "owned", "personalized": True, "campaign": "careers"},
        when,
        counters,
    )
    assert again.points == 14  # 27 * 0.5 = 13.5 -> 14
    assert again.reasons[-1] == "repeat #2 of this content_id ×0.5"
    [award] = default.score(
        "reaction_received", {"reaction": "comment", "count": 2}, when, counters
    )
    assert award.points == 6


def test_explain(default):
    bot_click = {"content_id": "p1", "visitor": "v1", "suspected_bot": True}
    explained = default.explain("click", bot_click, at("2026-10-05T09:00:00Z"))
    assert [e.rule_id for e in explained] == default.rule_ids
    by_id = {e.rule_id: e for e in explained}
    assert by_id["share"].matched is False
    assert by_id["share"].why == "event type is click, rule wants share"
    assert by_id["unique_click"].why == "when: suspected_bot is true, wanted not suspected_bot"
    assert by_id["unique_click"].award is None

    owner = default.explain(
        "reaction_given", {"reaction": "like", "owner": "other"}, at("2026-10-05T09:00:00Z")
    )
    assert {e.rule_id: e for e in owner}["reaction_given"].why == (
        'when: owner is other, wanted owner in ["company", "colleague"]'
    )

    referral = {"candidate_id": "c1", "job_id": "j1", "stage": "hired"}
    [alone] = [
        e for e in default.explain("referral", referral, at("2026-10-05T09:00:00Z")) if e.matched
    ]
    assert alone.why == (
        "matched; campaign Autumn hiring push: outside campaign window (2026-11-01 to 2026-11-30); "
        "after: needs an earlier referral (stage submitted) for the same candidate_id, none before "
        "this event: 0 points"
    )
    assert alone.award is not None and alone.award.points == 0

    submitted = {"after:referral:c1": at("2026-10-01T09:00:00Z").timestamp()}
    [hit] = [
        e
        for e in default.explain("referral", referral, at("2026-10-05T09:00:00Z"), submitted)
        if e.matched
    ]
    assert hit.rule_id == "referral"
    assert hit.why == (
        "matched; campaign Autumn hiring push: outside campaign window (2026-11-01 to 2026-11-30)"
    )
    assert hit.award is not None and hit.award.points == 500

    counters = {**submitted, "once:referral:all:c1\x1fhired": 1.0}
    [seen] = [
        e
        for e in default.explain("referral", referral, at("2026-11-05T09:00:00Z"), counters)
        if e.matched
    ]
    assert seen.why == "matched; campaign Autumn hiring push: applied"
    assert seen.award is not None
    assert (seen.award.points, seen.award.reasons[-1]) == (0, "already counted")
    # explain changes nothing
    assert counters == {**submitted, "once:referral:all:c1\x1fhired": 1.0}

    missing = default.explain("referral", {"stage": "hired"}, at("2026-11-05T09:00:00Z"))
    assert {e.rule_id: e for e in missing}["referral"].why == (
        "candidate_id is missing; the once key needs it"
    )
