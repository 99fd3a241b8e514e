"""Conditions: both forms, the expression allow list, missing-field semantics, compiled = interpreted."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rules_support import at, build, issues_of

from rules.conditions import evaluate

T = at("2026-10-05T09:00:00+02:00")


def rule_with(when: str):
    return build(f"- {{id: r, event: share, points: 1, when: {when}}}")


def matches(compiled, attributes) -> bool:
    return bool(compiled.score("share", attributes, T, {}))


@pytest.mark.parametrize(
    ("expression", "what"),
    [
        ("__import__('os')", "calling __import__() is not allowed"),
        ("network.upper() == 'X'", "calling network.upper() is not allowed"),
        ("network.real", "attribute access (a.b)"),
        ("(lambda: 1)()", "calling lambda: 1()"),
        ("lambda: True", "lambda"),
        ("network[0] == 'x'", "subscripts (a[...])"),
        ("audience + 1 > 2", "arithmetic"),
        ("audience if personalized else reach", "if/else expressions"),
        ("f'{network}' == 'x'", "f-strings"),
        ("[x for x in network]", "comprehensions"),
        ("network is None", "the operator Is (use == or !=)"),
    ],
)
def test_expression_allow_list_rejects(expression, what):
    text = BASE_RULE.format(when=expression.replace('"', '\\"'))
    issues = issues_of(text)
    assert len(issues) == 1, issues
    location, message = issues[0].split(": ", 1)
    assert message.startswith(what), message
    assert location.startswith("rules.yaml:35:")


BASE_RULE = ""  # filled below from the shared base program


def _base_rule_template() -> str:
    from rules_support import BASE

    return BASE.replace("{", "{{").replace("}", "}}") + (
        'rules:\n  - id: r\n    event: share\n    when: "{when}"\n    points: 1\n'
    )


BASE_RULE = _base_rule_template()


def test_rejection_column_points_at_the_offending_part():
    issues = issues_of(BASE_RULE.format(when="personalized and __import__('os')"))
    # the quote is at column 11, the expression starts at 12, the call 17 characters later
    assert issues[0] == (
        "rules.yaml:35:29: calling __import__() is not allowed in a condition; "
        "the only function is exists(field)"
    )


def test_syntax_error_in_an_expression():
    [issue] = issues_of(BASE_RULE.format(when="audience = 5"))
    assert issue.startswith("rules.yaml:35:")
    assert "cannot read condition 'audience = 5'" in issue
    assert issue.endswith("use == to compare")


def test_expression_forms_that_are_allowed():
    compiled = rule_with(
        "\"audience >= 100 and network in ['linkedin', 'x'] or exists(campaign) "
        'and not personalized"'
    )
    assert matches(compiled, {"audience": 100, "network": "x"})
    assert not matches(compiled, {"audience": 99, "network": "x"})
    assert matches(compiled, {"campaign": "c"})
    assert not matches(compiled, {"campaign": "c", "personalized": True})
    flipped = rule_with("\"100 < audience < 200 and content_kind != 'promotional'\"")
    assert matches(flipped, {"audience": 150})
    assert not matches(flipped, {"audience": 150, "content_kind": "promotional"})
    assert not matches(flipped, {"audience": 200})
    negative = rule_with('"reach > -1.5 and personalized == true"')
    assert matches(negative, {"reach": 0, "personalized": True})


def test_mapping_forms_that_are_allowed():
    compiled = rule_with(
        "{any: [{network: linkedin}, {audience: {gt: 10, lte: 20}}], "
        "not: {content_kind: {not_in: [curated, owned]}}, "
        'all: [{campaign: {exists: false}}], expr: "not personalized"}'
    )
    assert matches(compiled, {"network": "linkedin", "content_kind": "owned"})
    assert matches(compiled, {"audience": 20, "content_kind": "curated"})
    assert not matches(compiled, {"audience": 21, "content_kind": "curated"})
    assert not matches(compiled, {"network": "linkedin", "content_kind": "promotional"})
    assert not matches(compiled, {"network": "linkedin", "content_kind": "owned", "campaign": "c"})
    assert not matches(
        compiled, {"network": "linkedin", "content_kind": "owned", "personalized": True}
    )


def test_missing_fields_fail_every_comparison_except_ne_and_not_in():
    assert not matches(rule_with("{network: x}"), {})
    assert not matches(rule_with("{audience: {gt: 0}}"), {})
    assert not matches(rule_with("{audience: {lt: 10}}"), {})
    assert not matches(rule_with("{network: {in: [x]}}"), {})
    assert not matches(rule_with("{network: {exists: true}}"), {})
    assert matches(rule_with("{network: {ne: x}}"), {})
    assert matches(rule_with("{network: {not_in: [x]}}"), {})
    assert matches(rule_with("{network: {exists: false}}"), {})
    # a declared default is not missing
    assert matches(rule_with("{personalized: false}"), {})


def test_list_value_suggests_in():
    [issue] = issues_of(BASE_RULE.replace('"{when}"', "{{network: [a, b]}}").format())
    assert issue == (
        "rules.yaml:35:21: network: expected one value; to match any of several "
        "use {network: {in: [...]}}"
    )


def test_unknown_operator():
    [issue] = issues_of(BASE_RULE.replace('"{when}"', "{{audience: {{gteq: 5}}}}").format())
    assert issue.startswith(
        'rules.yaml:35:23: unknown operator "gteq" for audience; expected '
        "one of: eq, exists, gt, gte, in, lt, lte, ne, not_in"
    )
    assert issue.endswith('did you mean "gte"?')


FIELD_VALUES = {
    "network": st.sampled_from(["linkedin", "x", "mail"]),
    "audience": st.integers(-5, 300),
    "content_kind": st.sampled_from(["curated", "owned", "promotional"]),
    "personalized": st.booleans(),
    "campaign": st.sampled_from(["careers", "other"]),
}
CONDITIONS = [
    "\"audience >= 100 and network in ['linkedin', 'x']\"",
    '"not personalized or exists(campaign)"',
    "{any: [{content_kind: owned}, {audience: {lt: 0}}], network: {ne: mail}}",
    "{not: {all: [{personalized: true}, {campaign: {not_in: [careers]}}]}}",
    "\"0 <= audience <= 10 or content_kind != 'curated' and not exists(network)\"",
]
COMPILED = [(c, rule_with(c)) for c in CONDITIONS]


@given(st.fixed_dictionaries({}, optional=FIELD_VALUES))
def test_compiled_matchers_agree_with_the_interpreter(attributes):
    for _, compiled in COMPILED:
        [rule] = compiled.rules
        expected = evaluate(rule.when, compiled.normalize("share", attributes))
        assert matches(compiled, attributes) == expected
