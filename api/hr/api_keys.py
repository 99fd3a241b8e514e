"""``/v1/api-keys``: the tools' API keys, created and revoked by HR; a key is shown once and stored hashed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, Parameter

from api.auth import requires_admin
from api.problems import ID_LIMIT, problem
from api.runtime import Runtime
from engine.people.api_keys import SCOPES, ApiKeyInfo, create_key, list_keys, revoke_key

__all__ = ["ApiKeyController"]


class NewKey(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1)]
    scopes: list[str]


class KeyView(msgspec.Struct):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_by: str
    created_at: datetime
    revoked_at: datetime | None = None
    key: str | None = None  # only in the answer to POST, once


def _view(info: ApiKeyInfo, key: str | None = None) -> KeyView:
    return KeyView(
        info.id,
        info.name,
        info.prefix,
        list(info.scopes),
        info.created_by,
        info.created_at,
        info.revoked_at,
        key,
    )


class ApiKeyController(Controller):
    path = "/v1/api-keys"
    tags = ["hr"]
    guards = [requires_admin]

    @post("/", sync_to_thread=True, status_code=201)
    def create(self, request: Request, state: State, data: JSONBody[NewKey]) -> KeyView:
        """Create a key; the answer shows it once (only its hash is kept)."""
        runtime: Runtime = state.runtime
        if not data.name.strip():
            raise problem(422, "name the key", ["name: must not be empty"])
        try:
            created = create_key(runtime.db(), data.name.strip(), data.scopes, request.user.name)
        except ValueError as exc:
            raise problem(422, str(exc), [f"{exc}; known scopes: {', '.join(SCOPES)}"]) from None
        return _view(created.info, created.key)

    @get("/", sync_to_thread=True)
    def list(self, state: State) -> list[KeyView]:
        """Every key, without the keys themselves."""
        return [_view(info) for info in list_keys(state.runtime.db())]

    @delete("/{key_id:int}", sync_to_thread=True)
    def revoke(self, state: State, key_id: int = Parameter(ge=1, le=ID_LIMIT)) -> None:
        """Revoke a key at once."""
        if not revoke_key(state.runtime.db(), key_id):
            raise problem(404, f"no API key {key_id}")
