"""Open Badges 2.0 documents (hosted verification) and baked PNGs.

Open Badges 2.0: https://www.imsglobal.org/sites/default/files/Badges/OBv2p0Final/index.html
Baking: https://www.imsglobal.org/sites/default/files/Badges/OBv2p0Final/baking/index.html

Why hosted verification: a verifier (a backpack, LinkedIn's badge check, badgecheck.io) fetches the
Assertion from its ``id`` URL, so revoking one is a matter of what that URL answers; nothing to sign or
rotate. Every document lives at a stable URL under a configurable base URL:

* ``{base}/ob/issuer`` (Issuer profile), ``{base}/ob/badges/{badge_id}`` (BadgeClass),
* ``{base}/ob/assertions/{assertion_id}`` (Assertion) and ``….png`` (the baked image).

Serve them as ``application/ld+json`` (``MEDIA_TYPE``). These functions only build documents and bytes; they
know nothing about the engine or the API.

The recipient is never published in the clear: it is ``sha256$`` + the hex SHA-256 of the e-mail address
followed by the salt (the spec's salted identity hash). The address is stripped and lower-cased first:
people type their address in any case, and a verifier that lower-cases (as backpacks commonly do) must
reach the same hash; a verifier must therefore hash the lower-cased address (``verify_recipient`` does).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import struct
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "CONTEXT",
    "MEDIA_TYPE",
    "REQUIRED_FIELDS",
    "assertion",
    "assertion_url",
    "badge_class",
    "badge_class_url",
    "bake",
    "dumps",
    "hashed_recipient",
    "issuer_profile",
    "issuer_url",
    "missing_fields",
    "new_salt",
    "png_chunks",
    "unbake",
    "verify_recipient",
]

CONTEXT = "https://w3id.org/openbadges/v2"
MEDIA_TYPE = "application/ld+json"

#: The spec's required properties per class (bold in its tables; for an issuer Profile, the note under the
#: Profile table adds name, url and email). ``@context`` is required of every hosted document for it to be
#: JSON-LD. Nested objects are checked too: ``recipient`` (IdentityObject), ``verification``
#: (VerificationObject), and ``criteria`` (which needs an ``id`` or a ``narrative``).
#: The spec lets a revoked Assertion be stripped down to ``id`` and ``revoked``; ours keep every field (so a
#: verifier can still show what was revoked), and ``missing_fields`` holds them to the full list.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "Issuer": ("@context", "id", "type", "name", "url", "email"),
    "BadgeClass": ("@context", "id", "type", "name", "description", "image", "criteria", "issuer"),
    "Assertion": ("@context", "id", "type", "recipient", "badge", "verification", "issuedOn"),
    "IdentityObject": ("type", "identity", "hashed"),
    "VerificationObject": ("type",),
}

_ID = re.compile(r"[A-Za-z0-9._~-]+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_KEYWORD = b"openbadges"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TEXT_CHUNKS = (b"iTXt", b"tEXt", b"zTXt")


# --- URLs --------------------------------------------------------------------------------------------


def _url(field: str, value: object) -> str:
    """An absolute http(s) URL without a trailing slash; ValueError naming the field otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"{field}: expected an http(s) URL, got {value!r}")
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{field}: expected an http(s) URL, got {value!r}")
    return url


def _base(base_url: object) -> str:
    url = _url("base_url", base_url)
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        raise ValueError(f"base_url: expected no query or fragment, got {base_url!r}")
    return url


def _identifier(field: str, value: object) -> str:
    """A path segment: letters, digits and ``. _ ~ -`` (no escaping needed, so the URL is stable)."""
    if not isinstance(value, str) or not _ID.fullmatch(value) or value in (".", ".."):
        raise ValueError(f"{field}: expected letters, digits, '.', '_', '~' or '-', got {value!r}")
    return value


def _text(field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field}: expected a non-empty string, got {value!r}")
    return value


def issuer_url(base_url: str) -> str:
    return f"{_base(base_url)}/ob/issuer"


def badge_class_url(base_url: str, badge_id: str) -> str:
    return f"{_base(base_url)}/ob/badges/{_identifier('badge_id', badge_id)}"


def assertion_url(base_url: str, assertion_id: str) -> str:
    return f"{_base(base_url)}/ob/assertions/{_identifier('assertion_id', assertion_id)}"


# --- documents ---------------------------------------------------------------------------------------


def issuer_profile(
    base_url: str,
    name: str,
    url: str,
    email: str | None = None,
    *,
    description: str | None = None,
    image: str | None = None,
) -> dict[str, Any]:
    """The hosted Issuer profile.

    The spec requires ``email`` of an issuer (and validators such as badgecheck reject a profile without
    one); it is optional here only so a deployment can start without it, and ``missing_fields`` reports it.
    """
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "Issuer",
        "id": issuer_url(base_url),
        "name": _text("name", name),
        "url": _url("url", url),
    }
    if email is not None:
        if not isinstance(email, str) or not _EMAIL.fullmatch(email.strip()):
            raise ValueError(f"email: expected an e-mail address, got {email!r}")
        doc["email"] = email.strip()
    if description is not None:
        doc["description"] = _text("description", description)
    if image is not None:
        doc["image"] = _image("image", image)
    return doc


def _image(field: str, value: object) -> str:
    """An image reference: an http(s) URL or a ``data:image/…`` URI (both allowed by the spec)."""
    if isinstance(value, str) and value.startswith("data:image/"):
        return value
    return _url(field, value)


def badge_class(
    base_url: str,
    badge_id: str,
    name: str,
    description: str,
    criteria_narrative: str,
    image_url: str,
) -> dict[str, Any]:
    """The hosted BadgeClass: what the badge is, how it is earned, its image, who issues it."""
    return {
        "@context": CONTEXT,
        "type": "BadgeClass",
        "id": badge_class_url(base_url, badge_id),
        "name": _text("name", name),
        "description": _text("description", description),
        "image": _image("image_url", image_url),
        "criteria": {"narrative": _text("criteria_narrative", criteria_narrative)},
        "issuer": issuer_url(base_url),
    }


def _normalized_email(email: object) -> str:
    if not isinstance(email, str) or not _EMAIL.fullmatch(email.strip()):
        raise ValueError(f"email: expected an e-mail address, got {email!r}")
    return email.strip().lower()


def hashed_recipient(email: str, salt: str) -> dict[str, Any]:
    """The IdentityObject: ``sha256$`` + hex sha256(lower-cased e-mail + salt); the address is never shown."""
    if not isinstance(salt, str) or not salt:
        raise ValueError(f"salt: expected a non-empty string, got {salt!r}")
    digest = hashlib.sha256((_normalized_email(email) + salt).encode("utf-8")).hexdigest()
    return {"type": "email", "hashed": True, "salt": salt, "identity": f"sha256${digest}"}


def verify_recipient(recipient: Mapping[str, Any], email: str) -> bool:
    """Whether an IdentityObject names ``email`` (what a verifier does; sha256 and md5 hashes, or plain)."""
    identity = recipient.get("identity")
    if recipient.get("type") != "email" or not isinstance(identity, str):
        return False
    address = _normalized_email(email)
    if not recipient.get("hashed"):
        return hmac.compare_digest(identity.strip().lower().encode(), address.encode())
    algorithm, _, expected = identity.partition("$")
    if algorithm not in ("sha256", "md5"):
        return False
    salted = (address + str(recipient.get("salt") or "")).encode("utf-8")
    actual = hashlib.new(algorithm, salted).hexdigest()
    return hmac.compare_digest(actual.encode(), expected.lower().encode())


def new_salt() -> str:
    """A fresh random salt; store it with the assertion, since the document must be the same every time."""
    return secrets.token_hex(16)


def _datetime(field: str, value: object) -> str:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field}: expected a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def assertion(
    base_url: str,
    assertion_id: str,
    badge_id: str,
    email: str,
    salt: str,
    issued_on: datetime,
    evidence_narrative: str | None = None,
    revoked: bool = False,
    revocation_reason: str | None = None,
) -> dict[str, Any]:
    """The hosted Assertion: one employee's badge, verified by fetching its ``id``.

    ``issuedOn`` is ISO 8601 in UTC (``…Z``), whole seconds. A revoked assertion keeps every field and adds
    ``revoked: true`` (and ``revocationReason``); the API may answer 410 Gone instead.
    """
    if revocation_reason is not None and not revoked:
        raise ValueError("revocation_reason: only for a revoked assertion (revoked=True)")
    url = assertion_url(base_url, assertion_id)
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": url,
        "recipient": hashed_recipient(email, salt),
        "badge": badge_class_url(base_url, badge_id),
        "verification": {"type": "hosted"},
        "issuedOn": _datetime("issued_on", issued_on),
        "image": f"{url}.png",
    }
    if evidence_narrative is not None:
        doc["evidence"] = {
            "type": "Evidence",
            "narrative": _text("evidence_narrative", evidence_narrative),
        }
    if revoked:
        doc["revoked"] = True
        if revocation_reason is not None:
            doc["revocationReason"] = _text("revocation_reason", revocation_reason)
    return doc


def _absent(value: object) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


def missing_fields(doc: Mapping[str, Any]) -> list[str]:
    """The required properties ``doc`` lacks (nested ones as ``recipient.identity``); [] when complete.

    The class comes from ``type`` (a string or a list, as JSON-LD allows; ``Profile`` counts as Issuer).
    """
    kinds = doc.get("type")
    types = set(kinds) if isinstance(kinds, list) else {kinds}
    if types & {"Issuer", "Profile"}:
        kind = "Issuer"
    elif "BadgeClass" in types:
        kind = "BadgeClass"
    elif "Assertion" in types:
        kind = "Assertion"
    else:
        raise ValueError(f"type: expected Issuer, BadgeClass or Assertion, got {kinds!r}")
    missing = [field for field in REQUIRED_FIELDS[kind] if _absent(doc.get(field))]
    nested: dict[str, str] = {}
    if kind == "Assertion":
        nested = {"recipient": "IdentityObject", "verification": "VerificationObject"}
    for field, cls in nested.items():
        value = doc.get(field)
        if isinstance(value, Mapping) and field not in missing:
            missing += [f"{field}.{sub}" for sub in REQUIRED_FIELDS[cls] if _absent(value.get(sub))]
    criteria = doc.get("criteria")
    if (
        kind == "BadgeClass"
        and isinstance(criteria, Mapping)
        and _absent(criteria.get("id"))
        and _absent(criteria.get("narrative"))
    ):
        missing.append("criteria.narrative")
    return missing


def dumps(doc: Mapping[str, Any]) -> bytes:
    """Compact JSON with sorted keys, UTF-8: the same document always gives the same bytes."""
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


# --- baking ------------------------------------------------------------------------------------------


def png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """The chunks of a PNG as (type, data), up to IEND, checking what a corrupt file would get wrong.

    ValueError names the problem: bad signature, a truncated or malformed chunk, a CRC mismatch, IHDR not
    first, no IEND. Bytes after IEND are ignored (some tools append them; they are not part of the image).
    """
    if not isinstance(png, bytes | bytearray | memoryview):
        raise ValueError(f"png: expected bytes, got {type(png).__name__}")
    png = bytes(png)
    if not png.startswith(_PNG_SIGNATURE):
        raise ValueError("png: not a PNG (bad signature)")
    chunks: list[tuple[bytes, bytes]] = []
    pos = len(_PNG_SIGNATURE)
    while True:
        if pos + 8 > len(png):
            raise ValueError(f"png: truncated at byte {pos} (no IEND chunk)")
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        name = kind.decode("latin-1")
        if not kind.isalpha():
            raise ValueError(f"png: invalid chunk type {name!r} at byte {pos}")
        if length > 0x7FFFFFFF:
            raise ValueError(f"png: chunk {name} at byte {pos} has an invalid length {length}")
        end = pos + 12 + length
        if end > len(png):
            raise ValueError(f"png: chunk {name} at byte {pos} is truncated")
        data = png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[end - 4 : end])
        if zlib.crc32(kind + data) != crc:
            raise ValueError(f"png: CRC mismatch in chunk {name} at byte {pos}")
        if not chunks and kind != b"IHDR":
            raise ValueError(f"png: first chunk is {name}, expected IHDR")
        chunks.append((kind, data))
        pos = end
        if kind == b"IEND":
            return chunks


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _keyword(data: bytes) -> bytes:
    return data.split(b"\0", 1)[0]


def bake(png: bytes, assertion: Mapping[str, Any]) -> bytes:
    """``png`` with the assertion in exactly one uncompressed ``iTXt`` chunk, keyword ``openbadges``.

    The chunk goes right after IHDR (readers stop at the first one; the baking spec says to parse "until the
    first iTXt chunk is found"), with compression flag 0, empty language tag and translated keyword, and the
    text ``dumps(assertion)``. Any ``openbadges`` text chunk already there (including legacy tEXt ones that
    held a URL) is dropped, so baking again replaces rather than adds. Written by hand rather than with
    Pillow's PngInfo, which may compress the text and puts it after other chunks.
    """
    if not isinstance(assertion, Mapping):
        raise ValueError(f"assertion: expected a JSON object, got {type(assertion).__name__}")
    chunks = png_chunks(png)
    text = dumps(assertion)
    baked = _KEYWORD + b"\0" + b"\0\0" + b"\0" + b"\0" + text
    out = [_PNG_SIGNATURE, _chunk(*chunks[0]), _chunk(b"iTXt", baked)]
    for kind, data in chunks[1:]:
        if kind in _TEXT_CHUNKS and _keyword(data) == _KEYWORD:
            continue
        out.append(_chunk(kind, data))
    return b"".join(out)


def unbake(png: bytes) -> dict[str, Any] | None:
    """The assertion baked into ``png`` (the first ``iTXt`` chunk with keyword ``openbadges``), or None.

    Reads compressed chunks too (other bakers may have compressed, against the spec). ValueError for a
    corrupt PNG (see ``png_chunks``) or a chunk that does not hold a JSON object (e.g. a signed badge's JWS).
    """
    for kind, data in png_chunks(png):
        if kind != b"iTXt" or _keyword(data) != _KEYWORD:
            continue
        rest = data[len(_KEYWORD) + 1 :]
        if len(rest) < 2:
            raise ValueError("openbadges chunk: truncated iTXt header")
        compressed, method = rest[0], rest[1]
        parts = rest[2:].split(b"\0", 2)
        if len(parts) != 3:
            raise ValueError(
                "openbadges chunk: malformed iTXt (language tag or translated keyword)"
            )
        text = parts[2]
        if compressed:
            if method != 0:
                raise ValueError(f"openbadges chunk: unknown compression method {method}")
            try:
                text = zlib.decompress(text)
            except zlib.error as exc:
                raise ValueError(f"openbadges chunk: bad compressed text ({exc})") from exc
        try:
            value = json.loads(text.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError("openbadges chunk: not a JSON assertion") from exc
        if not isinstance(value, dict):
            raise ValueError("openbadges chunk: not a JSON object")
        return value
    return None
