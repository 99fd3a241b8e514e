"""Errors in one shape: RFC 9457 problem details, naming the fields that are wrong."""

from __future__ import annotations

import logging

import psycopg
from litestar import Request, Response
from litestar.exceptions import TooManyRequestsException
from litestar.plugins.problem_details import ProblemDetailsException

from engine.errors import PlauditError

__all__ = [
    "ID_LIMIT",
    "RETRY_AFTER_SECONDS",
    "STATUS_OF_KIND",
    "database_unavailable",
    "plaudit_error",
    "problem",
    "too_many_requests",
    "unexpected_error",
]

log = logging.getLogger("plaudit.api")

#: What a 503 asks the client to wait: about the time PostgreSQL takes to come back from a restart.
RETRY_AFTER_SECONDS = 2

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Request too large",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def problem(
    status: int,
    detail: str,
    errors: list[str] | None = None,
    headers: dict[str, str] | None = None,
    **extra: object,
) -> ProblemDetailsException:
    """A problem details exception; ``errors`` lists one message per wrong field (``field: what was expected``)."""
    body: dict[str, object] = dict(extra)
    if errors:
        body["errors"] = errors
    return ProblemDetailsException(
        detail=detail,
        status_code=status,
        title=TITLES.get(status),
        extra=body or None,
        headers=headers,
    )


#: What the engine refuses (``engine.errors.PlauditError.kind``) as an HTTP status, in one place.
#: The largest id or cursor a request may name, refused by name (422/404) above it: a 64-bit column would overflow
#: (a 500), and JSON clients hold integers exactly up to 2^53 - 1 (JavaScript's MAX_SAFE_INTEGER; a schema's
#: ``maximum`` is compared as a double, so a larger bound would admit numbers the server refuses).
ID_LIMIT = 2**53 - 1

STATUS_OF_KIND = {
    "invalid": 422,
    "early": 422,
    "not_found": 404,
    "forbidden": 403,
    "conflict": 409,
    "decided": 409,
    "allowance": 409,
}


def plaudit_error(request: Request, exc: PlauditError) -> Response:
    """Any refusal of the engine that a handler did not answer itself, as a problem naming the field."""
    status = STATUS_OF_KIND.get(exc.kind, 422)
    return problem(status, str(exc), exc.problems).to_response(request)


def database_unavailable(request: Request, exc: psycopg.OperationalError) -> Response:
    """PostgreSQL went away (a restart, a failover): a 503 the client may retry, never a 500. The connection
    that failed is marked broken, so this thread's next request opens a new one (``Runtime.db``)."""
    log.warning(
        "database unavailable: %s (%s %s)", type(exc).__name__, request.method, request.url.path
    )
    return problem(
        503,
        "the database is not reachable right now; try again shortly",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    ).to_response(request)


def too_many_requests(request: Request, exc: TooManyRequestsException) -> Response:
    """A rate limit reached: the problem says which limit, and ``Retry-After`` when to come back (the
    limiter's own RateLimit-* headers stay)."""
    headers = dict(exc.headers or {})
    reset = headers.get("RateLimit-Reset", "1")
    headers["Retry-After"] = str(max(1, int(reset) if reset.isdigit() else 1))
    return problem(
        429, "too many requests for this credential; try again after Retry-After", headers=headers
    ).to_response(request)


def unexpected_error(request: Request, exc: Exception) -> Response:
    """What no handler expected: logged once, with the traceback and the request id, and answered as a 500
    problem that carries the same id (``X-Request-Id``), so a report can be matched to its log lines."""
    request_id = request.scope.get("state", {}).get("request_id", "-")
    log.error(
        "unexpected error on %s %s (request %s)",
        request.method,
        request.url.path,
        request_id,
        exc_info=exc,
    )
    return problem(
        500, "internal error; it was logged with this request id", request_id=request_id
    ).to_response(request)
