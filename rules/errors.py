"""Problems found in a rules file, each pinned to a file, line and column.

HR fixes rules.yaml in an editor; an issue that says exactly where (``rules.yaml:14:5: ...``) is
the difference between a ten-second fix and a support ticket. A file's problems are collected and
raised together so one validation run shows everything that is wrong.
"""

from __future__ import annotations

import msgspec

__all__ = ["RuleIssue", "RulesError"]


class RuleIssue(msgspec.Struct, frozen=True):
    """One problem at one place; ``line`` and ``col`` start at 1 (what editors show)."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class RulesError(Exception):
    """Every problem of one rules file, raised once after the whole file was checked."""

    def __init__(self, issues: list[RuleIssue]) -> None:
        # Sorted by position so the report reads top to bottom like the file.
        self.issues: list[RuleIssue] = sorted(issues, key=lambda i: (i.file, i.line, i.col))
        super().__init__(self._summary())

    def _summary(self) -> str:
        count = len(self.issues)
        head = f"{count} problem{'s' if count != 1 else ''} in rules"
        return head + ":\n" + "\n".join(str(issue) for issue in self.issues)

    def __str__(self) -> str:
        return "\n".join(str(issue) for issue in self.issues)
