"""Signing in to the pages: HR with a password, anyone with a sign-in link; a session cookie afterwards.

The JSON API takes bearer credentials; a browser keeps a session instead (Litestar's ``SessionAuth`` with
client-side cookie sessions, encrypted with a secret, so several API processes share sessions without a
store). Two ways in:

* HR accounts (``plaudit hr add``) sign in with a password. The same account is signed in to Piccolo Admin at
  /admin/ at once: its session row is made here and its cookie set for /admin.
* A sign-in link ``/login/token?token=…`` carries a signed token, from the identity provider or from
  ``plaudit token --link`` on the embedded default; it is exchanged for the session and the address is
  replaced at once, so the token does not stay in the address bar or the history.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException
from litestar.middleware.session.client_side import ClientSideSessionBackend, CookieBackendConfig
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.security.session_auth import SessionAuth
from msgspec import Struct

from admin.pages._page import PageController, render, safe_next
from admin.pages.i18n import LANGUAGE_COOKIE, LANGUAGES
from api.auth import ROLE_SCOPES, Principal, principal_from_token
from api.config import ApiConfig
from api.runtime import Runtime
from engine.storage.tables import HrSession, HrUser

__all__ = ["LoginPages", "page_session", "session_secret"]

#: How long a page session lasts; Piccolo Admin's session for the same sign-in lasts as long.
SESSION_HOURS = 8
#: Piccolo Admin's session cookie (piccolo_api's default name), scoped to its path.
ADMIN_COOKIE = "id"


def session_secret(config: ApiConfig) -> bytes:
    """32 bytes for the session cookies: ``PLAUDIT_SESSION_SECRET``, else derived from the token secret."""
    base = config.session_secret or config.jwt_secret
    if not base:
        raise ValueError(
            "PLAUDIT_SESSION_SECRET: required for the web pages when tokens come from an identity "
            "provider (PLAUDIT_JWT_PUBLIC_KEY)"
        )
    return hashlib.sha256(b"plaudit pages session\0" + base.encode()).digest()


async def _principal(session: dict[str, Any], connection: ASGIConnection) -> Principal | None:
    runtime: Runtime = connection.app.state.runtime
    roles = session.get("roles") or []
    scopes = frozenset().union(*(ROLE_SCOPES.get(r, frozenset()) for r in roles))
    subject = session.get("sub")
    if not subject or not scopes:
        return None
    person = runtime.directory.find(session.get("employee") or subject)
    if person is not None and not person.active:
        return None  # left the company since signing in
    return Principal("user", subject, scopes, person.external_id if person else None)


def page_session(
    secret: bytes, exclude: list[str]
) -> SessionAuth[Principal, ClientSideSessionBackend]:
    return SessionAuth[Principal, ClientSideSessionBackend](
        retrieve_user_handler=_principal,
        session_backend_config=CookieBackendConfig(
            secret=secret,
            key="plaudit_session",
            max_age=SESSION_HOURS * 3600,
            httponly=True,
            samesite="lax",
        ),
        exclude=exclude,
        exclude_opt_key="exclude_from_session",
    )


class PasswordLogin(Struct):
    username: str = ""
    password: str = ""
    next: str = "/"


class LoginPages(PageController):
    opt = {"exclude_from_auth": True, "exclude_from_session": True}

    @get("/login")
    async def form(
        self, request: Request, next: FromQuery[str] = "/", failed: FromQuery[bool] = False
    ) -> Template:
        return render(request, "login.html", next=safe_next(next), failed=failed)

    @post("/login", status_code=303)
    async def password(
        self,
        request: Request,
        data: URLEncodedBody[PasswordLogin],
    ) -> Redirect:
        user_id = await HrUser.login(data.username.strip(), data.password)
        if user_id is None:
            return Redirect(f"/login?failed=1&next={quote(safe_next(data.next))}", status_code=303)
        row = await HrUser.select(HrUser.email).where(HrUser.id == user_id).first()
        now = datetime.now()  # naive local time: what piccolo_api's sessions compare with
        admin = await HrSession.create_session(
            user_id=user_id,
            expiry_date=now + timedelta(hours=SESSION_HOURS),
            max_expiry_date=now + timedelta(hours=SESSION_HOURS),
        )
        request.set_session(
            {
                "sub": data.username.strip(),
                "roles": ["hr"],
                "employee": (row or {}).get("email") or None,
                # Its cookie is scoped to /admin and never reaches /logout: signing out ends it by this.
                "admin_session": admin.token,
            }
        )
        secure = request.url.scheme == "https"
        return Redirect(
            safe_next(data.next),
            status_code=303,
            cookies=[
                Cookie(
                    key=ADMIN_COOKIE,
                    value=admin.token,
                    path="/admin",
                    httponly=True,
                    samesite="strict",
                    secure=secure,
                    max_age=SESSION_HOURS * 3600,
                )
            ],
        )

    @get("/login/token")
    async def link(
        self, request: Request, token: FromQuery[str], next: FromQuery[str] = "/"
    ) -> Redirect:
        runtime: Runtime = request.app.state.runtime
        try:
            principal = principal_from_token(runtime, token)
        except HTTPException as exc:
            raise HTTPException(
                status_code=401, detail=f"this sign-in link: {exc.detail}"
            ) from None
        request.set_session(
            {
                "sub": principal.name,
                "roles": ["hr"] if principal.is_admin else ["employee"],
                "employee": principal.employee,
            }
        )
        return Redirect(safe_next(next))

    @get("/lang/{code:str}")
    async def language(self, code: FromPath[str], next: FromQuery[str] = "/") -> Redirect:
        """Remember the language picked in the footer (a year; it is no secret)."""
        if code not in LANGUAGES:
            raise HTTPException(status_code=404, detail=f"no language {code!r}")
        return Redirect(
            safe_next(next),
            cookies=[Cookie(key=LANGUAGE_COOKIE, value=code, max_age=365 * 86400, samesite="lax")],
        )

    @post("/logout", status_code=303, opt={"exclude_from_session": False})
    async def logout(self, request: Request) -> Redirect:
        token = (request.session or {}).get("admin_session")
        if token:
            await HrSession.remove_session(token=token)
        request.clear_session()
        response = Redirect("/login", status_code=303)
        response.delete_cookie(ADMIN_COOKIE, path="/admin")
        return response
