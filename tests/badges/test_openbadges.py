"""Open Badges 2.0: required fields, hashed recipients, revocation, and baked PNGs read back."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from PIL import Image, PngImagePlugin

from badges.images import BadgeArt, draw_badge
from badges.openbadges import (
    CONTEXT,
    MEDIA_TYPE,
    REQUIRED_FIELDS,
    assertion,
    badge_class,
    bake,
    dumps,
    hashed_recipient,
    issuer_profile,
    missing_fields,
    png_chunks,
    unbake,
    verify_recipient,
)

BASE = "https://plaudit.example.com/"
ISSUED = datetime(2026, 11, 3, 10, 14, 22, 500_000, tzinfo=timezone(timedelta(hours=1)))


def issuer() -> dict:
    return issuer_profile(BASE, "Acme AS", "https://acme.example.no", "badges@acme.example.no")


def badge() -> dict:
    return badge_class(
        BASE,
        "linkedin-sharer",
        "Kunnskapsdeler på LinkedIn",
        "Shared ten posts on LinkedIn in a month.",
        "Share 10 posts from the content library to LinkedIn within one calendar month.",
        "https://plaudit.example.com/ob/badges/linkedin-sharer.png",
    )


def asserted(**kwargs: object) -> dict:
    args: dict = {
        "base_url": BASE,
        "assertion_id": "a-7f3c",
        "badge_id": "linkedin-sharer",
        "email": "Ola.Nordmann@Acme.example.no",
        "salt": "c0ffee",
        "issued_on": ISSUED,
        **kwargs,
    }
    return assertion(**args)


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """An independent PNG chunk reader (not the module's), to check what bake wrote."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    out, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        assert struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])[0] == zlib.crc32(
            kind + data
        )
        out.append((kind, data))
        pos += 12 + length
    return out


def openbadges_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    return [
        (k, d)
        for k, d in chunks(png)
        if k in (b"iTXt", b"tEXt", b"zTXt") and d.split(b"\0", 1)[0] == b"openbadges"
    ]


PNG = draw_badge(BadgeArt("Kunnskapsdeler på LinkedIn", icon="share", tier="gold"))


# --- documents ---------------------------------------------------------------------------------------


def test_issuer_has_every_required_field_at_its_stable_url() -> None:
    doc = issuer()
    assert missing_fields(doc) == []
    assert doc["@context"] == CONTEXT == "https://w3id.org/openbadges/v2"
    assert doc["type"] == "Issuer"
    assert doc["id"] == "https://plaudit.example.com/ob/issuer"
    assert {"id", "type", "name", "url", "email"} <= doc.keys()
    assert MEDIA_TYPE == "application/ld+json"


def test_issuer_without_email_is_reported_incomplete() -> None:
    doc = issuer_profile(BASE, "Acme AS", "https://acme.example.no")
    assert missing_fields(doc) == ["email"]


def test_badge_class_has_every_required_field() -> None:
    doc = badge()
    assert missing_fields(doc) == []
    assert doc["id"] == "https://plaudit.example.com/ob/badges/linkedin-sharer"
    assert doc["type"] == "BadgeClass"
    assert doc["issuer"] == issuer()["id"]
    assert doc["criteria"] == {
        "narrative": "Share 10 posts from the content library to LinkedIn within one calendar month."
    }
    assert doc["image"] == "https://plaudit.example.com/ob/badges/linkedin-sharer.png"


def test_assertion_has_every_required_field() -> None:
    doc = asserted(evidence_narrative="10 delinger i november")
    assert missing_fields(doc) == []
    assert doc["id"] == "https://plaudit.example.com/ob/assertions/a-7f3c"
    assert doc["type"] == "Assertion"
    assert doc["badge"] == badge()["id"]
    assert doc["verification"] == {"type": "hosted"}
    assert doc["image"] == "https://plaudit.example.com/ob/assertions/a-7f3c.png"
    assert doc["issuedOn"] == "2026-11-03T09:14:22Z"  # UTC, whole seconds
    assert datetime.fromisoformat(doc["issuedOn"]) == ISSUED.replace(microsecond=0)
    assert doc["evidence"] == {"type": "Evidence", "narrative": "10 delinger i november"}
    assert "revoked" not in doc
    assert "Ola" not in json.dumps(doc) and "acme.example.no" not in json.dumps(doc)


@pytest.mark.parametrize(
    ("build", "kind"), [(issuer, "Issuer"), (badge, "BadgeClass"), (asserted, "Assertion")]
)
def test_missing_fields_notices_each_required_field(build, kind: str) -> None:
    for field in REQUIRED_FIELDS[kind]:
        if field == "type":
            continue  # without a type the class is unknown: a ValueError, below
        doc = build()
        del doc[field]
        assert missing_fields(doc) == [field]
    with pytest.raises(ValueError, match=r"^type: "):
        missing_fields({k: v for k, v in build().items() if k != "type"})


def test_missing_fields_checks_nested_objects() -> None:
    doc = asserted()
    del doc["recipient"]["identity"]
    doc["verification"] = {}
    assert missing_fields(doc) == ["verification", "recipient.identity"]
    doc = badge()
    doc["criteria"] = {"narrative": ""}
    assert missing_fields(doc) == ["criteria.narrative"]
    doc["criteria"] = {"id": "https://acme.example.no/criteria"}
    assert missing_fields(doc) == []
    doc = issuer()
    doc["type"] = ["Profile", "extension:Something"]
    assert missing_fields(doc) == []


def test_recipient_is_a_salted_sha256_that_a_verifier_can_recompute() -> None:
    recipient = asserted()["recipient"]
    assert recipient["type"] == "email"
    assert recipient["hashed"] is True
    assert recipient["salt"] == "c0ffee"
    expected = hashlib.sha256(b"ola.nordmann@acme.example.no" + b"c0ffee").hexdigest()
    assert recipient["identity"] == f"sha256${expected}"
    assert verify_recipient(recipient, "ola.nordmann@acme.example.no")
    assert verify_recipient(recipient, "  OLA.NORDMANN@ACME.EXAMPLE.NO ")
    assert not verify_recipient(recipient, "kari.nordmann@acme.example.no")
    assert not verify_recipient({**recipient, "salt": "other"}, "ola.nordmann@acme.example.no")
    assert (
        hashed_recipient("a@b.no", "s1")["identity"] != hashed_recipient("a@b.no", "s2")["identity"]
    )


def test_recipient_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"^email: "):
        hashed_recipient("not-an-address", "salt")
    with pytest.raises(ValueError, match=r"^salt: "):
        hashed_recipient("a@b.no", "")


def test_revoked_assertion_says_so_with_the_reason() -> None:
    doc = asserted(revoked=True, revocation_reason="Awarded in error")
    assert doc["revoked"] is True
    assert doc["revocationReason"] == "Awarded in error"
    assert missing_fields(doc) == []
    assert asserted(revoked=True).get("revocationReason") is None
    with pytest.raises(ValueError, match=r"^revocation_reason: "):
        asserted(revocation_reason="why")


@pytest.mark.parametrize(
    "base", ["ftp://plaudit.example.com", "plaudit.example.com", "", "https://", "https://x/?a=1"]
)
def test_base_url_must_be_http(base: str) -> None:
    with pytest.raises(ValueError, match=r"^base_url: "):
        issuer_profile(base, "Acme", "https://acme.example.no", "a@b.no")


def test_base_url_trailing_slashes_are_stripped() -> None:
    for base in ("http://localhost:8000", "http://localhost:8000/", "http://localhost:8000//"):
        assert asserted(base_url=base)["id"] == "http://localhost:8000/ob/assertions/a-7f3c"
    assert (
        asserted(base_url="https://x.example/plaudit/")["badge"]
        == "https://x.example/plaudit/ob/badges/linkedin-sharer"
    )


def test_ids_must_be_plain_path_segments() -> None:
    with pytest.raises(ValueError, match=r"^badge_id: "):
        asserted(badge_id="a/b")
    with pytest.raises(ValueError, match=r"^assertion_id: "):
        asserted(assertion_id="..")


def test_issued_on_must_carry_a_timezone() -> None:
    with pytest.raises(ValueError, match=r"^issued_on: "):
        asserted(issued_on=datetime(2026, 11, 3, 9, 0))
    assert (
        asserted(issued_on=datetime(2026, 11, 3, 9, 0, tzinfo=UTC))["issuedOn"]
        == "2026-11-03T09:00:00Z"
    )


def test_documents_serialize_to_stable_json() -> None:
    doc = asserted()
    assert dumps(doc) == dumps(json.loads(dumps(doc)))
    assert json.loads(dumps(doc)) == doc
    assert dumps({"b": "å", "a": 1}) == '{"a":1,"b":"å"}'.encode()


# --- baking ------------------------------------------------------------------------------------------


def test_bake_unbake_round_trip() -> None:
    doc = asserted(evidence_narrative="Лучший амбассадор месяца")
    baked = bake(PNG, doc)
    assert unbake(baked) == doc
    assert unbake(PNG) is None


def test_baked_chunk_is_one_uncompressed_itxt_right_after_ihdr() -> None:
    doc = asserted()
    baked = bake(PNG, doc)
    found = openbadges_chunks(baked)
    assert len(found) == 1
    kind, data = found[0]
    assert kind == b"iTXt"
    keyword, rest = data.split(b"\0", 1)
    assert keyword == b"openbadges"
    assert rest[0] == 0  # compression flag: uncompressed
    assert rest[1] == 0  # compression method
    language, translated, text = rest[2:].split(b"\0", 2)
    assert language == b"" and translated == b""
    assert text == dumps(doc)
    assert json.loads(text.decode("utf-8")) == doc
    assert [k for k, _ in chunks(baked)][:2] == [b"IHDR", b"iTXt"]


def test_baking_twice_keeps_exactly_one_chunk_with_the_latest_assertion() -> None:
    first = bake(PNG, asserted())
    revoked = asserted(revoked=True, revocation_reason="Left the company")
    second = bake(first, revoked)
    assert len(openbadges_chunks(second)) == 1
    assert unbake(second) == revoked
    assert bake(second, asserted()) == first  # replacing is exact, nothing accumulates


def test_baking_replaces_legacy_and_foreign_openbadges_chunks_but_keeps_others() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text(
        "openbadges", "https://old.example/assertion.json"
    )  # legacy tEXt: the assertion URL
    info.add_itxt(
        "openbadges", json.dumps({"id": "old"}), zip=True
    )  # a compressed one, against the spec
    info.add_text("Software", "some editor")
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(out, "PNG", pnginfo=info)
    original = out.getvalue()
    assert unbake(original) == {"id": "old"}  # reads others' compressed chunks
    baked = bake(original, asserted())
    assert [k for k, _ in openbadges_chunks(baked)] == [b"iTXt"]
    assert unbake(baked) == asserted()
    assert any(k == b"tEXt" and d.startswith(b"Software\0") for k, d in chunks(baked))


def test_pillow_still_opens_the_baked_png_and_sees_the_chunk() -> None:
    doc = asserted()
    baked = bake(PNG, doc)
    image = Image.open(io.BytesIO(baked))
    image.load()
    original = Image.open(io.BytesIO(PNG))
    assert image.size == original.size
    assert image.tobytes() == original.tobytes()
    assert json.loads(image.text["openbadges"]) == doc


def test_png_chunks_reads_the_structure() -> None:
    assert [k for k, _ in png_chunks(PNG)] == [b"IHDR", b"IDAT", b"IEND"]
    assert png_chunks(PNG + b"trailing junk") == png_chunks(PNG)


def corrupt(png: bytes, chunk: bytes, offset: int = 0) -> bytes:
    """``png`` with one byte of ``chunk``'s data flipped (its CRC left as it was)."""
    pos = png.index(chunk) + 4 + offset
    return png[:pos] + bytes([png[pos] ^ 0xFF]) + png[pos + 1 :]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: b"GIF89a" + p[6:], "png: not a PNG (bad signature)"),
        (lambda p: corrupt(p, b"IDAT", 10), "png: CRC mismatch in chunk IDAT at byte"),
        (lambda p: corrupt(p, b"iTXt", 20), "png: CRC mismatch in chunk iTXt at byte"),
        (lambda p: p[: len(p) // 2], "is truncated"),
        (lambda p: p[:-12], "png: truncated at byte"),
        (lambda p: p[:8] + p[8 + 25 :], "png: first chunk is iTXt, expected IHDR"),
        (lambda p: p[:12] + b"I?DR" + p[16:], "png: invalid chunk type 'I?DR' at byte 8"),
        (lambda p: b"", "png: not a PNG (bad signature)"),
    ],
    ids=[
        "signature",
        "idat-crc",
        "itxt-crc",
        "truncated-chunk",
        "no-iend",
        "ihdr-not-first",
        "chunk-type",
        "empty",
    ],
)
def test_corrupt_png_is_a_value_error_naming_the_problem(damage, message: str) -> None:
    baked = bake(PNG, asserted())
    with pytest.raises(ValueError) as error:
        unbake(damage(baked))
    assert message in str(error.value)
    with pytest.raises(ValueError):
        bake(damage(baked), asserted())


def test_unbake_rejects_a_chunk_that_is_not_a_json_object() -> None:
    baked = bake(PNG, asserted())
    data = openbadges_chunks(baked)[0][1]
    for text in (b"eyJhbGciOiJSUzI1NiJ9.e30.sig", b"[1, 2]"):
        payload = data[: len(b"openbadges") + 5] + text
        chunk = (
            struct.pack(">I", len(payload))
            + b"iTXt"
            + payload
            + struct.pack(">I", zlib.crc32(b"iTXt" + payload))
        )
        start = baked.index(b"iTXt") - 4
        forged = baked[:start] + chunk + baked[start + 12 + len(data) :]
        with pytest.raises(ValueError, match=r"^openbadges chunk: "):
            unbake(forged)


def test_bake_needs_an_object() -> None:
    with pytest.raises(ValueError, match=r"^assertion: "):
        bake(PNG, "https://example.com/a.json")  # type: ignore[arg-type]
