"""``/v1/kpis`` and ``/v1/kpis.csv``: the program's KPIs for HR, per week, month or quarter.

What HR judges the program by (adoption, participation, top contributors, reach, engagement, referrals,
shoutouts), as JSON for the HR pages and as CSV for a spreadsheet. HR only: the report names everyone,
including people hidden from the public boards.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.params import Parameter

from api.auth import requires_admin
from api.runtime import Runtime
from engine.insight.kpis import (
    KPI_PERIODS,
    MAX_PERIODS,
    PeriodKpis,
    compute_kpis,
    kpis_csv,
)

__all__ = ["KpiController", "KpiReport"]


class KpiReport(msgspec.Struct):
    period: str
    #: Oldest first; the last one is the current period (still running).
    periods: list[PeriodKpis]


_PERIOD_DOC = f"{', '.join(KPI_PERIODS)}: the length of each period"
_PERIODS_DOC = f"how many periods, the current one included (1 to {MAX_PERIODS})"
# Declared, not checked by Litestar: the engine's check answers with the field and the allowed values.
_PERIOD_ENUM: dict[str, Any] = {"enum": list(KPI_PERIODS)}
_PERIODS_RANGE: dict[str, Any] = {"minimum": 1, "maximum": MAX_PERIODS}


def _report(runtime: Runtime, period: str, periods: int) -> list[PeriodKpis]:
    return compute_kpis(runtime.db(), runtime.rules, period, periods)


class KpiController(Controller):
    # Two paths, /v1/kpis and /v1/kpis.csv: the controller sits at /v1.
    path = "/v1"
    tags = ["hr"]
    guards = [requires_admin]

    @get("/kpis", sync_to_thread=True)
    def report(
        self,
        state: State,
        period: str = Parameter(
            default="month", description=_PERIOD_DOC, schema_extra=_PERIOD_ENUM
        ),
        periods: int = Parameter(default=12, description=_PERIODS_DOC, schema_extra=_PERIODS_RANGE),
    ) -> KpiReport:
        """The program's KPIs per period, oldest first: adoption funnel, top contributors, organic reach,
        engagement per share, referrals, shoutouts."""
        rows = _report(state.runtime, period, periods)
        return KpiReport(period, rows)

    @get("/kpis.csv", sync_to_thread=True, media_type="text/csv")
    def report_csv(
        self,
        state: State,
        period: str = Parameter(
            default="month", description=_PERIOD_DOC, schema_extra=_PERIOD_ENUM
        ),
        periods: int = Parameter(default=12, description=_PERIODS_DOC, schema_extra=_PERIODS_RANGE),
    ) -> Response[str]:
        """The same report as CSV: a header row, one row per period, the first top contributor only."""
        rows = _report(state.runtime, period, periods)
        return Response(
            kpis_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="kpis-{period}.csv"'},
        )
