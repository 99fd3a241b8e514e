"""The profile page: my points per period and over time, badges with progress, the ledger with its reasons,
and my visibility on leaderboards."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from msgspec import Struct

from admin.pages._page import PageController, page_language, render, runtime_of, viewer_of
from admin.pages.charts import bar_chart
from admin.pages.i18n import translator
from api.employee.profiles import person_for, profile_of
from engine.people.directory import VISIBILITIES, Person, set_visibility
from engine.people.profile import ledger_page, weekly_points
from engine.rewards.badges import badge_progress, earned_badges

__all__ = ["ProfilePage"]

LEDGER_PAGE = 20


class VisibilityForm(Struct):
    visibility: str


class ProfilePage(PageController):
    def _person(self, request: Request, employee: str | None) -> Person:
        viewer = viewer_of(request)
        runtime = runtime_of(request)
        ref = employee or (viewer.employee if viewer else None)
        if viewer is None or not ref:
            raise HTTPException(status_code=404, detail="this account is not an employee's")
        return person_for(runtime, viewer, ref)

    @get("/me", sync_to_thread=True)
    def profile(
        self,
        request: Request,
        employee: FromQuery[str | None] = None,
        before: FromQuery[int | None] = None,
        saved: FromQuery[bool] = False,
    ) -> Template:
        runtime = runtime_of(request)
        person = self._person(request, employee)
        db, rules = runtime.db(), runtime.rules
        profile = profile_of(runtime, person)
        weeks = weekly_points(db, rules, person.id)
        _ = translator(page_language(request))
        names = {b.id: b.name for b in rules.badges}
        ledger = ledger_page(db, person.id, before=before, limit=LEDGER_PAGE)
        return render(
            request,
            "profile.html",
            person=person,
            profile=profile,
            chart=bar_chart(
                _("Points per week, last 12 weeks"), [(k.split("-")[-1], v) for k, v in weeks]
            ),
            weeks=weeks,
            earned=earned_badges(db, person.id),
            progress=badge_progress(db, rules, person.id),
            badge_names=names,
            ledger=ledger,
            older=ledger[-1].id if len(ledger) == LEDGER_PAGE else None,
            visibilities=VISIBILITIES,
            saved=saved,
            own=viewer_of(request).employee == person.external_id,  # type: ignore[union-attr]
        )

    @post("/me/visibility", status_code=303, sync_to_thread=True)
    def visibility(
        self,
        request: Request,
        data: URLEncodedBody[VisibilityForm],
    ) -> Redirect:
        """Only one's own: HR changes it through the API or Piccolo Admin."""
        runtime = runtime_of(request)
        person = self._person(request, None)
        if data.visibility not in VISIBILITIES:
            raise HTTPException(
                status_code=422,
                detail="unknown visibility",
                extra={"errors": [f"visibility: expected one of {', '.join(VISIBILITIES)}"]},
            )
        db = runtime.db()
        set_visibility(db, person.id, data.visibility)
        runtime.directory.load(db)
        runtime.pages.refresh(db, person.id)
        return Redirect("/me?saved=1", status_code=303)
