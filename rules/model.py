"""The validated program: the structs a rules.yaml becomes, and the names its values come from.

Nothing here reads YAML; ``rules.sections`` builds these structs from the file, and the engine reads
them. Every struct is frozen: a loaded program never changes.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

import msgspec

from rules._fields import EventTypeSpec
from rules.conditions import Cond
from rules.integrity import IntegritySpec
from rules.sources import SourceSpec

__all__ = [
    "ALLOWANCE_PERIODS",
    "AWARD_METRICS",
    "AWARD_PERIODS",
    "AWARD_SCOPES",
    "AWARD_TIE_BREAKERS",
    "BADGE_ICONS",
    "BADGE_KINDS",
    "BADGE_SHAPES",
    "BADGE_WINDOWS",
    "CAP_PERIODS",
    "CONNECTOR_KINDS",
    "DEFAULT_MAX_FUTURE_MINUTES",
    "ONCE_PERIODS",
    "REWARD_TRIGGERS",
    "TEMPLATE_VARIABLES",
    "TIE_POLICIES",
    "AfterSpec",
    "AwardSpec",
    "BadgeCriteria",
    "BadgeSpec",
    "BadgeTier",
    "CampaignSpec",
    "CapSpec",
    "ConnectorSpec",
    "FixedPoints",
    "LeaderboardSpec",
    "MultiplierSpec",
    "OnceSpec",
    "PayoutRate",
    "Points",
    "PointsByValue",
    "PointsFromField",
    "ProgramSpec",
    "RepeatSpec",
    "RewardSpec",
    "RuleSpec",
    "ShoutoutSpec",
    "TestEventSpec",
    "TestSpec",
    "ValueSpec",
    "WeightSpec",
]

#: ``program.max_future_minutes`` when rules.yaml does not say.
DEFAULT_MAX_FUTURE_MINUTES = 5

CAP_PERIODS: Final = ("day", "week", "month")
ONCE_PERIODS: Final = ("day", "week", "month", "ever")
# shared: standard competition ranking ("1224"); earliest: who reached the score first ranks higher.
TIE_POLICIES: Final = ("shared", "earliest")
ALLOWANCE_PERIODS: Final = ("week", "month")

BADGE_KINDS: Final = ("first", "count", "threshold", "streak", "rank")
BADGE_WINDOWS: Final = ("day", "week", "month", "quarter", "lifetime", "rolling")
BADGE_SHAPES: Final = ("circle", "shield", "hexagon", "star")  # as badges/images.py draws them
BADGE_ICONS: Final = (
    "share",
    "comment",
    "star",
    "flame",
    "trophy",
    "heart",
    "megaphone",
    "book",
    "target",
)
AWARD_METRICS: Final = ("points", "rules")
AWARD_TIE_BREAKERS: Final = ("shoutouts_received", "active_days", "earliest")
AWARD_PERIODS: Final = ("month", "quarter")
AWARD_SCOPES: Final = ("company", "team")

CONNECTOR_KINDS: Final = ("webhook", "csv_payroll", "bonusly", "tango")
REWARD_TRIGGERS: Final = ("badge_awarded", "award_won", "points_milestone", "monthly_payout")

_EMPLOYEE_VARIABLES: Final = (
    "employee.id",
    "employee.internal_id",
    "employee.email",
    "employee.name",
    "employee.team",
    "employee.department",
)
_COMMON_VARIABLES: Final = ("reward.id", "program.name", "amount", "currency")
#: The variables a template may use, per trigger. ``employee.internal_id`` is Plaudit's own number for the
#: employee: it never changes (an erasure changes ``employee.id``), so default idempotency keys use it.
TEMPLATE_VARIABLES: Final[dict[str, tuple[str, ...]]] = {
    "badge_awarded": (
        *_EMPLOYEE_VARIABLES,
        *_COMMON_VARIABLES,
        "badge.id",
        "badge.name",
        "badge.tier",
        "badge.window",
    ),
    "award_won": (
        *_EMPLOYEE_VARIABLES,
        *_COMMON_VARIABLES,
        "award.id",
        "award.name",
        "award.period",
    ),
    "points_milestone": (*_EMPLOYEE_VARIABLES, *_COMMON_VARIABLES, "milestone.points", "points"),
    "monthly_payout": (*_EMPLOYEE_VARIABLES, *_COMMON_VARIABLES, "period", "points"),
}


# -- caps, campaigns and point rules ---------------------------------------------------------


class CapSpec(msgspec.Struct, frozen=True):
    id: str
    per: str
    max: int
    description: str = ""

    @property
    def label(self) -> str:
        """How a cap is named in reasons: its description, else its id and period."""
        return self.description or f"{self.id} (per {self.per})"


class CampaignSpec(msgspec.Struct, frozen=True):
    """A time-boxed boost; ``start``..``until`` are inclusive local dates."""

    id: str
    name: str
    start: date
    until: date
    rules: tuple[str, ...]
    multiplier: float
    when: Cond | None = None


class FixedPoints(msgspec.Struct, frozen=True):
    value: float


class PointsByValue(msgspec.Struct, frozen=True):
    field: str
    values: dict[str, float]
    default: float = 0.0


class PointsFromField(msgspec.Struct, frozen=True):
    field: str
    times: float = 1.0


Points = FixedPoints | PointsByValue | PointsFromField


class WeightSpec(msgspec.Struct, frozen=True):
    field: str
    values: dict[str, float]
    default: float = 1.0


class MultiplierSpec(msgspec.Struct, frozen=True):
    when: Cond
    factor: float
    reason: str


class RepeatSpec(msgspec.Struct, frozen=True):
    key: tuple[str, ...]
    factors: tuple[float, ...]


class OnceSpec(msgspec.Struct, frozen=True):
    key: tuple[str, ...]
    per: str = "ever"


class AfterSpec(msgspec.Struct, frozen=True):
    """A prerequisite (``after:``): the rule pays only if the same employee had an earlier event of
    ``event`` matching ``when`` with the same values of the ``same`` fields; else it gives 0 with ``reason``.

    ``unless``: a condition on the rule's own event under which no prerequisite is needed (the
    referral's own `submitted` stage). Marks are per-employee counters (``after:<rule>:<same values>``,
    the earliest such event's instant), set after the event's rules have scored.
    """

    event: str
    same: tuple[str, ...] = ()
    when: Cond | None = None
    unless: Cond | None = None
    reason: str = ""


class RuleSpec(msgspec.Struct, frozen=True):
    id: str
    description: str
    event: str
    points: Points
    when: Cond | None = None
    weight: WeightSpec | None = None
    multipliers: tuple[MultiplierSpec, ...] = ()
    repeat: RepeatSpec | None = None
    once: OnceSpec | None = None
    cap: str | None = None
    line: int = 0
    #: A prerequisite; None (the default) is left out of the rule's version hash, so rules without one
    #: keep the versions they had before ``after:`` existed.
    after: AfterSpec | None = None


# -- HR's own examples -----------------------------------------------------------------------


class TestEventSpec(msgspec.Struct, frozen=True):
    type: str
    occurred_at: datetime
    attributes: dict[str, Any]


class TestSpec(msgspec.Struct, frozen=True):
    name: str
    events: tuple[TestEventSpec, ...]
    points: int
    rules: tuple[str, ...] | None = None
    reasons: tuple[str, ...] = ()
    line: int = 0
    col: int = 0


# -- leaderboards and shoutouts --------------------------------------------------------------


class LeaderboardSpec(msgspec.Struct, frozen=True):
    """How boards rank; the defaults are what an absent `leaderboards:` section means."""

    ties: str = "shared"
    team_boards: bool = True


class ValueSpec(msgspec.Struct, frozen=True):
    """A company value a shoutout names ("Ownership"): recognition tied to what we stand for."""

    id: str
    name: str
    description: str = ""


class ShoutoutSpec(msgspec.Struct, frozen=True):
    """Peer recognition: how much a giver may give, and the event each recipient earns through."""

    allowance_per: str
    allowance_max: int
    max_recipients: int
    max_message: int
    event: str
    values: tuple[ValueSpec, ...]


# -- badges and awards -----------------------------------------------------------------------


class BadgeTier(msgspec.Struct, frozen=True):
    """One level of a badge; a badge without `tiers:` has one tier named ""."""

    name: str  # "" for a badge without tiers; else e.g. bronze / silver / gold (any id)
    goal: int  # count: events; threshold: points; streak: days or weeks in a row; first: 1; rank: top N
    bonus: int = 0  # points awarded with this tier (a ledger entry)


class BadgeCriteria(msgspec.Struct, frozen=True):
    """What earns a badge; only the fields of its ``kind`` are ever set from the file."""

    kind: str  # one of BADGE_KINDS
    event: str | None = None  # first/count/streak: the event type counted
    when: Cond | None = None  # first/count/streak: an optional condition on that event's fields
    window: str = "lifetime"  # count/threshold: one of BADGE_WINDOWS
    rolling_days: int = 0  # window == "rolling": the last N days (1..366)
    unit: str = "day"  # streak: "day" or "week"
    grace: int = 0  # streak: missed days/weeks allowed without breaking the run (0..7)
    period: str = "month"  # rank: "week", "month" or "quarter" (the closed period's board)


class BadgeSpec(msgspec.Struct, frozen=True):
    """A badge: ``tiers`` have ascending goals (for rank: top 1 before top 3)."""

    id: str  # letters, digits, _ and -: it appears in URLs
    name: str
    description: str
    criteria: BadgeCriteria
    tiers: tuple[BadgeTier, ...]
    # false: earned once ever (per tier); true: again each window (count/threshold with a
    # day..quarter window; streak: each new run; rank: each period)
    again: bool = False
    available_from: date | None = None  # earnable only for events that occurred between
    available_until: date | None = None  # these local dates (inclusive)
    shape: str = "circle"
    colour: str = "#2f6fde"
    icon: str = "star"
    line: int = 0


class AwardSpec(msgspec.Struct, frozen=True):
    """A recognition decided when a period closes, such as employee of the month."""

    id: str  # letters, digits, _ and -, e.g. employee-of-the-month
    name: str  # "Employee of the month"
    period: str = "month"  # "month" or "quarter"
    metric: str = "points"  # points: all points in the period; rules: points from `rules` only
    rules: tuple[str, ...] = ()  # metric == rules: rule ids
    scopes: tuple[str, ...] = ("company",)  # "company" and/or "team" (a winner per team)
    winners: int = 1  # per scope
    min_active_days: int = 0  # eligibility: distinct days with a scored event in the period
    min_events: int = 0  # eligibility: scored events in the period
    cooldown_months: int = 0  # eligibility: not won this award in the last N periods
    tie_breakers: tuple[str, ...] = ("earliest",)  # in order, from AWARD_TIE_BREAKERS
    grace_hours: int = 48  # late events: the period closes this long after it ended
    approval: bool = False  # true: close makes a shortlist; HR approves a winner
    bonus: int = 0  # points for each winner
    badge: str | None = None  # a badge id given to each winner
    line: int = 0


# -- connectors and rewards ------------------------------------------------------------------


class ConnectorSpec(msgspec.Struct, frozen=True):
    """An HR system rewards go to; the secret is read from ``secret_env``/``token_env`` when sending."""

    id: str
    kind: str  # one of CONNECTOR_KINDS
    url: str = ""  # webhook, bonusly, tango
    secret_env: str = ""  # webhook: the variable holding the whsec_… signing secret
    token_env: str = ""  # bonusly, tango: the variable holding the bearer token
    directory: str = ""  # csv_payroll: where payroll-<reward>-<period>.csv files go
    account: str = ""  # tango: accountIdentifier
    customer: str = ""  # tango: customerIdentifier
    timeout_seconds: int = 10
    line: int = 0


class PayoutRate(msgspec.Struct, frozen=True):
    """``points`` points are worth ``amount`` in the reward's currency (10 points = 1 EUR)."""

    points: int
    amount: Decimal


class RewardSpec(msgspec.Struct, frozen=True):
    """When a message goes to a connector, and what it says (templates; see TEMPLATE_VARIABLES)."""

    id: str
    trigger: str  # one of REWARD_TRIGGERS
    connector: str
    idempotency_key: str
    reason: str
    badges: tuple[str, ...] = ()  # badge_awarded: only these badges (empty: every badge)
    awards: tuple[str, ...] = ()  # award_won: only these awards (empty: every award)
    points: int = 0  # points_milestone: all-time points reached
    amount: Decimal | None = None  # a fixed amount (not monthly_payout)
    currency: str = "EUR"
    rate: PayoutRate | None = None  # monthly_payout
    #: monthly_payout: the most paid per department and month; ``default`` for departments not named.
    budget: dict[str, Decimal] = msgspec.field(default_factory=dict)
    giver: str = ""  # bonusly: the giver's email
    utid: str = ""  # tango: the catalog item
    message: str = ""  # tango: the message to the recipient (template)
    payload: dict[str, str] = msgspec.field(default_factory=dict)  # webhook: the data (templates)
    line: int = 0


# -- the whole program -----------------------------------------------------------------------


class ProgramSpec(msgspec.Struct, frozen=True):
    id: str
    name: str
    version: str
    effective: date
    timezone: str
    week_start: str
    event_types: dict[str, EventTypeSpec]
    caps: dict[str, CapSpec]
    campaigns: tuple[CampaignSpec, ...]
    rules: tuple[RuleSpec, ...]
    tests: tuple[TestSpec, ...]
    rule_versions: dict[str, str]
    leaderboards: LeaderboardSpec = LeaderboardSpec()
    shoutouts: ShoutoutSpec | None = None  # None: shoutouts are off
    sources: dict[str, SourceSpec] = msgspec.field(default_factory=dict)
    badges: tuple[BadgeSpec, ...] = ()
    awards: tuple[AwardSpec, ...] = ()
    connectors: dict[str, ConnectorSpec] = msgspec.field(default_factory=dict)
    rewards: tuple[RewardSpec, ...] = ()
    #: An event dated more than this many minutes after intake's now is refused (a clock ahead, or a
    #: future-dated event bought onto today's boards).
    max_future_minutes: int = DEFAULT_MAX_FUTURE_MINUTES
    integrity: tuple[IntegritySpec, ...] = ()
