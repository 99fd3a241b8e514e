"""The `integrity:` section: strict loading, and the counting signals (rules.integrity) on their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rules_support import BASE, build, issues_of

from rules.integrity import Edge, integrity_rules, rings_through

RULE = "- {id: share, event: share, points: 10}\n"
SIGNALS = """\
integrity:
  - {id: burst, kind: burst, event: click, per: hour, distinct: visitor, by: [content_id], above: 2,
     effect: hold, when: "not suspected_bot"}
  - {id: mostly, kind: share, event: share, when: {personalized: false}, min_events: 4, above: 0.7,
     effect: flag}
"""
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_signals_count_in_their_buckets() -> None:
    signals = integrity_rules(build(RULE, SIGNALS))
    state: dict[str, float] = {}

    def click(minute: int, visitor: str, content: str = "p1") -> list[str]:
        at = T0 + timedelta(minutes=minute)
        attrs = {"content_id": content, "visitor": visitor, "suspected_bot": False}
        cases = signals.cases("click", attrs, at)
        keys = [k for case in cases for k in case.keys]
        before = dict(state)
        tripped = signals.check(cases, attrs, at, state)
        written = {k for k, v in state.items() if before.get(k) != v}
        assert written <= set(keys)  # the engine fetches exactly what check may touch
        return [t.reason for t in tripped]

    assert (
        click(0, "a") == click(1, "b") == click(2, "a") == []
    )  # two distinct visitors: not above 2
    assert click(3, "c", "p2") == []  # another post, another case
    assert click(4, "c") == ["burst: 3 distinct visitors in 2026-11-02T10|p1 (more than 2)"]
    assert click(61, "d") == []  # the next hour (10:01 UTC is 11:01 in Amsterdam)


def test_a_share_signal_waits_for_its_minimum() -> None:
    signals = integrity_rules(build(RULE, SIGNALS))
    state: dict[str, float] = {}
    out = [
        signals.check(
            signals.cases("share", {"personalized": False}, T0 + timedelta(hours=i)),
            {"personalized": False},
            T0 + timedelta(hours=i),
            state,
        )
        for i in range(5)
    ]
    assert [len(t) for t in out] == [0, 0, 0, 1, 1]
    assert out[3][0].reason == "mostly: 4 of 4 share events in 2026-11-02 (100%, more than 70%)"


def test_rings_of_two_and_three_whichever_edge_is_looked_at() -> None:
    day = timedelta(days=1)
    a_b, b_c, c_a, b_a = (
        Edge(T0, 1, 1, 2),
        Edge(T0 + day, 2, 2, 3),
        Edge(T0 + 2 * day, 3, 3, 1),
        Edge(T0 + 40 * day, 4, 2, 1),
    )
    graph: dict[int, dict[int, list[tuple[datetime, int]]]] = {}
    for e in (a_b, b_c, c_a, b_a):
        graph.setdefault(e.giver, {}).setdefault(e.receiver, []).append((e.at, e.event))
    three = (a_b, b_c, c_a)
    assert rings_through(graph, c_a, 30) == [three]
    assert rings_through(graph, a_b, 30) == [three]  # the first edge finds the same ring
    assert rings_through(graph, b_c, 30) == [three]
    assert rings_through(graph, b_a, 30) == []  # 1→2 was 40 days before 2→1
    assert rings_through(graph, b_a, 45) == [(a_b, b_a)]


def test_mistakes_are_named_at_their_line() -> None:
    text = (
        BASE
        + "rules:\n  "
        + RULE
        + """\
integrity:
  - {id: a, kind: burst, event: click, above: 0, effect: hold, distinct: visiter}
  - {id: b, kind: share, event: share, when: {personalized: false}, min_events: 3, above: 1.5, effect: flag}
  - {id: c, kind: ring, event: share, effect: hold}
  - {id: d, kind: burst, event: nope, above: 3, effect: hold}
  - {id: e, kind: burst, event: click, above: 3, effect: ban}
  - {id: f, kind: burst, event: click, above: 3, effect: flag, giver: visitor}
  - {id: g, kind: share, event: share, above: 0.5, effect: flag}
"""
    )
    issues = issues_of(text)
    first = BASE.count("\n") + 4
    lines = sorted(int(issue.split(":")[1]) - first for issue in issues)
    assert set(lines) == {0, 1, 2, 3, 4, 5, 6}, issues  # every signal named at its own line
    joined = "\n".join(issues)
    for words in (
        "integrity a: above: must be greater than 0",
        "integrity b: above is a fraction below 1",
        'unknown field "giver"',
        "integrity c: a ring can only be flagged",
        'unknown event type "nope"',
        'integrity e: effect: expected one of flag, hold, zero, got "ban"',
        'unknown field "visiter"',
        "integrity f: giver does not apply to kind burst",
        'missing key "when" in integrity g',
    ):
        assert words in joined, joined
