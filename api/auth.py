"""Who is calling: an API key (tools, HR scripts) or a bearer JWT (employees and HR, from the identity provider).

One middleware reads ``Authorization: Bearer …``: a value starting with ``pk_`` is an API key, anything else a
JWT checked with Litestar's ``Token`` (issuer, audience, expiry). Guards then say what a route needs. Webhooks
are not behind it: their signature is their authentication.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import anyio
import jwt
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.security.jwt import Token
from litestar.security.jwt.token import JWTDecodeOptions

from api.problems import problem
from api.runtime import Runtime
from engine import clock
from engine.people.api_keys import KEY_PREFIX, verify_key

__all__ = [
    "ROLE_SCOPES",
    "Principal",
    "PrincipalMiddleware",
    "options_request",
    "principal_from_token",
    "principal_of",
    "requires_admin",
    "requires_events_write",
    "requires_read",
]

#: Rejected credentials are logged (what, never the credential) for whoever watches for break-in attempts.
log = logging.getLogger("plaudit.api.auth")

#: What a token's role grants. HR administers; employees read and give shoutouts.
ROLE_SCOPES = {"hr": frozenset({"read", "admin", "events:write"}), "employee": frozenset({"read"})}


@dataclass(frozen=True)
class Principal:
    """The caller: ``kind`` is ``key`` or ``user``; ``employee`` is the employee's external id for users."""

    kind: str
    name: str
    scopes: frozenset[str]
    employee: str | None = None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.scopes

    def may_see(self, employee: str) -> bool:
        """Own data, or everyone's for HR (and ``admin`` keys). A ``read`` key (an intranet widget) sees the
        leaderboards and public data only: a profile, a ledger or badges are personal."""
        return self.is_admin or self.employee == employee


class PrincipalMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise problem(401, "send Authorization: Bearer <API key or token>")
        credential = credential.strip()
        runtime: Runtime = connection.app.state.runtime
        if credential.startswith(KEY_PREFIX):
            info = await anyio.to_thread.run_sync(lambda: verify_key(runtime.db(), credential))
            if info is None:
                # The prefix only: enough to find the key in `plaudit api-keys list`, useless to an attacker.
                log.warning("rejected an unknown or revoked API key %s…", credential[:11])
                raise problem(401, "unknown or revoked API key")
            return AuthenticationResult(
                Principal("key", f"key {info.prefix} ({info.name})", frozenset(info.scopes)),
                credential[:11],
            )
        principal = principal_from_token(runtime, credential)
        if principal.employee is None and runtime.directory.find(principal.name) is None:
            # Maybe someone the roster gained since the directory was loaded.
            person = await anyio.to_thread.run_sync(
                lambda: runtime.directory.find_fresh(runtime.db(), principal.name)
            )
            if person is not None:
                principal = Principal(
                    principal.kind, principal.name, principal.scopes, person.external_id
                )
        return AuthenticationResult(principal, None)


def principal_from_token(runtime: Runtime, encoded: str) -> Principal:
    """The caller a signed token names; a 401/403 problem when it is not valid here."""
    config = runtime.config
    key = config.jwt_public_key or config.jwt_secret
    if not key:
        raise problem(
            401, "tokens are not accepted: no PLAUDIT_JWT_SECRET or PLAUDIT_JWT_PUBLIC_KEY set"
        )
    try:
        claims = Token.decode_payload(
            encoded,
            key,
            [config.jwt_algorithm],
            issuer=config.jwt_issuer,
            audience=config.jwt_audience,
            # Expiry is checked against Plaudit's clock below, not PyJWT's own reading of the time.
            # PyJWT takes verify_iat as well; Litestar's TypedDict of its options doesn't list it.
            options=cast(
                JWTDecodeOptions,
                {
                    "require": ["exp", "sub"],
                    "verify_aud": config.jwt_audience is not None,
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            ),
        )
        _check_times(claims)
    except jwt.PyJWTError as exc:
        log.warning("rejected a token: %s", exc)
        raise problem(401, f"invalid token: {exc}") from None
    # Litestar's own Token nests custom claims under "extras"; identity providers put them at the top.
    extras = claims.get("extras") if isinstance(claims.get("extras"), dict) else {}
    roles = claims.get("roles") or extras.get("roles") or [claims.get("role", "employee")]
    if isinstance(roles, str):
        roles = [roles]
    scopes = frozenset().union(*(ROLE_SCOPES.get(r, frozenset()) for r in roles))
    if not scopes:
        raise problem(403, f"token roles {roles} grant nothing here; expected employee or hr")
    subject = str(claims["sub"])
    employee = runtime.directory.find(subject)
    return Principal("user", subject, scopes, employee.external_id if employee else None)


def _check_times(claims: dict[str, Any]) -> None:
    """``exp`` and ``nbf`` as PyJWT checks them, against ``clock.now()``."""
    now = clock.now().timestamp()
    for claim in ("exp", "nbf"):
        value = claims.get(claim)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise jwt.DecodeError(f"{claim} must be a number")
        if claim == "exp" and value <= now:
            raise jwt.ExpiredSignatureError("Signature has expired")
        if claim == "nbf" and value > now:
            raise jwt.ImmatureSignatureError("The token is not yet valid (nbf)")


def principal_of(connection: ASGIConnection) -> Principal:
    user: Principal = connection.user
    return user


def options_request(connection: ASGIConnection) -> bool:
    """An OPTIONS request (the methods a path allows, or a CORS preflight): it reads nothing and names no
    caller (the authentication middleware skips it), so guards let it through instead of failing."""
    return connection.scope.get("method") == "OPTIONS"


def _requires(scope: str) -> Callable[[ASGIConnection, BaseRouteHandler], None]:
    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        if options_request(connection):
            return
        if scope not in principal_of(connection).scopes:
            raise problem(403, f"this needs the {scope!r} scope")

    guard.__name__ = f"requires_{scope.replace(':', '_')}"
    return guard


requires_read = _requires("read")
requires_admin = _requires("admin")
requires_events_write = _requires("events:write")
