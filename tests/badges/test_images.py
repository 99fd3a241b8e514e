"""Badge images and award cards: same input same bytes, sizes, validation, fonts that cover the names, cache."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import struct
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

import badges.images as images
from badges.card import AwardCard, AwardCards, draw_card, greeting, initials
from badges.images import (
    FONT_BOLD,
    FONT_REGULAR,
    ICONS,
    SHAPES,
    TIERS,
    BadgeArt,
    BadgeImages,
    draw_badge,
    encode_png,
    fit_text,
    missing_glyphs,
)

ROOT = Path(__file__).resolve().parents[2]

NAMES = [
    "Kunnskapsdeler på LinkedIn",  # Norwegian
    "Ærlig øyeblikk: årets ambassadør",  # Norwegian Æ Ø Å
    "Ambassadeur van de maand",  # Dutch
    "Één week geïnspireerd",  # Dutch diacritics
    "Лучший амбассадор месяца",  # Russian
    "Ёжик: щедрый отзыв",  # Russian Ё Щ Ж
]


def png_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def pixels(image: Image.Image) -> list[tuple[int, ...]]:
    """Pixel tuples (``getdata`` is deprecated in Pillow 13, ``get_flattened_data`` new in 12)."""
    raw = image.tobytes()
    n = len(image.getbands())
    return [tuple(raw[i : i + n]) for i in range(0, len(raw), n)]


def photo_bytes(mode: str = "RGB", fmt: str = "JPEG") -> bytes:
    """A red portrait-format photo in the given mode and format."""
    if mode == "I;16":
        image = Image.new("I;16", (600, 800), 40000)
    else:
        image = Image.new("RGB", (600, 800), (200, 30, 30)).convert(mode)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


# --- badges ------------------------------------------------------------------------------------------


def test_identical_input_gives_identical_bytes() -> None:
    art = BadgeArt("Лучший амбассадор месяца", shape="shield", icon="trophy", tier="gold", size=512)
    same = BadgeArt(
        "Лучший амбассадор месяца", shape="shield", icon="trophy", tier="gold", size=512
    )
    assert draw_badge(art) == draw_badge(art) == draw_badge(same)


def test_identical_bytes_in_a_fresh_interpreter_with_another_hash_seed() -> None:
    """No dependence on hash order, caches or state left by earlier draws."""
    art = BadgeArt("Kunnskapsdeler på LinkedIn", shape="star", icon="share", tier="silver")
    card = AwardCard("Ольга Иванова", "Employee of the month", "November 2026", "Acme")
    code = (
        "import hashlib;"
        "from badges.images import BadgeArt, draw_badge;"
        "from badges.card import AwardCard, draw_card;"
        f"print(hashlib.sha256(draw_badge({art!r})).hexdigest());"
        f"print(hashlib.sha256(draw_card({card!r})).hexdigest())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"},
    )
    assert out.stdout.split() == [
        hashlib.sha256(draw_badge(art)).hexdigest(),
        hashlib.sha256(draw_card(card)).hexdigest(),
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"name": "Ambassadeur van de maand!"},
        {"shape": "hexagon"},
        {"colour": "#2f6fdf"},
        {"icon": "flame"},
        {"tier": "bronze"},
        {"size": 512},
    ],
    ids=lambda c: next(iter(c)),
)
def test_any_field_change_changes_the_bytes(change: dict) -> None:
    art = BadgeArt("Ambassadeur van de maand")
    assert draw_badge(dataclasses.replace(art, **change)) != draw_badge(art)


def test_every_shape_icon_and_tier_draws() -> None:
    seen = set()
    for i, icon in enumerate(ICONS):
        for shape in SHAPES:
            tier = [None, *TIERS][i % (len(TIERS) + 1)]
            seen.add(draw_badge(BadgeArt("Badge", shape=shape, icon=icon, tier=tier)))
    assert len(seen) == len(ICONS) * len(SHAPES)


@pytest.mark.parametrize("size", [256, 512])
def test_sizes_give_those_pixel_sizes_with_a_transparent_background(size: int) -> None:
    image = png_image(draw_badge(BadgeArt("Sharing streak", size=size)))
    assert image.format == "PNG"
    assert image.size == (size, size)
    assert image.mode == "RGBA"
    alpha = image.getchannel("A")
    assert alpha.getpixel((0, 0)) == 0  # outside the circle
    assert alpha.getpixel((size // 2, size // 2)) == 255
    # Anti-aliased: the edge has partly transparent pixels, not only 0 and 255.
    assert any(0 < value < 255 for value in alpha.tobytes())


def test_png_has_no_metadata_chunks() -> None:
    data = draw_badge(BadgeArt("Badge"))
    kinds = []
    pos = 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kinds.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"shape": "triangle"},
            "shape: expected one of circle, shield, hexagon, star, got 'triangle'",
        ),
        ({"colour": "red"}, "colour: expected #rrggbb, got 'red'"),
        ({"colour": "#12345"}, "colour: expected #rrggbb, got '#12345'"),
        ({"size": 300}, "size: expected 256 or 512, got 300"),
        ({"size": True}, "size: expected 256 or 512, got True"),
        ({"tier": "diamond"}, "tier: expected one of bronze, silver, gold, platinum or None"),
        ({"icon": "unicorn"}, "icon: expected one of"),
        ({"name": "   "}, "name: expected a non-empty string"),
        ({"name": "x" * 81}, "name: at most 80 characters"),
    ],
)
def test_invalid_fields_name_the_field(fields: dict, message: str) -> None:
    with pytest.raises(ValueError) as error:
        BadgeArt(**{"name": "Badge", **fields})
    assert str(error.value).startswith(message)


@pytest.mark.parametrize("path", [FONT_BOLD, FONT_REGULAR], ids=lambda p: p.name)
def test_the_shipped_fonts_have_a_glyph_for_every_character_of_the_names(path: Path) -> None:
    """Not tofu: each character's glyph differs from the .notdef box a missing character renders as."""
    face = ImageFont.truetype(str(path), 40, layout_engine=ImageFont.Layout.BASIC)
    tofu = face.getmask("\U0010fffd")  # a private-use code point no font maps
    assert (
        tofu.getbbox() is not None
    )  # DejaVu draws .notdef as a visible box, so the test can see it
    tofu_pixels = bytes(tofu)
    checked = 0
    for char in sorted(set("".join(NAMES)) - {" "}):
        mask = face.getmask(char)
        assert mask.getbbox() is not None, f"{char!r} renders nothing"
        assert bytes(mask) != tofu_pixels, f"{char!r} renders as the .notdef box"
        checked += 1
    assert checked > 40


def test_missing_glyphs_finds_what_would_draw_as_boxes() -> None:
    assert all(missing_glyphs(name) == [] for name in NAMES)
    assert missing_glyphs("Ambassadør 大使 大") == ["大", "使"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("size", [256, 512])
def test_names_render_whole_in_the_ribbon(name: str, size: int) -> None:
    face, lines = fit_text(name, size * 0.74, size * 0.2, max_size=round(size * 0.085), min_size=10)
    assert " ".join(lines) == name  # fits without an ellipsis
    assert face.size >= size * 0.05  # and stays legible

    image = png_image(draw_badge(BadgeArt(name, size=size, colour="#2f6fde")))
    ribbon = image.crop(
        (round(size * 0.13), round(size * 0.6), round(size * 0.87), round(size * 0.79))
    )
    light = sum(1 for r, g, b, _ in pixels(ribbon) if min(r, g, b) > 200)
    assert light > ribbon.width * ribbon.height * 0.04  # white text on the dark ribbon


def test_text_differs_from_tofu_in_the_badge_itself() -> None:
    """The Russian name does not draw the same pixels as a string of missing characters of that length."""
    name = "Лучший амбассадор"
    tofu = "".join(" " if c == " " else "\U0010fffd" for c in name)
    assert draw_badge(BadgeArt(name)) != draw_badge(BadgeArt(tofu))


def test_too_long_words_are_cut_with_an_ellipsis() -> None:
    name = "Kunnskapsdelingsambassadørprogramdeltakerutmerkelse"
    _, lines = fit_text(name, 190, 51, max_size=22, min_size=10)
    assert len(lines) == 1 and lines[0].endswith("…")
    png_image(draw_badge(BadgeArt(name)))  # and the badge still draws


def test_decomposed_letters_are_composed_before_layout() -> None:
    composed = "Kunnskapsdeler på LinkedIn"
    decomposed = "Kunnskapsdeler pa\u030a LinkedIn"
    assert draw_badge(BadgeArt(decomposed)) == draw_badge(BadgeArt(composed))


def test_light_colours_get_dark_ink() -> None:
    image = png_image(draw_badge(BadgeArt("Badge", colour="#ffffff", icon="target")))
    icon = image.crop((100, 60, 156, 120))
    assert any(max(r, g, b) < 60 for r, g, b, _ in pixels(icon))


# --- cache -------------------------------------------------------------------------------------------


def test_cache_draws_once_and_returns_the_same_object(monkeypatch: pytest.MonkeyPatch) -> None:
    draws: list[BadgeArt] = []
    real = images.draw_badge

    def counting(art: BadgeArt) -> bytes:
        draws.append(art)
        return real(art)

    monkeypatch.setattr(images, "draw_badge", counting)
    cache = BadgeImages()
    art = BadgeArt("Første deling", icon="share")
    first = cache.get(art)
    second = cache.get(BadgeArt("Første deling", icon="share"))
    assert second is first
    assert draws == [art]
    assert (cache.hits, cache.misses) == (1, 1)
    assert first == real(art)


def test_cache_evicts_the_least_recently_used(monkeypatch: pytest.MonkeyPatch) -> None:
    draws: list[str] = []
    monkeypatch.setattr(
        images, "draw_badge", lambda art: draws.append(art.name) or art.name.encode()
    )
    cache = BadgeImages(max_items=2)
    a, b, c = BadgeArt("a"), BadgeArt("b"), BadgeArt("c")
    cache.get(a)
    cache.get(b)
    cache.get(a)  # a is now the most recent
    cache.get(c)  # evicts b
    assert len(cache) == 2
    cache.get(a)
    cache.get(b)
    assert draws == ["a", "b", "c", "b"]


def test_cache_is_shared_safely_between_threads() -> None:
    barrier = threading.Barrier(8)
    cache = BadgeImages(max_items=4)
    arts = [BadgeArt(f"Badge {i}") for i in range(6)]
    results: list[list[bytes]] = [[] for _ in range(8)]

    def worker(n: int) -> None:
        barrier.wait()
        for _ in range(3):
            for art in arts:
                results[n].append(cache.get(art))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = [draw_badge(art) for art in arts] * 3
    assert all(r == expected for r in results)
    assert len(cache) == 4


def test_cache_size_is_validated() -> None:
    with pytest.raises(ValueError, match="max_items"):
        BadgeImages(max_items=0)


def test_encode_png_is_lossless() -> None:
    for mode, colour in (("RGB", (10, 20, 30)), ("RGBA", (10, 20, 30, 128))):
        image = Image.new(mode, (37, 11), colour)
        ImageDraw.Draw(image).line(
            (0, 0, 36, 10), fill=(250, 0, 0) if mode == "RGB" else (250, 0, 0, 7)
        )
        back = png_image(encode_png(image))
        assert back.mode == mode
        assert back.tobytes() == image.tobytes()
    with pytest.raises(ValueError, match="mode"):
        encode_png(Image.new("L", (2, 2)))


# --- award cards -------------------------------------------------------------------------------------


CARD = AwardCard("Bjørn Pedersen", "Employee of the month", "November 2026", "Nordlys Energi AS")


def test_card_is_1200_by_627_without_a_photo() -> None:
    image = png_image(draw_card(CARD))
    assert image.size == (1200, 627)
    assert image.mode == "RGB"


def test_card_with_a_photo_shows_it_in_the_circle() -> None:
    image = png_image(draw_card(dataclasses.replace(CARD, photo=photo_bytes())))
    assert image.size == (1200, 627)
    r, g, b = image.getpixel((220, 313))
    assert r > 150 and g < 80 and b < 80  # the red photo, not the initials disc
    corner = image.getpixel((220 - 150, 313 - 150))  # outside the circle: the panel
    assert corner != (r, g, b)


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [
        ("RGBA", "PNG"),
        ("L", "PNG"),
        ("P", "GIF"),
        ("CMYK", "JPEG"),
        ("I;16", "PNG"),
        ("RGB", "WEBP"),
    ],
)
def test_card_accepts_any_photo_pillow_reads(mode: str, fmt: str) -> None:
    image = png_image(draw_card(dataclasses.replace(CARD, photo=photo_bytes(mode, fmt))))
    assert image.size == (1200, 627)


def test_card_identical_input_gives_identical_bytes() -> None:
    photo = photo_bytes()
    a = dataclasses.replace(CARD, photo=photo)
    b = AwardCard(
        CARD.employee_name, CARD.award, CARD.period_label, CARD.company, photo=bytes(photo)
    )
    assert draw_card(a) == draw_card(a) == draw_card(b)
    assert draw_card(CARD) == draw_card(CARD)


@pytest.mark.parametrize(
    "change",
    [
        {"employee_name": "Bjørn Pedersen Jr"},
        {"award": "Ambassador of the month"},
        {"period_label": "December 2026"},
        {"company": "Nordlys Energi ASA"},
        {"photo": photo_bytes()},
        {"colour": "#d9480f"},
        {"locale": "nb"},
    ],
    ids=lambda c: next(iter(c)),
)
def test_card_any_field_change_changes_the_bytes(change: dict) -> None:
    assert draw_card(dataclasses.replace(CARD, **change)) != draw_card(CARD)


@pytest.mark.parametrize(
    "photo",
    [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, photo_bytes()[:400]],
    ids=["empty", "text", "png-header-only", "truncated-jpeg"],
)
def test_card_bad_photo_is_a_value_error(photo: bytes) -> None:
    with pytest.raises(ValueError, match=r"^photo: not an image Pillow can read$"):
        draw_card(dataclasses.replace(CARD, photo=photo))


def test_card_refuses_huge_photos_before_decoding_them() -> None:
    """An 8,000×8,000 PNG header over a few bytes of data: refused from the header, nothing decoded."""
    header = struct.pack(">IIBBBBB", 8_000, 8_000, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )
    with pytest.raises(ValueError, match=r"^photo: too large \(8000×8000 pixels"):
        draw_card(dataclasses.replace(CARD, photo=bomb))


def test_card_fields_are_validated() -> None:
    with pytest.raises(ValueError, match=r"^colour: expected #rrggbb, got 'blue'$"):
        dataclasses.replace(CARD, colour="blue")
    with pytest.raises(ValueError, match=r"^employee_name: expected a non-empty string"):
        dataclasses.replace(CARD, employee_name=" ")
    with pytest.raises(ValueError, match=r"^photo: expected bytes or None"):
        dataclasses.replace(CARD, photo="me.jpg")  # type: ignore[arg-type]


def test_card_long_names_still_draw() -> None:
    card = AwardCard(
        "Maximiliaan van der Zwaluwenburg-Oosterhuis tot Nijenrode",
        "Ambassadeur van de maand voor kennisdeling op LinkedIn",
        "november 2026",
        "Koninklijke Vereniging van Nederlandse Ambassadeurs en Kennisdelers B.V.",
        colour="#f8f9fa",
        locale="nl",
    )
    assert png_image(draw_card(card)).size == (1200, 627)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ольга Иванова", "ОИ"),
        ("Bjørn Pedersen", "BP"),
        ("Åse Ødegård", "ÅØ"),
        ("ijsbrand van der Berg", "IB"),
        ("de Vries, Anna", "DA"),
        ("Cher", "C"),
        ("  Anna   Maria   Smith  ", "AS"),
        ("3M Anna", "A"),
        ("E\u0301mile Zola", "ÉZ"),
        ("", ""),
        ("123 456", ""),
    ],
)
def test_initials(name: str, expected: str) -> None:
    assert initials(name) == expected


def test_greeting_follows_the_locale() -> None:
    assert greeting("nb-NO") == greeting("nb") == "Gratulerer!"
    assert greeting("ru_RU") == "Поздравляем!"
    assert greeting("nl") == "Gefeliciteerd!"
    assert greeting("xx") == greeting("en") == "Congratulations!"


def test_card_cache_draws_once() -> None:
    cards = AwardCards(max_items=2)
    first = cards.get(CARD)
    assert cards.get(dataclasses.replace(CARD)) is first
    assert (cards.hits, cards.misses) == (1, 1)
