"""Weighted draws for the demo generators, fast enough for hundreds of thousands of events a second.

Why it exists: the roster and the event stream both split totals by weight (team sizes, events per hour), and the
event stream picks by weight for every event. A bisection over cumulative weights per draw would cost more than
the rest of an event, so weights are turned once into flat tables that one uniform draw indexes directly.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import TypeVar

__all__ = ["alias_tables", "allocate", "lookup_table"]

T = TypeVar("T")


def allocate(total: int, weights: Sequence[float], minimum: int) -> list[int]:
    """Split `total` into integer parts proportional to `weights`, each at least `minimum` (largest remainder).

    Why largest remainder: the parts add up to exactly `total`, so a generator asked for N events makes N.
    """
    parts = [minimum] * len(weights)
    rest = total - minimum * len(weights)
    wsum = sum(weights)
    shares = [rest * w / wsum for w in weights]
    for i, s in enumerate(shares):
        parts[i] += int(s)
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: shares[i] - int(shares[i]), reverse=True)
    for i in order[:left]:
        parts[i] += 1
    return parts


def lookup_table(values: Sequence[T], weights: Sequence[float], size: int = 100) -> tuple[T, ...]:
    """A lookup table of `size` entries in proportion to `weights`: one index per draw, no bisection."""
    counts = allocate(size, list(weights), 0)
    return tuple(v for v, c in zip(values, counts, strict=True) for _ in range(c))


def alias_tables(weights: Sequence[float]) -> tuple[array[float], array[int]]:
    """Walker/Vose alias tables: one uniform draw picks an index in O(1) by weight.

    Why not bisect on cumulative weights: with 100,000 employees a bisection chases pointers through a list
    of 100,000 floats and costs more than the rest of an event; the alias lookup reads two flat arrays.
    """
    n = len(weights)
    total = sum(weights)
    scaled = [w * n / total for w in weights]
    prob = array("d", [1.0]) * n
    alias = array("l", range(n))
    small = [i for i, p in enumerate(scaled) if p < 1.0]
    large = [i for i, p in enumerate(scaled) if p >= 1.0]
    while small and large:
        lo = small.pop()
        hi = large.pop()
        prob[lo] = scaled[lo]
        alias[lo] = hi
        scaled[hi] += scaled[lo] - 1.0
        (small if scaled[hi] < 1.0 else large).append(hi)
    return prob, alias
