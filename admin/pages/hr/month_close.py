"""Month close for HR: close an award's period, see the shortlist, approve the employee of the month.

Approving announces: the winner gets the company's shoutout in the feed, the bonus and the badge, and a
shareable card, exactly as ``engine.rewards.awards`` does for the CLI and the scheduler.

The review queue (``/hr/review``) weighs in: before the close the page counts who has an open hold (not
eligible when it closes), and the shortlist shows each candidate's open integrity flags.
"""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from msgspec import Struct

from admin.pages._page import PageController, actor_of, page_language, render, runtime_of
from admin.pages.i18n import translator
from api.auth import requires_admin
from engine import clock
from engine.rewards.awards import (
    AwardError,
    approve_award,
    award_card,
    award_results,
    close_award,
    closing_due,
    find_award_spec,
    open_holds,
)
from rules.periods import period_label, previous_period

__all__ = ["MonthClosePage"]

STATUS = {"not_found": 404, "decided": 409, "early": 409}


class CloseForm(Struct):
    award: str
    period: str


class ApproveForm(Struct):
    result: int


class MonthClosePage(PageController):
    path = "/hr/month-close"
    guards = [requires_admin]

    @get("/", sync_to_thread=True)
    def overview(self, request: Request, period: FromQuery[str | None] = None) -> Template:
        runtime = runtime_of(request)
        db, rules = runtime.db(), runtime.rules
        now = clock.now()
        awards = []
        for award in rules.awards:
            current = rules.periods(now).of(award.period)
            key = period or previous_period(current, rules.timezone, rules.week_start)
            closing = db.query(
                'SELECT id, closed_at, actor FROM "award_closing" WHERE award = ? AND period = ?',
                (award.id, key),
            )
            results = award_results(db, closing[0][0]) if closing else []
            held = set() if closing else open_holds(db, key)
            recent_keys = [current]
            for _ in range(3):
                recent_keys.append(
                    previous_period(recent_keys[-1], rules.timezone, rules.week_start)
                )
            awards.append(
                {
                    "spec": award,
                    "period": key,
                    "label": period_label(key),
                    "due": closing_due(rules, award, key),
                    "closed": (db.read_ts(closing[0][1]), closing[0][2]) if closing else None,
                    "choices": [(k, period_label(k)) for k in recent_keys],
                    "results": results,
                    "waiting": any(r.status == "shortlisted" for r in results),
                    "flagged": any(r.status == "shortlisted" and r.open_flags for r in results),
                    "held": len(held),
                }
            )
        return render(request, "month_close.html", awards=awards, now=now)

    @post("/close", status_code=303, sync_to_thread=True)
    def close(self, request: Request, data: URLEncodedBody[CloseForm]) -> Redirect:
        runtime = runtime_of(request)
        db, rules = runtime.db(), runtime.rules
        with runtime.pages.writing():
            try:
                spec = find_award_spec(rules, data.award)
                outcome = close_award(
                    db, rules, spec, data.period, actor=actor_of(request), force=True
                )
            except AwardError as exc:
                raise _refused(exc) from None
            runtime.pages.scored(db, outcome.deltas)
        return Redirect(f"/hr/month-close/?period={data.period}", status_code=303)

    @post("/approve", status_code=303, sync_to_thread=True)
    def approve(self, request: Request, data: URLEncodedBody[ApproveForm]) -> Redirect:
        runtime = runtime_of(request)
        db = runtime.db()
        with runtime.pages.writing():
            try:
                outcome = approve_award(db, runtime.rules, data.result, actor_of(request))
            except AwardError as exc:
                raise _refused(exc) from None
            runtime.pages.scored(db, outcome.deltas)
        runtime.worker.wake()
        return Redirect(f"/hr/month-close/?period={outcome.period}", status_code=303)

    @get("/card/{result:int}", sync_to_thread=True, media_type="image/png")
    def card(self, request: Request, result: FromPath[int]) -> Response[bytes]:
        runtime = runtime_of(request)
        card = award_card(runtime.db(), runtime.rules, result)
        if card is None:
            _ = translator(page_language(request))
            raise HTTPException(
                status_code=404, detail=_("no award result {result}", result=result)
            )
        return Response(runtime.award_cards.get(card), media_type="image/png")


def _refused(exc: AwardError) -> HTTPException:
    """The award engine's refusal as an error page with its status."""
    return HTTPException(
        status_code=STATUS.get(exc.kind, 422), detail=str(exc), extra={"errors": [str(exc)]}
    )
