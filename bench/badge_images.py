"""Benchmark: badge PNGs, award cards, the cache and Open Badges baking.

Prints p50/p99 in milliseconds for: drawing a badge at 256 and 512 px, drawing a card with and without a
photo, a cached get, baking an assertion into a badge and reading it back. Every draw has a distinct input
(nothing is served from a cache it should not be). Both wall time and CPU time of the drawing thread are
shown: on a shared machine the wall time includes waiting for a CPU, the CPU time does not. Not a test: run
it by hand, e.g.

    .venv/bin/python bench/badge_images.py --rounds 200
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from badges.card import AwardCard, draw_card  # noqa: E402
from badges.images import ICONS, SHAPES, TIERS, BadgeArt, BadgeImages, draw_badge  # noqa: E402
from badges.openbadges import assertion, bake, unbake  # noqa: E402

NAMES = [
    "Kunnskapsdeler på LinkedIn",
    "Лучший амбассадор месяца",
    "Ambassadeur van de maand",
    "First share",
    "Sharing streak: 30 days",
]
#: The issue's budgets, in ms (the p50 is compared with them; the p99 is shown).
BUDGETS = {"badge": 20.0, "card": 50.0, "cached": 1.0}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


def measure(
    inputs: Iterator[object], call: Callable[[object], object], rounds: int
) -> dict[str, tuple[float, float]]:
    """Wall and thread-CPU milliseconds of ``call`` on ``rounds`` inputs, after two warm-up calls."""
    call(next(inputs))
    call(next(inputs))
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(rounds):
        item = next(inputs)
        w0, c0 = time.perf_counter(), time.thread_time()
        call(item)
        cpu.append((time.thread_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    return {"wall": percentiles(wall), "cpu": percentiles(cpu)}


def report(label: str, result: dict[str, tuple[float, float]], budget: float | None = None) -> None:
    (wp50, wp99), (cp50, cp99) = result["wall"], result["cpu"]
    verdict = ""
    if budget is not None:
        if wp50 <= budget:
            verdict = f"  p50 within {budget:g} ms"
        elif cp50 <= budget:
            verdict = f"  p50 within {budget:g} ms of CPU (the machine is busy)"
        else:
            verdict = f"  p50 OVER {budget:g} ms"
    print(
        f"{label:<28} wall p50 {wp50:7.2f}  p99 {wp99:7.2f}   cpu p50 {cp50:7.2f}  p99 {cp99:7.2f}{verdict}"
    )


def arts(size: int) -> Iterator[BadgeArt]:
    n = 0
    while True:
        yield BadgeArt(
            f"{NAMES[n % len(NAMES)]} {n}",
            shape=SHAPES[n % len(SHAPES)],
            icon=list(ICONS)[n % len(ICONS)],
            tier=[None, *TIERS][n % (len(TIERS) + 1)],
            size=size,
        )
        n += 1


def photo() -> bytes:
    """A 1200×1600 JPEG, like a phone portrait cropped by an HR system."""
    image = Image.new("RGB", (1200, 1600), (180, 160, 140))
    draw = ImageDraw.Draw(image)
    draw.ellipse((330, 330, 870, 1000), fill=(230, 190, 160))
    draw.rectangle((200, 1050, 1000, 1600), fill=(40, 60, 120))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def cards(photo_bytes: bytes | None) -> Iterator[AwardCard]:
    n = 0
    while True:
        yield AwardCard(
            ["Bjørn Pedersen", "Ольга Иванова", "Anna de Vries"][n % 3] + f" {n}",
            "Employee of the month",
            "November 2026",
            "Nordlys Energi AS",
            photo=photo_bytes,
        )
        n += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    rounds = args.rounds

    for size in (256, 512):
        report(f"badge draw {size} px", measure(arts(size), draw_badge, rounds), BUDGETS["badge"])
    report("card draw, initials", measure(cards(None), draw_card, rounds), BUDGETS["card"])
    portrait = photo()
    report(
        "card draw, 1200x1600 photo", measure(cards(portrait), draw_card, rounds), BUDGETS["card"]
    )

    cache = BadgeImages(max_items=64)
    warm = [BadgeArt(f"Badge {i}", size=512) for i in range(64)]
    for art in warm:
        cache.get(art)
    keys = iter(warm * (rounds // len(warm) + 2))
    report("cached get (512 px)", measure(keys, cache.get, rounds), BUDGETS["cached"])

    png = draw_badge(BadgeArt("Kunnskapsdeler på LinkedIn", size=512, tier="gold"))
    issued = datetime(2026, 11, 30, 12, tzinfo=UTC)

    def assertions() -> Iterator[dict]:
        n = 0
        while True:
            yield assertion(
                "https://plaudit.example.com",
                f"a{n}",
                "linkedin-sharer",
                f"e{n}@acme.example",
                "salt",
                issued,
            )
            n += 1

    report("bake (512 px badge)", measure(assertions(), lambda doc: bake(png, doc), rounds))  # type: ignore[arg-type]
    baked = bake(png, next(assertions()))
    report("unbake", measure(iter(lambda: baked, None), unbake, rounds))  # type: ignore[arg-type]

    sizes = {
        size: len(draw_badge(BadgeArt("Лучший амбассадор месяца", size=size, tier="gold")))
        for size in (256, 512)
    }
    card_bytes = len(draw_card(next(cards(portrait))))
    print(
        f"PNG sizes: badge 256 px {sizes[256] / 1024:.0f} KiB, 512 px {sizes[512] / 1024:.0f} KiB, card with photo {card_bytes / 1024:.0f} KiB"
    )


if __name__ == "__main__":
    main()
