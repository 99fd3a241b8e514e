"""`shoutouts:` (allowance, company values) and `leaderboards:` (ties): happy paths, errors."""

from __future__ import annotations

import textwrap

import pytest
from rules_support import BASE, ROOT, issues_of

from rules import ShoutoutSpec, ValueSpec, load_rules, load_rules_text

RULE = "rules:\n  - {id: share, event: share, points: 10}\n"
# BASE plus the event type shoutout recipients earn through.
WITH_SHOUTOUT = BASE.replace(
    "caps:\n",
    "  shoutout_received:\n    fields:\n      giver: string\n      value: string\ncaps:\n",
)
SHOUTOUTS = """\
shoutouts:
  allowance: {per: week, max: 3}
  event: shoutout_received
  values:
    - {id: customer-first, name: "Customer first", description: "Start from the customer"}
    - {id: ownership}
"""


def text_of(section: str, base: str = WITH_SHOUTOUT) -> str:
    return base + RULE + textwrap.dedent(section)


def position(text: str, needle: str, start: int = 0) -> str:
    before = text[: text.index(needle, start)]
    return f"{before.count(chr(10)) + 1}:{len(before) - before.rfind(chr(10))}"


def one_issue(text: str) -> str:
    issues = issues_of(text)
    assert len(issues) == 1, issues
    return issues[0]


# -- shoutouts --------------------------------------------------------------------------------


def test_default_program_shoutouts():
    rules = load_rules(ROOT / "rules.yaml")
    spec = rules.shoutouts
    assert spec is not None
    assert (spec.allowance_per, spec.allowance_max) == ("month", 5)
    assert (spec.max_recipients, spec.max_message) == (5, 500)
    assert spec.event == "shoutout_received"
    assert [v.id for v in spec.values] == ["customer-first", "ownership", "teamwork", "curiosity"]
    assert spec.values[0].name == "Customer first"


def test_shoutouts_with_defaults():
    rules = load_rules_text(text_of(SHOUTOUTS))
    assert rules.shoutouts == ShoutoutSpec(
        allowance_per="week",
        allowance_max=3,
        max_recipients=5,
        max_message=500,
        event="shoutout_received",
        values=(
            ValueSpec("customer-first", "Customer first", "Start from the customer"),
            ValueSpec("ownership", "ownership", ""),  # the name defaults to the id
        ),
    )


def test_limits_can_be_set():
    section = SHOUTOUTS + "  max_recipients: 1\n  max_message: 280\n"
    spec = load_rules_text(text_of(section)).shoutouts
    assert (spec.max_recipients, spec.max_message) == (1, 280)


def test_no_section_means_shoutouts_are_off():
    assert load_rules_text(text_of("")).shoutouts is None


def test_value_field_may_be_an_enum_of_the_value_ids():
    base = WITH_SHOUTOUT.replace(
        "      value: string\n", "      value: {enum: [customer-first, ownership, extra]}\n"
    )
    assert load_rules_text(text_of(SHOUTOUTS, base)).shoutouts is not None
    narrow = base.replace(", ownership, extra]", ", extra]")
    text = text_of(SHOUTOUTS, narrow)
    assert one_issue(text) == (
        f"rules.yaml:{position(text, 'shoutout_received', text.index('event: '))}: "
        "shoutouts.event: shoutout_received.value is an enum without ownership; add them or make "
        "it a string field"
    )


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            "per: week",
            "per: day",
            "day",
            'shoutouts.allowance.per: expected one of week, month, got "day"',
        ),
        ("max: 3", "max: 0", "0}", "shoutouts.allowance.max: must be greater than 0, got 0"),
        (
            "max: 3",
            "max: 2.5",
            "2.5",
            "shoutouts.allowance.max: expected a positive whole number, got number 2.5",
        ),
        (
            "{per: week, max: 3}",
            "{per: week}",
            "{per",
            'missing key "max" in shoutouts.allowance',
        ),
        (
            "{id: ownership}",
            "{id: customer-first}",
            "customer-first}",
            'duplicate value id "customer-first"',
        ),
        (
            "{id: ownership}",
            "{id: own ership}",
            "own ership",
            'shoutouts.values: id: "own ership" is not a valid id (letters, digits, _ and -; '
            "starting with a letter or _)",
        ),
        (
            "{id: ownership}",
            "{id: ownership, title: Ownership}",
            "title",
            'unknown key "title" in value; expected one of: description, id, name',
        ),
        (
            "event: shoutout_received",
            "event: shoutout",
            "shoutout\n",
            'unknown event type "shoutout"; expected one of: click, reaction, referral, share, '
            'shoutout_received; did you mean "shoutout_received"?',
        ),
        (
            "event: shoutout_received",
            "evnt: shoutout_received",
            "evnt",
            'unknown key "evnt" in shoutouts; expected one of: allowance, event, max_message, '
            'max_recipients, values; did you mean "event"?',
        ),
    ],
)
def test_shoutout_errors(old, new, needle, message):
    text = text_of(SHOUTOUTS.replace(old, new))
    start = text.index("shoutouts:")
    assert one_issue(text) == f"rules.yaml:{position(text, needle, start)}: {message}"


def test_event_needs_giver_and_value():
    text = text_of(SHOUTOUTS.replace("event: shoutout_received", "event: click"))
    at = position(text, "click", text.index("event: click"))
    assert issues_of(text) == [
        f'rules.yaml:{at}: shoutouts.event: event type click needs a string field "giver"',
        f'rules.yaml:{at}: shoutouts.event: event type click needs a string field "value"',
    ]


def test_values_must_not_be_empty_and_fields_must_be_strings():
    base = WITH_SHOUTOUT.replace("      value: string\n", "      value: int\n")
    text = text_of(SHOUTOUTS.split("  values:")[0] + "  values: []\n  max_message: -1\n", base)
    event_at = position(text, "shoutout_received", text.index("event: "))
    assert issues_of(text) == [
        f"rules.yaml:{event_at}: shoutouts.event: shoutout_received.value is int; expected a "
        "string field",
        f"rules.yaml:{position(text, '[]')}: shoutouts.values: must not be empty",
        f"rules.yaml:{position(text, '-1')}: shoutouts.max_message: must be greater than 0, got -1",
    ]


# -- leaderboards -----------------------------------------------------------------------------


def test_leaderboard_defaults():
    rules = load_rules_text(text_of(""))
    assert (rules.ties, rules.team_boards) == ("shared", True)


def test_default_program_leaderboards():
    rules = load_rules(ROOT / "rules.yaml")
    assert (rules.ties, rules.team_boards) == ("shared", True)


def test_leaderboards_section():
    rules = load_rules_text(text_of("leaderboards: {ties: earliest, team_boards: false}\n"))
    assert (rules.ties, rules.team_boards) == ("earliest", False)
    only_ties = load_rules_text(text_of("leaderboards: {ties: earliest}\n"))
    assert (only_ties.ties, only_ties.team_boards) == ("earliest", True)


@pytest.mark.parametrize(
    ("section", "needle", "message"),
    [
        (
            "leaderboards: {ties: dense}",
            "dense",
            'leaderboards.ties: expected one of shared, earliest, got "dense"',
        ),
        (
            "leaderboards: {team_boards: yes}",
            "yes",
            '`yes` is read by YAML as the boolean true; quote it ("yes") or use true/false',
        ),
        (
            'leaderboards: {team_boards: "true"}',
            '"true"',
            'leaderboards.team_boards: expected true or false, got string "true"',
        ),
        (
            "leaderboards: {tie: shared}",
            "tie:",
            'unknown key "tie" in leaderboards; expected one of: team_boards, ties; '
            'did you mean "ties"?',
        ),
        (
            "leaderboards: shared",
            "shared",
            'leaderboards: expected a mapping (leaderboards), got string "shared"',
        ),
    ],
)
def test_leaderboard_errors(section, needle, message):
    text = text_of(section + "\n")
    start = text.index("leaderboards:")
    assert one_issue(text) == f"rules.yaml:{position(text, needle, start)}: {message}"


def test_all_new_sections_report_together():
    text = text_of(
        "leaderboards: {ties: dense}\n"
        + SHOUTOUTS.replace("per: week", "per: year")
        + "sources:\n  t: {format: xml}\n"
    )
    issues = issues_of(text)
    assert [i.split(": ", 2)[1] for i in issues] == [
        "leaderboards.ties",
        "shoutouts.allowance.per",
        "source t",
    ]
