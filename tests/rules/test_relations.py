"""Relations (issue 16): conditions comparing two fields of one event, and rules that count only after
another event of the same employee (``after:``)."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rules_support import BASE, at, issues_of

from rules import CompiledRules, load_rules_text
from rules.conditions import Cmp, Ref, evaluate, render, why_not

# BASE plus an event type whose fields relate to each other: two people, two numbers, a date.
NOMINATION = """\
  nomination:
    fields:
      nominee: {type: string, person: true}
      nominator: {type: string, person: true}
      backup: string
      votes: int
      quorum: number
      stage: {enum: [submitted, interviewed, hired]}
      round: {enum: [first, second]}
      decided: bool
      confirmed: bool
      closes_at: datetime
  interview:
    fields:
      candidate_id: string
      passed: {type: bool, default: false}
      score: int
"""
TEXT = BASE.replace("event_types:\n", "event_types:\n" + NOMINATION, 1)
T = at("2026-10-05T09:00:00+02:00")


def program(rules: str, extra: str = "") -> str:
    return (
        TEXT + "rules:\n" + textwrap.indent(textwrap.dedent(rules).strip("\n"), "  ") + "\n" + extra
    )


def build(rules: str, extra: str = "") -> CompiledRules:
    return load_rules_text(program(rules, extra), "rules.yaml")


def where(text: str, needle: str, nth: int = 0) -> str:
    """'rules.yaml:LINE:COL' of the ``nth`` occurrence of ``needle`` in the `rules:` section of ``text``."""
    index = text.index("\nrules:\n")
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"rules.yaml:{line}:{col}"


def nominated(when: str) -> CompiledRules:
    return build(f"- {{id: nom, event: nomination, points: 1, when: {when}}}")


def matches(compiled: CompiledRules, attributes: dict[str, Any]) -> bool:
    return bool(compiled.score("nomination", attributes, T, {}))


# -- two fields in one condition --------------------------------------------------------------------


def test_both_forms_give_one_tree():
    mapping = nominated("{nominee: {ne: {field: nominator}}}")
    expression = nominated('"nominee != nominator"')
    assert mapping.rules[0].when == expression.rules[0].when
    assert mapping.rules[0].when == Cmp("nominee", "ne", Ref("nominator", person=True))
    for compiled in (mapping, expression):
        assert matches(compiled, {"nominee": "a@x.com", "nominator": "b@x.com"})
        assert not matches(compiled, {"nominee": "a@x.com", "nominator": "a@x.com"})


def test_a_missing_side_makes_ne_true_and_every_other_comparison_false():
    ne = nominated('"nominee != nominator"')
    eq = nominated('"nominee == nominator"')
    gt = nominated('"votes > quorum"')
    for attributes in ({"nominee": "a"}, {"nominator": "a"}, {}):
        assert matches(ne, attributes)
        assert not matches(eq, attributes)
    assert not matches(gt, {"votes": 3})
    assert not matches(gt, {"quorum": 3})


def test_numbers_are_ordered_ints_and_numbers_alike():
    gte = nominated("{votes: {gte: {field: quorum}}}")
    assert matches(gte, {"votes": 3, "quorum": 2.5})
    assert matches(gte, {"votes": 3, "quorum": 3})
    assert not matches(gte, {"votes": 2, "quorum": 2.5})
    # flipped and chained: the field on the left of a constant, a field between a constant and a field
    chained = nominated('"0 < votes < quorum"')
    assert chained.rules[0].when is not None
    assert render(chained.rules[0].when) == "votes > 0 and votes < quorum"
    assert matches(chained, {"votes": 1, "quorum": 2})
    assert not matches(chained, {"votes": 0, "quorum": 2})
    assert not matches(chained, {"votes": 2, "quorum": 2})


def test_same_typed_enums_and_bools_compare():
    assert matches(nominated('"decided == confirmed"'), {"decided": True, "confirmed": True})
    assert not matches(nominated('"decided == confirmed"'), {"decided": True, "confirmed": False})
    stage = nominated("{stage: {eq: {field: round}}}")
    assert not matches(stage, {"stage": "submitted", "round": "first"})


def test_person_fields_compare_as_people_even_against_a_plain_field():
    """A person field is normalised before scoring; the plain field it is compared with is folded too."""
    compiled = nominated('"nominee == backup"')
    [rule] = compiled.rules
    assert rule.when == Cmp("nominee", "eq", Ref("backup", person=True))
    raw = {"nominee": " Anna@Example.com", "backup": "anna@example.COM "}
    assert matches(compiled, raw)
    assert matches(compiled, compiled.normalize("nomination", raw))
    assert evaluate(rule.when, raw)
    assert not matches(compiled, {"nominee": "E1", "backup": "e1"})  # ids are not case-folded
    both = nominated('"nominee != nominator"')
    assert not matches(
        both, both.normalize("nomination", {"nominee": "A@x.com ", "nominator": "a@X.com"})
    )


def test_render_why_not_and_explain_name_both_fields():
    compiled = nominated('"nominee != nominator and votes >= quorum"')
    [rule] = compiled.rules
    assert rule.when is not None
    assert render(rule.when) == "nominee != nominator and votes >= quorum"
    same = {"nominee": "a@x.com", "nominator": "a@x.com", "votes": 5, "quorum": 1}
    assert why_not(rule.when, same) == (
        "nominee is a@x.com, nominator is a@x.com, wanted nominee != nominator"
    )
    few = {"nominee": "a", "nominator": "b", "votes": 1}
    assert why_not(rule.when, few) == "votes is 1, quorum is missing, wanted votes >= quorum"
    [explained] = compiled.explain("nomination", {**same, "nominee": " A@X.com"}, T)
    assert not explained.matched
    assert explained.why == (
        "when: nominee is a@x.com, nominator is a@x.com, wanted nominee != nominator"
    )


def test_a_campaign_and_a_multiplier_may_compare_fields():
    compiled = build(
        """
        - id: nom
          event: nomination
          points: 10
          multipliers:
            - {when: "votes > quorum", factor: 2}
        """,
        """\
campaigns:
  - id: fair
    from: "2026-10-01"
    until: "2026-10-31"
    rules: [nom]
    when: {nominee: {ne: {field: nominator}}}
    multiplier: 3
""",
    )
    [award] = compiled.score("nomination", {"votes": 2, "quorum": 1, "nominee": "a"}, T, {})
    assert award.points == 60
    assert award.reasons == ["nom: 10", "votes > quorum ×2", "fair ×3"]


RELATED = {
    "nominee": st.sampled_from(["a@x.com", "A@X.com ", "b", None]),
    "nominator": st.sampled_from(["a@x.com", "b", " b"]),
    "backup": st.sampled_from(["a@x.com", "B", "b "]),
    "votes": st.integers(-2, 3),
    "quorum": st.sampled_from([-1.5, 0, 2, 2.5]),
    "decided": st.booleans(),
    "confirmed": st.booleans(),
}
RELATED_CONDITIONS = [
    '"nominee != nominator or votes < quorum"',
    '"nominee == backup and not (votes >= quorum)"',
    "{any: [{votes: {lte: {field: quorum}}}, {decided: {eq: {field: confirmed}}}]}",
    "{not: {nominator: {eq: {field: backup}}}, votes: {gt: {field: quorum}}}",
]
RELATED_COMPILED = [nominated(c) for c in RELATED_CONDITIONS]


@given(st.fixed_dictionaries({}, optional=RELATED))
def test_compiled_field_comparisons_agree_with_the_interpreter(attributes):
    attributes = {k: v for k, v in attributes.items() if v is not None}
    for compiled in RELATED_COMPILED:
        [rule] = compiled.rules
        assert rule.when is not None
        assert matches(compiled, attributes) == evaluate(rule.when, attributes)


@pytest.mark.parametrize(
    ("when", "needle", "message"),
    [
        (
            '"nominee != votes"',
            "votes",
            "nominee is string and votes is an int; a field is compared only with a field of the "
            "same type",
        ),
        (
            "{stage: {ne: {field: decided}}}",
            "decided",
            "stage is an enum and decided is bool; a field is compared only with a field of the "
            "same type",
        ),
        ('"stage > round"', "round", "stage is an enum; > needs number fields"),
        ("{votes: {lt: {field: nominee}}}", "nominee", "nominee is string; < needs number fields"),
        ('"closes_at == closes_at"', 'closes_at"', "closes_at is compared with itself"),
        ('"votes == nominee and decided"', "nominee", "votes is an int and nominee is string; "),
        (
            "{closes_at: {eq: {field: nominee}}}",
            "nominee",
            "closes_at is datetime; only exists can test it",
        ),
        (
            "{nominee: {in: {field: backup}}}",
            "{field: backup}",
            "nominee in: cannot take a field; only ==, !=, >, >=, <, <= compare two",
        ),
        (
            '"nominee in backup"',
            "nominee in",
            "`in` with a field on the right is not allowed in a condition",
        ),
        (
            "{nominee: {ne: {field: nominater}}}",
            "nominater",
            'unknown field "nominater" for event type nomination; expected one of: ',
        ),
        ("{nominee: {ne: {field: [a]}}}", "[a]", "nominee ne: field: expected a field name"),
        (
            "{nominee: {ne: {field: backup, value: x}}}",
            "{field: backup",
            "nominee ne: expected {field: another_field} alone",
        ),
        (
            "{nominee: {ne: {fields: backup}}}",
            "{fields: backup}",
            "nominee ne: expected a single value or {field: another_field}",
        ),
    ],
)
def test_type_errors_name_the_line_and_column(when, needle, message):
    text = program(f"- {{id: nom, event: nomination, points: 1, when: {when}}}")
    issues = issues_of(text)
    assert len(issues) == 1, issues
    line = text.index("when: ")  # the needle is looked for from the condition on
    location, got = issues[0].split(": ", 1)
    rule_line = text.count("\n", 0, line) + 1
    col = text.index(needle, line) - (text.rfind("\n", 0, line) + 1) + 1
    assert location == f"rules.yaml:{rule_line}:{col}"
    assert got.startswith(message), got


def test_a_value_without_quotes_is_told_to_quote_it():
    text = program('- {id: nom, event: nomination, points: 1, when: "stage == hired"}')
    [issue] = issues_of(text)
    assert issue == (
        f'{where(text, "hired")}: unknown field "hired" for event type nomination; expected one of: '
        "backup, closes_at, confirmed, decided, nominator, nominee, quorum, round, stage, votes; "
        "to compare with the text, quote it: 'hired'"
    )
    # on the left as well: the field is found on the right
    text = program('- {id: nom, event: nomination, points: 1, when: "hired == stage"}')
    [issue] = issues_of(text)
    assert issue.startswith(f'{where(text, "hired")}: unknown field "hired"')
    assert issue.endswith("quote it: 'hired'")


def test_a_misspelled_second_field_gets_a_suggestion():
    text = program('- {id: nom, event: nomination, points: 1, when: "nominee != nominater"}')
    [issue] = issues_of(text)
    assert issue.startswith(f'{where(text, "nominater")}: unknown field "nominater"')
    assert 'did you mean "nominator"?' in issue


# -- prerequisites ----------------------------------------------------------------------------------

REFERRAL = """
- id: referral
  event: referral
  points: {by: stage, values: {submitted: 25, interviewed: 75, hired: 500}}
  once: {key: [candidate_id, stage]}
  after: {when: {stage: submitted}, same: [candidate_id], unless: {stage: submitted}}
- id: interview
  event: interview
  when: {passed: true}
  points: 40
  after: {event: referral, when: "stage == 'submitted'", same: [candidate_id]}
"""
NEEDS = "needs an earlier referral (stage submitted) for the same candidate_id"


def play(compiled: CompiledRules, events: list[tuple[str, str, dict[str, Any]]]) -> list[int]:
    """Points of each event for one employee, in the order given (the scoring order)."""
    counters: dict[str, float] = {}
    return [
        sum(a.points for a in compiled.score(etype, attrs, at(when), counters))
        for etype, when, attrs in events
    ]


def referral(when: str, candidate: str, stage: str) -> tuple[str, str, dict[str, Any]]:
    return "referral", when, {"candidate_id": candidate, "stage": stage}


def test_a_later_stage_counts_after_the_submitted_one():
    compiled = build(REFERRAL)
    assert play(
        compiled,
        [
            referral("2026-10-05T09:00:00Z", "c1", "submitted"),
            referral("2026-10-06T09:00:00Z", "c1", "interviewed"),
            referral("2026-10-07T09:00:00Z", "c1", "hired"),
            ("interview", "2026-10-07T10:00:00Z", {"candidate_id": "c1", "passed": True}),
        ],
    ) == [25, 75, 500, 40]


def test_out_of_order_it_gives_nothing_and_counts_when_sent_again():
    compiled = build(REFERRAL)
    counters: dict[str, float] = {}
    [hired] = compiled.score(
        "referral", {"candidate_id": "c1", "stage": "hired"}, at("2026-10-05T09:00:00Z"), counters
    )
    assert (hired.points, hired.base_points) == (0, 500)
    assert hired.reasons == ["referral: 500 (stage hired)", NEEDS]
    assert counters == {}  # nothing counted: not the once key, no mark
    # another candidate's submission is no prerequisite for this one
    assert play(
        compiled,
        [
            referral("2026-10-05T09:00:00Z", "c2", "submitted"),
            referral("2026-10-06T09:00:00Z", "c1", "hired"),
            ("interview", "2026-10-06T10:00:00Z", {"candidate_id": "c1", "passed": True}),
            referral("2026-10-07T09:00:00Z", "c1", "submitted"),
            referral("2026-10-08T09:00:00Z", "c1", "hired"),  # sent again: it counts now
            referral("2026-10-09T09:00:00Z", "c1", "hired"),  # and once
        ],
    ) == [25, 0, 0, 25, 500, 0]


def test_earlier_means_by_occurred_at_whatever_the_scoring_order():
    """A submitted stage scored first but dated after the hire does not make the hire count."""
    compiled = build(REFERRAL)
    assert play(
        compiled,
        [
            referral("2026-10-07T09:00:00Z", "c1", "submitted"),
            referral("2026-10-06T09:00:00Z", "c1", "hired"),
            referral("2026-10-05T09:00:00Z", "c1", "submitted"),  # the earliest one is kept
            referral("2026-10-06T09:00:00Z", "c1", "interviewed"),
        ],
    ) == [25, 0, 0, 75]


def test_an_event_is_not_its_own_prerequisite():
    """Without `unless`, even a submitted stage needs an earlier one: the event's own mark comes after."""
    compiled = build(
        """
        - id: again
          event: referral
          points: 10
          after: {when: {stage: submitted}, same: [candidate_id]}
        """
    )
    assert play(
        compiled,
        [
            referral("2026-10-05T09:00:00Z", "c1", "submitted"),
            referral("2026-10-05T09:00:00Z", "c1", "submitted"),  # same instant, scored after
            referral("2026-10-06T09:00:00Z", "c1", "hired"),
        ],
    ) == [0, 10, 10]


def test_a_prerequisite_without_same_fields_and_a_missing_same_field():
    compiled = build(
        """
        - id: interview
          event: interview
          points: 40
          after: {event: referral}
        - id: scored
          event: interview
          points: 1
          after: {event: referral, same: [candidate_id]}
        """
    )
    assert compiled.rules[0].after is not None
    assert compiled.rules[0].after.reason == "needs an earlier referral"
    assert play(
        compiled,
        [
            ("interview", "2026-10-05T09:00:00Z", {"candidate_id": "c1"}),
            referral("2026-10-06T09:00:00Z", "c9", "hired"),
            ("interview", "2026-10-07T09:00:00Z", {"candidate_id": "c1"}),
            ("interview", "2026-10-07T09:00:00Z", {}),  # no candidate: never the same one
        ],
    ) == [0, 0, 40, 40]


def test_counter_keys_cover_the_marks_on_both_sides():
    compiled = build(REFERRAL)
    keys = compiled.counter_keys("referral", {"candidate_id": "c1", "stage": "hired"}, T)
    assert keys == ["after:referral:c1", "once:referral:all:c1\x1fhired"]  # it checks a mark
    assert compiled.counter_keys("interview", {"candidate_id": "c1"}, T) == ["after:interview:c1"]
    setter = compiled.counter_keys("referral", {"candidate_id": "c1", "stage": "submitted"}, T)
    assert {"after:referral:c1", "after:interview:c1"} <= set(setter)
    assert compiled.counter_keys("interview", {}, T) == []


class Recording(dict):
    def __init__(self) -> None:
        super().__init__()
        self.touched: set[str] = set()

    def get(self, key, default=None):
        self.touched.add(key)
        return super().get(key, default)

    def __setitem__(self, key, value):
        self.touched.add(key)
        super().__setitem__(key, value)


STAGES = st.sampled_from(["submitted", "interviewed", "hired"])
STREAM_EVENT = st.one_of(
    st.tuples(
        st.just("referral"),
        st.fixed_dictionaries(
            {"stage": STAGES}, optional={"candidate_id": st.sampled_from(["c1", "c2"])}
        ),
    ),
    st.tuples(
        st.just("interview"),
        st.fixed_dictionaries(
            {}, optional={"candidate_id": st.sampled_from(["c1", "c2"]), "passed": st.booleans()}
        ),
    ),
)
PREREQUISITES = build(REFERRAL)


@given(st.lists(st.tuples(STREAM_EVENT, st.integers(0, 5)), max_size=12))
def test_every_key_score_touches_was_declared(stream):
    counters = Recording()
    for (etype, attrs), day in stream:
        when = at(f"2026-10-{day + 1:02d}T09:00:00Z")
        declared = set(PREREQUISITES.counter_keys(etype, attrs, when))
        counters.touched = set()
        PREREQUISITES.score(etype, attrs, when, counters)
        assert counters.touched <= declared


def test_explain_says_why_the_rule_gave_nothing():
    compiled = build(REFERRAL)
    hired = {"candidate_id": "c1", "stage": "hired"}
    by_id = {e.rule_id: e for e in compiled.explain("referral", hired, T)}
    assert by_id["referral"].matched
    assert by_id["referral"].why == f"matched; after: {NEEDS}, none before this event: 0 points"
    assert by_id["referral"].award is not None and by_id["referral"].award.points == 0
    earlier = {"after:referral:c1": at("2026-10-01T09:00:00Z").timestamp()}
    by_id = {e.rule_id: e for e in compiled.explain("referral", hired, T, earlier)}
    assert by_id["referral"].why == "matched"
    assert by_id["referral"].award is not None and by_id["referral"].award.points == 500
    later = {"after:referral:c1": at("2026-10-09T09:00:00Z").timestamp()}
    by_id = {e.rule_id: e for e in compiled.explain("referral", hired, T, later)}
    assert by_id["referral"].award is not None and by_id["referral"].award.points == 0
    # the submitted stage needs nothing (unless), and a person field is looked up normalised
    submitted = compiled.explain("referral", {"candidate_id": "c1", "stage": "submitted"}, T)
    assert {e.rule_id: e for e in submitted}["referral"].why == "matched"


def test_the_tests_section_plays_prerequisites():
    compiled = build(
        REFERRAL,
        """\
tests:
  - name: "hired after submitted"
    events:
      - {type: referral, occurred_at: "2026-10-05T09:00:00Z", attributes: {candidate_id: c1, stage: submitted}}
      - {type: referral, occurred_at: "2026-10-06T09:00:00Z", attributes: {candidate_id: c1, stage: hired}}
    expect: {points: 500, rules: [referral]}
  - name: "hired alone"
    events:
      - {type: referral, occurred_at: "2026-10-06T09:00:00Z", attributes: {candidate_id: c1, stage: hired}}
    expect: {points: 0, rules: [], reasons: ["needs an earlier referral (stage submitted)"]}
""",
    )
    assert all(r.ok for r in compiled.run_checks())


def test_a_prerequisite_changes_its_rule_version_only():
    plain = build("- {id: r, event: referral, points: 1}\n- {id: s, event: share, points: 1}")
    after = build(
        "- {id: r, event: referral, points: 1, after: {same: [candidate_id]}}\n"
        "- {id: s, event: share, points: 1}"
    )
    assert plain.rule_versions["s"] == after.rule_versions["s"]
    assert plain.rule_versions["r"] != after.rule_versions["r"]
    # a rule without `after:` keeps the version it had before prerequisites existed
    assert plain.rule_versions == {"r": "9f084c52563f", "s": "ed38e642d14a"}


# -- validation -------------------------------------------------------------------------------------


def one_issue(rules: str) -> tuple[str, str]:
    text = program(rules)
    issues = issues_of(text)
    assert len(issues) == 1, issues
    return text, issues[0]


def test_an_unknown_event_type():
    text, issue = one_issue(
        "- {id: r, event: interview, points: 1, after: {event: referal, same: [candidate_id]}}"
    )
    assert issue.startswith(
        f'{where(text, "referal")}: unknown event type "referal"; expected one of:'
    )
    assert issue.endswith('did you mean "referral"?')


def test_a_same_field_missing_in_one_of_the_types():
    text, issue = one_issue(
        "- {id: r, event: interview, points: 1, after: {event: referral, same: [candidate_id, score]}}"
    )
    assert issue.startswith(
        f'{where(text, "score]")}: unknown field "score" for event type referral; expected one of: '
    )
    text, issue = one_issue(
        "- {id: r, event: referral, points: 1, after: {event: interview, same: [stage]}}"
    )
    assert issue.startswith(
        f'{where(text, "stage]")}: unknown field "stage" for event type interview'
    )


def test_same_fields_need_one_type_and_one_person_setting():
    text = TEXT.replace("      score: int\n", "      score: int\n      stage: string\n", 1)
    text += "rules:\n  - {id: r, event: interview, points: 1, after: {event: referral, same: [stage]}}\n"
    [issue] = issues_of(text)
    assert issue == (
        f"{where(text, 'stage]')}: rule r: after.same: stage is string in interview but enum in "
        "referral; a field both events share needs one type"
    )
    text = TEXT.replace(
        "      candidate_id: string\n      stage:",
        "      candidate_id: {type: string, person: true}\n      stage:",
        1,
    )
    text += "rules:\n  - {id: r, event: interview, points: 1, after: {event: referral, same: [candidate_id]}}\n"
    [issue] = issues_of(text)
    assert issue == (
        f"{where(text, 'candidate_id]')}: rule r: after.same: candidate_id names a person "
        "(person: true) in referral only; mark it in both or in neither"
    )


def test_conditions_are_read_against_the_right_event_type():
    """`when` is about the earlier event (its type), `unless` about the rule's own."""
    text, issue = one_issue(
        "- {id: r, event: interview, points: 1, after: {event: referral, when: {passed: true}}}"
    )
    assert issue.startswith(
        f'{where(text, "passed")}: unknown field "passed" for event type referral'
    )
    text, issue = one_issue(
        "- {id: r, event: interview, points: 1, after: {event: referral, unless: {stage: hired}}}"
    )
    assert issue.startswith(
        f'{where(text, "stage")}: unknown field "stage" for event type interview'
    )


def test_unknown_keys_and_wrong_shapes():
    text, issue = one_issue("- {id: r, event: referral, points: 1, after: {sam: [candidate_id]}}")
    assert issue.startswith(
        f'{where(text, "sam")}: unknown key "sam" in rule r: after; expected one of:'
    )
    assert issue.endswith('did you mean "same"?')
    text, issue = one_issue("- {id: r, event: referral, points: 1, after: {same: []}}")
    assert issue == f"{where(text, '[]')}: rule r: after.same: must not be empty"
    text, issue = one_issue("- {id: r, event: referral, points: 1, after: {same: [stage, stage]}}")
    assert issue == f'{where(text, "stage", 1)}: rule r: after.same: "stage" is listed twice'
    text, issue = one_issue("- {id: r, event: referral, points: 1, after: referral}")
    assert issue.startswith(f"{where(text, 'referral}')}: ")
