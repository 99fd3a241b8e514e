"""Charts as inline SVG, drawn on the server: no chart library to download, readable without JavaScript.

Each chart carries ``role="img"`` and an ``aria-label``; the pages put the same figures in a table beside it
for screen readers and for copying.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = ["bar_chart", "line_chart"]

WIDTH, HEIGHT = 640, 220
LEFT, BOTTOM, TOP = 56, 30, 12


def _scale(values: Sequence[float]) -> float:
    top = max([*values, 0.0])
    if top <= 0:
        return 1.0
    # A round axis maximum: 1, 2 or 5 times a power of ten.
    step = 10 ** (len(str(int(top))) - 1)
    for mult in (1, 2, 5, 10):
        if top <= mult * step:
            return float(mult * step)
    return float(top)


def _tick(value: float) -> str:
    """1,000,000 → 1M: the axis label fits its margin."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def _frame(
    label: str, axis_max: float, inner: list[str], labels: Sequence[str], xs: list[float]
) -> Markup:
    plot_h = HEIGHT - BOTTOM - TOP
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH}" y2="{TOP + plot_h}" stroke="#767f8a"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 8}" text-anchor="end">{_tick(axis_max)}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end">0</text>',
        *inner,
    ]
    every = -(-len(labels) // 6)  # at most ~6 labels fit on a phone
    for i, (text, x) in enumerate(zip(labels, xs, strict=True)):
        if i % every == 0 or i == len(labels) - 1:
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle">{escape(text)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(label: str, bars: Sequence[tuple[str, float]]) -> Markup:
    """One bar per (label, value), e.g. points per week."""
    values = [v for _, v in bars]
    axis_max = _scale(values)
    plot_w, plot_h = WIDTH - LEFT, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(len(bars), 1)
    inner, xs = [], []
    for i, (name, value) in enumerate(bars):
        h = plot_h * value / axis_max
        x = LEFT + i * slot
        xs.append(x + slot / 2)
        inner.append(
            f'<rect class="bar" x="{x + slot * 0.15:.1f}" y="{TOP + plot_h - h:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{h:.1f}"><title>{escape(name)}: {value:g}</title></rect>'
        )
    return _frame(label, axis_max, inner, [n for n, _ in bars], xs)


def line_chart(label: str, labels: Sequence[str], values: Sequence[float]) -> Markup:
    """A line through ``values`` over ``labels`` (periods), e.g. the participation rate per month."""
    axis_max = _scale(values)
    plot_w, plot_h = WIDTH - LEFT, HEIGHT - BOTTOM - TOP
    step = plot_w / max(len(values), 1)
    xs = [LEFT + step * (i + 0.5) for i in range(len(values))]
    ys = [TOP + plot_h - plot_h * v / axis_max for v in values]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    inner = [f'<polyline class="line" points="{points}"/>'] + [
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#0b5cad"><title>{escape(n)}: {v:g}</title></circle>'
        for x, y, n, v in zip(xs, ys, labels, values, strict=True)
    ]
    return _frame(label, axis_max, inner, labels, xs)
