"""SCIM 2.0 protocol details for ``api/scim/routes.py``: the models, reading payloads the way Okta and Entra ID send
them, filters turned into the store's equality look-ups, PATCH operations turned into changed fields.

scim2-models does the protocol: validation per request context (read-only attributes ignored, ``userName``
required), filter and path grammar with case-insensitive attribute names, PATCH application (case-insensitive
ops, path and no-path forms, ``emails[type eq "work"].value``). What is left here is the mapping to and from
``engine.people.provisioning`` and a few providers' habits the RFC does not cover.
"""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from typing import Annotated, Any

import msgspec
import scim2_models as scim
from pydantic import Field, ValidationError
from scim2_models import (
    Context,
    Email,
    InvalidFilterException,
    InvalidSyntaxException,
    Meta,
    Name,
    PatchOp,
    Required,
    SCIMException,
    ScimFilter,
    ScimPolicy,
    SearchRequest,
    User,
)
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    LogicalExpr,
    LogicalOperator,
    ValuePath,
)

from engine.people.provisioning import EmailAddress, ProvisionedUser, UserFields

__all__ = [
    "ENTERPRISE_URN",
    "MAX_PAGE_SIZE",
    "POLICY",
    "EnterpriseUser",
    "ScimManager",
    "ScimUser",
    "decode_object",
    "fields_from_user",
    "filter_terms",
    "invalid",
    "patch_changes",
    "read_patch",
    "read_search",
    "read_user",
    "scim_user",
]

ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#: ``count`` above this is cut to it (RFC 7644 §3.4.2.4 lets a provider return fewer).
MAX_PAGE_SIZE = 200

#: What we tolerate from providers. Attributes we do not keep (an admin's custom mapping) are ignored rather
#: than refused: PATCH operations apply all or nothing, and Entra sends ``active: False`` in the same PATCH as
#: the other attributes, so refusing one unknown attribute would keep a leaver earning. Entra's ``remove`` with
#: a value and its ``add`` to ``emails[type eq "work"].value`` on a user without one are applied as it means.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


class ScimManager(scim.Manager):
    """The enterprise manager with ``$ref`` optional: Entra and Okta send only ``value``."""

    ref: Annotated[scim.Reference[User] | None, Required.false] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )


class EnterpriseUser(scim.EnterpriseUser):
    """The enterprise extension (RFC 7643 §4.3) with that manager."""

    manager: ScimManager | None = None


ScimUser = User[EnterpriseUser]

#: Filterable attributes (binding URNs, casefolded) -> ``engine.people.provisioning.find_users`` keyword.
_FILTERABLE = {
    "urn:ietf:params:scim:schemas:core:2.0:user:id": "employee_id",
    "urn:ietf:params:scim:schemas:core:2.0:user:username": "user_name",
    "urn:ietf:params:scim:schemas:core:2.0:user:externalid": "scim_external_id",
    "urn:ietf:params:scim:schemas:core:2.0:user:emails.value": "email",
    f"{ENTERPRISE_URN.casefold()}:employeenumber": "external_id",
}
_FILTER_HELP = (
    "supported: eq on userName, externalId, emails.value (or emails[value eq …]), id and the enterprise "
    "employeeNumber, joined by and"
)


def invalid(exc: ValidationError) -> SCIMException:
    """A pydantic validation error as the SCIM error it stands for (invalidValue, invalidSyntax, …), every
    problem named in the detail."""
    errors = scim.Error.from_validation_errors(exc)
    first = errors[0]
    detail = "; ".join(e.detail or "" for e in errors)
    return SCIMException.from_error(
        scim.Error(status=first.status or 400, scim_type=first.scim_type, detail=detail)
    )


def decode_object(body: bytes) -> dict[str, Any]:
    """A request body that must be one JSON object."""
    try:
        payload = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise InvalidSyntaxException(detail=f"the body is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise InvalidSyntaxException(detail="the body must be a JSON object")
    return payload


def _wrap_managers(value: Any) -> Any:
    """Entra (before its 2020 fix) and some Okta mappings send ``manager`` as a bare id: the SCIM form is
    ``{"value": id}``."""
    if isinstance(value, list):
        return [_wrap_managers(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        folded = key.casefold() if isinstance(key, str) else key
        if isinstance(folded, str) and (folded == "manager" or folded.endswith(":manager")):
            out[key] = {"value": item} if isinstance(item, str) else item
        else:
            out[key] = _wrap_managers(item)
    return out


def read_user(payload: dict[str, Any], context: Context) -> Any:
    """A POST (creation) or PUT (replacement) body as a ``ScimUser``; SCIMException when it is not one."""
    try:
        return ScimUser.model_validate(
            _wrap_managers(payload), scim_ctx=context, scim_policy=POLICY
        )
    except ValidationError as exc:
        raise invalid(exc) from None


def read_patch(payload: dict[str, Any]) -> Any:
    """A PATCH body as a ``PatchOp[ScimUser]``."""
    operations = payload.get("Operations")
    if isinstance(operations, list):
        payload = {**payload, "Operations": [_wrap_patch_op(op) for op in operations]}
    try:
        return PatchOp[ScimUser].model_validate(
            payload, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=POLICY
        )
    except ValidationError as exc:
        raise invalid(exc) from None


def _wrap_patch_op(op: Any) -> Any:
    if not isinstance(op, dict):
        return op
    path = op.get("path")
    value = op.get("value")
    if isinstance(path, str) and path.casefold().endswith(":manager") and isinstance(value, str):
        return {**op, "value": {"value": value}}
    return {**op, "value": _wrap_managers(value)} if isinstance(value, dict) else op


def read_search(query: dict[str, str]) -> Any:
    """``filter``, ``startIndex``, ``count``, ``attributes``, ``excludedAttributes`` of a list request (names
    matched without case) as a ``SearchRequest[ScimUser]``; ``sortBy`` is ignored (sorting unsupported)."""
    names = {"filter", "startindex", "count", "attributes", "excludedattributes"}
    wanted = {
        {"startindex": "startIndex", "excludedattributes": "excludedAttributes"}.get(k, k): v
        for key, v in query.items()
        if (k := key.casefold()) in names
    }
    try:
        return SearchRequest[ScimUser].model_validate(
            wanted, scim_ctx=Context.SEARCH_REQUEST, scim_policy=POLICY
        )
    except ValidationError as exc:
        raise invalid(exc) from None


def filter_terms(scim_filter: ScimFilter | None) -> dict[str, str] | None:
    """The filter as ``find_users`` keywords; None when it cannot match anyone (one attribute compared with
    two values). InvalidFilterException for what the store cannot look up."""
    if scim_filter is None:
        return {}
    node = scim_filter.ast
    terms = (
        list(node.terms)
        if isinstance(node, LogicalExpr) and node.op == LogicalOperator.and_
        else [node]
    )
    found: dict[str, str] = {}
    satisfiable = True
    for term in terms:
        if isinstance(term, ValuePath) and str(term.attr_path).casefold() == "emails":
            inner = term.val_filter
            if isinstance(inner, Comparison) and inner.attr_path.attr.casefold() == "value":
                term = Comparison(AttrPath("emails", "value"), inner.op, inner.value)
        if not isinstance(term, Comparison) or term.op != CompareOperator.eq:
            raise InvalidFilterException(detail=f"filter {str(scim_filter)!r}: {_FILTER_HELP}")
        binding = scim_filter.resolve_comparison(term.attr_path)
        key = _FILTERABLE.get(binding.urn.casefold()) if binding is not None else None
        if key is None or not isinstance(term.value, str | int) or isinstance(term.value, bool):
            raise InvalidFilterException(detail=f"filter {str(scim_filter)!r}: {_FILTER_HELP}")
        value = str(term.value)
        if key in found and found[key] != value:
            satisfiable = False
        found[key] = value
    if "employee_id" in found and not found["employee_id"].isdigit():
        satisfiable = False
    return found if satisfiable else None


def _text(value: Any) -> str | None:
    """A string attribute with blanks read as absent."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def fields_from_user(user: Any) -> UserFields:
    """What the store keeps of a SCIM user (team from the enterprise ``division``; organization is ignored)."""
    enterprise = user[EnterpriseUser]
    name = user.name
    emails = tuple(
        EmailAddress(str(e.value), str(e.type) if e.type is not None else None, bool(e.primary))
        for e in user.emails or ()
        if e.value
    )
    manager = enterprise.manager if enterprise is not None else None
    return UserFields(
        user_name=user.user_name or "",
        scim_external_id=_text(user.external_id),
        employee_number=_text(enterprise.employee_number) if enterprise else None,
        given_name=_text(name.given_name) or "" if name else "",
        family_name=_text(name.family_name) or "" if name else "",
        name=_text(user.display_name) or (_text(name.formatted) if name else None),
        emails=emails,
        active=user.active if user.active is not None else True,
        team=_text(enterprise.division) if enterprise else None,
        department=_text(enterprise.department) if enterprise else None,
        manager=_text(manager.value) if manager is not None else None,
        locale=_text(user.locale),
    )


def _email(address: str) -> Email:
    try:
        return Email(value=address, type=Email.Type.work, primary=True)
    except ValidationError:
        # The roster accepts addresses pydantic refuses (a .local domain): show them as stored.
        return Email.model_construct(value=address, type=Email.Type.work, primary=True)


def scim_user(user: ProvisionedUser, location: str) -> Any:
    """The ``ScimUser`` of a stored user. ``employeeNumber`` is the employee's external id (what tools call
    them), ``manager.value`` the manager's id when we know them, ``meta.version`` changes with every change."""
    resource = ScimUser(
        id=str(user.id),
        external_id=user.scim_external_id,
        user_name=user.user_name,
        name=Name(
            given_name=user.given_name or None,
            family_name=user.family_name or None,
            formatted=user.name or None,
        ),
        display_name=user.name or None,
        active=user.active,
        locale=user.locale or None,
        emails=[_email(user.email)] if user.email else None,
        meta=Meta(
            resource_type="User",
            created=user.created_at,
            last_modified=user.updated_at,
            location=location,
            version=f'W/"{int(user.updated_at.timestamp() * 1_000_000)}"',
        ),
    )
    manager = None
    if user.manager_external_id:
        value = str(user.manager_id) if user.manager_id is not None else user.manager_external_id
        manager = ScimManager(value=value, ref=None)
    resource[EnterpriseUser] = EnterpriseUser(
        employee_number=user.external_id,
        department=user.department or None,
        division=user.team or None,
        manager=manager,
    )
    return resource


def patch_changes(user: ProvisionedUser, patch: Any, location: str) -> dict[str, Any]:
    """Apply a PATCH to the user's SCIM form and return the store's fields it changed (``update_user``'s
    argument); SCIMException when an operation does not apply (read-only path, no target, bad value)."""
    resource = scim_user(user, location)
    before = fields_from_user(resource)
    try:
        patch.patch(resource, scim_policy=POLICY)
    except ValidationError as exc:
        raise invalid(exc) from None
    after = fields_from_user(resource)
    changes = {
        f.name: getattr(after, f.name)
        for f in dataclass_fields(UserFields)
        if getattr(after, f.name) != getattr(before, f.name)
    }
    if "emails" in changes:
        changes["emails"] = tuple(changes["emails"])
    return changes
