"""Colour arithmetic shared by the badge images and the award card: parsing, mixing, luminance.

Colours are plain ``(r, g, b)`` tuples of 0–255 integers (``RGB``), which is what Pillow takes as a fill on
RGB images; ``Ink`` adds the single 0–255 level Pillow takes on L (greyscale) masks.
"""

from __future__ import annotations

import re
from typing import TypeAlias

__all__ = ["RGB", "Ink", "luminance", "mix", "parse_colour"]

RGB: TypeAlias = tuple[int, int, int]
#: What a shape or icon is filled with: a colour on an RGB image, or a level on an L mask.
Ink: TypeAlias = RGB | int

_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def parse_colour(field: str, value: object) -> RGB:
    """``#rrggbb`` → (r, g, b); a ValueError naming the field otherwise."""
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise ValueError(f"{field}: expected #rrggbb, got {value!r}")
    return (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16))


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """``a`` moved a fraction ``t`` towards ``b``."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def luminance(c: RGB) -> float:
    """Relative luminance (WCAG), to pick dark or light ink on a background."""

    def channel(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in c)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
