"""The shareable employee-of-the-month card: a 1200×627 PNG (the size LinkedIn and others preview).

Why Pillow and not HTML-to-image: the card must draw in tens of milliseconds inside the API process, with no
browser, and give the same bytes for the same input so it can be cached and served with a stable ETag.
The photo (any format Pillow reads) is cropped to a circle; without one, the initials stand in. Text uses
the same shipped DejaVu fonts as the badges, so names in Norwegian, Dutch or Russian render everywhere.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageOps

from badges.colours import RGB, luminance, mix, parse_colour
from badges.images import PngCache, draw_icon, encode_png, fit_text, font

__all__ = ["CARD_SIZE", "AwardCard", "AwardCards", "draw_card", "greeting", "initials"]

CARD_SIZE = (1200, 627)
MAX_TEXT_LENGTH = 120
#: Photos larger than this (in pixels) are refused before they are decoded.
MAX_PHOTO_PIXELS = 40_000_000

_PANEL_WIDTH = 440
_AVATAR = 320  # photo or initials disc diameter
_RING = 10  # white ring around it
_TEXT_LEFT = 500
_TEXT_WIDTH = 640
_INK = (17, 24, 39)
_MUTED = (107, 114, 128)
_BODY = (55, 65, 81)

_GREETINGS = {
    "en": "Congratulations!",
    "nl": "Gefeliciteerd!",
    "nb": "Gratulerer!",
    "nn": "Gratulerer!",
    "no": "Gratulerer!",
    "da": "Tillykke!",
    "sv": "Grattis!",
    "de": "Herzlichen Glückwunsch!",
    "fr": "Félicitations !",
    "es": "¡Enhorabuena!",
    "fi": "Onnittelut!",
    "pl": "Gratulacje!",
    "ru": "Поздравляем!",
    "uk": "Вітаємо!",
}


def greeting(locale: str) -> str:
    """The card's opening line in the card's language (``nb-NO`` → Norwegian); English when unknown."""
    language = locale.replace("_", "-").split("-", 1)[0].lower()
    return _GREETINGS.get(language, _GREETINGS["en"])


def initials(name: str) -> str:
    """First letters of the first and last words that start with a letter, upper-cased ("Ольга Иванова" → "ОИ").

    Deliberately simple: "de Vries, Anna" gives "DA"; a one-word name gives one letter, no letters gives "".
    """
    words = [w for w in unicodedata.normalize("NFC", name).split() if w[0].isalpha()]
    if not words:
        return ""
    picked = [words[0]] if len(words) == 1 else [words[0], words[-1]]
    return "".join(w[0].upper()[:1] for w in picked)


def _text(field: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field}: expected a non-empty string, got {value!r}")
    if len(value) > MAX_TEXT_LENGTH:
        raise ValueError(f"{field}: at most {MAX_TEXT_LENGTH} characters, got {len(value)}")


@dataclass(frozen=True, slots=True)
class AwardCard:
    """What the card shows; hashable (the photo is bytes), so it can key a cache."""

    employee_name: str
    award: str
    period_label: str
    company: str
    photo: bytes | None = None
    colour: str = "#2f6fde"
    locale: str = "en"

    def __post_init__(self) -> None:
        _text("employee_name", self.employee_name)
        _text("award", self.award)
        _text("period_label", self.period_label)
        _text("company", self.company)
        if self.photo is not None and not isinstance(self.photo, bytes):
            raise ValueError(f"photo: expected bytes or None, got {type(self.photo).__name__}")
        parse_colour("colour", self.colour)
        if not isinstance(self.locale, str):
            raise ValueError(f"locale: expected a string, got {self.locale!r}")


# --- pieces, cached: they depend on the colour or nothing at all ---------------------------------------


@lru_cache(maxsize=8)
def _circle_mask(diameter: int) -> Image.Image:
    """An anti-aliased disc (drawn at 4x and reduced)."""
    big = Image.new("L", (diameter * 4, diameter * 4), 0)
    ImageDraw.Draw(big).ellipse((0, 0, diameter * 4 - 1, diameter * 4 - 1), fill=255)
    return big.reduce(4)


@lru_cache(maxsize=8)
def _icon_mask(icon: str, size: int) -> Image.Image:
    big = Image.new("L", (size * 4, size * 4), 0)
    draw_icon(ImageDraw.Draw(big), icon, (size * 2, size * 2), size * 1.9, 255, 0)
    return big.reduce(4)


@lru_cache(maxsize=64)
def _panel(colour: RGB) -> Image.Image:
    """The left panel: the card colour darkening towards the bottom."""
    height = CARD_SIZE[1]
    gradient = Image.linear_gradient("L").resize((_PANEL_WIDTH, height), Image.Resampling.BILINEAR)
    top = Image.new("RGB", (_PANEL_WIDTH, height), mix(colour, (255, 255, 255), 0.08))
    bottom = Image.new("RGB", (_PANEL_WIDTH, height), mix(colour, (0, 0, 0), 0.3))
    return Image.composite(bottom, top, gradient)


def _readable_on_white(colour: RGB) -> RGB:
    """``colour`` darkened until it reads on white (WCAG contrast 4.5): the award line, initials, accents."""
    shade = colour
    for step in range(11):
        shade = mix(colour, (0, 0, 0), step / 10)
        if 1.05 / (luminance(shade) + 0.05) >= 4.5:
            break
    return shade


_UNREADABLE = "photo: not an image Pillow can read"


def _photo(data: bytes, diameter: int) -> Image.Image:
    """The photo, upright (EXIF), square-cropped around the upper middle (faces) and sized; RGB.

    The bytes are untrusted (an upload, an HR system): every failure, whichever of Pillow's decoders raises
    it and whatever it raises, becomes one ValueError; the pixel count is checked from the header, before
    anything is decoded.
    """
    try:
        source = Image.open(io.BytesIO(data))
    except Exception as exc:
        raise ValueError(_UNREADABLE) from exc
    width, height = source.size
    if width * height > MAX_PHOTO_PIXELS:
        raise ValueError(f"photo: too large ({width}×{height} pixels, at most {MAX_PHOTO_PIXELS})")
    try:
        source.draft("RGB", (diameter, diameter))  # JPEG: decode at a reduced scale, much faster
        image = ImageOps.exif_transpose(source)
        if image.mode in ("RGBA", "LA", "PA") or (
            image.mode == "P" and "transparency" in image.info
        ):
            rgba = image.convert("RGBA")
            image = Image.new("RGB", rgba.size, (255, 255, 255))
            image.paste(rgba, mask=rgba.getchannel("A"))
        else:
            image = image.convert("RGB")
        return ImageOps.fit(
            image, (diameter, diameter), Image.Resampling.LANCZOS, centering=(0.5, 0.4)
        )
    except Exception as exc:
        raise ValueError(_UNREADABLE) from exc


def _render(card: AwardCard) -> Image.Image:
    colour = parse_colour("colour", card.colour)
    photo = _photo(card.photo, _AVATAR) if card.photo is not None else None
    width, height = CARD_SIZE
    canvas = Image.new("RGB", CARD_SIZE, (255, 255, 255))
    canvas.paste(_panel(colour), (0, 0))
    draw = ImageDraw.Draw(canvas)

    # Avatar: a white ring, then the photo or the initials on a light disc.
    cx, cy = _PANEL_WIDTH // 2, height // 2
    outer = _AVATAR + 2 * _RING
    canvas.paste((255, 255, 255), (cx - outer // 2, cy - outer // 2), _circle_mask(outer))
    corner = (cx - _AVATAR // 2, cy - _AVATAR // 2)
    if photo is not None:
        canvas.paste(photo, corner, _circle_mask(_AVATAR))
    else:
        disc = mix(colour, (255, 255, 255), 0.82)
        canvas.paste(disc, corner, _circle_mask(_AVATAR))
        letters = initials(card.employee_name)
        if letters:
            face, lines = fit_text(
                letters, _AVATAR * 0.7, _AVATAR * 0.5, max_size=128, min_size=40, max_lines=1
            )
            draw.text((cx, cy), lines[0], font=face, fill=_readable_on_white(colour), anchor="mm")

    accent = _readable_on_white(colour)
    # The trophy, top right, and an accent bar along the bottom of the text side.
    icon = _icon_mask("trophy", 64)
    canvas.paste(accent, (width - 60 - 64, 48), icon)
    draw.rectangle((_PANEL_WIDTH, height - 12, width, height), fill=accent)

    # The text column: greeting, award, name, period; the company at the bottom.
    x = _TEXT_LEFT
    hello = font(30, bold=False)
    award_face, award_lines = fit_text(card.award, _TEXT_WIDTH, 100, max_size=42, min_size=26)
    name_face, name_lines = fit_text(card.employee_name, _TEXT_WIDTH, 200, max_size=84, min_size=36)
    period_face, period_lines = fit_text(
        card.period_label, _TEXT_WIDTH, 50, max_size=38, min_size=22, max_lines=1, bold=False
    )
    blocks = [
        (hello, [greeting(card.locale)], _MUTED, 22),
        (award_face, award_lines, accent, 26),
        (name_face, name_lines, _INK, 26),
        (period_face, period_lines, _BODY, 0),
    ]
    total = sum(len(lines) * face.size * 1.12 + gap for face, lines, _, gap in blocks)
    y = max(70.0, (height - 90 - total) / 2 + 20)
    for face, lines, fill, gap in blocks:
        for line in lines:
            draw.text((x, y), line, font=face, fill=fill, anchor="la")
            y += face.size * 1.12
        y += gap

    company_face, company_lines = fit_text(
        card.company, _TEXT_WIDTH - 40, 40, max_size=30, min_size=18, max_lines=1
    )
    draw.rectangle((x, height - 88, x + 28, height - 82), fill=accent)
    draw.text((x + 44, height - 85), company_lines[0], font=company_face, fill=_MUTED, anchor="lm")
    return canvas


def draw_card(card: AwardCard) -> bytes:
    """The award card as PNG bytes, 1200×627. A photo Pillow cannot read raises ValueError ("photo: …")."""
    return encode_png(_render(card))


class AwardCards(PngCache[AwardCard]):
    """Drawn cards by ``AwardCard``, like ``BadgeImages`` for badges: ``AwardCards().get(card)``."""

    def __init__(self, max_items: int = 64) -> None:
        super().__init__(max_items)

    def _draw(self, key: AwardCard) -> bytes:
        return draw_card(key)
