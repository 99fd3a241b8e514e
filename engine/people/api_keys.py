"""API keys for tools and HR scripts: created and revoked by HR, stored as a hash, shown once.

Keys are 32 random bytes, so a plain SHA-256 is enough to store them (a slow password hash protects guessable
secrets, not random ones) and a lookup is one indexed query on the prefix.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import msgspec

from engine import clock
from engine.storage.database import Database

__all__ = [
    "SCOPES",
    "ApiKeyInfo",
    "CreatedKey",
    "create_key",
    "list_keys",
    "revoke_key",
    "verify_key",
]

#: events:write sends events; read reads boards, profiles and feeds; admin is HR: keys, adjustments, everything;
#: scim is an identity provider (Okta, Entra ID) provisioning employees at /scim/v2.
SCOPES = ("events:write", "read", "admin", "scim")
KEY_PREFIX = "pk_"
_PREFIX_LEN = 11  # "pk_" + 8 characters


@dataclass(frozen=True)
class ApiKeyInfo:
    id: int
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class CreatedKey:
    info: ApiKeyInfo
    #: The key itself: returned once, never stored.
    key: str


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _info(db: Database, row: tuple) -> ApiKeyInfo:
    kid, name, prefix, scopes, created_by, created_at, revoked_at = row
    return ApiKeyInfo(
        kid,
        name,
        prefix,
        tuple(msgspec.json.decode(scopes) if isinstance(scopes, str) else scopes),
        created_by,
        db.read_ts(created_at),
        db.read_ts(revoked_at) if revoked_at else None,
    )


_COLUMNS = "id, name, prefix, scopes, created_by, created_at, revoked_at"


def create_key(db: Database, name: str, scopes: list[str], created_by: str) -> CreatedKey:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ValueError(
            f"scopes: expected some of {', '.join(SCOPES)}, got {', '.join(scopes) or 'none'}"
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with db.transaction():
        db.execute(
            'INSERT INTO "api_key" (name, prefix, key_hash, scopes, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)',
            [
                name,
                key[:_PREFIX_LEN],
                _hash(key),
                msgspec.json.encode(scopes).decode(),
                created_by,
                db.ts(clock.now()),
            ],
        )
        row = db.query(f'SELECT {_COLUMNS} FROM "api_key" WHERE prefix = ?', [key[:_PREFIX_LEN]])[0]
    return CreatedKey(_info(db, row), key)


def verify_key(db: Database, key: str) -> ApiKeyInfo | None:
    """The key's record if the key is valid and not revoked."""
    if not key.startswith(KEY_PREFIX):
        return None
    rows = db.query(
        f'SELECT {_COLUMNS}, key_hash FROM "api_key" WHERE prefix = ?', [key[:_PREFIX_LEN]]
    )
    if not rows:
        return None
    *row, stored = rows[0]
    if not hmac.compare_digest(stored, _hash(key)):
        return None
    info = _info(db, tuple(row))
    return None if info.revoked_at else info


def list_keys(db: Database) -> list[ApiKeyInfo]:
    return [_info(db, r) for r in db.query(f'SELECT {_COLUMNS} FROM "api_key" ORDER BY id')]


def revoke_key(db: Database, key_id: int) -> bool:
    """Revoke; False if there is no such key. Revoking twice keeps the first time."""
    with db.transaction():
        cur = db.execute(
            'UPDATE "api_key" SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
            [db.ts(clock.now()), key_id],
        )
        return cur.rowcount > 0 or bool(db.query('SELECT 1 FROM "api_key" WHERE id = ?', [key_id]))
