"""Program KPIs: what HR judges the advocacy program by, per week, month or quarter, from the data already held.

Adoption (invited, accounts, active), top contributors, organic reach, engagement per share, referrals and
shoutouts. Each period is cut in the program's time zone and read with a few range queries on indexed times
(``event_occurred_at``, ``shoutout_created_at``); attribute values are summed in SQL (``json_extract`` on
SQLite, ``->>`` on PostgreSQL), so a period costs its own events and no event travels to Python. Only the
accounts opened before the report's first period need the history before it (one scan, once per report).
The roster is read once per report: who was on it in a period is a comparison in memory.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from engine import clock
from engine.defaults import BOARD_POINTS
from engine.errors import PlauditError
from engine.people.shoutouts import SHOUTOUT_SOURCE
from engine.storage.database import Database
from rules import CompiledRules
from rules.periods import period_end, period_start, previous_period

__all__ = [
    "CSV_COLUMNS",
    "KPI_PERIODS",
    "MAX_PERIODS",
    "Contributor",
    "KpiConfig",
    "KpiError",
    "PeriodKpis",
    "check_request",
    "compute_kpis",
    "kpis_csv",
    "last_periods",
]

#: The period kinds a KPI report is cut in (a day is too short to judge a program by).
KPI_PERIODS = ("week", "month", "quarter")
#: At most this many periods in one report: ten years of months, enough for any look back.
MAX_PERIODS = 120

_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class KpiError(PlauditError):
    """A bad report request, naming the field (``period`` or ``periods``)."""


@dataclass(frozen=True)
class KpiConfig:
    """Which event types and attribute fields the KPIs read: those of the default rules.yaml.

    Another program names its own. Field names are plain identifiers (they are written into the SQL as JSON
    paths); type names and stage values travel as parameters.
    """

    share_type: str = "share"
    reach_field: str = "audience"
    reaction_type: str = "reaction_received"
    reaction_count_field: str = "count"
    click_type: str = "click"
    bot_field: str = "suspected_bot"
    referral_type: str = "referral"
    stage_field: str = "stage"
    submitted_stage: str = "submitted"
    hired_stage: str = "hired"
    #: The points board whose standings rank the top contributors, and how many of them.
    board: str = BOARD_POINTS
    top: int = 10
    #: Sources of events Plaudit writes itself (a shoutout's recipient event): they say nothing about whether
    #: someone connected an account or acted, so they count for neither accounts nor active.
    internal_sources: tuple[str, ...] = (SHOUTOUT_SOURCE,)

    def __post_init__(self) -> None:
        for name in ("reach_field", "reaction_count_field", "bot_field", "stage_field"):
            if not _FIELD.fullmatch(getattr(self, name)):
                raise ValueError(
                    f"{name}: expected a plain field name, got {getattr(self, name)!r}"
                )
        if self.top < 0:
            raise ValueError(f"top: expected 0 or more, got {self.top}")


@dataclass(frozen=True)
class Contributor:
    employee: str
    name: str
    team: str
    points: int


@dataclass(frozen=True)
class PeriodKpis:
    """Every figure of one period; ``start``/``end`` are UTC instants (``end`` is the next period's start)."""

    period: str
    start: datetime
    end: datetime
    #: On the roster during the period: joined the program before its end, not deactivated before its start.
    invited: int
    #: Invited with at least one event from a tool up to the period's end.
    accounts: int
    #: Invited with an event from a tool in the period, or who gave a shoutout in it.
    active: int
    #: accounts / invited; 0 when nobody was invited.
    adoption_rate: float
    #: active / invited; 0 when nobody was invited.
    participation_rate: float
    top_contributors: tuple[Contributor, ...]
    #: Sums of event values: whole numbers stay integers (``float`` as the numeric tower means: int or float).
    organic_reach: float
    shares: int
    reactions: float
    clicks: int
    #: (reactions + clicks) / shares; 0 without shares.
    engagement_per_share: float
    referrals_submitted: int
    referrals_hired: int
    #: Peer shoutouts (the company's award shoutouts are counted apart, in ``award_shoutouts``).
    shoutouts_given: int
    #: Recipients of peer shoutouts: a shoutout to three colleagues is received three times.
    shoutouts_received: int
    shoutout_givers: int
    shoutout_receivers: int
    award_shoutouts: int


# -- periods ----------------------------------------------------------------------------------------------------------
def check_request(period: str, periods: int) -> None:
    """KpiError unless ``period`` is a KPI period kind and ``periods`` a count within MAX_PERIODS."""
    if period not in KPI_PERIODS:
        raise KpiError("period", f"expected one of {', '.join(KPI_PERIODS)}, got {period!r}")
    if isinstance(periods, bool) or not isinstance(periods, int) or not 1 <= periods <= MAX_PERIODS:
        raise KpiError(
            "periods", f"expected a whole number from 1 to {MAX_PERIODS}, got {periods!r}"
        )


def last_periods(
    rules: CompiledRules, period: str, periods: int, at: datetime | None = None
) -> list[str]:
    """The keys of the last ``periods`` periods of a kind, the one containing ``at`` (default now) included,
    oldest first."""
    check_request(period, periods)
    key = rules.periods(at or clock.now()).of(period)
    keys = [key]
    while len(keys) < periods:
        keys.append(previous_period(keys[-1], rules.timezone, rules.week_start))
    return keys[::-1]


# -- the roster -------------------------------------------------------------------------------------------------------
class _Roster:
    """Who was on the roster when, by the refs events use. ``steady`` employees are on it in every period of
    the report (created before it, never deactivated): most of a company, counted without comparing times;
    only the others (``changing``: joiners and leavers) are looked at per period."""

    def __init__(self, db: Database, first_start: datetime) -> None:
        self.by_ref: dict[str, int] = {}
        self.steady: set[int] = set()
        self.changing: dict[int, tuple[datetime, datetime | None]] = {}
        parsed: dict[
            Any, datetime
        ] = {}  # a roster import stamps everyone with one time: parse it once

        def instant(value: Any) -> datetime:
            at = parsed.get(value)
            if at is None:
                at = parsed[value] = db.read_ts(value)
            return at

        for eid, ext, email, joined, active, deactivated in db.query(
            "SELECT id, external_id, email, COALESCE(joined_at, created_at), active, deactivated_at "
            'FROM "employee"'
        ):
            if not active and deactivated is None:
                continue  # created inactive: never on the roster
            joined_at = instant(joined)
            until = None if active else max(instant(deactivated), joined_at)
            if until is None and joined_at < first_start:
                self.steady.add(eid)
            else:
                self.changing[eid] = (joined_at, until)
            self.by_ref[ext] = eid
            if email:
                self.by_ref.setdefault(email.lower(), eid)

    def ids(self, refs: Iterable[str]) -> set[int]:
        by_ref = self.by_ref
        return {eid for ref in refs if (eid := by_ref.get(ref)) is not None}

    def count(self, ids: set[int], start: datetime, end: datetime) -> int:
        """How many of ``ids`` were on the roster in ``[start, end)``."""
        changing = self.changing
        return len(ids & self.steady) + sum(
            1
            for eid in ids & changing.keys()
            if changing[eid][0] < end and ((until := changing[eid][1]) is None or until >= start)
        )

    def invited(self, start: datetime, end: datetime) -> int:
        return len(self.steady) + sum(
            1
            for created, until in self.changing.values()
            if created < end and (until is None or until >= start)
        )


# -- SQL --------------------------------------------------------------------------------------------------------------
class _Queries:
    """The per-period statements of one config, in the database's dialect."""

    def __init__(self, db: Database, config: KpiConfig) -> None:
        self.db = db
        self.config = config
        c = config
        internal = ", ".join("?" * len(c.internal_sources))
        self.not_internal = f" AND source NOT IN ({internal})" if c.internal_sources else ""
        self.events_sql = (
            "SELECT "
            "COALESCE(SUM(CASE WHEN type = ? THEN 1 ELSE 0 END), 0), "
            f"COALESCE(SUM(CASE WHEN type = ? THEN {self._number(c.reach_field)} END), 0), "
            f"COALESCE(SUM(CASE WHEN type = ? THEN COALESCE({self._number(c.reaction_count_field)}, 1) END), 0), "
            f"COALESCE(SUM(CASE WHEN type = ? AND NOT {self._true(c.bot_field)} THEN 1 ELSE 0 END), 0), "
            f"COALESCE(SUM(CASE WHEN type = ? AND {self._text(c.stage_field)} = ? THEN 1 ELSE 0 END), 0), "
            f"COALESCE(SUM(CASE WHEN type = ? AND {self._text(c.stage_field)} = ? THEN 1 ELSE 0 END), 0) "
            'FROM "event" WHERE occurred_at >= ? AND occurred_at < ? AND type IN (?, ?, ?, ?) '
            # A near-duplicate (engine.scoring.near_duplicates) is the same share sent again, not another.
            "AND status != 'duplicate'"
        )
        self.events_params = [
            c.share_type,
            c.share_type,
            c.reaction_type,
            c.click_type,
            c.referral_type,
            c.submitted_stage,
            c.referral_type,
            c.hired_stage,
        ]
        self.types = [c.share_type, c.reaction_type, c.click_type, c.referral_type]

    # Attribute values. Field names are checked identifiers (KpiConfig), so they are written into the SQL.
    def _text(self, field: str) -> str:
        if self.db.dialect == "postgres":
            return f"(attributes ->> '{field}')"
        return f"json_extract(attributes, '$.{field}')"

    def _number(self, field: str) -> str:
        if self.db.dialect == "postgres":
            # A value that is not a JSON number is left out rather than failing the whole report.
            return (
                f"(CASE WHEN json_typeof(attributes -> '{field}') = 'number' "
                f"THEN (attributes ->> '{field}')::numeric END)"
            )
        return f"json_extract(attributes, '$.{field}')"

    def _true(self, field: str) -> str:
        if self.db.dialect == "postgres":
            return f"COALESCE(attributes ->> '{field}', 'false') = 'true'"
        return f"COALESCE(json_extract(attributes, '$.{field}'), 0) IN (1, 'true')"

    # Statements.
    def event_figures(self, start: datetime, end: datetime) -> tuple[Any, ...]:
        """shares, reach, reactions, clicks (not bots), referrals submitted, referrals hired."""
        db = self.db
        return db.query(
            self.events_sql, [*self.events_params, db.ts(start), db.ts(end), *self.types]
        )[0]

    def refs(self, start: datetime | None, end: datetime) -> list[str]:
        """Who had an event from a tool in ``[start, end)`` (from the beginning when ``start`` is None)."""
        db = self.db
        since, params = "", [db.ts(end)]
        if start is not None:
            since, params = "occurred_at >= ? AND ", [db.ts(start), db.ts(end)]
        return [
            ref
            for (ref,) in db.query(
                f'SELECT DISTINCT employee_ref FROM "event" WHERE {since}occurred_at < ?{self.not_internal} '
                "AND status != 'duplicate'",
                [*params, *self.config.internal_sources],
            )
        ]

    def givers(self, start: datetime, end: datetime) -> tuple[dict[int, int], int]:
        """Peer shoutouts given per giver, and the company's (no giver: an award's) shoutouts."""
        db = self.db
        given: dict[int, int] = {}
        company = 0
        for giver, count in db.query(
            'SELECT giver, COUNT(*) FROM "shoutout" WHERE created_at >= ? AND created_at < ? GROUP BY giver',
            [db.ts(start), db.ts(end)],
        ):
            if giver is None:
                company += int(count)
            else:
                given[int(giver)] = int(count)
        return given, company

    def received(self, start: datetime, end: datetime) -> tuple[int, int]:
        """Peer shoutouts received (one per recipient) and by how many people."""
        db = self.db
        count, people = db.query(
            'SELECT COUNT(*), COUNT(DISTINCT r.employee) FROM "shoutout" s '
            'JOIN "shoutout_recipient" r ON r.shoutout = s.id '
            "WHERE s.created_at >= ? AND s.created_at < ? AND s.giver IS NOT NULL",
            [db.ts(start), db.ts(end)],
        )[0]
        return int(count), int(people)

    def top(self, period: str) -> tuple[Contributor, ...]:
        """The board's leaders of the period, everyone included (hidden or gone): HR is the audience.

        Ranked as the boards rank (score, then who reached it first, then external id). The period's rows are
        ranked without the employee join, which would cost a look-up per row; names are fetched for the few
        leaders. Only a tie across the cut (same score and time) needs the external ids of all the tied.
        """
        db, board, top = self.db, self.config.board, self.config.top
        if not top:
            return ()
        leaders = db.query(
            'SELECT employee, score, reached_at FROM "standing" WHERE board = ? AND period = ? AND score > 0 '
            "ORDER BY score DESC, reached_at LIMIT ?",
            [board, period, top + 1],
        )
        if len(leaders) > top and leaders[top][1:] == leaders[top - 1][1:]:
            rows = db.query(
                'SELECT e.external_id, e.name, e.team, s.score FROM "standing" s '
                'JOIN "employee" e ON e.id = s.employee WHERE s.board = ? AND s.period = ? AND s.score > 0 '
                "ORDER BY s.score DESC, s.reached_at, e.external_id LIMIT ?",
                [board, period, top],
            )
            return tuple(
                Contributor(ext, name, team, int(score)) for ext, name, team, score in rows
            )
        leaders = leaders[:top]
        people = {
            eid: (ext, name, team)
            for eid, ext, name, team in db.query_in(
                'SELECT id, external_id, name, team FROM "employee" WHERE id IN ({in})',
                [eid for eid, _, _ in leaders],
            )
        }
        ranked = sorted(leaders, key=lambda r: (-r[1], r[2], people[r[0]][0]))
        return tuple(Contributor(*people[eid], int(score)) for eid, score, _ in ranked)


def _number(value: Any) -> int | float:
    """A sum as a plain number: whole sums as int (PostgreSQL gives Decimal, SQLite int or float)."""
    number = float(value or 0)
    return int(number) if number.is_integer() else number


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


# -- the report -------------------------------------------------------------------------------------------------------
def compute_kpis(
    db: Database,
    rules: CompiledRules,
    period: str = "month",
    periods: int = 12,
    at: datetime | None = None,
    config: KpiConfig | None = None,
) -> list[PeriodKpis]:
    """The KPIs of the last ``periods`` weeks, months or quarters up to the one containing ``at`` (default
    now), oldest first. KpiError names a bad ``period`` or ``periods``."""
    config = config or KpiConfig()
    keys = last_periods(rules, period, periods, at)
    tz, week_start = rules.timezone, rules.week_start
    bounds = [(k, period_start(k, tz, week_start), period_end(k, tz, week_start)) for k in keys]
    roster = _Roster(db, bounds[0][1])
    sql = _Queries(db, config)
    # Accounts grow: who had an event before the report, then each period's newcomers.
    accounts = roster.ids(sql.refs(None, bounds[0][1]))
    out: list[PeriodKpis] = []
    for key, start, end in bounds:
        assert end is not None  # week, month and quarter always end
        acted = roster.ids(sql.refs(start, end))
        accounts |= acted
        given, company = sql.givers(start, end)
        received, receivers = sql.received(start, end)
        shares, reach, reactions, clicks, submitted, hired = sql.event_figures(start, end)
        invited = roster.invited(start, end)
        n_accounts = roster.count(accounts, start, end)
        n_active = roster.count(acted | given.keys(), start, end)
        reactions_n, clicks_n, shares_n = _number(reactions), int(clicks), int(shares)
        out.append(
            PeriodKpis(
                period=key,
                start=start,
                end=end,
                invited=invited,
                accounts=n_accounts,
                active=n_active,
                adoption_rate=_ratio(n_accounts, invited),
                participation_rate=_ratio(n_active, invited),
                top_contributors=sql.top(key),
                organic_reach=_number(reach),
                shares=shares_n,
                reactions=reactions_n,
                clicks=clicks_n,
                engagement_per_share=_ratio(reactions_n + clicks_n, shares_n),
                referrals_submitted=int(submitted),
                referrals_hired=int(hired),
                shoutouts_given=sum(given.values()),
                shoutouts_received=received,
                shoutout_givers=len(given),
                shoutout_receivers=receivers,
                award_shoutouts=company,
            )
        )
    return out


# -- CSV --------------------------------------------------------------------------------------------------------------
#: The CSV's columns: every figure of PeriodKpis in its order; of the top contributors only the first.
_FIGURES = tuple(f.name for f in fields(PeriodKpis) if f.name != "top_contributors")
CSV_COLUMNS = (*_FIGURES, "top_contributor", "top_contributor_name", "top_contributor_points")
#: Written to 4 places.
_RATES = frozenset({"adoption_rate", "participation_rate", "engagement_per_share"})


def _figure(name: str, value: Any) -> Any:
    if name in _RATES:
        return f"{value:.4f}"
    return value.isoformat() if isinstance(value, datetime) else value


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (a name starting with ``=``, ``+``, ``-`` or ``@``)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def kpis_csv(rows: Sequence[PeriodKpis]) -> str:
    """The report as CSV for HR's spreadsheet: a header row, then one row per period (rates to 4 places)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        first = r.top_contributors[0] if r.top_contributors else None
        writer.writerow(
            [
                *(_figure(name, getattr(r, name)) for name in _FIGURES),
                _cell(first.employee) if first else "",
                _cell(first.name) if first else "",
                first.points if first else "",
            ]
        )
    return out.getvalue()
