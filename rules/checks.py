"""The `tests:` section: HR's own examples, run on every validation.

Each test plays its events through score() with fresh counters (no history) and compares the
last event's points, paying rules and reasons with what HR expected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rules.results import CheckResult

if TYPE_CHECKING:
    from rules.compiling import CompiledRules
    from rules.model import TestSpec

__all__ = ["run_checks", "run_test"]


def run_test(compiled: CompiledRules, test: TestSpec) -> CheckResult:
    """One test: ok, or a message listing every expectation that did not hold."""
    counters: dict[str, float] = {}
    awards = []
    for event in test.events:
        awards = compiled.score(event.type, event.attributes, event.occurred_at, counters)
    points = sum(a.points for a in awards)
    paying = [a.rule_id for a in awards if a.points]
    reasons = [reason for a in awards for reason in a.reasons]
    problems = []
    if points != test.points:
        problems.append(f"expected {test.points} points, got {points}")
    if test.rules is not None and sorted(test.rules) != sorted(paying):
        problems.append(
            f"expected points from rules [{', '.join(test.rules)}], got [{', '.join(paying)}]"
        )
    for wanted in test.reasons:
        if not any(wanted in reason for reason in reasons):
            problems.append(f'no reason contains "{wanted}" (reasons: {"; ".join(reasons)})')
    message = "; ".join(problems) if problems else f"{points} points as expected"
    return CheckResult(test.name, not problems, f'test "{test.name}": {message}', test.line)


def run_checks(compiled: CompiledRules) -> list[CheckResult]:
    """Every test of the program, in file order."""
    return [run_test(compiled, test) for test in compiled.program.tests]
