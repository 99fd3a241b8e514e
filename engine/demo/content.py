"""What employees share in the demo event stream: the company's posts, and the shares that engagement follows.

Why it exists: the engine's content rules (re-shares with diminishing returns, the 6-3-1 content mix, campaigns)
need posts that behave like real ones: a few go viral internally, fresh ones are shared most, and people share
the same post again now and then. Reactions, clicks and leads arrive on recent shares, naming the sharer and the
post the way the share did.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from itertools import accumulate

from engine.demo.activity import Employees
from engine.demo.timeline import DAY, HOUR

__all__ = ["Post", "Posts", "RecentShares", "Share"]

Post = tuple[str, str, str | None]  # content id, content kind, campaign (None outside a campaign)
Share = tuple[str, str]  # how the tool names the sharer, content id

_KINDS = ("curated", "owned", "promotional")
_KIND_CUM = (6, 9, 10)  # the 6-3-1 content mix
_CAMPAIGNS = ("careers", "autumn-hiring", None)
_CAMPAIGN_CUM = tuple(accumulate((0.15, 0.10, 0.75)))
_PUBLISHED_BEFORE = 30  # posts already published before the window opens
_LIFETIME = 21 * DAY  # posts live for about three weeks
_RESHARE = 0.10  # an employee shares the same post again
_RING = 4096  # recent shares that reactions, clicks and leads can follow (a power of two)


class Posts:
    """The pool of company posts, with the window of live ones weighted by popularity and freshness.

    Call `advance` at the start of each simulated hour; the picks then favour popular, fresh posts (half-life
    two days) among those published in the last three weeks.
    """

    __slots__ = (
        "_cum",
        "_hi",
        "_last_shared",
        "_pop",
        "_rand",
        "_time",
        "_top",
        "_total",
        "ids",
        "lo",
        "posts",
    )

    def __init__(
        self, rng: random.Random, start_epoch: int, hour_weights: list[float], employees: int
    ) -> None:
        rand = rng.random
        self._rand = rand
        days = len(hour_weights) // 24
        count = _PUBLISHED_BEFORE + int(days * 7)
        times = [start_epoch - int(rand() * 14 * DAY) for _ in range(_PUBLISHED_BEFORE)]
        hours = rng.choices(
            range(len(hour_weights)), weights=hour_weights, k=count - _PUBLISHED_BEFORE
        )
        times += [start_epoch + s * HOUR + int(rand() * HOUR) for s in hours]
        times.sort()
        self._time = times
        self._pop = [
            rng.paretovariate(1.2) for _ in range(count)
        ]  # a few posts go viral internally
        self.ids = [f"post-{j + 1:04d}" for j in range(count)]
        kinds = [rng.choices(_KINDS, cum_weights=_KIND_CUM)[0] for _ in range(count)]
        campaigns = [rng.choices(_CAMPAIGNS, cum_weights=_CAMPAIGN_CUM)[0] for _ in range(count)]
        self.posts: list[Post] = list(zip(self.ids, kinds, campaigns, strict=True))
        self._last_shared = [-1] * employees
        self.lo = 0  # the live posts are lo..hi-1
        self._hi = 0
        self._cum: list[float] = []
        self._total = 0.0
        self._top = 0

    def published_before(self) -> int:
        """A post published before the window opened, for the shares made before it."""
        return int(self._rand() * _PUBLISHED_BEFORE)

    def advance(self, hour_start: int) -> None:
        """Move the window of live posts to `hour_start` and weigh them: popularity x freshness."""
        time = self._time
        while self._hi < len(time) and time[self._hi] <= hour_start:
            self._hi += 1
        while self.lo < self._hi - 1 and time[self.lo] < hour_start - _LIFETIME:
            self.lo += 1
        pop = self._pop
        self._cum = list(
            accumulate(
                pop[j] * (0.5 ** ((hour_start - time[j]) / (2 * DAY)) + 0.02)
                for j in range(self.lo, self._hi)
            )
        )
        self._total = self._cum[-1]
        self._top = len(self._cum) - 1

    def pick(self) -> int:
        """A live post by weight (an index into `posts`)."""
        return self.lo + bisect_right(self._cum, self._rand() * self._total, 0, self._top)

    def pick_for(self, employee: int) -> int:
        """The post `employee` shares: now and then the one they shared last (diminishing returns), else `pick`."""
        j = self._last_shared[employee]
        if j < self.lo or self._rand() >= _RESHARE:
            j = self.pick()
            self._last_shared[employee] = j
        return j


class RecentShares:
    """A ring buffer of the latest shares, for the reactions, clicks and leads that follow them.

    Seeded with shares made before the window, so the first reactions have something to follow. The tool that
    reports a share's reactions and clicks names the employee the way the share did, so entries keep that name.
    """

    __slots__ = ("_count", "_rand", "_ring")

    def __init__(self, employees: Employees, posts: Posts, rng: random.Random) -> None:
        self._rand = rng.random
        self._ring: list[Share] = []
        for _ in range(_RING):
            i = employees.pick_roughly()
            self._ring.append((employees.reference(i), posts.ids[posts.published_before()]))
        self._count = _RING

    def add(self, share: Share) -> None:
        """Record a share; a share entered twice draws twice the engagement."""
        self._ring[self._count & (_RING - 1)] = share
        self._count += 1

    def follow(self) -> Share:
        """A recent share for engagement to follow, favouring the latest ones (people react within hours)."""
        back = int(_RING * self._rand() * self._rand())
        return self._ring[(self._count - 1 - back) & (_RING - 1)]

    def any(self) -> Share:
        """Any of the recent shares, uniformly: what a colleague sees in their feed."""
        return self._ring[(self._count - 1 - int(_RING * self._rand())) & (_RING - 1)]
