"""Errors in one shape: RFC 9457 problem details, naming the fields that are wrong."""

from __future__ import annotations

from litestar.plugins.problem_details import ProblemDetailsException

__all__ = ["problem"]

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
