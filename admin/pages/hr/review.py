"""The review queue for HR: late events for closed months and what the integrity signals caught, each with its
evidence, approved or rejected with an optional note (engine.scoring.review, as ``/v1/review`` does).

A decision changes the live boards at once (held points written, flagged points taken back), the way the
adjustments API applies its deltas; an approved late event is pending again and the worker scores it into its
closed month. A refusal (decided already, no such case) is the queue again with the reason, not an error.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromQuery, Parameter, URLEncodedBody
from litestar.response import Redirect, Template
from msgspec import Meta, Struct

from admin.pages._page import PageController, page_language, render, runtime_of, viewer_of
from admin.pages.i18n import translator
from api.auth import requires_admin
from engine.errors import PlauditError
from engine.scoring.review import STATUSES, decide, review_items

__all__ = ["ReviewPage"]

#: Cases per page; "More" pages on from the last one shown.
PAGE = 100
#: The evidence shown per case; the rest is a count (a burst of clicks is one case with 900 events).
EVIDENCE_SHOWN = 10
STATUS = {"not_found": 404, "conflict": 409, "decided": 409}
#: The page's filters: a status, or every case.
FILTERS = (*STATUSES, "all")
#: An id as the database takes it (a bigger number is no case, not an overflow).
Id = Annotated[int, Meta(ge=0, le=2**62)]


class DecisionForm(Struct):
    item: Id
    #: ``approve`` or ``reject``: the button pressed.
    decision: str
    note: Annotated[str, Meta(max_length=2000)] = ""
    #: The filter the form was sent from: the page goes back to it.
    status: str = "open"


class ReviewPage(PageController):
    path = "/hr/review"
    guards = [requires_admin]

    @get("/", sync_to_thread=True)
    def queue(
        self,
        request: Request,
        status: FromQuery[str] = "open",
        after: Annotated[int, Parameter(ge=0, le=2**62)] = 0,
        decided: FromQuery[int | None] = None,
        outcome: FromQuery[str | None] = None,
    ) -> Template:
        _ = translator(page_language(request))
        message = None
        if decided is not None and outcome in ("approved", "rejected"):
            message = (
                _("Case {id} approved.", id=decided)
                if outcome == "approved"
                else _("Case {id} rejected.", id=decided)
            )
        return self._page(request, status, after, message=message)

    @post("/decide", status_code=303, sync_to_thread=True)
    def decision(self, request: Request, data: URLEncodedBody[DecisionForm]) -> Redirect | Template:
        runtime = runtime_of(request)
        viewer = viewer_of(request)
        back = data.status if data.status in FILTERS else "open"
        if data.decision not in ("approve", "reject"):
            _ = translator(page_language(request))
            return self._page(
                request, back, 0, 422, error=_("Choose approve or reject."), item=data.item
            )
        approve = data.decision == "approve"
        try:
            with runtime.pages.writing():
                decided = decide(
                    runtime.db(),
                    runtime.book,
                    data.item,
                    approve,
                    viewer.name if viewer else "hr",
                    data.note.strip(),
                )
                runtime.pages.scored(runtime.db(), decided.deltas)
        except PlauditError as exc:
            return self._page(
                request,
                back,
                0,
                STATUS.get(exc.kind, 422),
                error=self._refusal(request, data.item, exc),
                item=data.item,
            )
        if runtime.config.run_worker:
            runtime.worker.wake()  # an approved late event is pending again
        outcome = "approved" if approve else "rejected"
        return Redirect(
            f"/hr/review/?status={back}&decided={data.item}&outcome={outcome}", status_code=303
        )

    def _page(
        self,
        request: Request,
        status: str,
        after: int,
        status_code: int = 200,
        **context: Any,
    ) -> Template:
        if status not in FILTERS:
            _ = translator(page_language(request))
            raise HTTPException(status_code=404, detail=_("no filter {status}", status=status))
        lines = review_items(
            runtime_of(request).db(), None if status == "all" else status, PAGE, after
        )
        return render(
            request,
            "review.html",
            status_code=status_code,
            status=status,
            filters=FILTERS,
            lines=lines,
            more=lines[-1].id if len(lines) == PAGE else None,
            shown=EVIDENCE_SHOWN,
            **context,
        )

    def _refusal(self, request: Request, item: int, exc: PlauditError) -> str:
        """The engine's refusal as HR reads it: no such case, or decided already (by whom)."""
        _ = translator(page_language(request))
        if exc.kind == "not_found":
            return _("There is no case {id}.", id=item)
        if exc.kind in ("conflict", "decided"):
            found = review_items(runtime_of(request).db(), None, 1, max(item - 1, 0))
            if found and found[0].id == item and found[0].decided_by:
                return _(
                    "Case {id} was decided already: {status} by {who}.",
                    id=item,
                    status=_(found[0].status),
                    who=found[0].decided_by,
                )
            return _("Case {id} was decided already.", id=item)
        return str(exc)
