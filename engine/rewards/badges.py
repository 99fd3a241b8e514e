"""An employee's badges: what they earned (``badge_award`` rows) and how far they are toward the next tier.

Earning happens in :mod:`engine.scoring.score`, in the scoring transaction; this module only reads. Progress comes
from the same counters the engine keeps, read for "now" (the current month's tally, the streak's run, …), so
it is exact and costs one indexed query.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from badges.earning import Progress, badge_rules
from engine import clock
from engine.rewards.outbox import RewardCause, queue_rewards
from engine.storage.database import Database
from rules import CompiledRules

__all__ = [
    "BADGE_AWARD_COLUMNS",
    "AwardRecord",
    "EarnedBadge",
    "badge_award_row",
    "badge_progress",
    "badges_of",
    "earned_badges",
    "find_award",
    "insert_badge_awards",
    "revoke_award",
]


BADGE_AWARD_COLUMNS = (
    "employee",
    "badge",
    "tier",
    "earned_in",
    "event",
    "occurred_at",
    "ruleset_version",
    "public_id",
    "salt",
)


def badge_award_row(
    employee: int,
    badge: str,
    tier: str,
    earned_in: str,
    event: int | None,
    occurred_at: Any,
    ruleset_version: str,
) -> tuple[Any, ...]:
    """A ``badge_award`` row (:data:`BADGE_AWARD_COLUMNS`), with a fresh public id and recipient salt."""
    return (
        employee,
        badge,
        tier,
        earned_in,
        event,
        occurred_at,
        ruleset_version,
        uuid.uuid4().hex,
        secrets.token_hex(16),
    )


def insert_badge_awards(
    db: Database, rows: Sequence[tuple[Any, ...]], rules: CompiledRules | None = None
) -> int:
    """Store earned badges, and the outbox messages of ``rules``' badge_awarded rewards with them.

    One earned before (a replay, a retried batch, a period closed again) keeps its row, and so its public
    id: shared Open Badges links stay valid; its message has the same idempotency key, so it is not sent
    again either."""
    added = db.insert_rows(
        "badge_award", BADGE_AWARD_COLUMNS, rows, ("employee", "badge", "tier", "earned_in")
    )
    if rules is not None and rules.rewards and rows:
        names = {b.id: b.name for b in rules.badges}
        queue_rewards(
            db,
            rules,
            "badge_awarded",
            [
                RewardCause(
                    employee,
                    {
                        "badge.id": badge,
                        "badge.name": names.get(badge, badge),
                        "badge.tier": tier,
                        "badge.window": window,
                    },
                    subject=badge,
                )
                for employee, badge, tier, window, *_ in rows
            ],
        )
    return added


@dataclass(frozen=True)
class EarnedBadge:
    badge: str
    tier: str
    #: A period key, a streak's first day, or ``ever``.
    earned_in: str
    earned_at: datetime
    #: The Open Badges assertion id (``/ob/assertions/{public_id}``).
    public_id: str
    revoked: bool


def earned_badges(db: Database, employee_id: int) -> list[EarnedBadge]:
    """Every badge tier the employee earned, newest first."""
    rows = db.query(
        'SELECT badge, tier, earned_in, occurred_at, public_id, revoked FROM "badge_award" '
        "WHERE employee = ? ORDER BY occurred_at DESC, id DESC",
        (employee_id,),
    )
    return [
        EarnedBadge(badge, tier, earned_in, db.read_ts(at), public_id, bool(revoked))
        for badge, tier, earned_in, at, public_id, revoked in rows
    ]


def badges_of(db: Database, employee_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """(badge, tier) each of these employees holds, newest first, one per badge: the chips on a board."""
    held: dict[int, list[tuple[str, str]]] = {}
    seen: set[tuple[int, str]] = set()
    for employee, badge, tier in db.query_in(
        'SELECT employee, badge, tier FROM "badge_award" WHERE NOT revoked AND employee IN ({in}) '
        "ORDER BY occurred_at DESC, id DESC",
        employee_ids,
    ):
        if (employee, badge) not in seen:
            seen.add((employee, badge))
            held.setdefault(employee, []).append((badge, tier))
    return held


def badge_progress(
    db: Database, rules: CompiledRules, employee_id: int, now: datetime | None = None
) -> list[Progress]:
    """Each event-earned badge's progress toward its next tier, as of ``now``."""
    if not rules.badges:
        return []
    book = badge_rules(rules)
    now = now or clock.now()
    suffix = f"|{employee_id}"
    keys = [key + suffix for key in dict.fromkeys(book.progress_keys(now))]
    state = {
        key.removesuffix(suffix): value
        for key, value in db.query_in('SELECT key, value FROM "counter" WHERE key IN ({in})', keys)
    }
    return book.progress(state, now)


@dataclass(frozen=True)
class AwardRecord:
    """One badge award as Open Badges publishes it: with the recipient's email and the hashing salt."""

    public_id: str
    badge: str
    tier: str
    earned_at: datetime
    email: str | None
    salt: str
    revoked: bool
    revocation_reason: str | None


def find_award(db: Database, public_id: str) -> AwardRecord | None:
    rows = db.query(
        "SELECT b.public_id, b.badge, b.tier, b.occurred_at, e.email, b.salt, b.revoked, b.revocation_reason "
        'FROM "badge_award" b JOIN "employee" e ON e.id = b.employee WHERE b.public_id = ?',
        (public_id,),
    )
    if not rows:
        return None
    pid, badge, tier, at, email, salt, revoked, reason = rows[0]
    return AwardRecord(pid, badge, tier, db.read_ts(at), email, salt, bool(revoked), reason)


def revoke_award(db: Database, public_id: str, reason: str) -> bool:
    """Revoke an award (its Open Badges assertion then answers 410); False when there is none."""
    with db.transaction():
        changed = db.execute(
            'UPDATE "badge_award" SET revoked = ?, revocation_reason = ? WHERE public_id = ?',
            (True, reason, public_id),
        )
        return bool(changed.rowcount)
