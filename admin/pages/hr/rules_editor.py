"""The rules editor for HR: rules.yaml in the browser, its problems at their lines, a simulation of the draft
on the last days of real events, and publishing it as a new immutable version with an audit entry.

The draft travels with each form post (a rules file is a few dozen KB: too big for a cookie, and a draft
store would be one more thing to clean up); nothing is stored until HR publishes.
"""

from __future__ import annotations

import time

from litestar import Request, get, post
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from msgspec import Struct

from admin.pages._page import PageController, actor_of, render, runtime_of
from api.auth import requires_admin
from engine.insight.simulate import simulate_recent
from engine.scoring.rulesets import PublishError, publish
from engine.storage.audit import recent
from rules import CompiledRules, RuleIssue, RulesError, failing_tests, load_rules_text

__all__ = ["RulesEditorPage"]

#: The simulation's default window, and its longest (a year of events is a long wait in a browser).
DEFAULT_DAYS = 30
MAX_DAYS = 365
FILENAME = "rules.yaml"


class DraftForm(Struct):
    text: str
    days: int = DEFAULT_DAYS


def _compile(text: str) -> tuple[CompiledRules | None, list[RuleIssue]]:
    """The draft compiled, and its problems: all of them when it does not compile, else its failing tests."""
    try:
        draft = load_rules_text(text, filename=FILENAME, run_tests=False)
    except RulesError as exc:
        return None, exc.issues
    return draft, failing_tests(draft, FILENAME)


def _version_line(text: str) -> int:
    """The line of ``version:`` under ``program:``, where a version clash is fixed."""
    in_program = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("program:"):
            in_program = True
        elif in_program and line.strip().startswith("version:"):
            return number
        elif line[:1].isalpha():
            in_program = False
    return 1


class RulesEditorPage(PageController):
    path = "/hr/rules"
    guards = [requires_admin]

    def _editor(
        self, request: Request, text: str, status_code: int = 200, **extra: object
    ) -> Template:
        runtime = runtime_of(request)
        issues: list[RuleIssue] = extra.pop("issues", [])  # type: ignore[assignment]
        return render(
            request,
            "rules.html",
            status_code=status_code,
            text=text,
            lines=text.count("\n") + 1,
            issues=issues,
            bad_lines={i.line for i in issues},
            current=runtime.rules,
            days=extra.pop("days", DEFAULT_DAYS),
            history=recent(runtime.db(), limit=10, action="rules.published"),
            **extra,
        )

    @get("/", sync_to_thread=True)
    def edit(self, request: Request, published: FromQuery[str | None] = None) -> Template:
        return self._editor(request, runtime_of(request).rules.text, published=published)

    @post("/", sync_to_thread=True, status_code=200)
    def act(
        self,
        request: Request,
        data: URLEncodedBody[DraftForm],
        action: FromQuery[str] = "validate",
    ) -> Template | Redirect:
        """``action``: validate, simulate or publish; a draft with problems is only ever validated."""
        runtime = runtime_of(request)
        text = data.text.replace("\r\n", "\n")
        days = min(max(data.days, 1), MAX_DAYS)
        draft, issues = _compile(text)
        # A draft's own tests may still expect the old points: simulating shows what changes, so a failing
        # test is shown beside the simulation, where validating and publishing refuse it.
        if draft is None or (issues and action != "simulate"):
            return self._editor(request, text, 422, issues=issues, days=days, action=action)
        if action == "simulate":
            started = time.perf_counter()
            simulation = simulate_recent(runtime.db(), draft, days)
            took = time.perf_counter() - started
            names = {p.external_id: p.name for p in runtime.directory.by_id.values()}
            return self._editor(
                request,
                text,
                days=days,
                simulation=simulation,
                took=took,
                names=names,
                issues=issues,
            )
        if action == "publish":
            try:
                rules, new = publish(runtime.db(), draft, actor=actor_of(request))
            except PublishError as exc:
                issue = RuleIssue(FILENAME, _version_line(text), 1, exc.message)
                return self._editor(request, text, 409, issues=[issue], days=days)
            runtime.published()
            if not new:
                return self._editor(request, text, days=days, unchanged=rules.version, draft=draft)
            return Redirect(f"/hr/rules/?published={rules.version}", status_code=303)
        return self._editor(request, text, days=days, valid=True, draft=draft)

    @get("/history", sync_to_thread=True)
    def history(self, request: Request) -> Template:
        runtime = runtime_of(request)
        return render(
            request,
            "rules_history.html",
            entries=recent(runtime.db(), limit=50, action="rules.published"),
        )
