"""``/v1/kpis`` and ``/v1/kpis.csv``: the program's KPIs for HR, per week, month or quarter.

What HR judges the program by (adoption, participation, top contributors, reach, engagement, referrals,
shoutouts), as JSON for the HR pages and as CSV for a spreadsheet. HR only: the report names everyone,
including people hidden from the public boards.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.params import Parameter

from api.auth import requires_admin
from api.problems import problem
from api.runtime import Runtime
from engine.kpis import (
    KPI_PERIODS,
    MAX_PERIODS,
    KpiError,
    PeriodKpis,
    compute_kpis,
    kpis_csv,
)

__all__ = ["ContributorView", "KpiController", "KpiReport", "PeriodView", "period_view"]


class ContributorView(msgspec.Struct):
    employee: str
    name: str
    team: str
    points: int


class PeriodView(msgspec.Struct):
    period: str
    start: datetime
    end: datetime
    invited: int
    accounts: int
    active: int
    #: accounts / invited; 0 when nobody was invited.
    adoption_rate: float
    #: active / invited; 0 when nobody was invited.
    participation_rate: float
    top_contributors: list[ContributorView]
    organic_reach: int | float
    shares: int
    reactions: int | float
    clicks: int
    #: (reactions + clicks) / shares; 0 without shares.
    engagement_per_share: float
    referrals_submitted: int
    referrals_hired: int
    shoutouts_given: int
    shoutouts_received: int
    shoutout_givers: int
    shoutout_receivers: int
    award_shoutouts: int


class KpiReport(msgspec.Struct):
    period: str
    #: Oldest first; the last one is the current period (still running).
    periods: list[PeriodView]


_PERIOD_DOC = f"{', '.join(KPI_PERIODS)}: the length of each period"
_PERIODS_DOC = f"how many periods, the current one included (1 to {MAX_PERIODS})"


def period_view(row: PeriodKpis) -> PeriodView:
    return PeriodView(
        period=row.period,
        start=row.start,
        end=row.end,
        invited=row.invited,
        accounts=row.accounts,
        active=row.active,
        adoption_rate=row.adoption_rate,
        participation_rate=row.participation_rate,
        top_contributors=[
            ContributorView(c.employee, c.name, c.team, c.points) for c in row.top_contributors
        ],
        organic_reach=row.organic_reach,
        shares=row.shares,
        reactions=row.reactions,
        clicks=row.clicks,
        engagement_per_share=row.engagement_per_share,
        referrals_submitted=row.referrals_submitted,
        referrals_hired=row.referrals_hired,
        shoutouts_given=row.shoutouts_given,
        shoutouts_received=row.shoutouts_received,
        shoutout_givers=row.shoutout_givers,
        shoutout_receivers=row.shoutout_receivers,
        award_shoutouts=row.award_shoutouts,
    )


def _report(runtime: Runtime, period: str, periods: int) -> list[PeriodKpis]:
    try:
        return compute_kpis(runtime.db(), runtime.rules, period, periods)
    except KpiError as exc:
        raise problem(422, "invalid input", [str(exc)]) from None


class KpiController(Controller):
    # Two paths, /v1/kpis and /v1/kpis.csv: the controller sits at /v1.
    path = "/v1"
    tags = ["hr"]
    guards = [requires_admin]

    @get("/kpis", sync_to_thread=True)
    def report(
        self,
        state: State,
        period: str = Parameter(default="month", description=_PERIOD_DOC),
        periods: int = Parameter(default=12, description=_PERIODS_DOC),
    ) -> KpiReport:
        """The program's KPIs per period, oldest first: adoption funnel, top contributors, organic reach,
        engagement per share, referrals, shoutouts."""
        rows = _report(state.runtime, period, periods)
        return KpiReport(period, [period_view(r) for r in rows])

    @get("/kpis.csv", sync_to_thread=True, media_type="text/csv")
    def report_csv(
        self,
        state: State,
        period: str = Parameter(default="month", description=_PERIOD_DOC),
        periods: int = Parameter(default=12, description=_PERIODS_DOC),
    ) -> Response[str]:
        """The same report as CSV: a header row, one row per period, the first top contributor only."""
        rows = _report(state.runtime, period, periods)
        return Response(
            kpis_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="kpis-{period}.csv"'},
        )
