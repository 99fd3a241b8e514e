"""`sources:` mappings: loading errors at line:col, and map_payload on real and broken payloads."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime

import pytest
from rules_support import BASE, ROOT, issues_of

from rules import (
    CompiledRules,
    ConstValue,
    MappedEvent,
    PathValue,
    PresentValue,
    load_rules,
    load_rules_text,
)
from tests.machine import shared_data

RULE = "rules:\n  - {id: share, event: share, points: 10}\n"

# A tool that exercises every attribute form; BASE's share/click/reaction/referral event types.
SOURCES = """\
sources:
  generic:
    format: canonical
  tool:
    format: envelope
    employee: [data.user.email, data.user.id]
    events:
      share.created:
        type: share
        id: data.share_id
        occurred_at: data.shared_at
        attributes:
          content_id: data.items.0.id
          content_kind: {path: data.kind, map: {blog: owned, news: curated}, default: curated}
          personalized: {present: data.commentary}
          network: {const: linkedin}
          campaign: {path: data.campaign, default: none}
          audience: data.audience
      reaction:
        type: reaction
        attributes:
          kind: {path: data.reaction, map: {love: like, "1": comment, "true": comment}}
          count: data.count
"""


def build_sources(sources: str = SOURCES, base: str = BASE) -> CompiledRules:
    return load_rules_text(base + RULE + textwrap.dedent(sources))


def position(text: str, needle: str, start: int = 0) -> str:
    """'line:col' of the first ``needle`` in ``text`` (from ``start``): no line counting by hand."""
    before = text[: text.index(needle, start)]
    return f"{before.count(chr(10)) + 1}:{len(before) - before.rfind(chr(10))}"


def one_issue(sources: str, base: str = BASE) -> tuple[str, str]:
    """(the only issue, the full text) of a BASE program with these sources."""
    text = base + RULE + textwrap.dedent(sources)
    issues = issues_of(text)
    assert len(issues) == 1, issues
    return issues[0], text


@pytest.fixture(scope="module")
def default() -> CompiledRules:
    return load_rules(ROOT / "rules.yaml")


@pytest.fixture(scope="module")
def tool() -> CompiledRules:
    return build_sources()


def share_payload(**data: object) -> dict:
    body: dict = {
        "share_id": "s1",
        "shared_at": "2026-11-03T10:00:00+01:00",
        "user": {"email": "ann@example.com", "id": "u1"},
        "items": [{"id": "post-1"}],
        "kind": "blog",
        "commentary": "My own words",
        "audience": 12,
    }
    body.update(data)
    return {"type": "share.created", "timestamp": "2026-11-03T09:00:00Z", "data": body}


def webhook(name: str) -> dict:
    return json.loads(shared_data(f"webhooks/{name}").read_text())


# -- the default rules.yaml on the sample webhooks --------------------------------------------


def test_default_program_has_the_three_sources(default):
    assert set(default.sources) == {"generic", "advocacy-tool", "ats"}
    assert default.sources["generic"].format == "canonical"
    tool = default.sources["advocacy-tool"]
    assert tool.employee == ("data.user.email", "data.user.id")
    share = tool.events["advocacy.share.created"]
    assert share.type == "share"
    assert share.occurred_at == "timestamp"
    assert share.attributes["personalized"] == PresentValue("data.commentary")
    assert share.attributes["content_id"] == PathValue("data.post.id")


def test_share_webhook(default):
    event = default.map_payload("advocacy-tool", webhook("advocacy-tool-share.json"))
    assert event == MappedEvent(
        type="share",
        employee="emp0002@example.com",
        occurred_at=datetime(2026, 11, 3, 9, 14, 22, tzinfo=UTC),
        attributes={
            "content_id": "post_311",
            "content_kind": "owned",
            "personalized": True,
            "network": "linkedin",
            "campaign": "autumn-hiring",
            "audience": 459,
        },
        id="shr_8f2c1a",
    )
    assert default.validate_event(event.type, event.attributes) == []


def test_click_webhook(default):
    event = default.map_payload("advocacy-tool", webhook("advocacy-tool-click.json"))
    assert isinstance(event, MappedEvent)
    assert (event.type, event.employee, event.id) == ("click", "emp0002@example.com", None)
    assert event.occurred_at == datetime(2026, 11, 3, 11, 2, 5, tzinfo=UTC)
    assert event.attributes == {
        "content_id": "shr_8f2c1a",
        "visitor": "9b1d0c7e",
        "suspected_bot": False,
    }


def test_reaction_webhook(default):
    event = default.map_payload("advocacy-tool", webhook("advocacy-tool-reaction.json"))
    assert isinstance(event, MappedEvent)
    assert event.type == "reaction_received"
    assert event.employee == "emp0002@example.com"
    assert event.attributes == {"content_id": "shr_8f2c1a", "reaction": "comment", "count": 1}
    # The tool's own word for a like is translated by the mapping's `map`.
    payload = webhook("advocacy-tool-reaction.json")
    payload["data"]["reaction"] = "love"
    assert default.map_payload("advocacy-tool", payload).attributes["reaction"] == "like"


def test_referral_webhook(default):
    event = default.map_payload("ats", webhook("ats-referral.json"))
    assert event == MappedEvent(
        type="referral",
        employee="emp0021@example.com",
        occurred_at=datetime(2026, 11, 12, 15, 30, tzinfo=UTC),
        attributes={"candidate_id": "cand_9081", "job_id": "job_77", "stage": "hired"},
    )


def test_mapped_share_scores_like_the_canonical_one(default):
    event = default.map_payload("advocacy-tool", webhook("advocacy-tool-share.json"))
    attributes = default.normalize(event.type, event.attributes)
    awards = default.score(event.type, attributes, event.occurred_at, {})
    # 10 × 1.2 (owned) × 1.5 (own words) = 18
    assert [(a.rule_id, a.points) for a in awards] == [("share", 18)]


def test_every_sample_maps_through_some_source(default):
    samples = sorted(shared_data("webhooks").glob("*.json"))
    assert len(samples) >= 4, samples  # share, reaction, click, referral at least
    for path in samples:
        source = "ats" if path.name.startswith("ats") else "advocacy-tool"
        assert isinstance(default.map_payload(source, json.loads(path.read_text())), MappedEvent)


# -- envelope mapping: every attribute form ---------------------------------------------------


def test_all_forms(tool):
    event = tool.map_payload("tool", share_payload())
    assert isinstance(event, MappedEvent)
    assert event.id == "s1"
    assert event.occurred_at == datetime(2026, 11, 3, 9, 0, tzinfo=UTC)  # data.shared_at, +01:00
    assert event.attributes == {
        "content_id": "post-1",  # list index in a path
        "content_kind": "owned",  # map: blog -> owned
        "personalized": True,  # present
        "network": "linkedin",  # const
        "campaign": "none",  # default for a missing path
        "audience": 12,
    }


def test_map_default_applies_to_unmapped_and_missing_values(tool):
    assert tool.map_payload("tool", share_payload(kind="video")).attributes["content_kind"] == (
        "curated"
    )
    assert tool.map_payload("tool", share_payload(kind=None)).attributes["content_kind"] == (
        "curated"
    )


def test_map_without_default_passes_unmapped_values_through(tool):
    def kind(value: object) -> object:
        payload = {"type": "reaction", "timestamp": "2026-11-03T09:00:00Z"}
        payload["data"] = {"user": {"id": 7}, "reaction": value}
        result = tool.map_payload("tool", payload)
        return result.attributes.get("kind") if isinstance(result, MappedEvent) else result

    assert kind("love") == "like"
    assert kind("like") == "like"  # already ours: passes through
    assert kind(1) == "comment"  # non-text values match the map by their JSON text
    assert kind(True) == "comment"
    assert kind("wow") == ['data.reaction (kind): expected one of like, comment, got "wow"']
    assert kind(None) is None  # missing: left out, the default applies later


@pytest.mark.parametrize(
    ("commentary", "expected"),
    [("Hi", True), ("", False), ("   ", False), (None, False), ([], False), (0, True)],
)
def test_present(tool, commentary, expected):
    event = tool.map_payload("tool", share_payload(commentary=commentary))
    assert event.attributes["personalized"] is expected


def test_missing_paths_leave_attributes_out(tool):
    payload = share_payload(items=[], audience=None)
    event = tool.map_payload("tool", payload)
    assert "content_id" not in event.attributes
    assert "audience" not in event.attributes
    # A path through something that is not a container is missing too, never an exception.
    assert "content_id" not in tool.map_payload("tool", share_payload(items="x")).attributes
    assert "content_id" not in tool.map_payload("tool", share_payload(items={"0": {}})).attributes
    event = tool.map_payload("tool", share_payload(items={"0": {"id": "p0"}}))
    assert event.attributes["content_id"] == "p0"  # a digit key also reads an object's "0"


def test_employee_falls_back_to_the_next_path(tool):
    event = tool.map_payload("tool", share_payload(user={"email": "", "id": 1042}))
    assert event.employee == "1042"
    event = tool.map_payload("tool", share_payload(user={"id": "u9"}))
    assert event.employee == "u9"


def test_missing_employee(tool, default):
    assert tool.map_payload("tool", share_payload(user={})) == [
        "data.user: no employee (looked at data.user.email, data.user.id)"
    ]
    payload = webhook("ats-referral.json")
    del payload["data"]["referrer_email"]
    assert default.map_payload("ats", payload) == [
        "data.referrer_email: no employee (looked at data.referrer_email)"
    ]


def test_employee_of_the_wrong_type(tool):
    assert tool.map_payload("tool", share_payload(user={"email": {"a": 1}})) == [
        "data.user.email: expected an employee (a string or whole number), got dict"
    ]


def test_unmapped_type(default):
    payload = webhook("advocacy-tool-share.json")
    payload["type"] = "advocacy.share.deleted"
    assert default.map_payload("advocacy-tool", payload) == [
        'type: "advocacy.share.deleted" is not mapped for source advocacy-tool; mapped: '
        "advocacy.click.unique, advocacy.reaction.received, advocacy.share.created"
    ]


def test_missing_or_odd_type_and_body(tool):
    assert tool.map_payload("tool", {"data": {}}) == [
        "type: missing; mapped for source tool: reaction, share.created"
    ]
    assert tool.map_payload("tool", {"type": 3}) == ["type: expected a string, got int 3"]
    assert tool.map_payload("tool", [1]) == [
        "body: expected a JSON object {type, timestamp, data}, got list"
    ]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("yesterday", 'got "yesterday"'),
        ("2026-11-03T09:00:00", 'got "2026-11-03T09:00:00"'),  # no offset
        ("2026-11-03", 'got "2026-11-03"'),
        (1730000000, "got int 1730000000"),
    ],
)
def test_bad_timestamp(default, value, problem):
    payload = webhook("advocacy-tool-click.json")
    payload["timestamp"] = value
    assert default.map_payload("advocacy-tool", payload) == [
        f"timestamp: expected an ISO 8601 date-time with offset, {problem}"
    ]


def test_missing_timestamp_names_the_configured_path(tool):
    payload = share_payload()
    del payload["data"]["shared_at"]
    assert tool.map_payload("tool", payload) == ["data.shared_at: missing"]


def test_wrong_types_are_named_by_the_senders_path(default):
    payload = webhook("advocacy-tool-share.json")
    payload["data"]["audience_size"] = "459"
    payload["data"]["post"]["category"] = "blog"
    payload["data"]["network"] = ["linkedin"]
    assert default.map_payload("advocacy-tool", payload) == [
        "data.post.category (content_kind): expected one of curated, owned, promotional, "
        'got "blog"',
        "data.network (network): expected string, got list",
        'data.audience_size (audience): expected int, got str "459"',
    ]


def test_all_problems_at_once(default):
    payload = webhook("advocacy-tool-share.json")
    payload["timestamp"] = "yesterday"
    payload["data"]["user"] = {}
    payload["data"]["audience_size"] = 4.5
    assert default.map_payload("advocacy-tool", payload) == [
        "data.user: no employee (looked at data.user.email, data.user.id)",
        'timestamp: expected an ISO 8601 date-time with offset, got "yesterday"',
        "data.audience_size (audience): expected int, got float 4.5",
    ]


def test_bad_event_id(tool):
    assert tool.map_payload("tool", share_payload(share_id=1.5)) == [
        "data.share_id: expected an id (a string or whole number), got float 1.5"
    ]
    assert tool.map_payload("tool", share_payload(share_id=None)).id is None


def test_required_field_missing_is_named_by_path():
    base = BASE.replace(
        "      candidate_id: string\n", "      candidate_id: {type: string, required: true}\n"
    )
    rules = build_sources(
        """\
        sources:
          ats:
            format: envelope
            employee: [data.email]
            events:
              stage: {type: referral, attributes: {candidate_id: data.candidate}}
        """,
        base,
    )
    payload = {"type": "stage", "timestamp": "2026-11-03T09:00:00Z", "data": {"email": "a@b"}}
    assert rules.map_payload("ats", payload) == [
        "data.candidate (candidate_id): required field missing"
    ]


def test_unknown_source(default):
    assert default.map_payload("x", {}) == ['unknown source "x"']


# -- canonical sources ------------------------------------------------------------------------


def canonical(**changes: object) -> dict:
    body = {
        "type": "share",
        "employee": "ann@example.com",
        "occurred_at": "2026-11-03T09:00:00Z",
        "attributes": {"content_id": "p1", "audience": 5},
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def test_canonical_passes_through(default):
    event = default.map_payload("generic", canonical(id="e-1", source="crm"))
    assert event == MappedEvent(
        "share",
        "ann@example.com",
        datetime(2026, 11, 3, 9, 0, tzinfo=UTC),
        {"content_id": "p1", "audience": 5},
        "e-1",
    )


def test_canonical_problems_use_the_canonical_names(default):
    assert default.map_payload(
        "generic",
        canonical(
            attributes={"audience": "5", "zzz": 1},
            occurred_at="yesterday",
            employee=5.5,
            extra=1,
        ),
    ) == [
        "extra: unknown key; expected one of: type, employee, occurred_at, attributes, id, source",
        "employee: expected an employee (a string or whole number), got float 5.5",
        'occurred_at: expected an ISO 8601 date-time with offset, got "yesterday"',
        'attributes.audience: expected int, got str "5"',
        "attributes.zzz: unknown field for event type share",
    ]


def test_canonical_missing_and_unknown(default):
    assert default.map_payload("generic", {"type": "sharing"}) == [
        "employee: missing",
        "occurred_at: missing",
        "attributes: missing",
        'type: unknown event type "sharing"; expected one of: click, lead, profile_completed, '
        "reaction_given, reaction_received, referral, share, shoutout_received, "
        "training_completed",
    ]
    assert default.map_payload("generic", canonical(attributes=[1], employee=" ")) == [
        "employee: must not be empty",
        "attributes: expected an object, got list",
    ]
    assert default.map_payload("generic", "share") == [
        'body: expected a JSON object with type, employee, occurred_at, attributes, got str "share"'
    ]


# -- loading: every mistake at its line:col ---------------------------------------------------


def test_spec_structs(tool):
    share = tool.sources["tool"].events["share.created"]
    assert share.id == "data.share_id"
    assert share.attributes["network"] == ConstValue("linkedin")
    assert share.attributes["content_kind"] == PathValue(
        "data.kind", "curated", {"blog": "owned", "news": "curated"}
    )


def test_no_sources_section():
    rules = load_rules_text(BASE + RULE)
    assert rules.sources == {}
    assert rules.map_payload("generic", canonical()) == ['unknown source "generic"']


def test_bad_source_id():
    issue, text = one_issue("sources:\n  my.tool: {format: canonical}\n")
    assert issue == (
        f'rules.yaml:{position(text, "my.tool")}: source id "my.tool" is not a valid id '
        "(letters, digits, _ and -; starting with a letter or _)"
    )


def test_bad_format():
    issue, text = one_issue("sources:\n  t: {format: json}\n")
    assert issue == (
        f"rules.yaml:{position(text, 'json')}: source t: format: expected one of canonical, "
        'envelope, got "json"'
    )


def test_canonical_source_takes_no_mapping():
    issue, text = one_issue("sources:\n  t: {format: canonical, employee: [a]}\n")
    assert issue == (
        f'rules.yaml:{position(text, "employee")}: unknown key "employee" in source t; '
        "expected one of: format"
    )


def test_missing_keys_of_an_envelope():
    issue, text = one_issue("sources:\n  t: {format: envelope, employee: [a]}\n")
    assert issue == f'rules.yaml:{position(text, "{format")}: missing key "events" in source t'


@pytest.mark.parametrize(
    ("employee", "message"),
    [
        (
            "data.email",
            "source t: employee: expected a list of paths, first with a value wins, "
            'got string "data.email"',
        ),
        ("[]", "source t: employee: must not be empty"),
        (
            "[data..email]",
            'source t: employee: "data..email" is not a path; expected keys joined by dots, '
            "such as data.user.email (list positions as numbers: items.0.id)",
        ),
    ],
)
def test_bad_employee(employee, message):
    sources = f"""\
    sources:
      t:
        format: envelope
        employee: {employee}
        events: {{x: {{type: click}}}}
    """
    issue, text = one_issue(sources)
    at = position(text, employee.strip("[]") if employee != "[]" else "[]")
    assert issue == f"rules.yaml:{at}: {message}"


def test_unknown_event_type_and_field_with_suggestions():
    sources = """\
    sources:
      t:
        format: envelope
        employee: [data.email]
        events:
          a: {type: clik}
          b: {type: click, attributes: {visiter: data.v}}
    """
    text = BASE + RULE + textwrap.dedent(sources)
    issues = issues_of(text)
    assert issues == [
        f'rules.yaml:{position(text, "clik")}: unknown event type "clik"; expected one of: '
        'click, reaction, referral, share; did you mean "click"?',
        f'rules.yaml:{position(text, "visiter")}: unknown field "visiter" for event type click; '
        'expected one of: content_id, suspected_bot, visitor; did you mean "visitor"?',
    ]


@pytest.mark.parametrize(
    ("value", "needle", "message"),
    [
        ("{const: 3}", "3", "attributes.kind.const: expected one of like, comment, got int 3"),
        (
            "{path: data.k, default: share}",
            "share}",
            'attributes.kind.default: expected one of like, comment, got "share"',
        ),
        (
            "{path: data.k, map: {love: heart}}",
            "heart",
            'attributes.kind.map.love: expected one of like, comment, got "heart"',
        ),
        (
            "{present: data.k}",
            "data.k",
            "attributes.kind: present gives true or false, but kind is enum",
        ),
        (
            "{path: data.k, defualt: like}",
            "defualt",
            'unknown key "defualt" in source t, event e: attributes.kind; expected one of: '
            'default, map, path; did you mean "default"?',
        ),
        (
            "{from: data.k}",
            "{from",
            "attributes.kind: expected a path such as data.post.id, {path: ..., default: ..., "
            "map: {...}}, {present: path} or {const: value}",
        ),
        (
            "7",
            "7",
            "attributes.kind: expected a path such as data.post.id, {path: ..., default: ..., "
            "map: {...}}, {present: path} or {const: value}, got number 7",
        ),
        ("{path: data.k, map: {}}", "{}", "attributes.kind.map: must not be empty"),
        ("'data k'", "'data k'", 'attributes.kind: "data k" is not a path; expected keys'),
    ],
)
def test_attribute_value_errors(value, needle, message):
    sources = f"""\
    sources:
      t:
        format: envelope
        employee: [data.email]
        events:
          e:
            type: reaction
            attributes:
              kind: {value}
    """
    issue, text = one_issue(sources)
    at = position(text, needle, text.index("kind: " + value) + len("kind: "))
    if not message.startswith("unknown key"):
        message = f"source t, event e: {message}"
    assert issue.startswith(f"rules.yaml:{at}: {message}")


def test_const_and_default_type_check_against_the_field():
    sources = """\
    sources:
      t:
        format: envelope
        employee: [data.email]
        events:
          e:
            type: share
            attributes:
              audience: {const: "12"}
              personalized: {path: data.p, default: 1}
              reach: {const: 1.5}
              content_kind: {const: owned}
    """
    text = BASE + RULE + textwrap.dedent(sources)
    const_at, default_at = (
        position(text, '"12"'),
        position(text, "1}", text.index("data.p, default: 1")),
    )
    assert issues_of(text) == [
        f"rules.yaml:{const_at}: source t, event e: attributes.audience.const: "
        'expected int, got str "12"',
        f"rules.yaml:{default_at}: source t, event e: attributes.personalized.default: "
        "expected bool, got int 1",
    ]


def test_required_field_must_be_mapped():
    base = BASE.replace(
        "      candidate_id: string\n", "      candidate_id: {type: string, required: true}\n"
    )
    sources = """\
    sources:
      t:
        format: envelope
        employee: [data.email]
        events:
          e: {type: referral, attributes: {stage: data.stage}}
    """
    issue, text = one_issue(sources, base)
    assert issue == (
        f"rules.yaml:{position(text, '{stage')}: source t, event e: attributes: required field "
        "candidate_id of event type referral is not mapped"
    )


def test_empty_events_and_bad_paths_in_event_keys():
    sources = """\
    sources:
      a: {format: envelope, employee: [x], events: {}}
      b:
        format: envelope
        employee: [x]
        events:
          e: {type: click, occurred_at: "ts..x", id: "", attributes: [content_id]}
    """
    text = BASE + RULE + textwrap.dedent(sources)
    empty, path, no_id = position(text, "{}"), position(text, '"ts..x"'), position(text, '""')
    assert issues_of(text) == [
        f"rules.yaml:{empty}: source a: events: must not be empty",
        f'rules.yaml:{path}: source b, event e: occurred_at: "ts..x" is not a path; expected keys '
        "joined by dots, such as data.user.email (list positions as numbers: items.0.id)",
        f"rules.yaml:{no_id}: source b, event e: id: must not be empty",
        f"rules.yaml:{position(text, '[content_id]')}: source b, event e: attributes: expected a "
        "mapping of field names to paths, got a list",
    ]


def test_yaml_trap_in_a_source_is_reported_once():
    sources = """\
    sources:
      t:
        format: envelope
        employee: [data.email]
        events:
          e: {type: click, attributes: {suspected_bot: {const: yes}}}
    """
    issue, text = one_issue(sources)
    assert issue == (
        f"rules.yaml:{position(text, 'yes')}: `yes` is read by YAML as the boolean true; "
        'quote it ("yes") or use true/false'
    )


def test_sources_not_a_mapping():
    issue, text = one_issue("sources: [generic]\n")
    assert issue == (
        f"rules.yaml:{position(text, '[generic]')}: sources: expected a mapping of source ids "
        "to mappings, got a list"
    )
