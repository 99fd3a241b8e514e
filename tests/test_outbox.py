"""The outbox delivering to local HTTP servers that behave like the real APIs (tests/receivers.py).

Retries follow a clock the test moves, so the Standard Webhooks schedule (5 s, 5 min, …) and Retry-After are
checked without waiting. What the receiver sees is the judge: every message arrives exactly once as it sees it
(it dedups by webhook-id / Idempotency-Key / externalRefID), through 500s, timeouts, 429s, 410s, dropped
connections and a delivery worker killed mid-send. On SQLite and a real PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine import clock as engine_clock
from engine.people.roster import import_roster
from engine.rewards.outbox import (
    RETRY_SCHEDULE,
    Connectors,
    DeliveryConfig,
    RewardCause,
    deliver_due,
    list_messages,
    queue_rewards,
    retry_messages,
)
from engine.scoring.rulesets import publish
from engine.storage.database import Database
from rules import CompiledRules
from tests.receivers import (
    ACCEPT_THEN_DIE,
    TANGO_ACCOUNT,
    TANGO_CUSTOMER,
    TANGO_TOKEN,
    WEBHOOK_SECRET,
    Request,
    TangoReceiver,
    Timeout,
    WebhookReceiver,
)
from tests.test_rewards import ROSTER, with_rewards

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
ENV = {"PLAUDIT_TEST_HOOK_SECRET": WEBHOOK_SECRET, "PLAUDIT_TEST_TANGO_TOKEN": TANGO_TOKEN}


def sections(hook: str, tango: str, payroll: Path, timeout: int = 2) -> str:
    return f"""\
connectors:
  - id: hr
    kind: webhook
    url: {hook}
    secret_env: PLAUDIT_TEST_HOOK_SECRET
    timeout_seconds: {timeout}
  - id: gifts
    kind: tango
    url: {tango}
    token_env: PLAUDIT_TEST_TANGO_TOKEN
    account: {TANGO_ACCOUNT}
    customer: {TANGO_CUSTOMER}
  - id: payroll
    kind: csv_payroll
    directory: {payroll}

rewards:
  - id: badge-hr
    trigger: badge_awarded
    connector: hr
  - id: badge-gift
    trigger: badge_awarded
    badges: [first-share]
    connector: gifts
    amount: 5
    utid: U561593
  - id: payout
    trigger: monthly_payout
    connector: payroll
    rate: {{points: 10, amount: 1}}

"""


class Clock:
    """The time deliveries see; tests move it instead of sleeping."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def tango() -> Iterator[TangoReceiver]:
    with TangoReceiver() as receiver:
        yield receiver


@pytest.fixture
def rules(db: Database, hook, tango, tmp_path: Path) -> CompiledRules:  # type: ignore[no-untyped-def]
    compiled, _ = publish(
        db, with_rewards(sections(hook.endpoint, tango.endpoint, tmp_path / "pay"))
    )
    import_roster(db, ROSTER)
    return compiled


@pytest.fixture
def connectors() -> Iterator[Connectors]:
    built = Connectors(environ=ENV)
    yield built
    built.close()


def employee_id(db: Database, ref: str) -> int:
    return int(db.query('SELECT id FROM "employee" WHERE external_id = ?', (ref,))[0][0])


def badge(db: Database, rules: CompiledRules, ref: str, badge_id: str = "first-share") -> None:
    """A badge earned, as scoring announces it (in its own transaction here)."""
    cause = RewardCause(
        employee_id(db, ref),
        {"badge.id": badge_id, "badge.name": badge_id, "badge.tier": "", "badge.window": "ever"},
        subject=badge_id,
    )
    with db.transaction():
        queue_rewards(db, rules, "badge_awarded", [cause], T0)


def state(db: Database, reward: str = "badge-hr") -> tuple[str, int, str | None]:
    (m,) = [m for m in list_messages(db) if m.reward == reward]
    return m.status, m.attempts, m.last_error


def deliver(db, rules, connectors, clock, **config):  # type: ignore[no-untyped-def]
    return deliver_due(db, rules, connectors, DeliveryConfig(**config), now=clock)


def test_messages_arrive_signed_once_each(db: Database, rules, connectors, hook, tango) -> None:
    for ref in ("E1", "E2", "E3"):
        badge(db, rules, ref)
    clock = Clock()
    result = deliver(db, rules, connectors, clock)
    assert (result.claimed, result.delivered) == (6, 6)
    assert (
        len(hook.deliveries) == 3 and hook.duplicates == 0
    )  # the receiver verified every signature
    assert {body["data"]["employee.id"] for body in hook.deliveries.values()} == {"E1", "E2", "E3"}
    assert len(tango.deliveries) == 3
    assert all(m.status == "delivered" and m.attempts == 1 for m in list_messages(db))
    # Nothing is due any more: a second pass sends nothing.
    assert deliver(db, rules, connectors, clock).claimed == 0
    assert hook.requests == 3


def test_retries_follow_the_schedule_and_retry_after(db: Database, rules, connectors, hook) -> None:
    badge(db, rules, "E1", "monthly-sharer")  # to the webhook only
    clock = Clock()
    hook.script(500, (429, {"Retry-After": "600"}), 503)
    deliver(db, rules, connectors, clock)
    status, attempts, error = state(db)
    assert (status, attempts) == ("pending", 1) and "HTTP 500" in (error or "")
    (m,) = list_messages(db)
    wait = (m.next_attempt_at - clock.now).total_seconds()
    assert RETRY_SCHEDULE[0] * 0.8 <= wait <= RETRY_SCHEDULE[0] * 1.2  # 5 s, with jitter
    assert deliver(db, rules, connectors, clock).claimed == 0  # not due yet
    clock.advance(wait)
    deliver(db, rules, connectors, clock)
    assert state(db)[:2] == ("pending", 2)
    (m,) = list_messages(db)
    assert (
        m.next_attempt_at - clock.now
    ).total_seconds() >= 600  # the receiver's Retry-After, not 5 min
    clock.advance(600)
    deliver(db, rules, connectors, clock)
    (m,) = list_messages(db)
    assert (m.status, m.attempts) == ("pending", 3)
    clock.advance((m.next_attempt_at - clock.now).total_seconds())
    deliver(db, rules, connectors, clock)
    assert state(db)[:2] == ("delivered", 4)
    assert len(hook.deliveries) == 1 and hook.requests == 4


def test_a_timeout_is_retried_and_the_receiver_still_sees_it_once(
    db: Database, rules, connectors, hook
) -> None:
    badge(db, rules, "E2", "monthly-sharer")
    clock = Clock()
    # Held past the sender's 2 s timeout, then handled: it arrived, but the sender could not know.
    hook.script(Timeout(3.0))
    deliver(db, rules, connectors, clock)
    status, _, error = state(db)
    assert status == "pending" and "no answer in time" in (error or "")
    hook.script(ACCEPT_THEN_DIE)  # handled again, the connection cut before the answer
    clock.advance(RETRY_SCHEDULE[0] * 1.2)
    deliver(db, rules, connectors, clock)
    assert state(db)[0] == "pending"
    clock.advance(RETRY_SCHEDULE[1] * 1.2)
    deliver(db, rules, connectors, clock)
    assert state(db)[:2] == ("delivered", 3)
    assert (
        len(hook.deliveries) == 1 and hook.duplicates >= 1
    )  # one message, as the receiver sees it


def test_the_last_failure_is_a_dead_letter_that_hr_resends(
    db: Database, rules, connectors, hook
) -> None:
    badge(db, rules, "E1", "monthly-sharer")
    clock = Clock()
    hook.on_request = lambda _: 500
    for _ in range(3):
        deliver(db, rules, connectors, clock, schedule=(1, 1))
        clock.advance(2)
    status, attempts, error = state(db)
    assert (status, attempts) == ("dead", 3) and "HTTP 500" in (error or "")
    assert deliver(db, rules, connectors, clock).claimed == 0
    hook.on_request = None
    (m,) = list_messages(db, status="dead")
    assert retry_messages(db, [m.id], now=clock.now) == (1, [])
    deliver(db, rules, connectors, clock)
    assert state(db)[:2] == ("delivered", 1)  # a fresh schedule
    assert retry_messages(db, [m.id]) == (0, [])  # delivered: never sent again
    assert len(hook.deliveries) == 1


def test_410_disables_the_endpoint_until_hr_resends(db: Database, rules, connectors, hook) -> None:
    badge(db, rules, "E1", "monthly-sharer")
    clock = Clock()
    hook.script(410)
    result = deliver(db, rules, connectors, clock)
    assert result.disabled == ["hr"] and state(db)[0] == "dead"
    badge(db, rules, "E2", "monthly-sharer")  # queued while disabled: it waits
    clock.advance(3600)
    assert deliver(db, rules, connectors, clock).claimed == 0
    held = [m for m in list_messages(db) if m.status == "pending"]
    assert len(held) == 1 and held[0].held
    count, enabled = retry_messages(db, all_dead=True, connector="hr", now=clock.now)
    assert (count, enabled) == (1, ["hr"])
    assert deliver(db, rules, connectors, clock).delivered == 2
    assert len(hook.deliveries) == 2


def test_a_missing_secret_is_named_never_shown(db: Database, rules, hook) -> None:
    badge(db, rules, "E1", "monthly-sharer")
    no_secret = Connectors(environ={})
    deliver(db, rules, no_secret, Clock())
    status, _, error = state(db)
    assert (
        status == "pending" and error == "environment variable PLAUDIT_TEST_HOOK_SECRET is not set"
    )
    assert hook.requests == 0
    no_secret.close()


def test_the_payroll_file_is_written_once_per_month(
    db: Database, rules, connectors, tmp_path
) -> None:
    lines = (
        {
            "employee_id": "E1",
            "amount": "12.30",
            "currency": "EUR",
            "reason": "r",
            "reference": "x1",
        },
    )
    cause = RewardCause(None, {"period": "2026-10", "currency": "EUR"}, lines=lines)
    with db.transaction():
        queue_rewards(db, rules, "monthly_payout", [cause, cause], T0)
    assert deliver(db, rules, connectors, Clock()).delivered == 1
    (written,) = (tmp_path / "pay").iterdir()
    assert written.name == "payroll-payout-2026-10.csv"
    assert written.read_text(encoding="utf-8").splitlines()[1].startswith("E1,12.30,EUR")


def test_nothing_is_lost_when_the_delivery_worker_dies_mid_send(
    db: Database, db_url: str, rules, hook, connectors, tmp_path: Path
) -> None:
    """A real `plaudit outbox deliver` process is killed (SIGKILL) while its request is at the receiver; the
    message stays claimed until its lease runs out, is sent again, and the receiver still has it once."""
    badge(db, rules, "E3", "monthly-sharer")
    arrived = threading.Event()

    def hold(request: Request):  # type: ignore[no-untyped-def]
        hook.handle(request)  # the receiver has it ...
        arrived.set()
        return Timeout(60)  # ... and the sender waits for an answer when it dies

    hook.on_request = hold
    env = {**os.environ, **ENV, "DATABASE_URL": db_url}
    worker = subprocess.Popen(
        [sys.executable, "-m", "admin.cli", "outbox", "deliver"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert arrived.wait(60), "the worker never sent"  # a failsafe, not a measurement
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
    hook.on_request = None
    assert state(db)[:2] == ("sending", 1)  # claimed by the dead worker
    clock = Clock()
    clock.now = engine_clock.now()
    assert deliver(db, rules, connectors, clock).claimed == 0  # its lease still runs
    clock.advance(DeliveryConfig().lease_seconds + 1)
    assert deliver(db, rules, connectors, clock).delivered == 1
    assert state(db)[:2] == ("delivered", 2)
    assert len(hook.deliveries) == 1 and hook.duplicates == 1
