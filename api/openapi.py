"""The served OpenAPI document, completed with what Litestar cannot see from the handlers' signatures.

Litestar describes each operation's success answer from its return type. What it cannot see is declared here,
once for every operation, from what the operation has:

- the errors every operation may answer, as RFC 9457 problems (``application/problem+json``; SCIM's own error
  shape under ``/scim/v2``): 401 where a credential is needed, 403 where a guard checks it, 404 where the path
  names something, 400/422 where there are parameters or a body, 413 for a body, 429 where a rate limit
  applies, 503 when the database is away;
- bodies a handler reads raw (a webhook's signature covers its exact bytes; SCIM takes ``application/scim+json``),
  declared in the handler's ``opt["request_body"]``, and answers it writes itself (JSON-LD or a PNG for the same
  URL), declared in ``opt["content"]`` (media type → schema);
- ``additionalProperties: false`` for request structs that refuse unknown fields (``forbid_unknown_fields``), so
  a client generated from the schema does not send what the server then refuses.

A handler declares an answer of its own (a 409, a second success status) with Litestar's ``responses=``; that
declaration is kept. ``tests/test_openapi_contract.py`` fuzzes every operation against this document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    RequestBody,
    Schema,
)
from litestar.routes import HTTPRoute

__all__ = [
    "PNG",
    "PROBLEM_MEDIA_TYPE",
    "SCIM_MEDIA_TYPE",
    "SCIM_RESOURCE",
    "complete_schema",
    "json_object",
    "problem_answer",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
SCIM_MEDIA_TYPE = "application/scim+json"

_PROBLEM = Schema(
    type=OpenAPIType.OBJECT,
    required=["status", "detail"],
    properties={
        "status": Schema(type=OpenAPIType.INTEGER, minimum=400, maximum=599),
        "title": Schema(type=OpenAPIType.STRING),
        "detail": Schema(type=OpenAPIType.STRING),
        "errors": Schema(
            type=OpenAPIType.ARRAY,
            items=Schema(type=OpenAPIType.STRING),
            description="one message per wrong field: `field: what was expected`",
        ),
        "request_id": Schema(type=OpenAPIType.STRING, description="as in X-Request-Id"),
    },
    description="RFC 9457 problem details; some problems add fields (e.g. `boards` on an unknown board)",
)
_SCIM_ERROR = Schema(
    type=OpenAPIType.OBJECT,
    required=["schemas", "status"],
    properties={
        "schemas": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.STRING)),
        "status": Schema(type=OpenAPIType.STRING, description="the HTTP status, as a string"),
        "scimType": Schema(type=OpenAPIType.STRING),
        "detail": Schema(type=OpenAPIType.STRING),
    },
    description="RFC 7644 §3.12 error",
)
_SCIM_RESOURCE = Schema(
    type=OpenAPIType.OBJECT,
    required=["schemas"],
    properties={
        "schemas": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.STRING)),
    },
    description="a SCIM resource or message (RFC 7643, RFC 7644)",
)

#: For ``opt["request_body"]`` of SCIM handlers.
SCIM_RESOURCE = Reference("#/components/schemas/ScimResource")
#: For ``opt["content"]``: an image.
PNG = Schema(type=OpenAPIType.STRING, content_media_type="image/png")

#: Why each error is declared; the detail of an actual answer says what exactly was wrong.
_DESCRIPTIONS = {
    400: "Malformed request (the body is not JSON, a parameter is not of its type)",
    401: "No credential, or one that is unknown, revoked or expired",
    403: "The credential may not do this",
    404: "What the path names does not exist (or is not visible to this credential)",
    409: "Conflicts with the current state",
    413: "Body over the size limit",
    415: "Unsupported content type",
    422: "Invalid input; `errors` names each wrong field",
    429: "Rate limit reached; see Retry-After",
    503: "The database is not reachable right now; see Retry-After",
}

#: Paths outside authentication and rate limits (``api.app.PUBLIC_PATHS``).
_PUBLIC = re.compile(r"^/(webhooks/|health|metrics|schema|ob/)")


def json_object(description: str) -> Schema:
    """A body a handler reads raw, for ``opt={"request_body": ...}``: any JSON object."""
    return Schema(type=OpenAPIType.OBJECT, description=description)


def problem_answer(description: str) -> ResponseSpec:
    """For a handler's ``responses=``: an error answer of its own, with the shape of every other."""
    return ResponseSpec(data_container=None, description=description)


def complete_schema(app: Litestar) -> None:
    """Build the app's OpenAPI document now and complete it (see the module's docstring)."""
    document = app.openapi_schema
    components = document.components.schemas
    components.update(Problem=_PROBLEM, ScimError=_SCIM_ERROR, ScimResource=_SCIM_RESOURCE)
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            for method in handler.http_methods:
                operation = _operation(document, route.path_format, method)
                if operation is not None:
                    _complete(operation, route.path_format, handler)
    _forbid_unknown_fields(document, app)


def _operation(document: OpenAPI, path: str, method: str) -> Operation | None:
    item = (document.paths or {}).get(path)
    return getattr(item, method.lower(), None) if item is not None else None


def _complete(operation: Operation, path: str, handler: HTTPRouteHandler) -> None:
    scim = path.startswith("/scim/")
    if body := handler.opt.get("request_body"):
        types = [SCIM_MEDIA_TYPE, "application/json"] if scim else ["application/json"]
        operation.request_body = RequestBody(
            content={t: OpenAPIMediaType(schema=body) for t in types}, required=True
        )
    responses = operation.responses or {}
    own = {str(status) for status in handler.responses or {}}
    content = handler.opt.get("content") or ({SCIM_MEDIA_TYPE: SCIM_RESOURCE} if scim else None)
    success = responses.get(str(handler.status_code))
    if content and isinstance(success, OpenAPIResponse) and success.content:
        success.content = {t: OpenAPIMediaType(schema=schema) for t, schema in content.items()}
    error = Reference("#/components/schemas/ScimError" if scim else "#/components/schemas/Problem")
    media_type = SCIM_MEDIA_TYPE if scim else PROBLEM_MEDIA_TYPE
    for code in _errors(operation, path, handler):
        if str(code) not in own:
            responses[str(code)] = OpenAPIResponse(
                description=_DESCRIPTIONS[code],
                content={media_type: OpenAPIMediaType(schema=error)},
            )
    # A handler's own errors (``problem_answer``) have the shape of every other error.
    for status in own:
        answer = responses[status]
        if int(status) >= 400 and isinstance(answer, OpenAPIResponse) and not answer.content:
            answer.content = {media_type: OpenAPIMediaType(schema=error)}
    operation.responses = dict(sorted(responses.items()))


def _errors(operation: Operation, path: str, handler: HTTPRouteHandler) -> Iterable[int]:
    public = bool(_PUBLIC.match(path)) or bool(handler.opt.get("exclude_from_auth"))
    has_input = bool(operation.parameters or operation.request_body)
    if not public:
        yield 401
    if handler.resolve_guards():
        yield 403
    if "{" in path:
        yield 404
    if has_input:
        yield from (400, 422)
    if operation.request_body is not None:
        yield 413
        if path.startswith("/scim/"):
            yield 415
    if not _PUBLIC.match(path):
        yield 429
    yield 503


def _forbid_unknown_fields(document: OpenAPI, app: Litestar) -> None:
    """``additionalProperties: false`` on the component of each request struct that refuses unknown fields."""
    strict = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is not None and _refuses_unknown_fields(data.annotation):
                strict.add(data.annotation.__name__)
    for name, schema in document.components.schemas.items():
        if name in strict:
            schema.additional_properties = False


def _refuses_unknown_fields(annotation: object) -> bool:
    return (
        isinstance(annotation, type)
        and issubclass(annotation, msgspec.Struct)
        and annotation.__struct_config__.forbid_unknown_fields
    )
