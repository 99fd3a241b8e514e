"""``/scim/v2``: SCIM 2.0 user provisioning (RFC 7643, 7644) for Okta and Microsoft Entra ID.

An identity provider creates, updates, deactivates and deletes the program's employees here, with an API key
carrying the ``scim`` scope (``plaudit api-keys create "Okta" --scope scim``). Users only: groups are not
supported, and the discovery endpoints say so (``/ResourceTypes`` lists User alone; ``/Groups`` is a 404).

Every answer is ``application/scim+json`` and every error the RFC 7644 §3.12 shape (``status`` a string,
``scimType``, ``detail``): the router's exception handlers turn the app's problem details (the authentication
middleware's 401, the rate limit's 429, a body over the size limit) into it. After a change the directory and
the boards are refreshed at once, so a deactivated person leaves the leaderboards with the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import msgspec
from litestar import Request, Response, Router, delete, get, patch, post, put, route
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.enums import HttpMethod
from litestar.exceptions import HTTPException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath
from litestar.plugins.problem_details import ProblemDetailsException
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    Error,
    ETag,
    Filter,
    ForbiddenException,
    InvalidValueException,
    ListResponse,
    Meta,
    NotFoundException,
    Pagination,
    Patch,
    ResourceType,
    Schema,
    SCIMException,
    ServiceProviderConfig,
    Sort,
    UniquenessException,
    User,
)

from api.auth import Principal, options_request
from api.openapi import SCIM_MEDIA_TYPE, SCIM_RESOURCE
from api.problems import ID_LIMIT
from api.runtime import Runtime
from api.scim._protocol import (
    MAX_PAGE_SIZE,
    EnterpriseUser,
    ScimUser,
    decode_object,
    fields_from_user,
    filter_terms,
    patch_changes,
    read_patch,
    read_search,
    read_user,
    scim_user,
)
from engine.people.provisioning import (
    ProvisionedUser,
    ProvisioningError,
    create_user,
    delete_user,
    find_users,
    get_user,
    replace_user,
    update_user,
)

__all__ = ["SCIM_MEDIA_TYPE", "scim_router"]

log = logging.getLogger("plaudit.api.scim")

#: Request bodies we read: SCIM's own type, or plain JSON (some providers' test tools send that).
_ACCEPTED_TYPES = (SCIM_MEDIA_TYPE, "application/json")
DEFAULT_PAGE_SIZE = 100
_GROUPS_UNSUPPORTED = (
    "Groups are not supported: Plaudit provisions users only (assign people to the app directly; "
    "teams come from the enterprise division or the roster)"
)
#: The store's field names in the provider's terms, for error details.
_SCIM_NAMES = {
    "id": "id",
    "user_name": "userName",
    "scim_external_id": "externalId",
    "external_id": f"{EnterpriseUser.__schema__}:employeeNumber (the employee id)",
    "employee_number": f"{EnterpriseUser.__schema__}:employeeNumber",
    "emails": "emails",
    "name": "displayName",
    "given_name": "name.givenName",
    "family_name": "name.familyName",
    "active": "active",
    "team": f"{EnterpriseUser.__schema__}:division",
    "department": f"{EnterpriseUser.__schema__}:department",
    "manager": f"{EnterpriseUser.__schema__}:manager",
    "locale": "locale",
}

T = TypeVar("T")


# -- answers and errors -----------------------------------------------------------------------------------


def _answer(
    body: dict[str, Any] | None, status: int = 200, headers: dict[str, str] | None = None
) -> Response[bytes]:
    return Response(
        content=b"" if body is None else msgspec.json.encode(body),
        status_code=status,
        media_type=SCIM_MEDIA_TYPE,
        headers=headers,
    )


def _error_answer(error: Any, headers: dict[str, str] | None = None) -> Response[bytes]:
    return _answer(
        error.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE),
        int(error.status or 500),
        headers,
    )


def _scim_exception(_: Request, exc: SCIMException) -> Response[bytes]:
    return _error_answer(exc.to_error())


def _http_exception(request: Request, exc: HTTPException) -> Response[bytes]:
    """The app's errors (authentication, rate limit, body size) in the SCIM shape, their headers kept."""
    if isinstance(exc, ValidationException):
        return _scim_exception(request, InvalidValueException(detail=exc.detail))
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="scim"')
    scim_type = "invalidSyntax" if exc.status_code == 400 else None
    return _error_answer(
        Error(status=exc.status_code, scim_type=scim_type, detail=exc.detail), headers
    )


def _provisioning_error(_: Request, exc: ProvisioningError) -> Response[bytes]:
    if exc.kind == "not_found":
        return _scim_exception(_, NotFoundException(detail=exc.message))
    detail = f"{_SCIM_NAMES.get(exc.field, exc.field)}: {exc.message}"
    if exc.kind == "conflict":
        return _scim_exception(_, UniquenessException(detail=detail))
    return _scim_exception(_, InvalidValueException(detail=detail))


def _unexpected(request: Request, exc: Exception) -> Response[bytes]:
    log.exception("SCIM %s %s failed", request.method, request.url.path, exc_info=exc)
    return _error_answer(Error(status=500, detail="internal error; the request was not applied"))


def _requires_scim(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    if options_request(connection) or handler.opt.get("method_not_allowed"):
        return
    principal: Principal = connection.user
    if "scim" not in principal.scopes:
        raise ForbiddenException(
            detail='this needs an API key with the "scim" scope '
            '(plaudit api-keys create "Okta" --scope scim)'
        )


# -- helpers ----------------------------------------------------------------------------------------------


def _runtime(state: State) -> Runtime:
    runtime: Runtime = state.runtime
    return runtime


def _base(runtime: Runtime) -> str:
    return f"{runtime.config.public_url}/scim/v2"


def _location(runtime: Runtime, user_id: int) -> str:
    return f"{_base(runtime)}/Users/{user_id}"


async def _in_thread(work: Callable[[], T]) -> T:
    """Database work in the thread pool (each thread keeps its own connection, see ``api.runtime``)."""
    return await anyio.to_thread.run_sync(work)


async def _body(request: Request) -> dict[str, Any]:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type and media_type not in _ACCEPTED_TYPES:
        raise SCIMException.from_error(
            Error(
                status=415, detail=f"send {SCIM_MEDIA_TYPE} or application/json, not {media_type}"
            )
        )
    return decode_object(await request.body())


def _user_id(raw: str) -> int:
    if not raw.isdigit() or int(raw) > ID_LIMIT:  # ids are 64-bit: a larger number names nobody
        raise NotFoundException(detail=f"no user {raw!r}")
    return int(raw)


def _user_answer(
    runtime: Runtime, user: ProvisionedUser, status: int = 200, query: dict[str, str] | None = None
) -> Response[bytes]:
    location = _location(runtime, user.id)
    resource = scim_user(user, location)
    params = read_search(query) if query else None
    headers = {"ETag": resource.meta.version}
    if status == 201:
        headers["Location"] = location
    return _answer(
        resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=params),
        status,
        headers,
    )


def _meta(runtime: Runtime, resource_type: str, path: str) -> Meta:
    return Meta(resource_type=resource_type, location=f"{_base(runtime)}{path}")


def _listing(resources: list[Any], kind: type) -> dict[str, Any]:
    listed = ListResponse[kind](  # type: ignore[valid-type]
        total_results=len(resources),
        start_index=1,
        items_per_page=len(resources),
        resources=resources,
    )
    return listed.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


# -- users ------------------------------------------------------------------------------------------------


@get("/Users")
async def list_users(request: Request, state: State) -> Response[bytes]:
    """``filter`` (eq on userName, externalId, emails.value, id, employeeNumber; ``and``), ``startIndex``
    (1-based), ``count``: what Okta asks before creating someone, and what Entra asks to match."""
    runtime = _runtime(state)
    query = dict(request.query_params)
    search = read_search(query)
    terms = filter_terms(search.filter)
    start = search.start_index or 1
    count = min(DEFAULT_PAGE_SIZE if search.count is None else search.count, MAX_PAGE_SIZE)
    if terms is None:  # the filter contradicts itself
        users, total = [], 0
    else:
        keywords: dict[str, Any] = dict(terms)
        if "employee_id" in keywords:
            keywords["employee_id"] = int(keywords["employee_id"])
        page = await _in_thread(
            lambda: find_users(runtime.db(), offset=start - 1, limit=count, **keywords)
        )
        users, total = page.users, page.total
    listed = ListResponse[ScimUser](
        total_results=total,
        start_index=start,
        items_per_page=len(users),
        resources=[scim_user(u, _location(runtime, u.id)) for u in users] or None,
    )
    body = listed.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=search)
    # An empty page still lists its (no) resources: Okta and Entra read the array before totalResults.
    body.setdefault("Resources", [])
    return _answer(body)


@post("/Users", opt={"request_body": SCIM_RESOURCE})
async def create(request: Request, state: State) -> Response[bytes]:
    """201 with the user and its Location; 409 uniqueness when the userName, email or employee id is taken."""
    runtime = _runtime(state)
    fields = fields_from_user(read_user(await _body(request), Context.RESOURCE_CREATION_REQUEST))

    def work() -> ProvisionedUser:
        user = create_user(runtime.db(), fields)
        runtime.employee_changed(user.id)
        return user

    return _user_answer(runtime, await _in_thread(work), 201)


@get("/Users/{user_id:str}")
async def read(request: Request, state: State, user_id: FromPath[str]) -> Response[bytes]:
    runtime = _runtime(state)
    employee_id = _user_id(user_id)
    user = await _in_thread(lambda: get_user(runtime.db(), employee_id))
    return _user_answer(runtime, user, query=dict(request.query_params))


@put("/Users/{user_id:str}", opt={"request_body": SCIM_RESOURCE})
async def replace(request: Request, state: State, user_id: FromPath[str]) -> Response[bytes]:
    """Replace what the provider controls; the team stays unless a division is sent."""
    runtime = _runtime(state)
    employee_id = _user_id(user_id)
    fields = fields_from_user(read_user(await _body(request), Context.RESOURCE_REPLACEMENT_REQUEST))

    def work() -> ProvisionedUser:
        user = replace_user(runtime.db(), employee_id, fields)
        runtime.employee_changed(employee_id)
        return user

    return _user_answer(runtime, await _in_thread(work))


@patch("/Users/{user_id:str}", opt={"request_body": SCIM_RESOURCE})
async def change(request: Request, state: State, user_id: FromPath[str]) -> Response[bytes]:
    """Okta's ``{"op": "replace", "value": {"active": false}}``, Entra's ``{"op": "Replace", "path":
    "active", "value": "False"}`` and every path in between; 200 with the user."""
    runtime = _runtime(state)
    employee_id = _user_id(user_id)
    operations = read_patch(await _body(request))

    def work() -> ProvisionedUser:
        db = runtime.db()
        current = get_user(db, employee_id)
        changes = patch_changes(current, operations, _location(runtime, employee_id))
        if not changes:
            return current
        user = update_user(db, employee_id, changes)
        runtime.employee_changed(employee_id)
        return user

    return _user_answer(runtime, await _in_thread(work))


@delete("/Users/{user_id:str}", status_code=204)
async def remove(state: State, user_id: FromPath[str]) -> None:
    """Deprovision: deactivated, gone for the provider (404 from now on), points and badges kept."""
    runtime = _runtime(state)
    employee_id = _user_id(user_id)

    def work() -> None:
        delete_user(runtime.db(), employee_id)
        runtime.employee_changed(employee_id)

    await _in_thread(work)


# -- discovery --------------------------------------------------------------------------------------------


def _service_provider_config(runtime: Runtime) -> ServiceProviderConfig:
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_PAGE_SIZE),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="API key",
                description=(
                    'Authorization: Bearer <API key with the "scim" scope>, made with '
                    'plaudit api-keys create "Okta" --scope scim. Users only: groups are not supported.'
                ),
                primary=True,
            )
        ],
        pagination=Pagination(
            cursor=False,
            index=True,
            default_page_size=DEFAULT_PAGE_SIZE,
            max_page_size=MAX_PAGE_SIZE,
        ),
        meta=_meta(runtime, "ServiceProviderConfig", "/ServiceProviderConfig"),
    )


def _schemas(runtime: Runtime) -> list[Schema]:
    return [
        model.to_schema().model_copy(
            update={"meta": _meta(runtime, "Schema", f"/Schemas/{model.__schema__}")}
        )
        for model in (User, EnterpriseUser)
    ]


def _user_type(runtime: Runtime) -> ResourceType:
    return ResourceType.from_resource(ScimUser).model_copy(
        update={"meta": _meta(runtime, "ResourceType", "/ResourceTypes/User")}
    )


@get("/ServiceProviderConfig")
async def service_provider_config(state: State) -> Response[bytes]:
    config = _service_provider_config(_runtime(state))
    return _answer(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


@get("/Schemas")
async def schemas(state: State) -> Response[bytes]:
    return _answer(_listing(_schemas(_runtime(state)), Schema))


@get("/Schemas/{schema_id:str}")
async def schema(state: State, schema_id: FromPath[str]) -> Response[bytes]:
    for found in _schemas(_runtime(state)):
        if str(found.id).casefold() == schema_id.casefold():
            return _answer(found.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    raise NotFoundException(detail=f"no schema {schema_id!r}")


@get("/ResourceTypes")
async def resource_types(state: State) -> Response[bytes]:
    return _answer(_listing([_user_type(_runtime(state))], ResourceType))


@get("/ResourceTypes/{name:str}")
async def resource_type(state: State, name: FromPath[str]) -> Response[bytes]:
    if name.casefold() == "user":
        found = _user_type(_runtime(state))
        return _answer(found.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    if name.casefold() == "group":
        raise NotFoundException(detail=_GROUPS_UNSUPPORTED)
    raise NotFoundException(detail=f"no resource type {name!r}; this service has User only")


_ALL_METHODS: list[HttpMethod] = [
    HttpMethod.GET,
    HttpMethod.POST,
    HttpMethod.PUT,
    HttpMethod.PATCH,
    HttpMethod.DELETE,
]


@route("/Groups", http_method=_ALL_METHODS, status_code=404, include_in_schema=False)
async def groups() -> Response[bytes]:
    raise NotFoundException(detail=_GROUPS_UNSUPPORTED)


@route("/Groups/{rest:path}", http_method=_ALL_METHODS, status_code=404, include_in_schema=False)
async def group(rest: FromPath[str]) -> Response[bytes]:
    raise NotFoundException(detail=_GROUPS_UNSUPPORTED)


# Routing errors are answered by the app's handlers (problem details) before a route of this router is
# chosen: these routes take every other path and method under /scim/v2, so they too get the SCIM shape.
@route(["/", "/{rest:path}"], http_method=_ALL_METHODS, status_code=404, include_in_schema=False)
async def unknown_endpoint(request: Request) -> Response[bytes]:
    raise NotFoundException(
        detail=f"no SCIM endpoint {request.url.path}; see /scim/v2/ResourceTypes"
    )


async def _method_not_allowed(request: Request) -> Response[bytes]:
    allow = request.route_handler.opt["allow"]
    if request.method == HttpMethod.OPTIONS:
        return _answer(None, 204, {"Allow": allow})
    return _error_answer(
        Error(status=405, detail=f"{request.method} is not allowed on {request.url.path}"),
        {"Allow": allow},
    )


_SCIM_HANDLERS = [
    list_users,
    create,
    read,
    replace,
    change,
    remove,
    service_provider_config,
    schemas,
    schema,
    resource_types,
    resource_type,
]


def _not_allowed_handlers() -> list[HTTPRouteHandler]:
    """For each path above, a handler of the methods it does not take: a 405 in the SCIM shape (the app's
    router would answer problem details), and OPTIONS, whose ``Allow`` lists what the path takes (Litestar's own
    would list these handlers' methods too)."""
    taken: dict[str, set[HttpMethod]] = {}
    for handler in _SCIM_HANDLERS:
        for path in handler.paths:
            taken.setdefault(path, set()).update(HttpMethod(m) for m in handler.http_methods)
    return [
        route(
            path,
            http_method=[HttpMethod.OPTIONS, *(m for m in _ALL_METHODS if m not in methods)],
            status_code=405,
            include_in_schema=False,
            exclude_from_auth=True,  # a 405 says what the path takes, whoever asks (as the app's router does)
            opt={"method_not_allowed": True, "allow": ", ".join(sorted({*methods, "OPTIONS"}))},
        )(_method_not_allowed)
        for path, methods in taken.items()
    ]


scim_router = Router(
    path="/scim/v2",
    # The OPTIONS handlers first: a path whose first handler has no OPTIONS gets Litestar's, and ours would clash.
    route_handlers=[*_not_allowed_handlers(), *_SCIM_HANDLERS, groups, group, unknown_endpoint],
    guards=[_requires_scim],
    exception_handlers={
        SCIMException: _scim_exception,
        ProvisioningError: _provisioning_error,
        ProblemDetailsException: _http_exception,
        ValidationException: _http_exception,
        HTTPException: _http_exception,
        Exception: _unexpected,
    },
    tags=["scim"],
)
