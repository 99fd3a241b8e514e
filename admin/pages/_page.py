"""What every page shares: the controller base (session sign-in, HTML errors) and ``render``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    ValidationException,
)
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Redirect, Template

from admin.pages.i18n import language_of, translator
from api.auth import Principal
from api.runtime import Runtime
from engine.people.directory import Person

__all__ = [
    "PageController",
    "actor_of",
    "page_language",
    "render",
    "runtime_of",
    "safe_next",
    "unknown_path",
    "viewer_of",
]


def safe_next(target: str) -> str:
    """Only a path of this site: a sign-in must not be turned into a redirect to somewhere else."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def viewer_of(request: Request) -> Principal | None:
    user = request.scope.get("user")
    return user if isinstance(user, Principal) else None


def _person(request: Request) -> Person | None:
    viewer = viewer_of(request)
    return (
        runtime_of(request).directory.find(viewer.employee) if viewer and viewer.employee else None
    )


def actor_of(request: Request) -> str:
    """Who a change made from a page is recorded as (audit log, ledger, award decisions)."""
    viewer = viewer_of(request)
    return f"hr:{viewer.name}" if viewer else "hr"


def page_language(request: Request) -> str:
    """The language of the page, for texts a handler makes itself."""
    person = _person(request)
    return language_of(request, person.locale if person else None)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Template:
    """A page with what the layout needs: who is looking, in which language, the navigation."""
    runtime = runtime_of(request)
    viewer = viewer_of(request)
    person = _person(request)
    lang = language_of(request, person.locale if person else None)
    return Template(
        template_name=template,
        status_code=status_code,
        context={
            "viewer": viewer,
            "me": person,
            "lang": lang,
            "_": translator(lang),
            "path": request.url.path,
            "program": runtime.rules.name,
            **context,
        },
    )


def _to_login(request: Request, _: NotAuthorizedException) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/login?next={quote(target)}")


def _error_page(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc.extra, dict):
        errors = exc.extra.get("errors") or []
    else:  # Litestar's own validation: a list of {"key", "message"}
        errors = [
            f"{item.get('key')}: {item.get('message')}" if isinstance(item, dict) else str(item)
            for item in exc.extra or []
        ]
    return render(
        request,
        "error.html",
        status_code=exc.status_code,
        status=exc.status_code,
        detail=exc.detail,
        errors=errors,
    )


def unknown_path(api_paths: list[str]) -> Callable[[Request, HTTPException], Response]:
    """An app-level handler for a path or method no route takes: the API's problem JSON on its own paths, an
    error page everywhere else (a mistyped link in a browser)."""
    api = re.compile("|".join(api_paths))

    def handle(request: Request, exc: HTTPException) -> Response:
        if api.match(request.url.path):
            return ProblemDetailsException(
                status_code=exc.status_code, title=exc.detail, extra=exc.extra, headers=exc.headers
            ).to_response(request)
        if isinstance(exc, NotFoundException):
            _ = translator(page_language(request))
            exc = NotFoundException(_("There is no page at this address."))
        return _error_page(request, exc)

    return handle


class PageController(Controller):
    """Pages: signed in by the session cookie (not by bearer credentials), errors shown as a page."""

    include_in_schema = False
    #: ``exclude_from_auth`` is the bearer middleware's key: pages are the session's.
    opt = {"exclude_from_auth": True}
    exception_handlers = {
        NotAuthorizedException: _to_login,
        HTTPException: _error_page,
        ProblemDetailsException: _error_page,  # the API's problems, raised by the shared view code
        ValidationException: _error_page,  # a form or query field of the wrong type
    }
