"""Event fields with ranges and lengths (min, max, max_length): read strictly, checked at intake."""

from __future__ import annotations

import pytest
from rules_support import BASE, issues_of

from rules import load_rules_text

RULES = """\
rules:
  - id: share
    event: share
    points: 5
"""


def with_fields(audience: str, network: str = "string") -> str:
    text = (BASE + RULES).replace("      audience: int\n", f"      audience: {audience}\n", 1)
    return text.replace("      network: string\n", f"      network: {network}\n", 1)


def test_values_inside_and_outside_the_range() -> None:
    rules = load_rules_text(
        with_fields("{type: int, min: 0, max: 1000}", "{type: string, max_length: 8}"),
        run_tests=False,
    )
    assert rules.validate_event("share", {"audience": 0, "network": "linkedin"}) == []
    assert rules.validate_event("share", {"audience": 1000}) == []
    assert rules.validate_event("share", {"audience": -5}) == [
        "attributes.audience: expected at least 0, got int -5"
    ]
    assert rules.validate_event("share", {"audience": 10**18}) == [
        f"attributes.audience: expected at most 1000, got int {10**18}"
    ]
    assert rules.validate_event("share", {"network": "x" * 9}) == [
        "attributes.network: expected at most 8 characters, got 9"
    ]


def test_a_number_field_takes_fractional_limits() -> None:
    text = (BASE + RULES).replace(
        "      reach: number\n", "      reach: {type: number, min: 0.5, max: 2.5}\n", 1
    )
    rules = load_rules_text(text, run_tests=False)
    assert rules.validate_event("share", {"reach": 0.25}) == [
        "attributes.reach: expected at least 0.5, got float 0.25"
    ]
    assert rules.validate_event("share", {"reach": 2.5}) == []


@pytest.mark.parametrize(
    ("audience", "network", "message"),
    [
        (
            "{type: int, min: 10, max: 5}",
            "string",
            "share.audience.max: must not be below min (10)",
        ),
        ("{type: int, min: ten}", "string", "share.audience.min: expected a number"),
        ("{type: int, max_length: 5}", "string", "share.audience.max_length: only a string field"),
        ("int", "{type: string, min: 1}", "share.network.min: only an int or number field"),
        (
            "int",
            "{type: string, max_length: 0}",
            "share.network.max_length: must be greater than 0",
        ),
        (
            "{type: int, min: 0, default: -1}",
            "string",
            "share.audience.default: expected at least 0",
        ),
        ("{enum: [a, b], min: 1}", "string", 'unknown key "min"'),
    ],
)
def test_a_wrong_limit_names_its_line(audience: str, network: str, message: str) -> None:
    found = issues_of(with_fields(audience, network))
    assert any(message in issue for issue in found), found
    assert all(issue.startswith("rules.yaml:") for issue in found)


def test_a_person_field_is_compared_trimmed_and_case_folded() -> None:
    text = (BASE + RULES).replace(
        "      candidate_id: string\n", "      candidate_id: {type: string, person: true}\n", 1
    )
    rules = load_rules_text(text, run_tests=False)
    for spelled in ("S@ACME.com", " s@acme.com ", "s@acme.com"):
        assert rules.normalize("referral", {"candidate_id": spelled}) == {
            "candidate_id": "s@acme.com"
        }
    # An id that is not an email keeps its case (external ids may be case-sensitive), trimmed.
    assert rules.normalize("referral", {"candidate_id": " C-42 "}) == {"candidate_id": "C-42"}
    assert issues_of(text.replace("person: true", "person: yes please")) != []
    wrong = (BASE + RULES).replace(
        "      audience: int\n", "      audience: {type: int, person: true}\n", 1
    )
    assert any(
        "share.audience.person: only a string field names a person" in i for i in issues_of(wrong)
    )


def test_not_the_employee_needs_a_person_field() -> None:
    text = (BASE + RULES).replace(
        "      candidate_id: string\n",
        "      candidate_id: {type: string, not_the_employee: true}\n",
        1,
    )
    assert any(
        "referral.candidate_id.not_the_employee: only a field with person: true names someone" in i
        for i in issues_of(text)
    )
    fine = text.replace("not_the_employee: true", "person: true, not_the_employee: true")
    rules = load_rules_text(fine, run_tests=False)
    assert rules.others_named("referral", {"candidate_id": " A@B.com"}) == [
        ("candidate_id", "a@b.com")
    ]
    assert rules.others_named("share", {"content_id": "p1"}) == []
