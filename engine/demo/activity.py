"""Who acts in the demo event stream, and how often: each employee's activity and reach, drawn once.

Why it exists: the engine's promises are tested against what real programs look like, and real activity is
heavy-tailed: about 5% enthusiasts do a large share of everything, a large majority act now and then, and about
30% almost never act. Marketing and sales share far more than legal, and the pilot group a bit more than the
rest. Each pick is one or two uniform draws on alias tables, because the stream makes one per event.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate

from engine.demo.roster import TEAM_AFFINITY
from engine.demo.sampling import alias_tables

__all__ = ["Employees"]

_EMAIL_REF = 0.20  # tools often only know the e-mail address
_LOGISTIC_SCALE = math.sqrt(3) / math.pi  # logistic with unit variance
_MEDIAN_FOLLOWERS = 350


class Employees:
    """The roster as the event stream sees it: names for the tools, activity weights, managers, followers.

    Built from one seeded `random.Random`, drawing in a fixed order, so the same roster and seed give the same
    people. The picks draw from the same generator, one or two uniform draws each.
    """

    __slots__ = (
        "_activity_alias",
        "_activity_prob",
        "_emails",
        "_n",
        "_rand",
        "_recognition_cum",
        "_recognition_total",
        "audience",
        "ids",
        "manager",
    )

    def __init__(self, roster: list[dict[str, str]], rng: random.Random) -> None:
        rand = rng.random
        self._rand = rand
        self._n = len(roster)
        self.ids = [r["external_id"] for r in roster]
        self._emails = [r.get("email") or r["external_id"] for r in roster]
        index_of = {e: i for i, e in enumerate(self.ids)}
        #: Each employee's manager (an index), -1 for none or one outside the roster.
        self.manager = [index_of.get(r.get("manager_external_id") or "", -1) for r in roster]
        activity = [_activity(r, rng) for r in roster]
        self._activity_prob, self._activity_alias = alias_tables(activity)
        # Recognition reaches most people, not only the active ones.
        self._recognition_cum = list(accumulate(0.05 + w**0.3 for w in activity))
        self._recognition_total = self._recognition_cum[-1]
        mu = math.log(_MEDIAN_FOLLOWERS)
        #: Each employee's followers on social media: lognormal, a long right tail.
        self.audience = [math.exp(mu + 1.1 * _logistic_normal(rand)) + 20.0 for _ in roster]

    def reference(self, i: int) -> str:
        """How a tool names employee `i`: by e-mail about one time in five, because many know nothing else."""
        return self._emails[i] if self._rand() < _EMAIL_REF else self.ids[i]

    def pick_active(self) -> int:
        """An employee by activity weight: the enthusiasts most, the skeptics hardly ever."""
        u = self._rand() * self._n
        i = int(u)
        if u - i >= self._activity_prob[i]:
            i = self._activity_alias[i]
        return i

    def pick_widely(self) -> int:
        """Mostly by activity, but about one pick in ten is anyone: lighter forms of activity spread wider."""
        u = self._rand() * self._n
        i = int(u)
        f = u - i
        if f >= self._activity_prob[i] and f < 0.9:
            i = self._activity_alias[i]
        return i

    def pick_for_onboarding(self) -> int:
        """By activity 60% of the time, else anyone: engaged people first, but HR gets most people to do some."""
        u = self._rand() * self._n
        i = int(u)
        if self._rand() < 0.6 and u - i >= self._activity_prob[i]:
            i = self._activity_alias[i]
        return i

    def pick_roughly(self) -> int:
        """A cheap approximation of a pick by activity (the alias of a uniform index), for the history before
        the window opens."""
        return self._activity_alias[int(self._rand() * self._n)]

    def pick_recognised(self) -> int:
        """Someone receiving recognition: weighted, but much flatter than activity (managers thank everyone)."""
        return bisect_right(
            self._recognition_cum, self._rand() * self._recognition_total, 0, self._n - 1
        )


def _activity(row: dict[str, str], rng: random.Random) -> float:
    """How active one employee is, relative to the others: skeptic, occasional or enthusiast, times the team's
    affinity, and a bit more in the pilot group."""
    u = rng.random()
    if u < 0.30:  # skeptics: almost never act
        w = 0.01 * math.exp(0.5 * _logistic_normal(rng.random))
    elif u < 0.95:  # the majority: now and then
        w = math.exp(0.8 * _logistic_normal(rng.random))
    else:  # enthusiasts: a large share of everything
        w = 6.0 * rng.paretovariate(1.8)
    w *= TEAM_AFFINITY.get(row.get("team", ""), 1.0)
    if row.get("pilot_group") == "yes":
        w *= 1.3
    return w


def _logistic_normal(rand: Callable[[], float]) -> float:
    """About a standard normal (logistic quantile, slightly heavier tails), at a third of the cost."""
    u = rand() + 1e-12
    return _LOGISTIC_SCALE * math.log(u / (1.0 - u + 1e-12))
