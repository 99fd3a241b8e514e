"""Errors in one shape: RFC 9457 problem details, naming the fields that are wrong."""

from __future__ import annotations

from litestar import Request, Response
from litestar.plugins.problem_details import ProblemDetailsException

from engine.errors import PlauditError

__all__ = ["STATUS_OF_KIND", "plaudit_error", "problem"]

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Request too large",
    422: "Invalid input",
    429: "Too many requests",
}


def problem(
    status: int, detail: str, errors: list[str] | None = None, **extra: object
) -> ProblemDetailsException:
    """A problem details exception; ``errors`` lists one message per wrong field (``field: what was expected``)."""
    body: dict[str, object] = dict(extra)
    if errors:
        body["errors"] = errors
    return ProblemDetailsException(
        detail=detail, status_code=status, title=TITLES.get(status), extra=body or None
    )


#: What the engine refuses (``engine.errors.PlauditError.kind``) as an HTTP status, in one place.
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
