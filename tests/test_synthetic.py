"""The synthetic program generator (engine/demo/roster.py, engine/demo/events.py): shape, realism and determinism.

The demo and the benchmarks are only as good as this data, so the tests check what the seeds ask of it:
valid events for rules.yaml, heavy-tailed activity, office hours, retries and late deliveries, referral stages
in order, and byte-for-byte determinism per seed. The event types are read from rules.yaml directly (not through
the rules package) so these tests only depend on the generator.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from engine.demo.events import generate_events
from engine.demo.roster import ROSTER_COLUMNS, generate_roster
from tests.machine import shared_data

RULES = Path(__file__).resolve().parent.parent / "rules.yaml"
START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
AMS = ZoneInfo("Europe/Amsterdam")
SAMPLE_COLUMNS = [
    "external_id",
    "email",
    "given_name",
    "family_name",
    "team",
    "department",
    "manager_external_id",
    "locale",
    "pilot_group",
]
EVENT_KEYS = {"source", "id", "type", "employee", "occurred_at", "attributes"}
OPTIONAL_FIELDS = {"campaign"}  # shares outside a campaign carry no campaign value


@pytest.fixture(scope="module")
def event_types() -> dict[str, dict[str, object]]:
    return yaml.safe_load(RULES.read_text(encoding="utf-8"))["event_types"]


@pytest.fixture(scope="module")
def roster() -> list[dict[str, str]]:
    return generate_roster(1000, seed=11)


@pytest.fixture(scope="module")
def events(roster: list[dict[str, str]]) -> list[dict]:
    return list(generate_events(roster, START, 28, seed=11, events_per_employee_per_day=1.5))


def _first_occurrences(events: list[dict]) -> list[dict]:
    seen: set[tuple[str, str]] = set()
    out = []
    for e in events:
        key = (e["source"], e["id"])
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def _when(e: dict) -> datetime:
    return datetime.fromisoformat(e["occurred_at"])


def _check_value(etype: str, field: str, spec: object, value: object) -> None:
    where = f"{etype}.{field}={value!r}"
    if isinstance(spec, str):
        kind = spec
    else:
        assert isinstance(spec, dict)
        if "enum" in spec:
            assert value in spec["enum"], where
            return
        kind = spec["type"]
    if kind == "string":
        assert isinstance(value, str) and value, where
    elif kind == "int":
        assert isinstance(value, int) and not isinstance(value, bool), where
    elif kind == "bool":
        assert isinstance(value, bool), where
    elif kind in ("float", "number"):
        assert isinstance(value, int | float) and not isinstance(value, bool), where
    else:  # pragma: no cover - a new type in rules.yaml needs a line here
        raise AssertionError(f"unknown field type {kind!r} in rules.yaml")


# ---- roster -----------------------------------------------------------------------------------------------------


def test_roster_columns_match_the_sample() -> None:
    assert list(ROSTER_COLUMNS) == SAMPLE_COLUMNS
    sample = shared_data("roster-sample.csv")
    assert sample.read_text(encoding="utf-8").splitlines()[0].split(",") == SAMPLE_COLUMNS
    for row in generate_roster(57, seed=3):
        assert list(row) == SAMPLE_COLUMNS
        assert all(isinstance(v, str) for v in row.values())


def test_roster_ids_emails_and_locales(roster: list[dict[str, str]]) -> None:
    assert [r["external_id"] for r in roster] == [f"E{i:04d}" for i in range(1, 1001)]
    assert generate_roster(100_000 // 1000, seed=1)[0]["external_id"] == "E0001"
    assert len(generate_roster(12_345, seed=1)[-1]["external_id"]) == 6  # E + five digits
    emails = [r["email"] for r in roster]
    assert len(set(emails)) == len(emails)
    assert all(re.fullmatch(r"[a-z0-9.]+@[a-z0-9.]+", e) for e in emails)
    assert {r["locale"] for r in roster} == {"nl-NL", "nb-NO", "ru-RU", "en-GB", "de-DE"}
    assert {r["pilot_group"] for r in roster} == {"yes", "no"}


def test_roster_names_are_multilingual(roster: list[dict[str, str]]) -> None:
    families = [r["family_name"] for r in roster]
    names = " ".join(r["given_name"] + " " + r["family_name"] for r in roster)
    assert any(f.startswith(("van ", "de ", "ter ")) for f in families)  # tussenvoegsels
    assert re.search("[æøåÆØÅ]", names)
    assert re.search("[\u0410-\u044f\u0401\u0451]", names)  # Cyrillic
    assert "'" in names  # O'Neill and friends
    russian_women = [
        r
        for r in roster
        if r["locale"] == "ru-RU" and r["family_name"].endswith("\u043e\u0432\u0430")  # -ова
    ]
    assert russian_women


def test_roster_teams_departments_and_manager_tree(roster: list[dict[str, str]]) -> None:
    sizes = Counter(r["team"] for r in roster)
    assert 8 <= len(sizes) <= 15
    assert max(sizes.values()) >= 5 * min(
        sizes.values()
    )  # per-capita boards need very different sizes
    dept_of_team = defaultdict(set)
    for r in roster:
        dept_of_team[r["team"]].add(r["department"])
    assert all(len(d) == 1 for d in dept_of_team.values())
    assert len({r["department"] for r in roster}) < len(sizes)

    position = {r["external_id"]: i for i, r in enumerate(roster)}
    tops = [r for r in roster if r["manager_external_id"] == ""]
    assert len(tops) == 1
    for i, r in enumerate(roster):
        if r["manager_external_id"]:
            assert position[r["manager_external_id"]] < i  # managers come first: a tree, no cycles
    reports = Counter(r["manager_external_id"] for r in roster if r["manager_external_id"])
    assert max(reports.values()) <= 15


def test_tiny_and_empty_rosters() -> None:
    assert generate_roster(0) == []
    one = generate_roster(1)
    assert one[0]["manager_external_id"] == "" and one[0]["pilot_group"] == "yes"
    small = generate_roster(5, seed=2)
    assert len({r["email"] for r in small}) == 5
    assert list(generate_events(one, START, 3, events_per_employee_per_day=4)) != []
    with pytest.raises(ValueError):
        generate_roster(-1)


# ---- events -----------------------------------------------------------------------------------------------------


def test_every_event_validates_against_rules_yaml(
    events: list[dict], roster: list[dict[str, str]], event_types: dict[str, dict[str, object]]
) -> None:
    known = {r["external_id"] for r in roster} | {r["email"] for r in roster}
    seen_types = set()
    for e in events:
        assert set(e) == EVENT_KEYS
        assert e["source"] == "demo" and isinstance(e["id"], str)
        assert e["employee"] in known
        when = _when(e)
        assert when.utcoffset() is not None
        assert START <= when < START + timedelta(days=28)
        fields = event_types[e["type"]]["fields"]
        attrs = e["attributes"]
        assert set(attrs) <= set(fields), (e["type"], set(attrs) - set(fields))
        assert set(fields) - set(attrs) <= OPTIONAL_FIELDS
        for name, value in attrs.items():
            _check_value(e["type"], name, fields[name], value)
        seen_types.add(e["type"])
    assert seen_types == set(event_types)


def test_deterministic_per_seed(roster: list[dict[str, str]]) -> None:
    assert generate_roster(300, seed=5) == generate_roster(300, seed=5)
    assert generate_roster(300, seed=5) != generate_roster(300, seed=6)
    a = list(generate_events(roster, START, 5, seed=3))
    b = list(generate_events(roster, START, 5, seed=3))
    assert a == b
    assert a != list(generate_events(roster, START, 5, seed=4))
    other = list(generate_events(roster, START, 5, seed=3, source="hootsuite"))
    assert {e["source"] for e in other} == {"hootsuite"}


def test_exact_count_unique_ids_and_streaming(roster: list[dict[str, str]]) -> None:
    firsts = _first_occurrences(list(generate_events(roster, START, 7, seed=2)))
    assert len(firsts) == 1000 * 7
    assert len({e["id"] for e in firsts}) == len(firsts)
    # Lazy: a year for 20,000 people (7.3 million events) starts at once.
    big = generate_events(generate_roster(20_000), START, 365, events_per_employee_per_day=1.0)
    assert set(next(big)) == EVENT_KEYS
    assert len(list(itertools.islice(big, 5000))) == 5000
    with pytest.raises(ValueError):
        generate_events(roster, START, 3, duplicate_rate=1.5)


def test_duplicates_and_late_events_roughly_honoured(roster: list[dict[str, str]]) -> None:
    stream = list(generate_events(roster, START, 14, seed=9, duplicate_rate=0.05, late_rate=0.10))
    by_id: dict[str, dict] = {}
    dupes = 0
    late = 0
    newest = START
    for e in stream:
        if e["id"] in by_id:
            assert e == by_id[e["id"]]  # a retry sends the very same event
            dupes += 1
            continue
        by_id[e["id"]] = e
        when = _when(e)
        if when < newest - timedelta(hours=1):
            late += 1
            assert newest - when <= timedelta(days=3, hours=1)
        newest = max(newest, when)
    unique = len(by_id)
    assert unique == 14_000
    assert 0.04 <= dupes / unique <= 0.06
    assert 0.085 <= late / unique <= 0.115


def test_default_rates(events: list[dict]) -> None:
    firsts = _first_occurrences(events)
    dupes = len(events) - len(firsts)
    assert 0.006 <= dupes / len(firsts) <= 0.014
    newest = START
    late = 0
    for e in firsts:
        when = _when(e)
        if when < newest - timedelta(hours=1):
            late += 1
        newest = max(newest, when)
    assert 0.014 <= late / len(firsts) <= 0.026


def test_referral_stages_in_time_order(events: list[dict]) -> None:
    stages: dict[str, list[tuple[datetime, str, str, str]]] = defaultdict(list)
    for e in _first_occurrences(events):
        if e["type"] == "referral":
            a = e["attributes"]
            stages[a["candidate_id"]].append((_when(e), a["stage"], a["job_id"], e["employee"]))
    assert len(stages) >= 30
    order = {"submitted": 0, "interviewed": 1, "hired": 2}
    progressed = 0
    for steps in stages.values():
        steps.sort()
        names = [s[1] for s in steps]
        assert names == ["submitted", "interviewed", "hired"][: len(names)]
        assert [order[n] for n in names] == sorted(order[n] for n in names)
        assert len({s[2] for s in steps}) == 1  # same job
        progressed += len(steps) > 1
    assert progressed >= 5


def test_activity_is_heavy_tailed(events: list[dict], roster: list[dict[str, str]]) -> None:
    email_to_id = {r["email"]: r["external_id"] for r in roster}
    per = Counter(email_to_id.get(e["employee"], e["employee"]) for e in _first_occurrences(events))
    counts = sorted((per.get(r["external_id"], 0) for r in roster), reverse=True)
    total = sum(counts)
    assert sum(counts[:50]) > 0.25 * total  # top 5%
    assert sum(counts[-300:]) < 0.05 * total  # the skeptics barely act
    by_email = sum(1 for e in events if "@" in e["employee"])
    assert 0.16 <= by_email / len(events) <= 0.24


def test_office_hours_and_quiet_weekends(events: list[dict]) -> None:
    weekday = weekend = office = 0
    for e in events:
        local = _when(e).astimezone(AMS)
        if local.weekday() >= 5:
            weekend += 1
        else:
            weekday += 1
            office += 8 <= local.hour < 18
    assert weekend / 8 < 0.4 * weekday / 20  # per day, 4 weeks: 8 weekend days, 20 weekdays
    assert office > 0.7 * weekday


def test_content_shares_reactions_and_clicks(events: list[dict]) -> None:
    firsts = _first_occurrences(events)
    shares = [e["attributes"] for e in firsts if e["type"] == "share"]
    kinds = {}
    for a in shares:
        kinds[a["content_id"]] = a["content_kind"]
    mix = Counter(kinds.values())
    assert mix["curated"] > mix["owned"] > mix["promotional"] > 0  # 6-3-1
    popular = Counter(a["content_id"] for a in shares).most_common(1)[0][1]
    assert popular > 5 * len(shares) / len(kinds)  # popular posts are shared by many
    personalized = sum(a["personalized"] for a in shares) / len(shares)
    assert 0.35 <= personalized <= 0.45
    assert {a["network"] for a in shares} == {"linkedin", "x", "facebook", "instagram"}
    assert {a.get("campaign") for a in shares} == {"careers", "autumn-hiring", None}
    audiences = sorted(a["audience"] for a in shares)
    assert audiences[len(audiences) // 2] * 5 < audiences[-1]  # lognormal: a long right tail
    resharers = Counter(
        (e["employee"], e["attributes"]["content_id"]) for e in firsts if e["type"] == "share"
    )
    assert any(c > 1 for c in resharers.values())  # the same person shares the same post again

    # Reactions and clicks follow shares: the sharer and the post of a share (bar a few from before the window),
    # and personalized shares get more of them (~64% more engagement).
    shared: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for e in firsts:
        if e["type"] == "share":
            shared[e["employee"], e["attributes"]["content_id"]].append(
                e["attributes"]["personalized"]
            )
    engaged = Counter(
        (e["employee"], e["attributes"]["content_id"])
        for e in firsts
        if e["type"] in ("reaction_received", "click")
    )
    assert sum(c for k, c in engaged.items() if k in shared) > 0.85 * sum(engaged.values())
    own = [engaged[k] for k, p in shared.items() if p == [True]]
    plain = [engaged[k] for k, p in shared.items() if p == [False]]
    assert sum(own) / len(own) > 1.3 * sum(plain) / len(plain)

    reactions = [e["attributes"] for e in firsts if e["type"] == "reaction_received"]
    kinds_of_reaction = Counter(a["reaction"] for a in reactions)
    assert (
        kinds_of_reaction["like"]
        > 3 * kinds_of_reaction["comment"]
        > 3 * kinds_of_reaction["reshare"]
    )
    assert all(a["count"] >= 1 for a in reactions)

    clicks = [e["attributes"] for e in firsts if e["type"] == "click"]
    bots = sum(a["suspected_bot"] for a in clicks) / len(clicks)
    assert 0.02 <= bots <= 0.04
    visitors = Counter(a["visitor"] for a in clicks)
    assert any(c > 1 for c in visitors.values()) and len(visitors) > 0.5 * len(clicks)

    leads = [e["attributes"] for e in firsts if e["type"] == "lead"]
    assert leads and 0 < sum(a["qualified"] for a in leads) < len(leads)
    given = Counter(e["attributes"]["owner"] for e in firsts if e["type"] == "reaction_given")
    assert set(given) == {"company", "colleague", "other"}


def test_onboarding_early_and_shoutouts(events: list[dict], roster: list[dict[str, str]]) -> None:
    firsts = _first_occurrences(events)
    first_week = START + timedelta(days=7)
    for kind in ("training_completed", "profile_completed"):
        whens = [_when(e) for e in firsts if e["type"] == kind]
        assert whens and sum(w < first_week for w in whens) > 0.6 * len(whens)
    ids = {r["external_id"] for r in roster}
    email_to_id = {r["email"]: r["external_id"] for r in roster}
    shoutouts = [e for e in firsts if e["type"] == "shoutout_received"]
    assert shoutouts
    for e in shoutouts:
        giver = e["attributes"]["giver"]
        assert giver in ids and giver != email_to_id.get(e["employee"], e["employee"])
        assert e["attributes"]["value"] in {"customer-first", "ownership", "teamwork", "curiosity"}
