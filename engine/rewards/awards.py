"""Awards (employee of the month): closing a period, picking winners, rewarding them, freezing the result.

Why a closing row per (award, period): the result must never move once decided. ``award_closing`` is unique per
(award, period) and written first, in the same transaction as the results, the archived board and the rewards;
closing again (the CLI twice, the scheduler after the CLI, two schedulers) finds it and returns what was
decided, whatever late events did to the standings since. It is written even when nobody was eligible, so the
scheduler does not try again every run.

Rewards (bonus points, the badge, the company's shoutout in the feed) are dated at the close moment ``now``,
not in the closed period: a bonus inside the period would change the standings that were just archived and
the board people saw when the winner was announced.

Fair play (the review queue, ``engine.scoring.review``): an employee with an open ``hold`` in the period is not
eligible (their points wait for HR, so the standings do not say what they earned), and the shortlist shows
each candidate's open ``flag`` cases, so HR sees them before approving. This module reads the ``review_item``
table itself: ``engine.scoring`` sits above ``engine.rewards`` in the layers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from badges.card import AwardCard
from engine import clock
from engine.boards.standings import StandingDeltas
from engine.defaults import BOARD_POINTS
from engine.errors import PlauditError
from engine.rewards.badges import badge_award_row, insert_badge_awards
from engine.rewards.bonus import give_bonus
from engine.rewards.outbox import RewardCause, queue_rewards
from engine.storage.audit import AWARD_APPROVED, AWARD_CLOSED, record
from engine.storage.database import Database
from rules import AwardSpec, CompiledRules
from rules.periods import period_end, period_kind, period_label, period_start, previous_period

__all__ = [
    "SHORTLIST_PER_WINNER",
    "AwardError",
    "AwardOutcome",
    "AwardResultRow",
    "BoardArchiveRow",
    "Candidate",
    "approve_award",
    "archived_board",
    "award_card",
    "award_results",
    "close_award",
    "close_due_awards",
    "closing_due",
    "find_award_spec",
    "open_holds",
    "period_months",
    "place_candidates",
]

#: With approval, close shortlists this many candidates per winner (per scope and team) for HR to choose from.
SHORTLIST_PER_WINNER = 3
#: The shoutout ``value`` of a recognition from the company.
AWARD_VALUE = "award"


class AwardError(PlauditError):
    """An award that cannot be closed or approved; ``kind``: ``invalid``, ``early``, ``not_found`` or
    ``decided``."""


class AwardResultRow(msgspec.Struct, frozen=True):
    """One placed employee of a closed award (the API answers with it, plus the card's address)."""

    id: int
    award: str
    period: str
    scope: str
    team: str
    employee: str
    name: str
    rank: int
    metric: int
    shoutouts_received: int
    active_days: int
    scored_events: int
    reached_at: datetime | None
    status: str
    #: Integrity flags of this employee still open in the review queue for the period (any month of a
    #: quarter), counted when the result is read: HR looks at them before approving.
    open_flags: int = 0


@dataclass(frozen=True)
class BoardArchiveRow:
    rank: int
    employee: str
    name: str
    team: str
    score: int


@dataclass
class AwardOutcome:
    award: str
    period: str
    closed_at: datetime
    #: False when the award was closed before: the stored result, unchanged.
    created: bool
    results: list[AwardResultRow]
    #: Standings changes of the rewards (bonus points), once committed: the boards apply them.
    deltas: dict = field(default_factory=dict, repr=False)

    @property
    def winners(self) -> list[AwardResultRow]:
        return [r for r in self.results if r.status == "winner"]


@dataclass
class Candidate:
    """Someone an award could go to, with what its ranking and thresholds look at."""

    id: int
    external_id: str
    team: str
    metric: int
    reached_at: datetime | None
    events: int = 0
    active_days: int = 0
    shoutouts: int = 0


# -- helpers --------------------------------------------------------------------------------------------------
def find_award_spec(rules: CompiledRules, award_id: str) -> AwardSpec:
    for award in rules.awards:
        if award.id == award_id:
            return award
    known = ", ".join(a.id for a in rules.awards) or "none in this program"
    raise AwardError("award", f"unknown award {award_id!r}; known: {known}")


def closing_due(rules: CompiledRules, award: AwardSpec, period_key: str) -> datetime:
    """When the award of ``period_key`` may close: the period's end plus the award's grace hours.

    Raises AwardError (field ``period``) for a key that is not of the award's period kind.
    """
    try:
        kind = period_kind(period_key)
    except ValueError:
        raise AwardError(
            "period", f"{period_key!r} is not a period key (e.g. 2026-11 or 2026-Q4)"
        ) from None
    if kind != award.period:
        raise AwardError(
            "period",
            f"award {award.id} is given per {award.period}; {period_key!r} is a {kind} key",
        )
    try:
        end = period_end(period_key, rules.timezone, rules.week_start)
    except ValueError:  # the shape of a key, not a real one: 2026-13
        raise AwardError("period", f"{period_key!r} is not a period key") from None
    assert end is not None
    return end + timedelta(hours=award.grace_hours)


def _closing_id(db: Database, award_id: str, period_key: str) -> int | None:
    rows = db.query(
        'SELECT id FROM "award_closing" WHERE award = ? AND period = ?', (award_id, period_key)
    )
    return int(rows[0][0]) if rows else None


def award_results(
    db: Database, closing_id: int | None = None, limit: int = 100
) -> list[AwardResultRow]:
    """Results of one closing (by scope, team, rank), or of all closings newest first."""
    where, params = ["1 = 1"], []
    if closing_id is not None:
        where.append("r.closing = ?")
        params.append(closing_id)
    rows = db.query(
        "SELECT r.id, r.award, r.period, r.scope, r.team, e.external_id, e.name, r.rank, r.metric, "
        "r.shoutouts_received, r.active_days, r.scored_events, r.reached_at, r.status, r.employee "
        'FROM "award_result" r JOIN "employee" e ON e.id = r.employee '
        'JOIN "award_closing" c ON c.id = r.closing '
        f"WHERE {' AND '.join(where)} "
        "ORDER BY c.closed_at DESC, c.id DESC, r.scope, r.team, r.rank LIMIT ?",
        [*params, limit],
    )
    flags = _open_flags(db, {int(row[-1]) for row in rows})
    return [_result_row(db, row, flags) for row in rows]


def _result_row(
    db: Database, row: Sequence[Any], flags: dict[tuple[int, str], int]
) -> AwardResultRow:
    *values, employee = row
    values[12] = db.read_ts(values[12]) if values[12] is not None else None  # reached_at
    values.append(sum(flags.get((int(employee), month), 0) for month in period_months(values[2])))
    return AwardResultRow(*values)  # the columns in field order, open_flags last


# -- the review queue: holds and flags ------------------------------------------------------------------------
def period_months(period_key: str) -> list[str]:
    """The month keys of an award's period: a month itself, a quarter its three (review cases are kept per
    month)."""
    if period_kind(period_key) != "quarter":
        return [period_key]
    year, _, quarter = period_key.partition("-Q")
    first = 3 * int(quarter) - 2
    return [f"{year}-{month:02d}" for month in range(first, first + 3)]


def open_holds(db: Database, period_key: str) -> set[int]:
    """Employees with a ``hold`` HR has not decided in the period: in the month of a monthly award, in any of
    the three months of a quarterly one. Not eligible for the award (the review queue, engine.scoring.review,
    writes the cases; this layer reads them)."""
    return {
        int(r[0])
        for r in db.query_in(
            'SELECT DISTINCT employee FROM "review_item" '
            "WHERE kind = 'hold' AND status = 'open' AND employee IS NOT NULL AND period IN ({in})",
            period_months(period_key),
        )
    }


def _open_flags(db: Database, employees: Iterable[int]) -> dict[tuple[int, str], int]:
    """(employee, month) -> their ``flag`` cases still open in the review queue."""
    ids = sorted(set(employees))
    if not ids:
        return {}
    return {
        (int(emp), period): int(count)
        for emp, period, count in db.query_in(
            'SELECT employee, period, COUNT(*) FROM "review_item" '
            "WHERE kind = 'flag' AND status = 'open' AND employee IN ({in}) GROUP BY employee, period",
            ids,
        )
    }


def _outcome(db: Database, closing_id: int, created: bool, deltas: dict) -> AwardOutcome:
    award, period, closed_at = db.query(
        'SELECT award, period, closed_at FROM "award_closing" WHERE id = ?', (closing_id,)
    )[0]
    return AwardOutcome(
        award,
        period,
        db.read_ts(closed_at),
        created,
        award_results(db, closing_id, limit=100_000),
        deltas,
    )


# -- the metric and the facts of eligibility ------------------------------------------------------------------
def _candidates(
    db: Database, rules: CompiledRules, award: AwardSpec, period_key: str
) -> dict[int, Candidate]:
    start = period_start(period_key, rules.timezone, rules.week_start)
    end = period_end(period_key, rules.timezone, rules.week_start)
    assert end is not None
    lo, hi = db.ts(start), db.ts(end)
    if award.metric == "points":
        scores = db.query(
            'SELECT employee, score, reached_at FROM "standing" WHERE board = ? AND period = ?',
            (BOARD_POINTS, period_key),
        )
    else:
        scores = db.query_in(
            'SELECT employee, SUM(points), MAX(occurred_at) FROM "ledger_entry" '
            "WHERE occurred_at >= ? AND occurred_at < ? AND rule_id IN ({in}) GROUP BY employee",
            list(award.rules),
            [lo, hi],
        )
    people = {
        int(eid): (ext, team, bool(active))
        for eid, ext, team, active in db.query_in(
            'SELECT id, external_id, team, active FROM "employee" WHERE id IN ({in})',
            sorted({int(r[0]) for r in scores}),
        )
    }
    out: dict[int, Candidate] = {}
    for eid, score, reached in scores:
        person = people.get(int(eid))
        if person is None or not person[2] or int(score or 0) <= 0:
            continue  # inactive employees are not eligible; nobody wins with nothing
        out[int(eid)] = Candidate(
            int(eid),
            person[0],
            person[1],
            int(score),
            db.read_ts(reached) if reached is not None else None,
        )
    if not out:
        return out
    # Scored events and their local days, in Python: the day is local to the program's time zone, which
    # SQLite cannot convert to.
    events: dict[int, set[Any]] = {}
    days: dict[int, set[Any]] = {}
    tz = rules.timezone
    for eid, event, occurred in db.query(
        'SELECT employee, event, occurred_at FROM "ledger_entry" '
        "WHERE kind = 'rule' AND event IS NOT NULL AND occurred_at >= ? AND occurred_at < ?",
        (lo, hi),
    ):
        if int(eid) in out:
            events.setdefault(int(eid), set()).add(event)
            days.setdefault(int(eid), set()).add(db.read_ts(occurred).astimezone(tz).date())
    for eid, count in db.query(
        'SELECT r.employee, COUNT(*) FROM "shoutout_recipient" r JOIN "shoutout" s ON s.id = r.shoutout '
        "WHERE s.giver IS NOT NULL AND s.created_at >= ? AND s.created_at < ? GROUP BY r.employee",
        (lo, hi),
    ):
        if int(eid) in out:
            out[int(eid)].shoutouts = int(count)
    for eid, c in out.items():
        c.events = len(events.get(eid, ()))
        c.active_days = len(days.get(eid, ()))
    return out


def _cooling_down(
    db: Database, rules: CompiledRules, award: AwardSpec, period_key: str
) -> set[int]:
    """Winners of this award in the last ``cooldown_months`` periods before ``period_key``."""
    keys, key = [], period_key
    for _ in range(award.cooldown_months):
        key = previous_period(key, rules.timezone, rules.week_start)
        keys.append(key)
    if not keys:
        return set()
    return {
        int(r[0])
        for r in db.query_in(
            "SELECT employee FROM \"award_result\" WHERE award = ? AND status = 'winner' "
            "AND period IN ({in})",
            keys,
            [award.id],
        )
    }


def place_candidates(
    award: AwardSpec, candidates: Iterable[Candidate]
) -> dict[tuple[str, str], list[Candidate]]:
    """(scope, team) -> the award's places there, best first: the candidates with enough events and active
    days, in the award's order, ``winners`` of them (times SHORTLIST_PER_WINNER when HR approves). The caller
    leaves out who may not win (inactive, cooling down, an open hold). Closing and simulating both place with
    this."""
    eligible = sorted(
        (
            c
            for c in candidates
            if c.events >= award.min_events and c.active_days >= award.min_active_days
        ),
        key=_order_key(award),
    )
    places = award.winners * (SHORTLIST_PER_WINNER if award.approval else 1)
    out: dict[tuple[str, str], list[Candidate]] = {}
    for scope in award.scopes:
        groups: dict[str, list[Candidate]] = {}
        for c in eligible:
            if scope == "company":
                groups.setdefault("", []).append(c)
            elif c.team:
                groups.setdefault(c.team, []).append(c)
        for team, members in sorted(groups.items()):
            out[scope, team] = members[:places]
    return out


def _order_key(award: AwardSpec) -> Callable[[Candidate], tuple[Any, ...]]:
    """The ranking: the metric, then the award's tie-breakers in order, then the employee's external id.

    shoutouts_received: more wins; active_days: more wins; earliest: who reached the final score first
    (``reached_at``) wins. The external id last only makes the order total and repeatable (two closes of the
    same data give the same winner); it says nothing about merit.
    """
    far = datetime.max.replace(tzinfo=UTC)

    def key(c: Candidate) -> tuple[Any, ...]:
        parts: list[Any] = [-c.metric]
        for breaker in award.tie_breakers:
            if breaker == "shoutouts_received":
                parts.append(-c.shoutouts)
            elif breaker == "active_days":
                parts.append(-c.active_days)
            elif breaker == "earliest":
                parts.append(c.reached_at or far)
        parts.append(c.external_id)
        return tuple(parts)

    return key


# -- closing --------------------------------------------------------------------------------------------------
def close_award(
    db: Database,
    rules: CompiledRules,
    award: AwardSpec,
    period_key: str,
    now: datetime | None = None,
    actor: str = "plaudit",
    *,
    force: bool = False,
) -> AwardOutcome:
    """Close ``award`` for ``period_key``, once: winners (or a shortlist), the archived board and the rewards.

    Eligible: active, with points, the award's ``min_events`` and ``min_active_days``, not cooling down, and
    no open ``hold`` in the review queue for the period (a quarterly award: in any of its three months) at
    the close; who is left out for a hold is named in the audit entry's detail. Open ``flag`` cases do not
    exclude anyone: the shortlist shows them (``AwardResultRow.open_flags``).

    Idempotent and frozen: a closed award returns its stored result unchanged. Refuses (AwardError, field
    ``period``) a key of another period kind, and a period that has not ended plus ``grace_hours`` yet
    unless ``force``.
    """
    now = (now or clock.now()).astimezone(UTC)
    due = closing_due(rules, award, period_key)
    if due > now and not force and _closing_id(db, award.id, period_key) is None:
        raise AwardError(
            "period",
            f"{period_key} closes for {award.id} at {due.isoformat()} (its end plus "
            f"{award.grace_hours} h grace for late events); use --force to close it now",
            "early",
        )
    with db.transaction():
        existing = _closing_id(db, award.id, period_key)
        if existing is not None:
            return _outcome(db, existing, False, {})
        inserted = db.execute(
            'INSERT INTO "award_closing" (award, period, award_name, company, ruleset_version, actor, '
            "closed_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (award, period) DO NOTHING",
            (award.id, period_key, award.name, rules.name, rules.version, actor, db.ts(now)),
        )
        closing_id = _closing_id(db, award.id, period_key)
        assert closing_id is not None
        if not inserted.rowcount:  # closed at the same moment by someone else
            return _outcome(db, closing_id, False, {})
        _archive_board(db, rules, closing_id, period_key)
        candidates = _candidates(db, rules, award, period_key)
        cooling = _cooling_down(db, rules, award, period_key)
        held = open_holds(db, period_key) & candidates.keys()
        status = "shortlisted" if award.approval else "winner"
        rows: list[tuple[Any, ...]] = []
        placed = place_candidates(
            award, (c for c in candidates.values() if c.id not in cooling and c.id not in held)
        )
        for (scope, team), members in placed.items():
            for rank, c in enumerate(members, start=1):
                rows.append(
                    (
                        closing_id,
                        award.id,
                        period_key,
                        scope,
                        team,
                        c.id,
                        rank,
                        c.metric,
                        c.shoutouts,
                        c.active_days,
                        c.events,
                        db.ts(c.reached_at) if c.reached_at else None,
                        status,
                    )
                )
        db.insert_rows(
            "award_result",
            (
                "closing",
                "award",
                "period",
                "scope",
                "team",
                "employee",
                "rank",
                "metric",
                "shoutouts_received",
                "active_days",
                "scored_events",
                "reached_at",
                "status",
            ),
            rows,
        )
        deltas = StandingDeltas()
        if not award.approval:
            for employee in dict.fromkeys(r[5] for r in rows):
                _reward(db, rules, award, closing_id, employee, now, actor, deltas)
        deltas.write(db)
        record(
            db,
            actor,
            AWARD_CLOSED,
            f"{award.id} {period_key}",
            f"closed {award.name} for {period_key}: {len(rows)} {status}",
            (
                "not eligible, an open hold in the review queue: "
                + ", ".join(sorted(candidates[e].external_id for e in held))
                if held
                else ""
            ),
            at=now,
        )
        return _outcome(db, closing_id, True, deltas.deltas)


def _archive_board(db: Database, rules: CompiledRules, closing_id: int, period_key: str) -> None:
    """The period's points board as the company sees it (active, public employees), ranked by the program's
    tie policy: ``shared`` gives equal scores equal ranks (1, 2, 2, 4), ``earliest`` unique ranks."""
    rows = db.query(
        'SELECT s.employee, s.score, s.reached_at, e.team, e.external_id FROM "standing" s '
        'JOIN "employee" e ON e.id = s.employee WHERE s.board = ? AND s.period = ? '
        "AND e.active = ? AND e.visibility = 'public'",
        (BOARD_POINTS, period_key, True),
    )
    ordered = sorted(rows, key=lambda r: (-int(r[1]), db.read_ts(r[2]), r[4]))
    archived: list[tuple[Any, ...]] = []
    rank = 0
    for i, (eid, score, reached, team, _) in enumerate(ordered, start=1):
        if rules.ties != "shared" or i == 1 or int(ordered[i - 2][1]) != int(score):
            rank = i
        archived.append((closing_id, rank, eid, team, int(score), reached))
    db.insert_rows(
        "board_archive", ("closing", "rank", "employee", "team", "score", "reached_at"), archived
    )


def _reward(
    db: Database,
    rules: CompiledRules,
    award: AwardSpec,
    closing_id: int,
    employee: int,
    now: datetime,
    actor: str,
    deltas: StandingDeltas,
) -> None:
    """Bonus points, the badge and the company's shoutout for one winner, once per (award, period) and person
    (a winner of the company and of their team gets one reward, and one shoutout naming both)."""
    period_key, company = db.query(
        'SELECT period, company FROM "award_closing" WHERE id = ?', (closing_id,)
    )[0]
    label = period_label(period_key)
    at = db.ts(now)
    if award.bonus:
        give_bonus(
            db,
            rules,
            employee,
            award.bonus,
            ("award", f"award:{award.id}"),
            f"{award.name}, {label}: +{award.bonus}",
            now,
            deltas,
            actor=actor,
            why=f"{award.name}, {label}",
        )
    if award.badge:
        badge = next((b for b in rules.badges if b.id == award.badge), None)
        tier = badge.tiers[0].name if badge is not None and badge.tiers else ""
        insert_badge_awards(
            db,
            [badge_award_row(employee, award.badge, tier, period_key, None, at, rules.version)],
            rules,
        )
    queue_rewards(
        db,
        rules,
        "award_won",
        [
            RewardCause(
                employee,
                {"award.id": award.id, "award.name": award.name, "award.period": period_key},
                subject=award.id,
            )
        ],
        now,
    )
    won = db.query(
        "SELECT scope, team FROM \"award_result\" WHERE closing = ? AND employee = ? AND status = 'winner' "
        "ORDER BY scope, team",
        (closing_id, employee),
    )
    where = " and ".join(company if scope == "company" else f"team {team}" for scope, team in won)
    message = f"{award.name}, {label}" + (f": {where}" if where else "")
    shoutout_id = db.query(
        'INSERT INTO "shoutout" (giver, value, message, period, created_at) VALUES (NULL, ?, ?, ?, ?) '
        "RETURNING id",
        (AWARD_VALUE, message, period_key, at),
    )[0][0]
    db.execute(
        'INSERT INTO "shoutout_recipient" (shoutout, employee) VALUES (?, ?)',
        (shoutout_id, employee),
    )
    db.execute(
        "UPDATE \"award_result\" SET shoutout = ? WHERE closing = ? AND employee = ? AND status = 'winner'",
        (shoutout_id, closing_id, employee),
    )


# -- approval -------------------------------------------------------------------------------------------------
def approve_award(
    db: Database,
    rules: CompiledRules,
    result_id: int,
    actor: str,
    now: datetime | None = None,
) -> AwardOutcome:
    """HR picks a shortlisted candidate: they become a winner (rewarded as without approval); once the
    scope's ``winners`` are chosen, the rest of its shortlist is 'not selected'.

    AwardError kind ``not_found`` for an unknown id, ``decided`` for a result that is not shortlisted.
    """
    now = (now or clock.now()).astimezone(UTC)
    with db.transaction():
        rows = db.query(
            'SELECT closing, award, scope, team, employee, status FROM "award_result" WHERE id = ?',
            (result_id,),
        )
        if not rows:
            raise AwardError("result_id", f"no award result {result_id}", "not_found")
        closing_id, award_id, scope, team, employee, status = rows[0]
        if status != "shortlisted":
            raise AwardError(
                "result_id", f"award result {result_id} is {status} already", "decided"
            )
        award = find_award_spec(rules, award_id)
        db.execute(
            "UPDATE \"award_result\" SET status = 'winner', decided_by = ?, decided_at = ? WHERE id = ?",
            (actor, db.ts(now), result_id),
        )
        chosen = db.query(
            'SELECT COUNT(*) FROM "award_result" WHERE closing = ? AND scope = ? AND team = ? '
            "AND status = 'winner'",
            (closing_id, scope, team),
        )[0][0]
        if int(chosen) >= award.winners:
            db.execute(
                "UPDATE \"award_result\" SET status = 'not selected', decided_by = ?, decided_at = ? "
                "WHERE closing = ? AND scope = ? AND team = ? AND status = 'shortlisted'",
                (actor, db.ts(now), closing_id, scope, team),
            )
        deltas = StandingDeltas()
        already = db.query(
            "SELECT COUNT(*) FROM \"award_result\" WHERE closing = ? AND employee = ? AND status = 'winner' "
            "AND shoutout IS NOT NULL",
            (closing_id, employee),
        )[0][0]
        if not already:
            _reward(db, rules, award, closing_id, employee, now, actor, deltas)
        deltas.write(db)
        period_key = db.query('SELECT period FROM "award_closing" WHERE id = ?', (closing_id,))[0][
            0
        ]
        who = db.query('SELECT external_id FROM "employee" WHERE id = ?', (employee,))[0][0]
        record(
            db,
            actor,
            AWARD_APPROVED,
            f"{award.id} {period_key}",
            f"approved {who} as {award.name} for {period_key}" + (f" ({team})" if team else ""),
            at=now,
        )
        return _outcome(db, closing_id, False, deltas.deltas)


# -- reading --------------------------------------------------------------------------------------------------
def archived_board(db: Database, award_id: str, period_key: str) -> list[BoardArchiveRow] | None:
    """The board archived when the award closed (None: not closed)."""
    closing_id = _closing_id(db, award_id, period_key)
    if closing_id is None:
        return None
    return [
        BoardArchiveRow(int(rank), ext, name, team, int(score))
        for rank, ext, name, team, score in db.query(
            'SELECT b.rank, e.external_id, e.name, b.team, b.score FROM "board_archive" b '
            'JOIN "employee" e ON e.id = b.employee WHERE b.closing = ? ORDER BY b.rank, e.external_id',
            (closing_id,),
        )
    ]


def award_card(
    db: Database, rules: CompiledRules, result_id: int, photo: bytes | None = None
) -> AwardCard | None:
    """The shareable card of one result (None: no such result)."""
    rows = db.query(
        'SELECT e.name, e.locale, c.award_name, c.period, c.company, r.award FROM "award_result" r '
        'JOIN "employee" e ON e.id = r.employee JOIN "award_closing" c ON c.id = r.closing WHERE r.id = ?',
        (result_id,),
    )
    if not rows:
        return None
    name, locale, award_name, period_key, company, award_id = rows[0]
    spec = next((a for a in rules.awards if a.id == award_id), None)
    badge = next((b for b in rules.badges if spec is not None and b.id == spec.badge), None)
    return AwardCard(
        employee_name=name,
        award=award_name or award_id,
        period_label=period_label(period_key),
        company=company or rules.name,
        photo=photo,
        colour=badge.colour if badge is not None else "#2f6fde",
        locale=locale or "en",
    )


# -- the scheduler --------------------------------------------------------------------------------------------
def close_due_awards(
    db: Database,
    rules: CompiledRules | None,
    now: datetime | None = None,
    period_key: str | None = None,
    actor: str = "plaudit cron",
) -> list[AwardOutcome]:
    """Close every award whose period ended ``grace_hours`` ago and is not closed yet (oldest first).

    Looks at the two periods before ``now`` of each award's kind (or only ``period_key``): enough for any
    grace up to a period's length and a scheduler that was down for a while, without handing out awards for
    every month since the program began the first time the scheduler runs.
    """
    if rules is None:
        return []
    now = (now or clock.now()).astimezone(UTC)
    done: list[AwardOutcome] = []
    for award in rules.awards:
        if period_key is not None:
            if period_kind(period_key) != award.period:
                continue
            keys = [period_key]
        else:
            current = rules.periods(now).of(award.period)
            last = previous_period(current, rules.timezone, rules.week_start)
            keys = [previous_period(last, rules.timezone, rules.week_start), last]
        for key in keys:
            if period_start(key, rules.timezone, rules.week_start) < rules.effective:
                continue  # before the program began
            if closing_due(rules, award, key) > now or _closing_id(db, award.id, key) is not None:
                continue
            outcome = close_award(db, rules, award, key, now, actor)
            if outcome.created:
                done.append(outcome)
    return done
