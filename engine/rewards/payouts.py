"""Monthly payouts: a month's points paid out through a connector.

Badges, awards and milestones queue their messages where they are given (``engine.rewards.badges``,
``engine.rewards.awards``, ``engine.rewards.milestones``); this module holds the trigger that closes a month:

* ``monthly_payout``: when a month closes, each employee's points of that month at the reward's rate (10 points =
  1 EUR), within a budget per department. A department over its budget is paid pro rata: everyone gets the
  same share of what they earned, rounded down to the cent, so the budget is never exceeded. Closed once per
  (reward, month) (``payout_closing``): the amounts never change after, whatever late events do.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from engine import clock
from engine.defaults import BOARD_POINTS
from engine.errors import PlauditError
from engine.rewards.outbox import RewardCause, employee_values, queue_rewards, render
from engine.storage.database import Database
from rules import CompiledRules, RewardSpec
from rules.periods import period_end, period_kind, period_start, previous_period

__all__ = [
    "PAYOUT_GRACE_HOURS",
    "PayoutError",
    "PayoutLine",
    "PayoutResult",
    "close_due_payouts",
    "close_payout",
    "payout_due",
    "payout_lines",
]

#: A month's payout waits this long after the month ended, for late events (as an award's default grace).
PAYOUT_GRACE_HOURS = 48
_CENT = Decimal("0.01")


class PayoutError(PlauditError):
    """A payout that cannot be closed (yet), naming the field: ``period`` or ``reward``."""


@dataclass(frozen=True)
class PayoutLine:
    employee: int
    external_id: str
    department: str
    points: int
    #: What the points are worth at the rate, and what is paid after the department's budget.
    earned: Decimal
    amount: Decimal


@dataclass(frozen=True)
class PayoutResult:
    reward: str
    period: str
    currency: str
    lines: tuple[PayoutLine, ...]
    #: False: it was closed before; the lines are not recomputed and nothing is queued again.
    created: bool

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))


def payout_lines(db: Database, reward: RewardSpec, period_key: str) -> list[PayoutLine]:
    """Each employee's points of the month at the reward's rate, within their department's budget."""
    assert reward.rate is not None
    rows = db.query(
        'SELECT s.employee, e.external_id, e.department, s.score FROM "standing" s '
        'JOIN "employee" e ON e.id = s.employee WHERE s.board = ? AND s.period = ? AND s.score > 0 '
        "ORDER BY e.external_id",
        (BOARD_POINTS, period_key),
    )
    rate = reward.rate
    earned = {
        int(eid): (Decimal(score) * rate.amount / rate.points).quantize(_CENT, ROUND_DOWN)
        for eid, _, _, score in rows
    }
    by_department: defaultdict[str, Decimal] = defaultdict(Decimal)
    for eid, _, department, _ in rows:
        by_department[department] += earned[int(eid)]
    share: dict[str, Decimal] = {}
    for department, total in by_department.items():
        budget = reward.budget.get(department, reward.budget.get("default"))
        share[department] = (
            min(Decimal(1), budget / total) if budget is not None and total else Decimal(1)
        )
    lines = []
    for eid, ext, department, score in rows:
        amount = (earned[int(eid)] * share[department]).quantize(_CENT, ROUND_DOWN)
        lines.append(PayoutLine(int(eid), ext, department, int(score), earned[int(eid)], amount))
    return lines


def payout_due(rules: CompiledRules, month_key: str) -> datetime:
    """When a month's payout may close: the month's end plus the grace hours for late events."""
    end = period_end(month_key, rules.timezone, rules.week_start)
    assert end is not None  # a month always ends
    return end + timedelta(hours=PAYOUT_GRACE_HOURS)


def close_payout(
    db: Database,
    rules: CompiledRules,
    reward: RewardSpec,
    period_key: str,
    now: datetime | None = None,
    actor: str = "plaudit",
    *,
    force: bool = False,
) -> PayoutResult:
    """Close ``reward`` for the month ``period_key``, once: the amounts, and their messages in the outbox
    (one payroll file for a csv_payroll connector, else one message per person), in one transaction."""
    if reward.trigger != "monthly_payout":
        raise PayoutError(
            "reward", f"{reward.id} is a {reward.trigger} reward, not a monthly_payout"
        )
    try:
        kind = period_kind(period_key)
    except ValueError:
        kind = ""
    if kind != "month":
        raise PayoutError("period", f"expected a month such as 2026-11, got {period_key!r}")
    now = (now or clock.now()).astimezone(UTC)
    due = payout_due(rules, period_key)
    if due > now and not force:
        raise PayoutError(
            "period",
            f"{period_key} is paid out from {due.isoformat()} (its end plus {PAYOUT_GRACE_HOURS} h "
            "for late events); use --force to close it now",
        )
    connector = rules.connectors[reward.connector]
    with db.transaction():
        inserted = db.execute(
            'INSERT INTO "payout_closing" (reward, period, currency, total_cents, employees, actor, '
            "closed_at) VALUES (?, ?, ?, 0, 0, ?, ?) ON CONFLICT (reward, period) DO NOTHING",
            (reward.id, period_key, reward.currency, actor, db.ts(now)),
        )
        if not inserted.rowcount:
            return PayoutResult(reward.id, period_key, reward.currency, (), False)
        lines = [line for line in payout_lines(db, reward, period_key) if line.amount > 0]
        total = sum((line.amount for line in lines), Decimal(0))
        db.execute(
            'UPDATE "payout_closing" SET total_cents = ?, employees = ? WHERE reward = ? AND period = ?',
            (int(total * 100), len(lines), reward.id, period_key),
        )
        base = {"period": period_key, "currency": reward.currency}
        if connector.kind == "csv_payroll":
            # The reason reads the same values as any other connector's message would.
            people = employee_values(db, [line.employee for line in lines])
            common = {**base, "reward.id": reward.id, "program.name": rules.name}
            rows = tuple(
                {
                    "employee_id": line.external_id,
                    "amount": f"{line.amount:.2f}",
                    "currency": reward.currency,
                    "reason": render(
                        reward.reason,
                        {
                            **people.get(line.employee, {}),
                            **common,
                            "points": line.points,
                            "amount": f"{line.amount:.2f}",
                        },
                    ),
                    "reference": f"{reward.id}:{period_key}:{line.employee}",
                }
                for line in lines
            )
            causes = [RewardCause(None, base, lines=rows)] if rows else []
        else:
            causes = [
                RewardCause(line.employee, {**base, "points": line.points}, amount=line.amount)
                for line in lines
            ]
        queue_rewards(db, rules, "monthly_payout", causes, now)
    return PayoutResult(reward.id, period_key, reward.currency, tuple(lines), True)


def close_due_payouts(
    db: Database,
    rules: CompiledRules | None,
    now: datetime | None = None,
    actor: str = "plaudit cron",
) -> list[PayoutResult]:
    """Close each monthly payout of the last two months that is due and not closed yet (as awards are)."""
    if rules is None:
        return []
    now = (now or clock.now()).astimezone(UTC)
    last = previous_period(rules.periods(now).month, rules.timezone, rules.week_start)
    keys = [previous_period(last, rules.timezone, rules.week_start), last]
    done = []
    for reward in rules.rewards:
        if reward.trigger != "monthly_payout":
            continue
        for key in keys:
            if period_start(key, rules.timezone, rules.week_start) < rules.effective:
                continue
            if payout_due(rules, key) > now:
                continue
            result = close_payout(db, rules, reward, key, now, actor)
            if result.created:
                done.append(result)
    return done
