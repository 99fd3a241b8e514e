"""Issue collection shared by the schema walker and the condition parser."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from rules._yaml import YNode
from rules.errors import RuleIssue

__all__ = ["Issues", "unknown_name"]


class Issues:
    """Collects issues for one file; the loader raises them all at once at the end."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[RuleIssue] = []

    def add(self, line: int, col: int, message: str) -> None:
        issue = RuleIssue(self.file, line, col, message)
        if issue not in self.items:  # campaigns check one `when` per event type: no repeats
            self.items.append(issue)

    def at(self, node: YNode, message: str) -> None:
        self.add(node.line, node.col, message)

    def __len__(self) -> int:
        return len(self.items)


def unknown_name(kind: str, name: str, options: Iterable[str], where: str = "") -> str:
    """'unknown key "pionts" in rule; expected one of: a, b; did you mean "points"?'."""
    choices = sorted(options)
    message = f'unknown {kind} "{name}"'
    if where:
        message += f" {where}"
    if choices:
        message += f"; expected one of: {', '.join(choices)}"
        close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
        if close:
            message += f'; did you mean "{close[0]}"?'
    else:
        message += "; none are defined"
    return message
