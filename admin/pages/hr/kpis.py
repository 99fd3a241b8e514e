"""Program KPIs for HR: the adoption funnel, participation, reach, engagement, referrals and shoutouts per
period, as charts, a table and a CSV file (the same figures as ``GET /v1/kpis``)."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.exceptions import HTTPException
from litestar.params import FromQuery
from litestar.response import Template

from admin.pages._page import PageController, page_language, render, runtime_of
from admin.pages.charts import bar_chart, line_chart
from admin.pages.i18n import translator
from api.auth import requires_admin
from engine.insight.kpis import KPI_PERIODS, KpiError, PeriodKpis, compute_kpis, kpis_csv

__all__ = ["KpiPage"]


def _report(request: Request, period: str, periods: int) -> list[PeriodKpis]:
    runtime = runtime_of(request)
    try:
        return compute_kpis(runtime.db(), runtime.rules, period, periods)
    except KpiError as exc:
        raise HTTPException(
            status_code=422, detail=str(exc), extra={"errors": [str(exc)]}
        ) from None


class KpiPage(PageController):
    guards = [requires_admin]

    @get("/hr/kpis", sync_to_thread=True)
    def kpis(
        self, request: Request, period: FromQuery[str] = "month", periods: FromQuery[int] = 12
    ) -> Template:
        rows = _report(request, period, periods)
        labels = [r.period for r in rows]
        _ = translator(page_language(request))
        return render(
            request,
            "kpis.html",
            rows=rows,
            latest=rows[-1],
            period=period,
            periods=periods,
            kinds=KPI_PERIODS,
            charts={
                "participation": line_chart(
                    _("active participation rate (%)"),
                    labels,
                    [round(r.participation_rate * 100, 1) for r in rows],
                ),
                "reach": bar_chart(_("organic reach"), [(r.period, r.organic_reach) for r in rows]),
                "engagement": line_chart(
                    _("engagement per share"), labels, [r.engagement_per_share for r in rows]
                ),
                "shoutouts": bar_chart(
                    _("shoutouts given"), [(r.period, r.shoutouts_given) for r in rows]
                ),
            },
        )

    @get("/hr/kpis.csv", sync_to_thread=True)
    def csv(
        self, request: Request, period: FromQuery[str] = "month", periods: FromQuery[int] = 12
    ) -> Response[str]:
        rows = _report(request, period, periods)
        return Response(
            kpis_csv(rows),
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="plaudit-kpis-{period}.csv"'},
        )
