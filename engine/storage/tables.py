"""The database schema, as Piccolo tables.

The database is the source of truth: the inbox of events, the append-only ledger, the standings derived from it,
the per-employee counters that caps, once-keys and diminishing returns need, and the published rulesets.
Piccolo owns the schema and migrations (``engine/storage/migrations``); the scoring hot path writes through the
driver connection (see ``engine.storage.database``) because building SQL per row in Python is 40x slower.
"""

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table
from piccolo_api.session_auth.tables import SessionsBase

__all__ = [
    "ALL_TABLES",
    "ApiKey",
    "AuditEntry",
    "AwardClosing",
    "AwardResult",
    "BadgeAward",
    "BoardArchive",
    "ConnectorState",
    "Counter",
    "Employee",
    "Event",
    "HrSession",
    "HrUser",
    "LedgerEntry",
    "OutboxMessage",
    "PayoutClosing",
    "ReviewItem",
    "Ruleset",
    "Shoutout",
    "ShoutoutRecipient",
    "Standing",
]


class Employee(Table):
    """A person in the program, keyed by the HR system's id; email is the second way tools name people."""

    external_id = Varchar(length=128, unique=True)
    email = Varchar(length=320, null=True, default=None, index=True)
    name = Varchar(length=255)
    team = Varchar(length=128, default="", index=True)
    department = Varchar(length=128, default="")
    manager_external_id = Varchar(length=128, null=True, default=None)
    locale = Varchar(length=64, default="")
    pilot_group = Boolean(default=False)
    #: public: on every board; team: only on the own team's board; hidden: on no public board.
    visibility = Varchar(length=16, default="public")
    active = Boolean(default=True)
    #: When they stopped earning: events that occurred from then on are not scored (a replay agrees), while
    #: points from before stay theirs. None while active.
    deactivated_at = Timestamptz(null=True, default=None)
    #: SCIM: the identity provider's ``userName`` and its own id for the user (``externalId``), the given and
    #: family names as sent, and whether the provider deleted the user (gone from SCIM, history kept).
    user_name = Varchar(length=320, null=True, default=None)
    scim_external_id = Varchar(length=255, null=True, default=None, index=True)
    given_name = Varchar(length=255, default="")
    family_name = Varchar(length=255, default="")
    deprovisioned = Boolean(default=False)
    #: When they were invited to the program (the roster's ``joined_on``, else when they were first imported
    #: or provisioned): the KPIs count someone as invited in a period from then on.
    joined_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Event(Table):
    """The inbox: every event a tool sent, unique per (source, external_id), scored once."""

    source = Varchar(length=64)
    external_id = Varchar(length=255)
    type = Varchar(length=64)
    #: The employee as the tool named them (external id or email): matched against the roster when the event is
    #: scored, so an event may arrive before its employee (it is parked until the roster knows them).
    employee_ref = Varchar(length=320)
    #: The employee's shard (their id modulo ``SHARDS``; a hash of the ref while they are unknown).
    shard = Integer(default=0)
    occurred_at = Timestamptz()
    received_at = Timestamptz(default=TimestamptzNow())
    attributes = JSON(default="{}")
    #: pending -> done | parked (unknown employee, retried when the roster changes) | rejected (never scored).
    status = Varchar(length=16, default="pending")
    reason = Text(null=True, default=None)
    ruleset_version = Varchar(length=64, null=True, default=None)
    #: Of an event type with ``dedupe:`` in rules.yaml: a hash of its type, employee and key fields. Intake
    #: refuses an event as a duplicate when a stored one has the same key and occurred less than the
    #: type's window apart (index ``event_dedupe``: key, occurred_at). None for other types.
    dedupe_key = Varchar(length=32, null=True, default=None)


class LedgerEntry(Table):
    """Append-only: points with the event, rule and ruleset that gave them and a human reason.

    A correction is a new entry (kind ``adjustment``) naming who made it and why.
    """

    employee = ForeignKey(references=Employee, on_delete=OnDelete.restrict)
    points = Integer()
    kind = Varchar(length=16, default="rule")
    event = ForeignKey(references=Event, null=True, default=None, on_delete=OnDelete.restrict)
    rule_id = Varchar(length=64, null=True, default=None)
    rule_version = Varchar(length=16, null=True, default=None)
    ruleset_version = Varchar(length=64, null=True, default=None)
    reasons = JSON(default="[]")
    actor = Varchar(length=255, null=True, default=None)
    why = Text(null=True, default=None)
    #: When the points were earned: the period an entry counts in comes from this, not from created_at.
    occurred_at = Timestamptz()
    created_at = Timestamptz(default=TimestamptzNow())


class Standing(Table):
    """Score of one employee on one board and period (a day, ISO week, month, quarter, or ``all``).

    One row serves every scope: a team's board is the same scores filtered by the employees' team, so a
    point is written once per period, not once per period and scope. ``reached_at`` is when the score was
    reached (the latest contributing occurred_at), for the earlier-to-reach-wins tie policy.
    """

    board = Varchar(length=32)
    period = Varchar(length=16)
    employee = ForeignKey(references=Employee)
    score = Integer(default=0)
    reached_at = Timestamptz()


class Counter(Table):
    """Per-employee state of caps, once-keys and repeats: ``<key from the rules>|<employee id>``."""

    key = Varchar(length=512, unique=True)
    value = Float(default=0.0)


class Ruleset(Table):
    """A published program: immutable once published (version + content hash)."""

    version = Varchar(length=64, unique=True)
    program_id = Varchar(length=64)
    content_hash = Varchar(length=64)
    effective = Timestamptz()
    text = Text()
    published_by = Varchar(length=255, default="")
    published_at = Timestamptz(default=TimestamptzNow())


class ApiKey(Table):
    """A key for a tool or an HR script. Only a hash is stored: the key itself is shown once, at creation."""

    name = Varchar(length=128)
    #: The first characters of the key, to tell keys apart in lists and logs without revealing them.
    prefix = Varchar(length=16, unique=True)
    key_hash = Varchar(length=64)
    scopes = JSON(default="[]")
    created_by = Varchar(length=255, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)


class Shoutout(Table):
    """A peer recognition: one giver, one or more recipients, a company value and a message.

    ``giver`` is NULL for a recognition from the company itself (an award's winner in the feed).
    """

    giver = ForeignKey(references=Employee, null=True, default=None, on_delete=OnDelete.restrict)
    value = Varchar(length=64)
    message = Text()
    #: The giver's allowance period (e.g. 2026-11) when given: counting a giver's shoutouts is one indexed lookup.
    period = Varchar(length=16, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class ShoutoutRecipient(Table):
    shoutout = ForeignKey(references=Shoutout, on_delete=OnDelete.cascade)
    employee = ForeignKey(references=Employee, on_delete=OnDelete.restrict)


class BadgeAward(Table):
    """A badge tier an employee earned.

    Unique per (employee, badge, tier, earned_in), so re-earning it (a replay, a retried batch) changes nothing and
    its public id (the Open Badges assertion's URL) stays the same. ``salt`` hashes the recipient's email in
    the assertion.
    """

    employee = ForeignKey(references=Employee, on_delete=OnDelete.restrict)
    badge = Varchar(length=64)
    tier = Varchar(length=32, default="")
    #: The window it was earned in: a period key, a streak's first day, or ``ever``.
    earned_in = Varchar(length=32, default="ever")
    #: The event that earned it (None for rank badges, given when a period closes).
    event = ForeignKey(references=Event, null=True, default=None, on_delete=OnDelete.restrict)
    occurred_at = Timestamptz()
    ruleset_version = Varchar(length=64, default="")
    public_id = Varchar(length=36, unique=True)
    salt = Varchar(length=32)
    revoked = Boolean(default=False)
    revocation_reason = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class AwardClosing(Table):
    """One award closed for one period: unique per (award, period), so closing again finds it and changes
    nothing (the result is frozen). Written even when nobody was eligible, so the scheduler stops trying."""

    award = Varchar(length=64)
    period = Varchar(length=16)
    #: The award's name and the program's name at close: the feed and the card show them as they were.
    award_name = Varchar(length=255, default="")
    company = Varchar(length=255, default="")
    ruleset_version = Varchar(length=64, default="")
    actor = Varchar(length=255, default="")
    closed_at = Timestamptz()


class AwardResult(Table):
    """A winner (or, with approval, a shortlisted candidate) of one closed award, per scope and team.

    status: ``winner`` | ``shortlisted`` | ``not selected``. The metric and tie-break values are kept as they
    were at close, to explain the decision later.
    """

    closing = ForeignKey(references=AwardClosing, on_delete=OnDelete.cascade)
    award = Varchar(length=64, index=True)
    period = Varchar(length=16)
    scope = Varchar(length=16)
    team = Varchar(length=128, default="")
    employee = ForeignKey(references=Employee, on_delete=OnDelete.restrict)
    rank = Integer()
    metric = Integer(default=0)
    shoutouts_received = Integer(default=0)
    active_days = Integer(default=0)
    scored_events = Integer(default=0)
    reached_at = Timestamptz(null=True, default=None)
    status = Varchar(length=16, default="winner")
    decided_by = Varchar(length=255, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    #: The company's shoutout announcing the win (None while shortlisted or not selected).
    shoutout = ForeignKey(references=Shoutout, null=True, default=None, on_delete=OnDelete.set_null)


class BoardArchive(Table):
    """The period's points board as it stood when an award closed it: served later, whatever late events do."""

    closing = ForeignKey(references=AwardClosing, on_delete=OnDelete.cascade)
    rank = Integer()
    employee = ForeignKey(references=Employee, on_delete=OnDelete.restrict)
    team = Varchar(length=128, default="")
    score = Integer(default=0)
    reached_at = Timestamptz()


class OutboxMessage(Table):
    """A reward message for an HR system, written in the same transaction as what triggered it.

    Unique per (reward, idempotency_key): the same trigger seen again (a retried batch, a replay) adds nothing.
    status: ``pending`` (due at ``next_attempt_at``) -> ``sending`` (claimed until ``lease_until``; a worker that
    dies mid-send leaves it to be claimed again) -> ``delivered`` | ``dead`` (the last try failed, or the
    endpoint is gone; ``plaudit outbox retry`` sends it again) | ``cancelled`` (its employee was erased).
    """

    reward = Varchar(length=64)
    trigger = Varchar(length=32)
    connector = Varchar(length=64, index=True)
    idempotency_key = Varchar(length=255)
    #: Standard Webhooks ``webhook-id``: derived from reward and key, so every attempt carries the same one.
    message_id = Varchar(length=64, unique=True)
    employee = ForeignKey(references=Employee, null=True, default=None, on_delete=OnDelete.restrict)
    payload = JSON(default="{}")
    status = Varchar(length=16, default="pending")
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz()
    lease_until = Timestamptz(null=True, default=None)
    last_error = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    delivered_at = Timestamptz(null=True, default=None)


class PayoutClosing(Table):
    """A monthly payout reward closed for one month: unique per (reward, period), so its amounts are computed
    once and its messages (a payroll file, a bonus per person) queued once, whatever late events do."""

    reward = Varchar(length=64)
    period = Varchar(length=16)
    currency = Varchar(length=3)
    #: The sum paid, in cents, and to how many people, after the department budgets.
    total_cents = Integer(default=0)
    employees = Integer(default=0)
    actor = Varchar(length=255, default="")
    closed_at = Timestamptz()


class ReviewItem(Table):
    """Something HR decides on before (or after) it counts: an event for a closed period (``late``), or what
    an integrity signal caught (``flag``: points counted; ``hold``: points wait; ``zero``: points dropped).

    One item per (employee, kind, signal, bucket): a signal's bucket is the period it counts in (a day, an
    hour) or an event id, so a burst of 900 clicks is one item with its evidence, not 900. Decisions
    survive a replay: scoring reads them (``approved`` / ``rejected``) and gives the same ledger again.
    """

    employee = ForeignKey(references=Employee, null=True, default=None, on_delete=OnDelete.restrict)
    kind = Varchar(length=16)
    signal = Varchar(length=64, default="")
    bucket = Varchar(length=64, default="")
    reason = Text(default="")
    #: The events that make the case (ids), the first of them the one that tripped the signal.
    evidence = JSON(default="[]")
    #: Held points: ledger rows without created_at ([employee, points, kind, event, rule_id, …, occurred_at]).
    entries = JSON(default="[]")
    period = Varchar(length=16, default="")
    #: open -> approved | rejected; ``noted`` for a zero (nothing to decide, kept as the record).
    status = Varchar(length=16, default="open", index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    decided_by = Varchar(length=255, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    note = Text(default="")


class ConnectorState(Table):
    """A connector HR's systems told us to stop using (410 Gone): no message goes to it until HR re-sends."""

    connector = Varchar(length=64, unique=True)
    disabled_at = Timestamptz()
    reason = Text(default="")


class AuditEntry(Table):
    """Who changed the program or the data, when, and what changed (a rules diff, an approval)."""

    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor = Varchar(length=255)
    action = Varchar(length=64, index=True)
    subject = Varchar(length=255, default="")
    summary = Text(default="")
    detail = Text(default="")


class HrUser(BaseUser, tablename="hr_user"):
    """An HR account (username, hashed password) for the HR pages and Piccolo Admin at /admin/."""


class HrSession(SessionsBase, tablename="hr_session"):
    """Piccolo Admin's sessions of HR accounts."""


ALL_TABLES: tuple[type[Table], ...] = (
    Employee,
    Event,
    LedgerEntry,
    Standing,
    Counter,
    Ruleset,
    ApiKey,
    Shoutout,
    ShoutoutRecipient,
    BadgeAward,
    AwardClosing,
    AwardResult,
    BoardArchive,
    OutboxMessage,
    PayoutClosing,
    ReviewItem,
    ConnectorState,
    AuditEntry,
    HrUser,
    HrSession,
)
