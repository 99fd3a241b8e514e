"""The shoutouts page: the feed (company or my team) and the form to give one, with the allowance left."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template
from msgspec import Struct

from admin.pages._page import PageController, render, runtime_of, viewer_of
from engine.people.shoutouts import ShoutoutError, allowance, feed, give_shoutout

__all__ = ["ShoutoutsPage"]

FEED_PAGE = 20
#: Suggestions in the recipient field: the giver's team (a company-wide list would weigh megabytes).
SUGGESTIONS = 200
STATUS = {"invalid": 422, "forbidden": 403, "allowance": 409}


class ShoutoutForm(Struct):
    recipients: str = ""
    value: str = ""
    message: str = ""


class ShoutoutsPage(PageController):
    def _page(
        self, request: Request, whose: str, before: int | None, status_code: int = 200, **form: Any
    ) -> Template:
        runtime = runtime_of(request)
        viewer = viewer_of(request)
        db, rules = runtime.db(), runtime.rules
        person = runtime.directory.find(viewer.employee) if viewer and viewer.employee else None
        team = person.team if person and whose == "team" and person.team else None
        items = feed(db, team=team, before=before, limit=FEED_PAGE)
        spec = rules.shoutouts
        left = allowance(db, rules, person.id) if person and spec else None
        colleagues = (
            [
                p
                for p in runtime.directory.by_id.values()
                if p.team == person.team and p.active and p.id != person.id
            ][:SUGGESTIONS]
            if person
            else []
        )
        return render(
            request,
            "shoutouts.html",
            status_code=status_code,
            feed=items,
            older=items[-1].id if len(items) == FEED_PAGE else None,
            scope="team" if team else "company",
            spec=spec,
            left=left,
            can_give=person is not None and spec is not None,
            colleagues=sorted(colleagues, key=lambda p: p.name),
            form=form,
        )

    @get("/shoutouts", sync_to_thread=True)
    def shoutouts(
        self,
        request: Request,
        whose: Annotated[str, QueryParameter(name="scope")] = "company",
        before: FromQuery[int | None] = None,
        sent: FromQuery[bool] = False,
    ) -> Template:
        return self._page(request, whose, before, sent=sent)

    @post("/shoutouts", status_code=303, sync_to_thread=True)
    def give(
        self,
        request: Request,
        data: URLEncodedBody[ShoutoutForm],
    ) -> Redirect | Template:
        runtime = runtime_of(request)
        viewer = viewer_of(request)
        recipients = [r.strip() for r in data.recipients.replace(";", ",").split(",") if r.strip()]
        try:
            if viewer is None or viewer.employee is None:
                raise ShoutoutError("giver", "only employees give shoutouts", "forbidden")
            give_shoutout(
                runtime.db(), runtime.rules, viewer.employee, recipients, data.value, data.message
            )
        except ShoutoutError as exc:
            # The form again, as it was typed, with the problem beside its field.
            return self._page(
                request,
                "company",
                None,
                status_code=STATUS.get(exc.kind, 422),
                error=str(exc),
                field=exc.field,
                recipients=data.recipients,
                value=data.value,
                message=data.message,
            )
        runtime.worker.wake()  # the recipients' points
        return Redirect("/shoutouts?sent=1", status_code=303)
