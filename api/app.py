"""The Litestar application: intake, leaderboards, profiles, shoutouts, HR, operations, OpenAPI at /schema."""

from __future__ import annotations

import hashlib
import logging
import re
import time
import uuid
from collections.abc import Sequence
from functools import partial

import anyio
import psycopg
from litestar import Litestar, Request
from litestar.config.app import AppConfig
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.exceptions import TooManyRequestsException, ValidationException
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsPlugin
from litestar.response import Response
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, OnAppInitHandler, Receive, Scope, Send

from api.auth import PrincipalMiddleware
from api.config import ApiConfig
from api.employee.awards import AwardController
from api.employee.badges import BadgeController, OpenBadgesController
from api.employee.leaderboards import LeaderboardController
from api.employee.profiles import EmployeeController
from api.employee.shoutouts import ShoutoutController
from api.health import HealthController
from api.hr.adjustments import AdjustmentController
from api.hr.api_keys import ApiKeyController
from api.hr.kpis import KpiController
from api.hr.outbox import OutboxController
from api.hr.review import ReviewController
from api.openapi import complete_schema
from api.problems import (
    database_unavailable,
    plaudit_error,
    problem,
    too_many_requests,
    unexpected_error,
)
from api.runtime import Runtime
from api.scim.routes import scim_router
from api.tools.events import EventsController
from api.tools.webhooks import WebhookController
from engine.errors import PlauditError
from engine.logs import log_context

__all__ = ["API_PATHS", "PUBLIC_PATHS", "create_app"]

#: Paths outside authentication: signed webhooks, probes and the API description.
# Open Badges documents are verified by whoever an employee shows a badge to: public by design.
PUBLIC_PATHS = ["^/webhooks/", "^/health", "^/metrics", "^/schema", "^/ob/"]
#: Not for the session cookie of the web pages: the JSON API takes bearer credentials (API keys, tokens).
API_PATHS = [*PUBLIC_PATHS, "^/v1/", "^/scim/"]


access = logging.getLogger("plaudit.access")

#: A request id a caller may send (``X-Request-Id``) and we keep: short, and nothing a log line could be fooled by.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_context(app: ASGIApp) -> ASGIApp:
    """Every answer carries ``X-Request-Id`` (the caller's, or a new one; on every log line of the request and
    in a 500's problem body, so a report can be matched to its log lines) and ``Server-Timing: app;dur=…`` (ms:
    the server's own time, apart from the network). Each request is one line of the access log
    (``plaudit.access``; ``PLAUDIT_ACCESS_LOG=off``): the path without its query string, which may carry a
    sign-in token."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        sent = dict(scope.get("headers", ())).get(b"x-request-id", b"").decode("latin-1")
        request_id = sent if _REQUEST_ID.match(sent) else uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        status = 0

        async def answered(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                duration = f"app;dur={(time.perf_counter() - started) * 1000:.3f}".encode()
                message["headers"] = [
                    *message.get("headers", []),
                    (b"server-timing", duration),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        with log_context(request_id=request_id):
            try:
                await app(scope, receive, answered)
            finally:
                ms = round((time.perf_counter() - started) * 1000, 1)
                method, path = scope.get("method", ""), scope["path"]
                access.info(
                    "%s %s %s %sms",
                    method,
                    path,
                    status,
                    ms,
                    extra={"method": method, "path": path, "status": status, "ms": ms},
                )

    return middleware


def _caller(request: Request) -> str:
    """Rate limits count per credential (hashed: no secret in the store), else per address."""
    # A browser's session counts as its own caller: employees behind one NAT share an address.
    auth = request.headers.get("authorization") or request.cookies.get("plaudit_session")
    if auth:
        return hashlib.sha256(auth.encode()).hexdigest()[:16]
    return request.client.host if request.client else "unknown"


def _rate_limits(config: ApiConfig) -> list[DefineMiddleware]:
    """One limiter per route group, each with its own count per caller: tools' event batches, identity
    providers' SCIM sync, and everything else (the API and the pages). Probes and webhooks are never limited."""
    groups = [
        ("events", "/v1/events", config.events_rate_limit_per_second),
        ("scim", "/scim/", config.scim_rate_limit_per_second),
    ]
    limiters = [
        RateLimitConfig(
            rate_limit=("second", per_second),
            identifier_for_request=_caller,
            exclude=PUBLIC_PATHS,
            check_throttle_handler=partial(_under, prefix),
            store=f"rate_limit_{name}",
        ).middleware
        for name, prefix, per_second in groups
        if per_second
    ]
    if config.rate_limit_per_second:
        limiters.append(
            RateLimitConfig(
                rate_limit=("second", config.rate_limit_per_second),
                identifier_for_request=_caller,
                exclude=[*PUBLIC_PATHS, *(f"^{prefix}" for _, prefix, _ in groups)],
                store="rate_limit_api",
            ).middleware
        )
    return limiters


def _under(prefix: str, request: Request) -> bool:
    return request.url.path.startswith(prefix)


def _invalid_input(request: Request, exc: ValidationException) -> Response:
    """Litestar's body and parameter validation, as a 422 problem naming each field."""
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        key = item.get("key") if isinstance(item, dict) else None
        message = item.get("message") if isinstance(item, dict) else str(item)
        errors.append(f"{key}: {message}" if key else str(message))
    return problem(422, exc.detail or "invalid input", errors or None).to_response(request)


def create_app(
    config: ApiConfig | None = None, on_app_init: Sequence[OnAppInitHandler] = ()
) -> Litestar:
    """The API; ``on_app_init`` adds more to it (``admin.pages.install_pages``: the web pages, /admin/)."""
    config = config or ApiConfig.from_env()
    runtime = Runtime(config)
    app_config = AppConfig(
        route_handlers=[
            WebhookController,
            EventsController,
            LeaderboardController,
            EmployeeController,
            ShoutoutController,
            AdjustmentController,
            ReviewController,
            ApiKeyController,
            BadgeController,
            OpenBadgesController,
            AwardController,
            OutboxController,
            KpiController,
            HealthController,
            scim_router,
        ],
        state=State({"runtime": runtime}),
        middleware=[
            *_rate_limits(config),
            DefineMiddleware(PrincipalMiddleware, exclude=PUBLIC_PATHS),
        ],
        plugins=[ProblemDetailsPlugin(ProblemDetailsConfig(enable_for_all_http_exceptions=True))],
        exception_handlers={
            ValidationException: _invalid_input,
            PlauditError: plaudit_error,
            psycopg.OperationalError: database_unavailable,
            TooManyRequestsException: too_many_requests,
            Exception: unexpected_error,
        },
        request_max_body_size=config.max_body_bytes,
        cors_config=CORSConfig(
            allow_origins=list(config.cors_origins),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
        if config.cors_origins
        else None,
        openapi_config=OpenAPIConfig(
            title="Plaudit",
            version="0.1.0",
            description="Points, leaderboards and recognition for employee-advocacy programs.",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin()],
        ),
        on_startup=[partial(_limit_threads, config.db_connections), lambda: runtime.start()],
        on_shutdown=[lambda: runtime.stop()],
        debug=False,
    )
    for extend in on_app_init:
        app_config = extend(app_config)
    app = Litestar.from_config(app_config)
    # Around Litestar's own error handling and routing (not in ``middleware``, which runs inside them): an
    # error answer, a 404 or a 405 carries the request id and is in the access log with its status too.
    app.asgi_handler = request_context(app.asgi_handler)
    _allow_every_method(app)
    complete_schema(app)
    return app


def _allow_every_method(app: Litestar) -> None:
    """Litestar 2 writes a path's ``Allow`` (its answer to OPTIONS) when the path's first handler is
    registered and keeps it as more are added (litestar#4169, fixed in 3.0): ``OPTIONS /v1/employees/E1`` said
    ``OPTIONS, PATCH`` without GET. Point each such answer at the route that holds every handler."""
    for route in app.routes:
        if isinstance(route, HTTPRoute) and (entry := route.route_handler_map.get("OPTIONS")):
            answer = entry[0].fn
            cells = answer.__closure__ or ()
            if answer.__name__ == "options_handler" and answer.__code__.co_freevars == ("self",):
                cells[0].cell_contents = route


async def _limit_threads(n: int) -> None:
    # Sync handlers run in anyio's worker threads and each thread keeps a database connection: the thread
    # limit is the connection pool's size.
    anyio.to_thread.current_default_thread_limiter().total_tokens = n
