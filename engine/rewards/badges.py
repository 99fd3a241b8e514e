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

from badges.earning import Earned, Progress, badge_rules
from engine import clock
from engine.boards.standings import StandingDeltas
from engine.defaults import BOARD_POINTS
from engine.rewards.bonus import give_bonus
from engine.rewards.outbox import RewardCause, queue_rewards
from engine.storage.database import Database
from rules import CompiledRules
from rules.periods import period_kind, period_label

__all__ = [
    "BADGE_AWARD_COLUMNS",
    "AwardRecord",
    "EarnedBadge",
    "badge_award_row",
    "badge_progress",
    "badges_of",
    "earned_badges",
    "find_award",
    "give_rank_badges",
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


# -- rank badges: given when a period closes ----------------------------------------------------------------------------------------------
def give_rank_badges(
    db: Database, rules: CompiledRules, period_key: str, now: datetime | None = None
) -> StandingDeltas:
    """Rank badges (``criteria.kind: rank``) of a closed period: the top N of its points board, ranked with the
    program's tie policy among active employees, each gets the best tier their rank reaches.

    Idempotent: a badge already given for the period is not given (nor its bonus paid) again. Bonus points
    are dated ``now``, like award bonuses, so the closed period's board stays as it closed. Returns the
    standings changes for the boards.
    """
    now = now or clock.now()
    kind = period_kind(period_key)
    deltas = StandingDeltas()
    badges = [b for b in rules.badges if b.criteria.kind == "rank" and b.criteria.period == kind]
    if not badges:
        return deltas
    rows = db.query(
        'SELECT s.employee, s.score FROM "standing" s JOIN "employee" e ON e.id = s.employee '
        "WHERE s.board = ? AND s.period = ? AND e.active = ? AND s.score > 0 "
        "ORDER BY s.score DESC, s.reached_at, s.employee",
        (BOARD_POINTS, period_key, True),
    )
    ranked: list[tuple[int, int]] = []  # (employee, rank)
    for position, (employee, score) in enumerate(rows, 1):
        shared = rules.ties == "shared" and ranked and rows[position - 2][1] == score
        ranked.append((int(employee), ranked[-1][1] if shared else position))
    at = db.ts(now)
    label = period_label(period_key)
    with db.transaction():
        for badge in badges:
            given = {
                int(e)
                for (e,) in db.query(
                    'SELECT employee FROM "badge_award" WHERE badge = ? AND earned_in = ?',
                    (badge.id, period_key),
                )
            }
            new: list[tuple[Any, ...]] = []
            for employee, rank in ranked:
                # Tiers of a rank badge go up in N: the first whose top N holds the rank is the best reached.
                tier = next((t for t in badge.tiers if rank <= t.goal), None)
                if tier is None or employee in given:
                    continue
                new.append(
                    badge_award_row(
                        employee, badge.id, tier.name, period_key, None, at, rules.version
                    )
                )
                if tier.bonus:
                    earned = Earned(badge, tier, period_key)
                    reason = f"Badge earned: {earned.label}, {label}: +{tier.bonus}"
                    entry = ("badge", earned.rule_id)
                    give_bonus(db, rules, employee, tier.bonus, entry, reason, now, deltas)
            insert_badge_awards(db, new, rules)
        deltas.write(db)
    return deltas
