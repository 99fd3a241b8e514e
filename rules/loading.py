"""load_rules / load_rules_text: text in, CompiledRules out, or every problem at once.

Loading is validation: YAML traps, schema, cross references, and finally HR's own `tests:`
examples; `plaudit rules validate` is just a call to load_rules.
"""

from __future__ import annotations

from pathlib import Path

from rules._report import Issues
from rules._yaml import compose
from rules.checks import run_test
from rules.compiling import CompiledRules, compile_rules
from rules.errors import RuleIssue, RulesError
from rules.sections import build_program

__all__ = ["failing_tests", "load_rules", "load_rules_text"]


def load_rules_text(
    text: str, filename: str = "rules.yaml", run_tests: bool = True
) -> CompiledRules:
    """Validate and compile rules from text; raises RulesError carrying every issue."""
    issues = Issues(filename)
    root, yaml_issues = compose(text)
    for line, col, message in yaml_issues:
        issues.add(line, col, message)
    if root is None:
        if not yaml_issues:
            issues.add(
                1,
                1,
                "the rules file is empty; expected a mapping with the sections "
                "program, event_types and rules",
            )
        raise RulesError(issues.items)
    program = build_program(root, issues)
    if program is None:
        if not len(issues):  # pragma: no cover - the walker reports whenever it gives up
            issues.add(1, 1, "the rules file is not valid")
        raise RulesError(issues.items)
    compiled = compile_rules(program, text)
    if run_tests:
        failing = failing_tests(compiled, filename)
        if failing:
            raise RulesError(failing)
    return compiled


def failing_tests(compiled: CompiledRules, filename: str = "rules.yaml") -> list[RuleIssue]:
    """The program's own ``tests:`` that do not hold, each at its line (none: all pass)."""
    issues = Issues(filename)
    for test in compiled.program.tests:
        result = run_test(compiled, test)
        if not result.ok:
            issues.add(test.line, test.col, result.message)
    return issues.items


def load_rules(path: str | Path, run_tests: bool = True) -> CompiledRules:
    """Load a rules file; issues name the file as given (``rules.yaml:14:5: ...``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        issue = RuleIssue(str(path), 1, 1, f"not UTF-8 text: {exc.reason}")
        raise RulesError([issue]) from exc
    return load_rules_text(text, str(path), run_tests=run_tests)
