"""Badge PNGs drawn with Pillow: shape, colour, vector icon, name and tier ring.

Why this way: the images are part of what an employee shares (and of the baked Open Badges PNG), so they
must look the same everywhere and be cheap to serve. Everything is drawn from primitives (no image files to
ship), with the DejaVu fonts shipped in ``badges/fonts`` (Latin Extended and Cyrillic, so Dutch, Norwegian
and Russian badge names render; the CI machine may have no fonts at all). Shapes and icons are drawn on a
1024 px canvas (4x for 256 px badges, 2x for 512 px) and reduced with a box filter, which anti-aliases them
within the time budget (4x at 512 px would cost about four times as much); text is rendered by FreeType at
the final size, which anti-aliases (and hints) it better than downsampling would.

Same input, same bytes: the PNG is written by ``encode_png`` (IHDR, IDAT, IEND and nothing else: no time,
no text chunks), and text is laid out with Pillow's BASIC engine (raqm may or may not be installed, and would
shift glyphs). Bytes are stable for a given Pillow, FreeType and zlib; another build may produce different
(equally valid) bytes, so a cache keyed by ``BadgeArt`` belongs to one process or one deployment.
"""

from __future__ import annotations

import math
import struct
import threading
import unicodedata
import zlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Generic, TypeVar

from PIL import Image, ImageDraw, ImageFont

from badges.colours import RGB, Ink, luminance, mix, parse_colour

__all__ = [
    "FONT_BOLD",
    "FONT_REGULAR",
    "ICONS",
    "SHAPES",
    "SIZES",
    "TIERS",
    "BadgeArt",
    "BadgeImages",
    "PngCache",
    "draw_badge",
    "draw_icon",
    "encode_png",
    "fit_text",
    "font",
    "missing_glyphs",
    "parse_colour",  # re-exported from badges.colours, where it now lives
]

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
FONT_BOLD = FONTS_DIR / "DejaVuSans-Bold.ttf"
FONT_REGULAR = FONTS_DIR / "DejaVuSans.ttf"

SHAPES = ("circle", "shield", "hexagon", "star")
SIZES = (256, 512)
#: Tier → ring colour.
TIERS: dict[str, str] = {
    "bronze": "#b0703a",
    "silver": "#aeb5bd",
    "gold": "#e3b230",
    "platinum": "#6fd0d8",
}
MAX_NAME_LENGTH = 80

#: Shapes and icons are drawn on a canvas this many pixels wide and reduced: 4x for 256 px, 2x for 512 px.
_CANVAS = 1024

Point = tuple[float, float]
K = TypeVar("K")


def _ink_on(background: RGB) -> RGB:
    """White on dark backgrounds, near-black on light ones (whichever contrasts more)."""
    lum = luminance(background)
    return (255, 255, 255) if (1.05 / (lum + 0.05)) >= ((lum + 0.05) / 0.0625) else (26, 26, 26)


@dataclass(frozen=True, slots=True)
class BadgeArt:
    """What a badge image shows; hashable, so it is its own cache key."""

    name: str
    shape: str = "circle"
    colour: str = "#2f6fde"
    icon: str = "star"
    tier: str | None = None
    size: int = 256

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"name: expected a non-empty string, got {self.name!r}")
        if len(self.name) > MAX_NAME_LENGTH:
            raise ValueError(f"name: at most {MAX_NAME_LENGTH} characters, got {len(self.name)}")
        if self.shape not in SHAPES:
            raise ValueError(f"shape: expected one of {', '.join(SHAPES)}, got {self.shape!r}")
        parse_colour("colour", self.colour)
        if self.icon not in ICONS:
            raise ValueError(f"icon: expected one of {', '.join(ICONS)}, got {self.icon!r}")
        if self.tier is not None and self.tier not in TIERS:
            raise ValueError(f"tier: expected one of {', '.join(TIERS)} or None, got {self.tier!r}")
        if isinstance(self.size, bool) or self.size not in SIZES:
            raise ValueError(f"size: expected 256 or 512, got {self.size!r}")


# --- fonts and text ----------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def font(size: int, bold: bool = True) -> ImageFont.FreeTypeFont:
    """The shipped DejaVu font at a pixel size, BASIC layout (deterministic with or without raqm)."""
    return ImageFont.truetype(
        str(FONT_BOLD if bold else FONT_REGULAR), size, layout_engine=ImageFont.Layout.BASIC
    )


def missing_glyphs(text: str, bold: bool = True) -> list[str]:
    """The characters of ``text`` the shipped font has no glyph for (they would draw as boxes), in order.

    For validating badge names where they are written (rules.yaml), not at draw time: DejaVu covers Latin,
    Latin Extended, Greek and Cyrillic, but not, for example, CJK. A glyph is missing when it renders exactly
    like a code point no font maps (the .notdef box).
    """
    face = font(32, bold)
    tofu = bytes(face.getmask("\U0010fffd"))
    missing: list[str] = []
    for char in dict.fromkeys(unicodedata.normalize("NFC", text)):
        if char.isspace() or unicodedata.category(char).startswith(("M", "C")):
            continue
        if bytes(face.getmask(char)) == tofu:
            missing.append(char)
    return missing


def _splits(words: Sequence[str], lines: int) -> list[list[str]]:
    """Every way to cut ``words`` into ``lines`` non-empty consecutive lines (names are short)."""
    if lines == 1:
        return [[" ".join(words)]]
    out: list[list[str]] = []
    for cut in range(1, len(words) - lines + 2):
        head = " ".join(words[:cut])
        out.extend([head, *rest] for rest in _splits(words[cut:], lines - 1))
    return out


def _ellipsize(text: str, face: ImageFont.FreeTypeFont, width: float) -> str:
    """``text`` cut to fit ``width`` with a trailing ellipsis."""
    if face.getlength(text) <= width:
        return text
    while text and face.getlength(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def fit_text(
    text: str,
    width: float,
    height: float,
    *,
    max_size: int,
    min_size: int,
    max_lines: int = 2,
    bold: bool = True,
    line_spacing: float = 1.12,
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest font size (and line breaks) at which ``text`` fits the box.

    Breaks at spaces into up to ``max_lines`` balanced lines (the split that minimises the widest line), and
    takes the largest size at which some line count fits, preferring fewer lines at that size; the size is
    found by bisection, since measuring text is most of the cost of laying it out. A name that does not fit
    even at ``min_size`` is cut with an ellipsis rather than overflowing its box. The text is NFC-normalized
    first: the BASIC layout does not place combining marks, so "å" must be one code point.
    """
    words = unicodedata.normalize("NFC", text).split()
    if not words:
        return font(max_size, bold), []
    reference = font(max_size, bold)
    options: list[list[str]] = []
    for count in range(1, min(max_lines, len(words)) + 1):
        splits = _splits(words, count)
        options.append(min(splits, key=lambda o: max(reference.getlength(line) for line in o)))

    def fitting(size: int) -> list[str] | None:
        face = font(size, bold)
        for lines in options:
            if len(lines) * size * line_spacing > height + 0.5:
                return None
            if max(face.getlength(line) for line in lines) <= width:
                return lines
        return None

    best: tuple[int, list[str]] | None = None
    low, high = min_size, max_size
    while low <= high:
        size = (low + high) // 2
        lines = fitting(size)
        if lines is not None:
            best = (size, lines)
            low = size + 1
        else:
            high = size - 1
    if best is not None:
        return font(best[0], bold), best[1]
    face = font(min_size, bold)
    count = max(1, min(len(options), int(height // (min_size * line_spacing))))
    return face, [_ellipsize(line, face, width) for line in options[count - 1]]


def _draw_lines(
    draw: ImageDraw.ImageDraw,
    centre: Point,
    face: ImageFont.FreeTypeFont,
    lines: Sequence[str],
    fill: RGB,
    line_spacing: float = 1.12,
) -> None:
    """Lines centred on ``centre``, each anchored at its middle (so accents and descenders balance)."""
    step = face.size * line_spacing
    top = centre[1] - step * (len(lines) - 1) / 2
    for i, line in enumerate(lines):
        draw.text((centre[0], top + i * step), line, font=face, fill=fill, anchor="mm")


# --- shapes ------------------------------------------------------------------------------------------


def _regular(cx: float, cy: float, r: float, n: int, start_deg: float = -90.0) -> list[Point]:
    return [
        (
            cx + r * math.cos(math.radians(start_deg + 360 * i / n)),
            cy + r * math.sin(math.radians(start_deg + 360 * i / n)),
        )
        for i in range(n)
    ]


def _star(cx: float, cy: float, outer: float, inner: float, points: int) -> list[Point]:
    out: list[Point] = []
    for i in range(points * 2):
        r = outer if i % 2 == 0 else inner
        a = math.radians(-90 + 180 * i / points)
        out.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return out


def _quad(p0: Point, p1: Point, p2: Point, steps: int = 24) -> list[Point]:
    """Points along a quadratic Bézier curve (without ``p0``)."""
    out: list[Point] = []
    for i in range(1, steps + 1):
        t = i / steps
        u = 1 - t
        out.append(
            (
                u * u * p0[0] + 2 * u * t * p1[0] + t * t * p2[0],
                u * u * p0[1] + 2 * u * t * p1[1] + t * t * p2[1],
            )
        )
    return out


def _shield(cx: float, cy: float, r: float) -> list[Point]:
    top, side, shoulder = cy - 0.9 * r, 0.82 * r, cy + 0.05 * r
    left: list[Point] = [(cx - side, top), (cx - side, shoulder)]
    left += _quad((cx - side, shoulder), (cx - side, cy + 0.7 * r), (cx, cy + r))
    right = [(2 * cx - x, y) for x, y in reversed(left)]
    # A shallow dip in the top edge, the classic heraldic shield.
    return [
        *left,
        *right[1:],
        *_quad((cx + side, top), (cx, top + 0.16 * r), (cx - side, top))[:-1],
    ]


def _shape(shape: str, cx: float, cy: float, r: float) -> list[Point] | None:
    """The outline of ``shape`` with outer radius ``r``; None for the circle (drawn as an ellipse)."""
    if shape == "circle":
        return None
    if shape == "hexagon":
        return _regular(cx, cy, r, 6)
    if shape == "shield":
        return _shield(cx, cy, r)
    # "star": a 16-point seal, which leaves room for the icon and the name (a five-pointed star would not).
    return _star(cx, cy, r, r * 0.87, 16)


def _fill_shape(
    draw: ImageDraw.ImageDraw, shape: str, cx: float, cy: float, r: float, fill: Ink
) -> None:
    outline = _shape(shape, cx, cy, r)
    if outline is None:
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
    else:
        draw.polygon(outline, fill=fill)


# --- icons -------------------------------------------------------------------------------------------
# Each icon draws itself in a box of half-size u around (cx, cy), in fg, cutting details out in bg.

IconDrawer = Callable[[ImageDraw.ImageDraw, float, float, float, Ink, Ink], None]


def _icon_star(d: ImageDraw.ImageDraw, cx: float, cy: float, u: float, fg: Ink, bg: Ink) -> None:
    d.polygon(_star(cx, cy + 0.06 * u, u, 0.42 * u, 5), fill=fg)


def _icon_share(d: ImageDraw.ImageDraw, cx: float, cy: float, u: float, fg: Ink, bg: Ink) -> None:
    nodes = [(cx - 0.55 * u, cy), (cx + 0.55 * u, cy - 0.6 * u), (cx + 0.55 * u, cy + 0.6 * u)]
    for end in nodes[1:]:
        d.line([nodes[0], end], fill=fg, width=max(1, round(0.16 * u)))
    for x, y in nodes:
        d.ellipse((x - 0.3 * u, y - 0.3 * u, x + 0.3 * u, y + 0.3 * u), fill=fg)


def _icon_comment(d: ImageDraw.ImageDraw, cx: float, cy: float, u: float, fg: Ink, bg: Ink) -> None:
    d.rounded_rectangle((cx - u, cy - 0.8 * u, cx + u, cy + 0.45 * u), radius=0.35 * u, fill=fg)
    d.polygon(
        [(cx - 0.5 * u, cy + 0.3 * u), (cx - 0.05 * u, cy + 0.3 * u), (cx - 0.65 * u, cy + u)],
        fill=fg,
    )
    for x in (-0.45, 0.0, 0.45):
        px, py, pr = cx + x * u, cy - 0.18 * u, 0.13 * u
        d.ellipse((px - pr, py - pr, px + pr, py + pr), fill=bg)


def _path(start: Point, *segments: tuple[Point, Point], steps: int = 16) -> list[Point]:
    """A closed outline from ``start`` through quadratic Bézier segments (control, end)."""
    out = [start]
    for control, end in segments:
        out += _quad(out[-1], control, end, steps)
    return out


def _flame(cx: float, cy: float, u: float) -> list[Point]:
    """A flame with a tall tongue leaning right and a short one on the left, in a box of half-size u."""

    def p(x: float, y: float) -> Point:
        return (cx + x * u, cy + y * u)

    return _path(
        p(0.0, 1.0),
        (p(-0.82, 1.0), p(-0.78, 0.3)),
        (p(-0.74, -0.12), p(-0.46, -0.5)),
        (p(-0.42, -0.12), p(-0.2, -0.02)),
        (p(-0.3, -0.58), p(0.18, -1.0)),
        (p(0.3, -0.5), p(0.62, -0.18)),
        (p(0.9, 0.2), p(0.76, 0.55)),
        (p(0.62, 1.0), p(0.0, 1.0)),
    )


def _icon_flame(d: ImageDraw.ImageDraw, cx: float, cy: float, u: float, fg: Ink, bg: Ink) -> None:
    d.polygon(_flame(cx, cy, u), fill=fg)
    d.polygon(_flame(cx + 0.02 * u, cy + 0.47 * u, 0.42 * u), fill=bg)


def _icon_trophy(d: ImageDraw.ImageDraw, cx: float, cy: float, u: float, fg: Ink, bg: Ink) -> None:
    w = max(1, round(0.13 * u))
    for side in (-1, 1):
        hx = cx + side * 0.62 * u
        d.ellipse((hx - 0.32 * u, cy - 0.72 * u, hx + 0.32 * u, cy - 0.02 * u), outline=fg, width=w)
    d.rectangle((cx - 0.62 * u, cy - 0.9 * u, cx + 0.62 * u, cy - 0.25 * u), fill=fg)
    d.pieslice((cx - 0.62 * u, cy - 0.95 * u, cx + 0.62 * u, cy + 0.35 * u), 0, 180, fill=fg)
    d.rectangle((cx - 0.11 * u, cy + 0.3 * u, cx + 0.11 * u, cy + 0.7 * u), fill=fg)
    d.rounded_rectangle(
        (cx - 0.48 * u, cy + 0.66 * u, cx + 0.48 * u, cy + 0.92 * u), radius=0.07 * u, fill=fg
    )


def _icon_heart(d: ImageDraw.ImageDraw, cx: float, cy: float, u: float, fg: Ink, bg: Ink) -> None:
    s = u / 16.5
    pts: list[Point] = []
    for i in range(96):
        t = 2 * math.pi * i / 96
        x = 16 * math.sin(t) ** 3
        y = -(13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t))
        pts.append((cx + x * s, cy + (y - 2.5) * s))
    d.polygon(pts, fill=fg)


def _icon_megaphone(
    d: ImageDraw.ImageDraw, cx: float, cy: float, u: float, fg: Ink, bg: Ink
) -> None:
    x0 = cx - 0.15 * u  # shift left so the sound waves stay in the box
    d.polygon(
        [
            (x0 - 0.6 * u, cy - 0.28 * u),
            (x0 + 0.45 * u, cy - 0.75 * u),
            (x0 + 0.45 * u, cy + 0.75 * u),
            (x0 - 0.6 * u, cy + 0.28 * u),
        ],
        fill=fg,
    )
    d.rectangle((x0 - 0.82 * u, cy - 0.28 * u, x0 - 0.6 * u, cy + 0.28 * u), fill=fg)
    d.polygon(
        [
            (x0 - 0.5 * u, cy + 0.25 * u),
            (x0 - 0.25 * u, cy + 0.2 * u),
            (x0 - 0.12 * u, cy + 0.78 * u),
            (x0 - 0.37 * u, cy + 0.8 * u),
        ],
        fill=fg,
    )
    w = max(1, round(0.1 * u))
    for r in (0.35 * u, 0.62 * u):
        ax = x0 + 0.5 * u
        d.arc((ax - r, cy - r, ax + r, cy + r), -40, 40, fill=fg, width=w)


def _icon_book(d: ImageDraw.ImageDraw, cx: float, cy: float, u: float, fg: Ink, bg: Ink) -> None:
    for side in (-1, 1):
        inner, outer = cx + side * 0.06 * u, cx + side * u
        d.polygon(
            [
                (outer, cy - 0.62 * u),
                (inner, cy - 0.45 * u),
                (inner, cy + 0.8 * u),
                (outer, cy + 0.62 * u),
            ],
            fill=fg,
        )
        w = max(1, round(0.07 * u))
        for k in range(3):
            y = cy - 0.25 * u + k * 0.28 * u
            a, b = cx + side * 0.25 * u, cx + side * 0.8 * u
            d.line([(a, y), (b, y - 0.1 * u)], fill=bg, width=w)


def _icon_target(d: ImageDraw.ImageDraw, cx: float, cy: float, u: float, fg: Ink, bg: Ink) -> None:
    for r, c in ((1.0, fg), (0.76, bg), (0.56, fg), (0.34, bg), (0.16, fg)):
        d.ellipse((cx - r * u, cy - r * u, cx + r * u, cy + r * u), fill=c)


def _icon_check(d: ImageDraw.ImageDraw, cx: float, cy: float, u: float, fg: Ink, bg: Ink) -> None:
    d.line(
        [
            (cx - 0.75 * u, cy + 0.02 * u),
            (cx - 0.22 * u, cy + 0.55 * u),
            (cx + 0.8 * u, cy - 0.6 * u),
        ],
        fill=fg,
        width=max(1, round(0.26 * u)),
        joint="curve",
    )


ICONS: dict[str, IconDrawer] = {
    "star": _icon_star,
    "share": _icon_share,
    "comment": _icon_comment,
    "flame": _icon_flame,
    "trophy": _icon_trophy,
    "heart": _icon_heart,
    "megaphone": _icon_megaphone,
    "book": _icon_book,
    "target": _icon_target,
    "check": _icon_check,
}


def draw_icon(
    draw: ImageDraw.ImageDraw, icon: str, centre: Point, half_size: float, fg: Ink, bg: Ink
) -> None:
    """Draw a named icon (also used by the award card)."""
    ICONS[icon](draw, centre[0], centre[1], half_size, fg, bg)


# --- the badge ---------------------------------------------------------------------------------------


def _render(art: BadgeArt) -> Image.Image:
    """The badge as an RGBA image (the PNG is encoded separately, so benchmarks can split the cost).

    Colours go on an opaque RGB canvas and the silhouette (outer shape and ribbon) on a separate L mask,
    both reduced from the large canvas: reducing RGBA would premultiply and unpremultiply the whole canvas,
    which costs more than everything else drawn here. The RGB background is the outermost colour, so the
    anti-aliased edge pixels keep the right colour once the mask is their alpha.
    """
    size = art.size
    k = _CANVAS // size
    big = size * k
    colour = parse_colour("colour", art.colour)
    c = big / 2
    r = big * 0.46
    ring = parse_colour("tier", TIERS[art.tier]) if art.tier is not None else None
    outer = ring if ring is not None else mix(colour, (0, 0, 0), 0.25)
    canvas = Image.new("RGB", (big, big), outer)
    mask = Image.new("L", (big, big), 0)
    d = ImageDraw.Draw(canvas)
    m = ImageDraw.Draw(mask)
    _fill_shape(m, art.shape, c, c, r, 255)
    if ring is not None:
        _fill_shape(d, art.shape, c, c, r * 0.93, mix(ring, (0, 0, 0), 0.25))
        _fill_shape(d, art.shape, c, c, r * 0.9, mix(ring, (255, 255, 255), 0.35))
        inner = r * 0.84
    else:
        inner = r * 0.94
    _fill_shape(d, art.shape, c, c, inner, colour)
    # A lighter inner line: gives the flat shape some depth.
    outline = _shape(art.shape, c, c, inner * 0.93)
    line_w = max(1, round(big * 0.006))
    light = mix(colour, (255, 255, 255), 0.3)
    if outline is None:
        rr = inner * 0.93
        d.ellipse((c - rr, c - rr, c + rr, c + rr), outline=light, width=line_w)
    else:
        d.polygon(outline, outline=light, width=line_w)

    draw_icon(d, art.icon, (c, big * 0.355), big * 0.15, _ink_on(colour), colour)

    # The ribbon carrying the name, wider than the shape, with notched ends.
    ribbon = mix(colour, (0, 0, 0), 0.35)
    top, bottom = big * 0.585, big * 0.805
    left, right, notch = big * 0.03, big * 0.97, big * 0.045
    mid = (top + bottom) / 2
    band = [
        (left, top),
        (right, top),
        (right - notch, mid),
        (right, bottom),
        (left, bottom),
        (left + notch, mid),
    ]
    d.polygon(band, fill=ribbon)
    m.polygon(band, fill=255)
    edge = max(1, round(big * 0.004))
    d.line(
        [(left + notch * 1.6, top + edge * 2), (right - notch * 1.6, top + edge * 2)],
        fill=mix(ribbon, (255, 255, 255), 0.2),
        width=edge,
    )

    image = canvas.reduce(k)
    image.putalpha(mask.reduce(k))
    fnt, lines = fit_text(
        art.name,
        size * 0.74,
        size * 0.2,
        max_size=round(size * 0.085),
        min_size=max(9, round(size * 0.04)),
    )
    _draw_lines(
        ImageDraw.Draw(image), (size / 2, (top + bottom) / 2 / k), fnt, lines, _ink_on(ribbon)
    )
    return image


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOUR_TYPES = {"RGB": (2, 3), "RGBA": (6, 4)}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(image: Image.Image, level: int = 3) -> bytes:
    """An RGB or RGBA image as a minimal PNG: IHDR, one IDAT, IEND, nothing else.

    Why not ``Image.save``: Pillow's encoder picks a filter per row by trying all five, which is most of the
    cost of a badge (about 8 ms of 14 at 512 px); flat-coloured drawings compress well unfiltered, and at
    zlib level 3 the file is smaller than Pillow's at its default level. Writing the chunks ourselves also
    guarantees there is no metadata (no time, no text chunks): identical pixels give identical bytes, for a
    given zlib.
    """
    try:
        colour_type, channels = _COLOUR_TYPES[image.mode]
    except KeyError:
        raise ValueError(f"image: expected mode RGB or RGBA, got {image.mode}") from None
    width, height = image.size
    raw = image.tobytes()
    stride = width * channels
    rows = b"".join(b"\x00" + raw[i : i + stride] for i in range(0, len(raw), stride))
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"".join(
        (
            _PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows, level)),
            _chunk(b"IEND", b""),
        )
    )


def draw_badge(art: BadgeArt) -> bytes:
    """The badge as PNG bytes, ``art.size`` pixels square, transparent around the shape."""
    return encode_png(_render(art))


class PngCache(Generic[K]):
    """An in-memory LRU of drawn PNGs keyed by their (frozen, hashable) description; thread-safe.

    The lock covers only the dictionary: two threads missing the same key at once may both draw it, but the
    first result stored wins, so every caller gets the same bytes object afterwards. Subclasses say how to
    draw (``_draw``).
    """

    def __init__(self, max_items: int = 512) -> None:
        if isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 1:
            raise ValueError(f"max_items: expected an integer of at least 1, got {max_items!r}")
        self.max_items = max_items
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[K, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def _draw(self, key: K) -> bytes:
        raise NotImplementedError

    def get(self, key: K) -> bytes:
        """The PNG for ``key``, drawn on first use."""
        with self._lock:
            png = self._items.get(key)
            if png is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return png
            self.misses += 1
        png = self._draw(key)
        with self._lock:
            existing = self._items.get(key)
            if existing is not None:
                self._items.move_to_end(key)
                return existing
            self._items[key] = png
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
        return png

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class BadgeImages(PngCache[BadgeArt]):
    """Drawn badges by ``BadgeArt``: ``BadgeImages(max_items=512).get(art)`` → PNG bytes."""

    def _draw(self, key: BadgeArt) -> bytes:
        return draw_badge(key)
