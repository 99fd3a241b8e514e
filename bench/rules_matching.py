"""How fast compiled rules score events: prints figures, asserts nothing.

    python bench/rules_matching.py [--events 200000]

Two programs: the default rules.yaml, and a generated 50-rule program (10 event types, mixed
conditions in both the mapping and the expression form). Events are synthetic, spread over 2,000
employees, each employee with its own counters dict, fed in time order as the engine would.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rules import CompiledRules, load_rules, load_rules_text  # noqa: E402

__all__ = ["default_events", "fifty_rule_events", "fifty_rule_program", "main"]

Event = tuple[str, dict[str, Any], datetime, int]
EMPLOYEES = 2_000
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def default_events(count: int, rng: random.Random) -> list[Event]:
    """Events shaped like the default program's event types, most of them shares and clicks."""
    makers = [
        (
            "share",
            lambda: {
                "content_id": f"p{rng.randrange(300)}",
                "content_kind": rng.choice(["curated", "owned", "promotional"]),
                "personalized": rng.random() < 0.3,
                "network": "linkedin",
                "audience": rng.randrange(50, 5000),
            },
        ),
        (
            "click",
            lambda: {
                "content_id": f"p{rng.randrange(300)}",
                "visitor": f"v{rng.randrange(100000)}",
                "suspected_bot": rng.random() < 0.05,
            },
        ),
        (
            "reaction_received",
            lambda: {
                "content_id": f"p{rng.randrange(300)}",
                "reaction": rng.choice(["like", "comment", "reshare"]),
                "count": rng.randrange(1, 4),
            },
        ),
        (
            "reaction_given",
            lambda: {
                "content_id": f"p{rng.randrange(300)}",
                "reaction": rng.choice(["like", "comment"]),
                "owner": rng.choice(["company", "colleague", "other"]),
            },
        ),
        ("lead", lambda: {"lead_id": f"l{rng.randrange(5000)}", "qualified": rng.random() < 0.5}),
        (
            "referral",
            lambda: {
                "candidate_id": f"c{rng.randrange(5000)}",
                "job_id": "j1",
                "stage": rng.choice(["submitted", "interviewed", "hired"]),
            },
        ),
        (
            "shoutout_received",
            lambda: {"giver": f"e{rng.randrange(EMPLOYEES)}", "value": "teamwork"},
        ),
    ]
    weights = [30, 30, 20, 10, 3, 2, 5]
    events = []
    for i in range(count):
        event_type, make = rng.choices(makers, weights)[0]
        events.append(
            (event_type, make(), START + timedelta(seconds=i * 7), rng.randrange(EMPLOYEES))
        )
    return events


def fifty_rule_program() -> str:
    """A 50-rule program over 10 event types, mixing both condition forms."""
    lines = [
        'program: {id: bench, version: "1", effective: "2026-01-01", timezone: Europe/Amsterdam}',
        "event_types:",
    ]
    for t in range(10):
        lines += [
            f"  type{t}:",
            "    fields:",
            "      item: string",
            "      kind: {enum: [a, b, c, d]}",
            "      size: int",
            "      score: number",
            "      flag: {type: bool, default: false}",
            "      channel: string",
        ]
    lines += ["caps:", "  daily: {per: day, max: 500}", "rules:"]
    conditions = [
        "{kind: a}",
        "{size: {gte: 100}}",
        '"not flag and size < 50"',
        "{kind: {in: [b, c]}, flag: false}",
        "\"channel in ['x', 'linkedin'] or score > 2.5\"",
        "{any: [{kind: d}, {size: {lt: 10}}]}",
        "\"exists(channel) and kind != 'a'\"",
        "{not: {flag: true}}",
    ]
    for r in range(50):
        t = r % 10
        lines += [
            f"  - id: rule{r}",
            f"    event: type{t}",
            f"    when: {conditions[r % len(conditions)]}",
            f"    points: {1 + r % 7}",
        ]
        if r % 5 == 0:
            lines.append("    weight: {by: kind, values: {a: 1, b: 1.5, c: 0.5}}")
        if r % 10 == 3:
            lines.append("    cap: daily")
    return "\n".join(lines) + "\n"


def fifty_rule_events(count: int, rng: random.Random) -> list[Event]:
    events = []
    for i in range(count):
        attributes: dict[str, Any] = {
            "item": f"i{rng.randrange(1000)}",
            "kind": rng.choice("abcd"),
            "size": rng.randrange(200),
            "score": rng.random() * 5,
            "flag": rng.random() < 0.2,
        }
        if rng.random() < 0.5:
            attributes["channel"] = rng.choice(["x", "linkedin", "mail"])
        events.append(
            (
                f"type{rng.randrange(10)}",
                attributes,
                START + timedelta(seconds=i * 7),
                rng.randrange(EMPLOYEES),
            )
        )
    return events


def measure(compiled: CompiledRules, events: list[Event], rounds: int = 3) -> tuple[float, int]:
    """Best events/s of score() over a few rounds, and the points given (sanity check)."""
    best = 0.0
    points = 0
    score = compiled.score
    for _ in range(rounds):
        counters: list[dict[str, float]] = [{} for _ in range(EMPLOYEES)]
        points = 0
        started = time.perf_counter()
        for event_type, attributes, occurred_at, employee in events:
            for award in score(event_type, attributes, occurred_at, counters[employee]):
                points += award.points
        elapsed = time.perf_counter() - started
        best = max(best, len(events) / elapsed)
    return best, points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    rng = random.Random(7)

    default = load_rules(ROOT / "rules.yaml")
    rate, points = measure(default, default_events(args.events, rng))
    print(
        f"rule matching, default program: {rate:,.0f} events/s "
        f"({len(default.rule_ids)} rules, {points:,} points)"
    )

    fifty = load_rules_text(fifty_rule_program(), "bench-50-rules.yaml")
    rate, points = measure(fifty, fifty_rule_events(args.events, rng))
    print(
        f"rule matching, 50-rule program: {rate:,.0f} events/s "
        f"({len(fifty.rule_ids)} rules, {points:,} points)"
    )


if __name__ == "__main__":
    main()
