"""The outbox: reward messages for HR systems, written with what triggered them, delivered with retries.

Why an outbox: a badge, an award or a payout and the message announcing it must not part ways. The message row
is written in the same transaction as its cause (``queue_rewards``), so a crash loses both or neither; a
delivery worker sends it afterwards, as often as it takes:

* claimed with a lease (``sending`` until ``lease_until``): a worker that dies mid-send leaves the message to be
  claimed again when the lease runs out. The receiver may then see it twice, so every attempt carries the same
  ``message_id`` and ``idempotency_key``: as the receiver sees it, it arrives once.
* retried on the Standard Webhooks schedule (at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) with jitter, or
  later when the receiver's ``Retry-After`` says so; after the last try it is ``dead`` with its error.
* an endpoint that answers 410 Gone is disabled (``connector_state``): its messages wait, unclaimed, until HR
  re-sends (``plaudit outbox retry`` or ``POST /v1/outbox/retry``), which enables it again.

Embedded, an ``OutboxWorker`` thread (``engine.jobs.embedded``) delivers; scaled, RQ jobs run :func:`deliver_due`
(``engine.jobs.shards.deliver_outbox``). Both are the same code, safe to run in several processes at once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import string
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from engine import clock
from engine.rewards.connectors import Connector, OutboundMessage, Outcome
from engine.storage.database import Database
from rules import CompiledRules, ConnectorSpec, RewardSpec

__all__ = [
    "RETRY_SCHEDULE",
    "Connectors",
    "DeliveryConfig",
    "DeliveryResult",
    "OutboxLine",
    "RewardCause",
    "deliver_due",
    "employee_values",
    "has_messages",
    "list_messages",
    "message_id",
    "queue_rewards",
    "render",
    "retry_messages",
]

log = logging.getLogger("plaudit.outbox")

#: Seconds to wait after each failed attempt: the Standard Webhooks schedule. Eight attempts in all, over
#: about 27 hours; after the last, the message is dead.
RETRY_SCHEDULE: tuple[int, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
#: A receiver's Retry-After is honoured up to this (a typo of theirs must not park a message for a year).
MAX_RETRY_AFTER = 86400
_WEBHOOK_TYPES = {
    "badge_awarded": "badge.awarded",
    "award_won": "award.won",
    "points_milestone": "points.milestone",
    "monthly_payout": "points.payout",
}
_COLUMNS = (
    "reward",
    "trigger",
    "connector",
    "idempotency_key",
    "message_id",
    "employee",
    "payload",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
)


# -- writing: in the transaction of the cause ----------------------------------------------------------------
@dataclass(frozen=True)
class RewardCause:
    """Something that happened that rewards may announce: who, and the trigger's template values.

    ``subject`` is what a reward's filter looks at (a badge id for badge_awarded, an award id for award_won);
    ``amount`` is the amount when the cause decides it (a payout), else the reward's own.
    """

    employee: int | None
    values: dict[str, Any]
    subject: str = ""
    amount: Decimal | None = None
    #: A payroll file's lines (csv_payroll connectors), instead of one employee.
    lines: tuple[dict[str, str], ...] = ()


def message_id(reward: str, key: str) -> str:
    """The ``webhook-id`` of a message: derived, so the same reward and key always give the same one."""
    return "msg_" + hashlib.sha256(f"{reward}\x00{key}".encode()).hexdigest()[:32]


class _Values(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def render(template: str, values: dict[str, Any]) -> str:
    """A template with its variables filled in (checked when rules.yaml was loaded; a missing value is "")."""
    out = []
    for literal, name, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            value = values.get(name, "")
            out.append(str(value) if value is not None else "")
    return "".join(out)


def employee_values(db: Database, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The ``employee.*`` template values of these employees, by id (one query)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {
        eid: {
            "employee.id": ext,
            "employee.internal_id": eid,
            "employee.email": email or "",
            "employee.name": name,
            "employee.team": team,
            "employee.department": department,
            "_given": given or (name.split(" ", 1)[0] if name else ""),
            "_family": family or (name.split(" ", 1)[1] if " " in (name or "") else ""),
        }
        for eid, ext, email, name, team, department, given, family in db.query_in(
            "SELECT id, external_id, email, name, team, department, given_name, family_name "
            'FROM "employee" WHERE id IN ({in})',
            wanted,
        )
    }


def _money(amount: Decimal | None) -> str:
    return f"{amount:.2f}" if amount is not None else ""


def _payload(
    kind: str,
    reward: RewardSpec,
    trigger: str,
    values: dict[str, Any],
    cause: RewardCause,
    now: datetime,
) -> dict[str, Any]:
    """The body for the connector's kind (see engine.rewards.connectors' modules for what each does with it)."""
    reason = render(reward.reason, values)
    if kind == "csv_payroll":
        return {
            "period": values.get("period", ""),
            "currency": reward.currency,
            "lines": list(cause.lines),
        }
    if kind == "bonusly":
        amount = values["amount"]
        return {
            "giver_email": reward.giver,
            "receiver_email": values["employee.email"],
            "amount": int(Decimal(amount)) if amount else 0,
            "reason": reason,
        }
    if kind == "tango":
        return {
            "amount": float(Decimal(values["amount"] or 0)),
            "currencyCode": reward.currency,
            "utid": reward.utid,
            "recipient": {
                "email": values["employee.email"],
                "firstName": values["_given"],
                "lastName": values["_family"],
            },
            "message": render(reward.message, values) if reward.message else reason,
            "sendEmail": True,
        }
    if reward.payload:
        data: dict[str, Any] = {k: render(v, values) for k, v in reward.payload.items()}
    else:
        data = {
            "reward": reward.id,
            "reason": reason,
            **{
                k: v
                for k, v in values.items()
                if not k.startswith("_") and k not in ("reward.id", "program.name") and v != ""
            },
        }
    return {"type": _WEBHOOK_TYPES[trigger], "timestamp": now.isoformat(), "data": data}


def queue_rewards(
    db: Database,
    rules: CompiledRules,
    trigger: str,
    causes: Sequence[RewardCause],
    now: datetime | None = None,
) -> int:
    """Outbox messages for every reward of ``trigger`` that ``causes`` match; in the caller's transaction.

    A message whose (reward, idempotency key) is there already is not added again: a retried batch, a replay
    or a second close announces nothing twice. Returns the messages added.
    """
    rewards = [r for r in rules.rewards if r.trigger == trigger]
    if not rewards or not causes:
        return 0
    now = (now or clock.now()).astimezone(UTC)
    people = employee_values(db, (c.employee for c in causes if c.employee is not None))
    stamp = db.ts(now)
    rows: list[tuple[Any, ...]] = []
    for reward in rewards:
        connector = rules.connectors[reward.connector]
        for cause in causes:
            only = reward.badges or reward.awards
            if only and cause.subject not in only:
                continue
            if connector.kind == "csv_payroll" and not cause.lines:
                continue
            if connector.kind != "csv_payroll" and cause.employee is None:
                continue
            amount = cause.amount if cause.amount is not None else reward.amount
            values: dict[str, Any] = {
                **(people.get(cause.employee, {}) if cause.employee is not None else {}),
                "reward.id": reward.id,
                "program.name": rules.name,
                "amount": _money(amount),
                "currency": reward.currency,
                **cause.values,
            }
            key = render(reward.idempotency_key, values)
            payload = _payload(connector.kind, reward, trigger, values, cause, now)
            rows.append(
                (
                    reward.id,
                    trigger,
                    connector.id,
                    key,
                    message_id(reward.id, key),
                    cause.employee,
                    msgspec.json.encode(payload).decode(),
                    "pending",
                    0,
                    stamp,
                    stamp,
                )
            )
    return db.insert_rows("outbox_message", _COLUMNS, rows, ("reward", "idempotency_key"))


# -- delivering ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeliveryConfig:
    """How a delivery pass claims and sends."""

    #: Messages claimed per round (one transaction to claim, one to record).
    batch: int = 200
    #: Messages in flight at once (HTTP sends wait on the network, not the CPU).
    threads: int = 16
    #: A claimed message not recorded within this is claimed again (its worker is presumed dead).
    lease_seconds: int = 120
    schedule: tuple[int, ...] = RETRY_SCHEDULE
    #: Each wait is scaled by a random factor in 1 ± jitter, so messages failed together don't retry together.
    jitter: float = 0.2


@dataclass
class DeliveryResult:
    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    #: Connectors disabled in this pass (410 Gone).
    disabled: list[str] = field(default_factory=list)

    def __iadd__(self, other: DeliveryResult) -> DeliveryResult:
        self.claimed += other.claimed
        self.delivered += other.delivered
        self.retried += other.retried
        self.dead += other.dead
        self.disabled += other.disabled
        return self


class Connectors:
    """The connector objects of a ruleset, built once (HTTP clients keep their connections), rebuilt when
    the connector's spec or secret changes."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        self._environ = environ
        self._lock = threading.Lock()
        self._built: dict[str, tuple[Any, Connector]] = {}

    def _env(self, name: str) -> str | None:
        return (self._environ if self._environ is not None else os.environ).get(name) or None

    def get(self, spec: ConnectorSpec) -> Connector | Outcome:
        """The connector, or the Outcome that stands for trying it (a secret missing from the environment)."""
        secret_name = spec.secret_env or spec.token_env
        secret = self._env(secret_name) if secret_name else None
        if secret_name and secret is None:
            return Outcome("retry", f"environment variable {secret_name} is not set")
        identity = (spec, hashlib.sha256((secret or "").encode()).hexdigest())
        with self._lock:
            built = self._built.get(spec.id)
            if built is not None and built[0] == identity:
                return built[1]
            if built is not None:
                built[1].close()
            connector = _build(spec, secret)
            self._built[spec.id] = (identity, connector)
            return connector

    def close(self) -> None:
        with self._lock:
            for _, connector in self._built.values():
                connector.close()
            self._built.clear()


def _build(spec: ConnectorSpec, secret: str | None) -> Connector:
    timeout = float(spec.timeout_seconds)
    if spec.kind == "webhook":
        from engine.rewards.connectors.webhook import WebhookConnector

        return WebhookConnector(spec.url, secret, timeout)
    if spec.kind == "bonusly":
        from engine.rewards.connectors.bonusly import BonuslyConnector

        return BonuslyConnector(spec.url, secret, timeout)
    if spec.kind == "tango":
        from engine.rewards.connectors.tango import TangoConnector

        return TangoConnector(spec.url, secret, spec.account, spec.customer, timeout)
    from engine.rewards.connectors.csv_payroll import CsvPayrollConnector

    return CsvPayrollConnector(Path(spec.directory))


_DUE = (
    "((status = 'pending' AND next_attempt_at <= ?) OR (status = 'sending' AND lease_until <= ?)) "
    'AND connector NOT IN (SELECT connector FROM "connector_state")'
)
_CLAIMED = (
    "id, reward, trigger, connector, idempotency_key, message_id, payload, attempts, created_at"
)


def _claim(db: Database, now: datetime, config: DeliveryConfig) -> list[tuple[Any, ...]]:
    stamp, lease = db.ts(now), db.ts(now + timedelta(seconds=config.lease_seconds))
    with db.transaction():
        if db.dialect == "postgres":
            # SKIP LOCKED: workers claiming at the same moment take different messages, without waiting.
            return db.query(
                f'WITH due AS (SELECT id FROM "outbox_message" WHERE {_DUE} ORDER BY next_attempt_at '
                "LIMIT ? FOR UPDATE SKIP LOCKED) UPDATE \"outbox_message\" m SET status = 'sending', "
                "lease_until = ?, attempts = m.attempts + 1 FROM due WHERE m.id = due.id "
                f"RETURNING {', '.join('m.' + c for c in _CLAIMED.split(', '))}",
                (stamp, stamp, config.batch, lease),
            )
        return db.query(
            "UPDATE \"outbox_message\" SET status = 'sending', lease_until = ?, attempts = attempts + 1 "
            f'WHERE id IN (SELECT id FROM "outbox_message" WHERE {_DUE} ORDER BY next_attempt_at LIMIT ?) '
            f"RETURNING {_CLAIMED}",
            (lease, stamp, stamp, config.batch),
        )


def _send(
    connectors: Connectors, rules: CompiledRules, row: tuple[Any, ...], db: Database
) -> Outcome:
    _, reward, trigger, connector_id, key, msg_id, payload, attempts, created = row
    spec = rules.connectors.get(connector_id)
    if spec is None:
        return Outcome("failed", f"connector {connector_id!r} is not in the published rules.yaml")
    connector = connectors.get(spec)
    if isinstance(connector, Outcome):
        return connector
    message = OutboundMessage(
        message_id=msg_id,
        idempotency_key=key,
        reward=reward,
        trigger=trigger,
        payload=msgspec.json.decode(payload) if isinstance(payload, str | bytes) else payload,
        attempt=int(attempts),
        created_at=db.read_ts(created),
    )
    try:
        return connector.send(message)
    except (
        Exception
    ) as exc:  # a connector bug must not lose the message: it is retried like a failure
        log.exception("connector %s raised on %s", connector_id, msg_id)
        return Outcome("retry", f"{type(exc).__name__}: {exc}"[:300])


def _wait(
    attempts: int, outcome: Outcome, config: DeliveryConfig, rng: random.Random
) -> float | None:
    """Seconds until the next attempt after ``attempts`` failed ones; None when none is left."""
    if attempts > len(config.schedule):
        return None
    wait = config.schedule[attempts - 1] * rng.uniform(1 - config.jitter, 1 + config.jitter)
    if outcome.retry_after is not None:
        wait = max(wait, min(outcome.retry_after, MAX_RETRY_AFTER))
    return wait


def _record(
    db: Database,
    claimed: list[tuple[Any, ...]],
    outcomes: list[Outcome],
    now: datetime,
    config: DeliveryConfig,
    rng: random.Random,
) -> DeliveryResult:
    result = DeliveryResult(claimed=len(claimed))
    stamp = db.ts(now)
    delivered: list[tuple[Any, ...]] = []
    pending: list[tuple[Any, ...]] = []
    dead: list[tuple[Any, ...]] = []
    gone: dict[str, str] = {}
    for row, outcome in zip(claimed, outcomes, strict=True):
        message, connector, attempts = row[0], row[3], int(row[7])
        detail = _describe(outcome)
        if outcome.status == "delivered":
            delivered.append((stamp, message, attempts))
            continue
        if outcome.status == "gone":
            gone.setdefault(connector, detail)
            dead.append((f"{detail}; connector {connector} disabled", message, attempts))
            continue
        wait = _wait(attempts, outcome, config, rng) if outcome.status == "retry" else None
        if wait is None:
            dead.append((detail, message, attempts))
        else:
            pending.append((db.ts(now + timedelta(seconds=wait)), detail, message, attempts))
    # "AND attempts = ?": only the claim that is still ours; a message whose lease ran out and was claimed
    # again meanwhile is the other worker's to record.
    mine = "WHERE id = ? AND attempts = ? AND status = 'sending'"
    with db.transaction():
        result.delivered = db.executemany(
            "UPDATE \"outbox_message\" SET status = 'delivered', delivered_at = ?, lease_until = NULL, "
            f"last_error = NULL {mine}",
            delivered,
        )
        result.retried = db.executemany(
            "UPDATE \"outbox_message\" SET status = 'pending', next_attempt_at = ?, lease_until = NULL, "
            f"last_error = ? {mine}",
            pending,
        )
        result.dead = db.executemany(
            "UPDATE \"outbox_message\" SET status = 'dead', lease_until = NULL, last_error = ? "
            f"{mine}",
            dead,
        )
        if gone:
            db.insert_rows(
                "connector_state",
                ("connector", "disabled_at", "reason"),
                [(c, stamp, reason) for c, reason in gone.items()],
                ("connector",),
            )
            result.disabled = sorted(gone)
    for connector in result.disabled:
        log.warning("connector %s answered 410 Gone: disabled until HR re-sends", connector)
    return result


def _describe(outcome: Outcome) -> str:
    code = f"HTTP {outcome.status_code}: " if outcome.status_code else ""
    return (code + outcome.detail)[:1000] or outcome.status


def deliver_due(
    db: Database,
    rules: CompiledRules,
    connectors: Connectors,
    config: DeliveryConfig = DeliveryConfig(),
    now: Callable[[], datetime] | None = None,
    pool: ThreadPoolExecutor | None = None,
    rounds: int | None = None,
) -> DeliveryResult:
    """Send every message due now, round after round, until none is (or ``rounds`` are done)."""
    read_now = now or clock.now
    rng = random.Random()
    total = DeliveryResult()
    own_pool = pool is None
    pool = pool or ThreadPoolExecutor(config.threads, thread_name_prefix="plaudit-outbox")
    try:
        done = 0
        while rounds is None or done < rounds:
            claimed = _claim(db, read_now(), config)
            if not claimed:
                break
            outcomes = list(pool.map(lambda row: _send(connectors, rules, row, db), claimed))
            total += _record(db, claimed, outcomes, read_now(), config, rng)
            done += 1
    finally:
        if own_pool:
            pool.shutdown()
    return total


def has_messages(db: Database) -> bool:
    """Whether any message waits to be sent (a cheap check before a delivery round)."""
    return bool(
        db.query("SELECT 1 FROM \"outbox_message\" WHERE status IN ('pending', 'sending') LIMIT 1")
    )


# -- what HR sees and does -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OutboxLine:
    id: int
    reward: str
    trigger: str
    connector: str
    idempotency_key: str
    message_id: str
    employee: str | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    #: The connector is disabled (410 Gone): the message waits for HR.
    held: bool = False


def list_messages(
    db: Database,
    status: str | None = None,
    connector: str | None = None,
    limit: int = 50,
    before: int | None = None,
) -> list[OutboxLine]:
    """Newest first; ``before`` is the cursor (the id of the last message shown)."""
    where = ["m.id < ?"]
    params: list[object] = [before if before is not None else 2**62]
    if status is not None:
        where.append("m.status = ?")
        params.append(status)
    if connector is not None:
        where.append("m.connector = ?")
        params.append(connector)
    rows = db.query(
        "SELECT m.id, m.reward, m.trigger, m.connector, m.idempotency_key, m.message_id, e.external_id, "
        "m.status, m.attempts, m.next_attempt_at, m.last_error, m.created_at, m.delivered_at, "
        "c.connector IS NOT NULL "
        'FROM "outbox_message" m LEFT JOIN "employee" e ON e.id = m.employee '
        'LEFT JOIN "connector_state" c ON c.connector = m.connector '
        f"WHERE {' AND '.join(where)} ORDER BY m.id DESC LIMIT ?",
        [*params, limit],
    )
    ts = db.read_ts
    return [
        OutboxLine(
            int(r[0]),
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            r[7],
            int(r[8]),
            ts(r[9]) if r[9] is not None and r[7] == "pending" else None,
            r[10],
            ts(r[11]),
            ts(r[12]) if r[12] is not None else None,
            bool(r[13]),
        )
        for r in rows
    ]


def retry_messages(
    db: Database,
    ids: Sequence[int] = (),
    *,
    all_dead: bool = False,
    connector: str | None = None,
    now: datetime | None = None,
) -> tuple[int, list[str]]:
    """HR re-sends: dead messages (by id, or every dead one, of one connector or all; a connector without ids
    means all its dead ones) are due again now, with a fresh schedule; their connectors are enabled again.
    Returns (messages re-queued, connectors enabled).

    A delivered message is never re-sent (ids of delivered or pending messages are ignored)."""
    now = (now or clock.now()).astimezone(UTC)
    where = ["status = 'dead'"]
    params: list[object] = []
    if not all_dead and (ids or connector is None):
        if not ids:
            return 0, []
        where.append(f"id IN ({', '.join('?' * len(ids))})")
        params += list(ids)
    if connector is not None:
        where.append("connector = ?")
        params.append(connector)
    with db.transaction():
        chosen = db.query(
            f'SELECT id, connector FROM "outbox_message" WHERE {" AND ".join(where)}', params
        )
        connectors = sorted({c for _, c in chosen})
        if connector is not None and connector not in connectors:
            connectors.append(connector)
        enabled = [
            c
            for c in connectors
            if db.execute('DELETE FROM "connector_state" WHERE connector = ?', (c,)).rowcount
        ]
        db.execute_in(
            "UPDATE \"outbox_message\" SET status = 'pending', attempts = 0, next_attempt_at = ?, "
            "lease_until = NULL WHERE status = 'dead' AND id IN ({in})",
            [i for i, _ in chosen],
            [db.ts(now)],
        )
    return len(chosen), enabled
