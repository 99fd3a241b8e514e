"""How the demo event stream is delivered: mostly in time order, some events late, some sent twice.

Why it exists: the engine promises exactly-once intake and periods by `occurred_at`, not by arrival, so the
demo data must contain what real tools do: a retrying tool sends an event again later under the same id, and
a slow one delivers events hours or days after they happened. Memory stays bounded by what is held back (a few
days' worth of the late rate), never by the length of the stream.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from itertools import count
from typing import Any

__all__ = ["NEVER", "Delivery"]

NEVER = 1 << 62  # an epoch after every event
_LATE_MIN = 7200  # late events arrive two hours to about three days after their time
_LATE_SPREAD = 252000
_RETRY_MIN = 5  # retries come seconds to half a day after the first delivery
_RETRY_SPREAD = 43200


class Delivery:
    """Events held back until their delivery time, and the choice of which events are late or sent twice.

    Which events are special is picked by a geometric countdown: one draw per special event, not one per event,
    because the stream makes hundreds of thousands of events a second. `next_due` is the earliest delivery
    time held, so the stream checks one integer per event before calling `release`.
    """

    __slots__ = (
        "_countdown",
        "_dup_cut",
        "_held",
        "_late_cut",
        "_log_keep",
        "_order",
        "_rand",
        "next_due",
    )

    def __init__(self, rng: random.Random, late_rate: float, duplicate_rate: float) -> None:
        self._rand = rng.random
        self._held: list[tuple[int, int, dict[str, Any]]] = []
        self._order = count(1)  # ties in delivery time go first in, first out
        self._late_cut = late_rate
        self._dup_cut = late_rate + duplicate_rate
        self._log_keep = math.log(1.0 - self._dup_cut) if self._dup_cut > 0 else -1.0
        self._countdown = self._next_countdown() if self._dup_cut > 0 else -1
        self.next_due = NEVER

    def _next_countdown(self) -> int:
        """How many events until the next late or re-sent one: geometric with the two rates together."""
        return 1 + int(math.log(1.0 - self._rand()) / self._log_keep)

    def hold(self, deliver_at: int, event: dict[str, Any]) -> None:
        """Keep `event` until the stream reaches `deliver_at`."""
        heapq.heappush(self._held, (deliver_at, next(self._order), event))
        self.next_due = self._held[0][0]

    def release(self, now: int) -> Iterator[dict[str, Any]]:
        """The held events due by `now`, in delivery order."""
        held = self._held
        while held and held[0][0] <= now:
            yield heapq.heappop(held)[2]
        self.next_due = held[0][0] if held else NEVER

    def release_all(self) -> Iterator[dict[str, Any]]:
        """Everything still held, in delivery order: the stream has ended."""
        return self.release(NEVER)

    def send_now(self, event: dict[str, Any], occurred: int) -> bool:
        """Whether `event` (at epoch `occurred`) goes out now; false when it is held back to arrive late.

        A retried event goes out now and its copy (the very same event) again later.
        """
        self._countdown -= 1
        if self._countdown:
            return True
        self._countdown = self._next_countdown()
        rand = self._rand
        if rand() * self._dup_cut < self._late_cut:
            self.hold(occurred + _LATE_MIN + int(rand() * rand() * _LATE_SPREAD), event)
            return False
        copy = {**event, "attributes": {**event["attributes"]}}
        self.hold(occurred + _RETRY_MIN + int(rand() ** 3 * _RETRY_SPREAD), copy)
        return True
