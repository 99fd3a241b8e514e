"""`dedupe:` of an event type (issue 16, near-duplicates): read strictly, every mistake at its line."""

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


def with_dedupe(dedupe: str) -> str:
    """The base program with ``dedupe`` (one or more lines, indented as under `share:`) above share's fields."""
    return (BASE + RULES).replace("  share:\n", f"  share:\n{dedupe}", 1)


def line_of(text: str, needle: str) -> int:
    """The line (from 1) of the first line of ``text`` containing ``needle``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_dedupe_window_is_read() -> None:
    rules = load_rules_text(
        with_dedupe("    dedupe: {key: [content_id, network], within_minutes: 10}\n"),
        run_tests=False,
    )
    dedupe = rules.event_types["share"].dedupe
    assert dedupe is not None
    assert (dedupe.key, dedupe.within_minutes) == (("content_id", "network"), 10)
    assert rules.event_types["click"].dedupe is None


def test_a_block_mapping_and_an_empty_key() -> None:
    """`key: []`: any two of the employee's events of the type within the window are one."""
    rules = load_rules_text(
        with_dedupe("    dedupe:\n      key: []\n      within_minutes: 1440\n"), run_tests=False
    )
    dedupe = rules.event_types["share"].dedupe
    assert dedupe is not None
    assert (dedupe.key, dedupe.within_minutes) == ((), 1440)


@pytest.mark.parametrize(
    ("dedupe", "needle", "col", "message"),
    [
        (
            "{key: [content], within_minutes: 10}",
            "content]",
            20,
            'unknown field "content" in share.dedupe.key for event type share; expected one of: '
            "audience, campaign, content_id, content_kind, network, personalized, reach; "
            'did you mean "content_id"?',
        ),
        (
            "{key: [network, network], within_minutes: 10}",
            "network]",
            29,
            'share.dedupe.key: "network" is listed twice',
        ),
        (
            "{key: content_id, within_minutes: 10}",
            "content_id,",
            19,
            'share.dedupe.key: expected a list, got string "content_id"',
        ),
        (
            "{key: [content_id], within_minutes: 0}",
            "0}",
            49,
            "share.dedupe.within_minutes: must be greater than 0, got 0",
        ),
        (
            "{key: [content_id], within_minutes: -5}",
            "-5}",
            49,
            "share.dedupe.within_minutes: must be greater than 0, got -5",
        ),
        (
            "{key: [content_id], within_minutes: 2.5}",
            "2.5}",
            49,
            "share.dedupe.within_minutes: expected a positive whole number, got number 2.5",
        ),
        (
            "{key: [content_id], within_minutes: ten}",
            "ten}",
            49,
            'share.dedupe.within_minutes: expected a positive whole number, got string "ten"',
        ),
        (
            "{key: [content_id], within_minutes: 10, window: 5}",
            "window",
            53,
            'unknown key "window" in share.dedupe; expected one of: key, within_minutes',
        ),
        (
            "{key: [content_id]}",
            "dedupe",
            13,
            'missing key "within_minutes" in share.dedupe',
        ),
        (
            "{within_minutes: 10}",
            "dedupe",
            13,
            'missing key "key" in share.dedupe',
        ),
        (
            "10",
            "dedupe",
            13,
            "share.dedupe: expected a mapping (share.dedupe), got number 10",
        ),
    ],
)
def test_a_wrong_dedupe_names_its_line(dedupe: str, needle: str, col: int, message: str) -> None:
    text = with_dedupe(f"    dedupe: {dedupe}\n")
    line = line_of(text, "dedupe:")
    assert line_of(text, needle) == line
    assert issues_of(text) == [f"rules.yaml:{line}:{col}: {message}"]


def test_every_mistake_at_once_each_at_its_own_line() -> None:
    text = with_dedupe(
        "    dedupe:\n      key: [content_id, visitor]\n      within_minutes: 0\n      per: day\n"
    )
    key, minutes, per = (line_of(text, s) for s in ("visitor", "within_minutes", "per: day"))
    found = issues_of(text)
    assert found == [
        f'rules.yaml:{key}:25: unknown field "visitor" in share.dedupe.key for event type share; '
        "expected one of: audience, campaign, content_id, content_kind, network, personalized, reach",
        f"rules.yaml:{minutes}:23: share.dedupe.within_minutes: must be greater than 0, got 0",
        f'rules.yaml:{per}:7: unknown key "per" in share.dedupe; expected one of: key, within_minutes',
    ]


def test_a_wrong_key_is_reported_even_without_a_window() -> None:
    text = with_dedupe("    dedupe: {key: [visitor]}\n")
    line = line_of(text, "dedupe:")
    found = issues_of(text)
    assert f'rules.yaml:{line}:13: missing key "within_minutes" in share.dedupe' in found
    assert any(i.startswith(f'rules.yaml:{line}:20: unknown field "visitor"') for i in found), found


def test_dedupe_is_not_a_field_option() -> None:
    """`dedupe` belongs to the event type, next to `fields`, not to one field."""
    text = (BASE + RULES).replace(
        "      content_id: string\n",
        "      content_id: {type: string, dedupe: true}\n",
        1,
    )
    assert any('unknown key "dedupe" in share.content_id' in issue for issue in issues_of(text))
