"""The audit log: who changed the program or the data, when, and what exactly changed.

Why a table of its own (``audit_entry``) rather than log lines: HR must be able to answer "who published the
rules that gave these points, and what did they change?" months later, from the database that holds the points.
An entry is written in the transaction of the change it describes, so a change that rolls back leaves no entry,
and an entry never describes something that did not happen.

Rules publishing stores the unified diff against the previously current ruleset (``rules_diff``), so the history
shows each version's change without keeping or re-deriving anything else.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import UTC, datetime

from engine import clock
from engine.storage.database import Database

__all__ = [
    "AWARD_APPROVED",
    "AWARD_CLOSED",
    "EMPLOYEE_EDITED",
    "RULES_PUBLISHED",
    "AuditLine",
    "diff_counts",
    "recent",
    "record",
    "rules_diff",
]

#: The action of a ruleset published (subject: its version; detail: the diff against the previous one).
RULES_PUBLISHED = "rules.published"
#: An award closed for a period (subject: "award period"), by the cron or by HR ahead of time.
AWARD_CLOSED = "award.closed"
#: HR approved a shortlisted candidate (subject: "award period").
AWARD_APPROVED = "award.approved"
#: HR created or changed an employee in Piccolo Admin (subject: the external id; detail: the values sent).
EMPLOYEE_EDITED = "employee.edited"


@dataclass(frozen=True, slots=True)
class AuditLine:
    """One audit entry as pages and the CLI show it."""

    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    summary: str
    detail: str


def record(
    db: Database,
    actor: str,
    action: str,
    subject: str = "",
    summary: str = "",
    detail: str = "",
    *,
    at: datetime | None = None,
) -> int:
    """Write one entry; returns its id. Joins the caller's transaction when there is one, so the entry
    commits or rolls back with the change it describes.

    ``actor`` must name someone (an HR user, ``cli:<os user>``, a process): an anonymous change is what an
    audit log exists to prevent, so a blank one is a ValueError.
    """
    if not actor or not actor.strip():
        raise ValueError("an audit entry needs an actor (who made the change)")
    if not action:
        raise ValueError("an audit entry needs an action")
    moment = db.ts((at or clock.now()).astimezone(UTC))
    with db.transaction():
        rows = db.query(
            'INSERT INTO "audit_entry" (at, actor, action, subject, summary, detail) '
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [moment, actor.strip(), action, subject, summary, detail],
        )
    return int(rows[0][0])


def recent(
    db: Database, limit: int = 50, action: str | None = None, subject: str | None = None
) -> list[AuditLine]:
    """The newest entries first, of one ``action`` (and ``subject``) when given."""
    where: list[str] = []
    params: list[object] = []
    if action is not None:
        where.append("action = ?")
        params.append(action)
    if subject is not None:
        where.append("subject = ?")
        params.append(subject)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    rows = db.query(
        'SELECT id, at, actor, action, subject, summary, detail FROM "audit_entry"'
        f"{clause} ORDER BY at DESC, id DESC LIMIT ?",
        [*params, limit],
    )
    return [
        AuditLine(int(i), db.read_ts(at), actor, act, subj or "", summ or "", det or "")
        for i, at, actor, act, subj, summ, det in rows
    ]


def _lines(text: str) -> list[str]:
    """Lines with their ends; a last line without one gets one, so the diff does not glue two lines."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    return lines


def rules_diff(old_text: str, new_text: str, old_label: str, new_label: str) -> str:
    """A unified diff (difflib, 3 lines of context) from ``old_text`` to ``new_text``; "" when equal."""
    return "".join(
        difflib.unified_diff(
            _lines(old_text), _lines(new_text), fromfile=old_label, tofile=new_label
        )
    )


def diff_counts(diff: str) -> tuple[int, int]:
    """Lines added and removed by a unified diff of one file (the ``---``/``+++`` header is not counted,
    though a removed line that itself starts with ``--`` is)."""
    added = removed = 0
    in_hunks = False
    for line in diff.splitlines():
        if line.startswith("@@"):
            in_hunks = True
        elif in_hunks and line.startswith("+"):
            added += 1
        elif in_hunks and line.startswith("-"):
            removed += 1
    return added, removed
