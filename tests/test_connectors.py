"""The connectors against local receivers that behave like the real APIs: what each answer and fault comes to.

Why against real servers: the promises are on the wire (signatures over the exact bytes, keep-alive under
threads, a connection dropped after the request arrived, Retry-After). No test measures time: a timeout is
provoked by a receiver that holds the request far longer than the connector waits.
"""

from __future__ import annotations

import csv
import io
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from engine import clock
from engine.rewards.connectors import Connector, OutboundMessage, Outcome
from engine.rewards.connectors._http import MAX_RETRY_AFTER, Answer, outcome_of, parse_retry_after
from engine.rewards.connectors.bonusly import BonuslyConnector
from engine.rewards.connectors.csv_payroll import CsvPayrollConnector, escape_cell
from engine.rewards.connectors.tango import TangoConnector, external_ref
from engine.rewards.connectors.webhook import WebhookConnector
from tests import receivers
from tests.receivers import (
    ACCEPT_THEN_DIE,
    BONUSLY_TOKEN,
    DROP,
    TANGO_ACCOUNT,
    TANGO_CUSTOMER,
    TANGO_TOKEN,
    WEBHOOK_SECRET,
    BonuslyReceiver,
    Receiver,
    Reply,
    Request,
    TangoReceiver,
    Timeout,
    WebhookReceiver,
    make_secret,
    refused_url,
)

__all__: list[str] = []

# The receivers' fixtures, made visible to this module's tests.
webhook_receiver = receivers.webhook_receiver
bonusly_receiver = receivers.bonusly_receiver
tango_receiver = receivers.tango_receiver

#: Far longer than TIMEOUT: the connector gives up long before the receiver answers.
HOLD = 5.0
TIMEOUT = 0.2


# -- messages ---------------------------------------------------------------------------------------------------
def webhook_message(n: int | str = 1) -> OutboundMessage:
    return OutboundMessage(
        message_id=f"msg_{n}",
        idempotency_key=f"badge-first-share:E{n}",
        reward="badge-webhook",
        trigger="badge_awarded",
        payload={
            "type": "badge.awarded",
            "timestamp": "2026-11-03T09:00:00+00:00",
            "data": {"employee.id": f"E{n}", "employee.name": "Zoë Ærøskøbing", "badge": "first"},
        },
    )


def bonusly_message(n: int | str = 1) -> OutboundMessage:
    return OutboundMessage(
        message_id=f"msg_b{n}",
        idempotency_key=f"bonus-award:E{n}:2026-11",
        reward="bonusly-award",
        trigger="award_won",
        payload={
            "giver_email": "hr@example.com",
            "receiver_email": f"e{n}@example.com",
            "amount": 10,
            "reason": "+10 Employee of the month, Zoë! #advocacy",
            "hashtag": "#advocacy",
        },
    )


def tango_message(n: int | str = 1, utid: str = "U561593") -> OutboundMessage:
    return OutboundMessage(
        message_id=f"msg_t{n}",
        idempotency_key=f"tango-award-E{n}-2026-11",
        reward="gift-card",
        trigger="award_won",
        payload={
            "amount": 25.0,
            "currencyCode": "EUR",
            "utid": utid,
            "recipient": {"email": f"e{n}@example.com", "firstName": "Zoë", "lastName": "Ærø"},
            "message": "Employee of the month",
            "sendEmail": True,
        },
    )


def payroll_message(
    lines: list[dict[str, str]] | None = None, period: str = "2026-11"
) -> OutboundMessage:
    return OutboundMessage(
        message_id="msg_p1",
        idempotency_key=f"payout:{period}",
        reward="payout",
        trigger="monthly_payout",
        payload={
            "period": period,
            "currency": "EUR",
            "lines": lines
            if lines is not None
            else [
                {
                    "employee_id": "E1",
                    "amount": "12.30",
                    "currency": "EUR",
                    "reason": "123 points in 2026-11",
                    "reference": "payout:2026-11:1",
                },
                {
                    "employee_id": "E2",
                    "amount": "7.00",
                    "currency": "EUR",
                    "reason": "Zoë Ærøskøbing, 70 points — ¡gracias!",
                    "reference": "payout:2026-11:2",
                },
            ],
        },
    )


# -- one kit per HTTP connector kind: its receiver, a connector to it, its messages ------------------------------
@dataclass
class Kit:
    kind: str
    receiver: Receiver
    build: Callable[..., Connector]
    message: Callable[[int | str], OutboundMessage]
    secret: str

    def key_of(self, message: OutboundMessage) -> str:
        """The key the receiver dedups by."""
        if self.kind == "webhook":
            return message.message_id
        return (
            external_ref(message.idempotency_key)
            if self.kind == "tango"
            else message.idempotency_key
        )


def _kit(kind: str, receiver: Receiver) -> Kit:
    def build(
        url: str | None = None, timeout: float = 10.0, secret: str | None = None
    ) -> Connector:
        url = url or receiver.endpoint
        if kind == "webhook":
            return WebhookConnector(url, secret or WEBHOOK_SECRET, timeout)
        if kind == "bonusly":
            return BonuslyConnector(url, secret or BONUSLY_TOKEN, timeout)
        return TangoConnector(url, secret or TANGO_TOKEN, TANGO_ACCOUNT, TANGO_CUSTOMER, timeout)

    messages = {"webhook": webhook_message, "bonusly": bonusly_message, "tango": tango_message}
    secrets = {"webhook": WEBHOOK_SECRET, "bonusly": BONUSLY_TOKEN, "tango": TANGO_TOKEN}
    return Kit(kind, receiver, build, messages[kind], secrets[kind])


@pytest.fixture(params=["webhook", "bonusly", "tango"])
def kit(request: pytest.FixtureRequest) -> Kit:
    return _kit(request.param, request.getfixturevalue(f"{request.param}_receiver"))


@pytest.fixture
def connector(kit: Kit) -> Iterator[Connector]:
    built = kit.build()
    yield built
    built.close()


def assert_clean(outcome: Outcome, kit: Kit) -> None:
    """No secret in what the outbox will store and show."""
    text = outcome.detail + repr(outcome.receipt)
    assert kit.secret not in text
    assert kit.secret.removeprefix("whsec_") not in text


# -- every HTTP connector: happy path, faults, dedup, threads -------------------------------------------------
def test_happy_path_arrives_as_sent(kit: Kit, connector: Connector) -> None:
    message = kit.message(1)
    outcome = connector.send(message)
    assert outcome.status == "delivered", outcome
    assert 200 <= (outcome.status_code or 0) < 300
    assert kit.receiver.requests == 1
    delivered = kit.receiver.deliveries[kit.key_of(message)]
    for key, value in message.payload.items():
        assert delivered[key] == value
    assert_clean(outcome, kit)


def test_the_same_message_twice_arrives_once(kit: Kit, connector: Connector) -> None:
    first = connector.send(kit.message(7))
    second = connector.send(kit.message(7))
    assert first.status == second.status == "delivered"
    assert first.receipt == second.receipt  # the same bonus / order, not a second one
    assert kit.receiver.requests == 2
    assert len(kit.receiver.deliveries) == 1
    assert kit.receiver.duplicates == 1


@pytest.mark.parametrize(
    ("behaviour", "status", "code"),
    [
        (500, "retry", 500),
        (502, "retry", 502),
        (503, "retry", 503),
        (408, "retry", 408),
        (410, "gone", 410),
        (400, "failed", 400),
        (404, "failed", 404),
        (409, "failed", 409),
        (422, "failed", 422),
        (301, "failed", 301),
    ],
)
def test_a_status_maps_to_its_outcome(
    kit: Kit, connector: Connector, behaviour: int, status: str, code: int
) -> None:
    kit.receiver.script(behaviour)
    outcome = connector.send(kit.message(1))
    assert (outcome.status, outcome.status_code) == (status, code), outcome
    assert str(code) in outcome.detail
    assert outcome.retry_after is None
    assert not kit.receiver.deliveries
    assert_clean(outcome, kit)


def test_a_4xx_detail_keeps_the_receivers_words_short(kit: Kit, connector: Connector) -> None:
    kit.receiver.script((400, {}, {"message": "amount: must be positive " + "x" * 1000}))
    outcome = connector.send(kit.message(1))
    assert outcome.status == "failed"
    assert "amount: must be positive" in outcome.detail
    assert len(outcome.detail) < 260


def test_429_with_retry_after_seconds(kit: Kit, connector: Connector) -> None:
    kit.receiver.script((429, {"Retry-After": "3"}))
    outcome = connector.send(kit.message(1))
    assert (outcome.status, outcome.status_code, outcome.retry_after) == ("retry", 429, 3.0)


def test_429_with_retry_after_http_date(kit: Kit, connector: Connector) -> None:
    when = clock.now() + timedelta(minutes=10)
    kit.receiver.script((429, {"Retry-After": format_datetime(when, usegmt=True)}))
    outcome = connector.send(kit.message(1))
    assert (outcome.status, outcome.status_code) == ("retry", 429)
    assert outcome.retry_after is not None
    assert 500 < outcome.retry_after <= 600


def test_503_retry_after_is_capped_at_a_day(kit: Kit, connector: Connector) -> None:
    kit.receiver.script((503, {"Retry-After": "99999999"}))
    outcome = connector.send(kit.message(1))
    assert (outcome.status, outcome.retry_after) == ("retry", MAX_RETRY_AFTER)


def test_a_timeout_is_retried(kit: Kit) -> None:
    connector = kit.build(timeout=TIMEOUT)
    kit.receiver.script(Timeout(HOLD))
    try:
        outcome = connector.send(kit.message(1))
    finally:
        connector.close()
    assert outcome.status == "retry"
    assert outcome.status_code is None
    assert "in time" in outcome.detail


def test_a_refused_connection_is_retried(kit: Kit) -> None:
    connector = kit.build(url=refused_url())
    try:
        outcome = connector.send(kit.message(1))
    finally:
        connector.close()
    assert outcome.status == "retry"
    assert "connect" in outcome.detail
    assert_clean(outcome, kit)


def test_accept_then_die_is_retried_and_the_retry_arrives_once(
    kit: Kit, connector: Connector
) -> None:
    kit.receiver.script(ACCEPT_THEN_DIE)
    first = connector.send(kit.message(3))
    assert first.status == "retry"
    assert "closed before an answer" in first.detail
    # The receiver has it already; the sender does not know. The retry carries the same ids.
    assert len(kit.receiver.deliveries) == 1
    second = connector.send(kit.message(3))
    assert second.status == "delivered"
    assert kit.receiver.requests == 2
    assert len(kit.receiver.deliveries) == 1


def test_a_dropped_connection_is_retried_and_then_delivered(kit: Kit, connector: Connector) -> None:
    kit.receiver.script(DROP)
    assert connector.send(kit.message(4)).status == "retry"
    assert not kit.receiver.deliveries
    assert connector.send(kit.message(4)).status == "delivered"
    assert len(kit.receiver.deliveries) == 1


def test_a_scripted_run_of_faults_then_success(kit: Kit) -> None:
    connector = kit.build(timeout=TIMEOUT)
    kit.receiver.script(500, 500, Timeout(HOLD), (429, {"Retry-After": "3"}), 410, 200)
    try:
        outcomes = [connector.send(kit.message(5)) for _ in range(6)]
    finally:
        connector.close()
    assert [o.status for o in outcomes] == ["retry", "retry", "retry", "retry", "gone", "delivered"]
    assert outcomes[3].retry_after == 3.0
    assert len(kit.receiver.deliveries) == 1


def test_a_wrong_secret_is_refused_by_the_receiver(kit: Kit) -> None:
    wrong = make_secret(b"not the receiver's secret at all") if kit.kind == "webhook" else "wrong"
    connector = kit.build(secret=wrong)
    try:
        outcome = connector.send(kit.message(1))
    finally:
        connector.close()
    assert (outcome.status, outcome.status_code) == ("failed", 401)
    assert not kit.receiver.deliveries
    assert wrong not in outcome.detail


@pytest.mark.parametrize("where", ["start", "cut"])
def test_a_secret_echoed_by_the_receiver_is_not_kept(
    kit: Kit, connector: Connector, where: str
) -> None:
    """A receiver that echoes what it got (headers, a token) must not put a secret, or half of one, in a detail."""

    def echo(request: Request) -> Reply:
        said = " ".join(f"{k}={v}" for k, v in request.headers.items())
        # "cut": the secret straddles the point where the detail is shortened.
        pad = "" if where == "start" else "x" * (200 - len(kit.secret) // 2)
        return Reply(400, {}, {"message": f"{pad}{kit.secret} is wrong; you sent {said}"})

    kit.receiver.on_request = echo
    outcome = connector.send(kit.message(1))
    assert outcome.status == "failed"
    assert "***" in outcome.detail
    assert_clean(outcome, kit)
    for size in range(8, len(kit.secret)):
        assert kit.secret[:size] not in outcome.detail
        assert kit.secret[-size:] not in outcome.detail


def test_eight_threads_share_one_connector(kit: Kit, connector: Connector) -> None:
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def run(thread: int) -> None:
        for i in range(50):
            outcome = connector.send(kit.message(f"{thread}x{i}"))
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 400
    assert {o.status for o in outcomes} == {"delivered"}
    assert len(kit.receiver.deliveries) == 400
    assert kit.receiver.requests == 400


@pytest.mark.parametrize("url", ["ftp://example.com/hook", "http://", "not a url"])
def test_a_bad_url_is_failed(kit: Kit, url: str) -> None:
    connector = kit.build(url=url)
    try:
        outcome = connector.send(kit.message(1))
    finally:
        connector.close()
    assert outcome.status == "failed"
    assert "URL" in outcome.detail


def test_a_token_that_cannot_be_a_header_is_failed(
    bonusly_receiver: BonuslyReceiver, tango_receiver: TangoReceiver
) -> None:
    for receiver, kind in ((bonusly_receiver, "bonusly"), (tango_receiver, "tango")):
        kit = _kit(kind, receiver)
        connector = kit.build(secret="tökén-with-accents")
        try:
            outcome = connector.send(kit.message(1))
        finally:
            connector.close()
        assert outcome.status == "failed"
        assert "tökén" not in outcome.detail
        assert receiver.requests == 0


def test_connections_are_kept_alive(kit: Kit, connector: Connector) -> None:
    for i in range(30):
        assert connector.send(kit.message(i)).status == "delivered"
    assert kit.receiver.connections == 1


def test_a_closed_connector_says_retry(kit: Kit) -> None:
    connector = kit.build()
    connector.close()
    outcome = connector.send(kit.message(1))
    assert outcome.status == "retry"


# -- webhook ------------------------------------------------------------------------------------------------------
def test_webhook_is_signed_compact_json(webhook_receiver: WebhookReceiver) -> None:
    connector = WebhookConnector(webhook_receiver.endpoint, WEBHOOK_SECRET)
    message = webhook_message(1)
    assert connector.send(message).status == "delivered"
    connector.close()
    request = webhook_receiver.received[0]
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == message.message_id
    assert request.headers["webhook-signature"].startswith("v1,")
    assert int(request.headers["webhook-timestamp"]) > 0
    assert b", " not in request.body and b": " not in request.body  # compact
    assert "Zoë Ærøskøbing".encode() in request.body  # UTF-8, not \\u escapes
    assert webhook_receiver.rejected == 0


def test_webhook_signs_with_the_first_of_rotating_secrets() -> None:
    new, old = make_secret(b"the new secret of this endpoint!"), WEBHOOK_SECRET
    with WebhookReceiver(new) as knows_new, WebhookReceiver(old) as knows_old:
        for receiver, expected in ((knows_new, "delivered"), (knows_old, "failed")):
            connector = WebhookConnector(receiver.endpoint, f"{new} {old}")
            outcome = connector.send(webhook_message(1))
            connector.close()
            assert outcome.status == expected, outcome
            assert new not in outcome.detail and old not in outcome.detail


@pytest.mark.parametrize("secret", [None, "", "   "])
def test_webhook_without_a_secret_is_not_sent(
    webhook_receiver: WebhookReceiver, secret: str | None
) -> None:
    connector = WebhookConnector(webhook_receiver.endpoint, secret)
    outcome = connector.send(webhook_message(1))
    connector.close()
    assert outcome.status == "failed"
    assert "no signing secret" in outcome.detail
    assert webhook_receiver.requests == 0


def test_webhook_with_a_malformed_secret_fails_without_showing_it(
    webhook_receiver: WebhookReceiver,
) -> None:
    bad = "whsec_!!not-base64!!"
    connector = WebhookConnector(webhook_receiver.endpoint, bad)
    outcome = connector.send(webhook_message(1))
    connector.close()
    assert outcome.status == "failed"
    assert bad not in outcome.detail and "not-base64" not in outcome.detail
    assert webhook_receiver.requests == 0


# -- Bonusly ------------------------------------------------------------------------------------------------------
def test_bonusly_request_and_receipt(bonusly_receiver: BonuslyReceiver) -> None:
    connector = BonuslyConnector(bonusly_receiver.endpoint, BONUSLY_TOKEN)
    message = bonusly_message(1)
    outcome = connector.send(message)
    connector.close()
    assert outcome.status == "delivered"
    assert outcome.receipt == {"bonus_id": "bonus_000001"}
    request = bonusly_receiver.received[0]
    assert request.headers["authorization"] == f"Bearer {BONUSLY_TOKEN}"
    assert request.headers["idempotency-key"] == message.idempotency_key
    assert request.json() == message.payload  # hashtag passes through
    assert request.path == "/api/v1/bonuses"


def test_bonusly_success_false_is_failed_with_its_message(
    bonusly_receiver: BonuslyReceiver,
) -> None:
    bonusly_receiver.script(
        (200, {}, {"success": False, "message": "You don't have enough to give"})
    )
    connector = BonuslyConnector(bonusly_receiver.endpoint, BONUSLY_TOKEN)
    outcome = connector.send(bonusly_message(1))
    connector.close()
    assert outcome.status == "failed"
    assert "You don't have enough to give" in outcome.detail


def test_bonusly_validation_error_is_failed(bonusly_receiver: BonuslyReceiver) -> None:
    message = bonusly_message(1)
    broken = OutboundMessage(
        message.message_id,
        message.idempotency_key,
        message.reward,
        message.trigger,
        {**message.payload, "reason": ""},
    )
    connector = BonuslyConnector(bonusly_receiver.endpoint, BONUSLY_TOKEN)
    outcome = connector.send(broken)
    connector.close()
    assert outcome.status == "failed"
    assert "reason" in outcome.detail
    assert bonusly_receiver.requests == 0  # caught before sending


@pytest.mark.parametrize("token", [None, ""])
def test_rest_connectors_without_a_token_send_nothing(
    bonusly_receiver: BonuslyReceiver, tango_receiver: TangoReceiver, token: str | None
) -> None:
    for connector, message in (
        (BonuslyConnector(bonusly_receiver.endpoint, token), bonusly_message(1)),
        (
            TangoConnector(tango_receiver.endpoint, token, TANGO_ACCOUNT, TANGO_CUSTOMER),
            tango_message(1),
        ),
    ):
        outcome = connector.send(message)
        connector.close()
        assert (outcome.status, outcome.detail.startswith("no token")) == ("failed", True)
    assert bonusly_receiver.requests == tango_receiver.requests == 0


# -- Tango --------------------------------------------------------------------------------------------------------
def test_tango_order_body_and_receipt(tango_receiver: TangoReceiver) -> None:
    connector = TangoConnector(tango_receiver.endpoint, TANGO_TOKEN, TANGO_ACCOUNT, TANGO_CUSTOMER)
    message = tango_message(1)
    outcome = connector.send(message)
    connector.close()
    assert (outcome.status, outcome.status_code) == ("delivered", 201)
    assert set(outcome.receipt) == {"referenceOrderID"}
    assert outcome.receipt["referenceOrderID"].startswith("RA")
    request = tango_receiver.received[0]
    assert request.headers["authorization"] == f"Bearer {TANGO_TOKEN}"
    assert request.path == "/raas/v2/orders"
    assert request.json() == {
        "accountIdentifier": TANGO_ACCOUNT,
        "customerIdentifier": TANGO_CUSTOMER,
        "amount": 25.0,
        "currencyCode": "EUR",
        "utid": "U561593",
        "recipient": {"email": "e1@example.com", "firstName": "Zoë", "lastName": "Ærø"},
        "sendEmail": True,
        "message": "Employee of the month",
        "externalRefID": external_ref(message.idempotency_key),
    }


def test_tango_duplicate_external_ref_returns_the_first_order(
    tango_receiver: TangoReceiver,
) -> None:
    connector = TangoConnector(tango_receiver.endpoint, TANGO_TOKEN, TANGO_ACCOUNT, TANGO_CUSTOMER)
    first = connector.send(tango_message(1))
    # Tango: "even if the original order was for a different item" the original comes back.
    again = connector.send(tango_message(1, utid="U999999"))
    connector.close()
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.status == "delivered"
    assert "existed already" in again.detail
    assert again.receipt == first.receipt
    assert len(tango_receiver.deliveries) == 1


def test_tango_validation_error_is_failed_with_its_message(tango_receiver: TangoReceiver) -> None:
    connector = TangoConnector(
        tango_receiver.endpoint, TANGO_TOKEN, "other-account", TANGO_CUSTOMER
    )
    outcome = connector.send(tango_message(1))
    connector.close()
    assert (outcome.status, outcome.status_code) == ("failed", 400)
    assert "accountIdentifier" in outcome.detail


# -- the HTTP answer, read -----------------------------------------------------------------------------------------
def test_parse_retry_after() -> None:
    now = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(" 0 ", now) == 0.0
    assert parse_retry_after("Tue, 03 Nov 2026 09:02:00 GMT", now) == 120.0
    assert parse_retry_after("Tue, 03 Nov 2026 08:00:00 GMT", now) == 0.0  # in the past: now
    assert parse_retry_after("Sun, 03 Nov 2030 09:00:00 GMT", now) == MAX_RETRY_AFTER
    assert parse_retry_after("-5", now) == 0.0
    for unreadable in (None, "", "soon", "nan", "inf"):
        assert parse_retry_after(unreadable, now) is None


@pytest.mark.parametrize(
    ("code", "status"),
    [
        *[(200, "delivered"), (201, "delivered"), (204, "delivered")],
        *[(408, "retry"), (425, "retry"), (429, "retry"), (500, "retry"), (504, "retry")],
        *[(410, "gone"), (401, "failed"), (403, "failed"), (409, "failed"), (413, "failed")],
        (302, "failed"),
    ],
)
def test_outcome_of_a_status(code: int, status: str) -> None:
    response = Answer(code, {}, b"")
    assert outcome_of(response).status == status


def test_outcome_of_html_error_page_is_short() -> None:
    page = "<html><body>" + "<p>Bad Gateway</p>\n" * 500 + "</body></html>"
    outcome = outcome_of(Answer(502, {}, page.encode()))
    assert outcome.status == "retry"
    assert outcome.detail.startswith("HTTP 502: <html>")
    assert len(outcome.detail) < 260
    assert "\n" not in outcome.detail


# -- CSV payroll --------------------------------------------------------------------------------------------------
def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))


def test_payroll_file_is_written(tmp_path: Path) -> None:
    directory = tmp_path / "payroll" / "in"  # created when missing
    outcome = CsvPayrollConnector(directory).send(payroll_message())
    assert outcome.status == "delivered", outcome
    path = directory / "payroll-payout-2026-11.csv"
    assert outcome.receipt["file"] == str(path)
    assert outcome.receipt["lines"] == 2
    assert read_rows(path) == [
        ["employee_id", "amount", "currency", "reason", "reference"],
        ["E1", "12.30", "EUR", "123 points in 2026-11", "payout:2026-11:1"],
        ["E2", "7.00", "EUR", "Zoë Ærøskøbing, 70 points — ¡gracias!", "payout:2026-11:2"],
    ]
    assert path.read_bytes().startswith(b"employee_id,amount")  # no BOM
    assert b"\r\n" in path.read_bytes()
    assert [p.name for p in directory.iterdir()] == [path.name]  # no temporary file left


def test_payroll_identical_rewrite_is_delivered(tmp_path: Path) -> None:
    connector = CsvPayrollConnector(tmp_path)
    first = connector.send(payroll_message())
    again = connector.send(payroll_message())
    assert first.status == again.status == "delivered"
    assert "already written" in again.detail
    assert first.receipt == again.receipt
    assert len(list(tmp_path.iterdir())) == 1


def test_payroll_file_is_never_replaced(tmp_path: Path) -> None:
    connector = CsvPayrollConnector(tmp_path)
    assert connector.send(payroll_message()).status == "delivered"
    path = tmp_path / "payroll-payout-2026-11.csv"
    before = path.read_bytes()
    other = payroll_message([{"employee_id": "E1", "amount": "99.00", "currency": "EUR"}])
    outcome = connector.send(other)
    assert outcome.status == "failed"
    assert "exists with other content" in outcome.detail
    assert path.read_bytes() == before
    assert len(list(tmp_path.iterdir())) == 1


def test_payroll_file_appears_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name is given (by a link) only to a complete, fsynced file; a crash before leaves no payroll file."""
    seen: list[bytes] = []
    real_link = os.link

    class Crash(BaseException):
        pass

    def link(src: Any, dst: Any) -> None:
        assert not Path(dst).exists()
        seen.append(Path(src).read_bytes())
        raise Crash  # the process dies right before the name is given

    monkeypatch.setattr(os, "link", link)
    with pytest.raises(Crash):
        CsvPayrollConnector(tmp_path).send(payroll_message())
    assert not (tmp_path / "payroll-payout-2026-11.csv").exists()
    assert list(tmp_path.iterdir()) == []  # and its temporary file is cleaned up
    monkeypatch.setattr(os, "link", real_link)
    outcome = CsvPayrollConnector(tmp_path).send(payroll_message())
    assert outcome.status == "delivered"
    assert (tmp_path / "payroll-payout-2026-11.csv").read_bytes() == seen[0]


def test_payroll_racing_writers_make_one_file(tmp_path: Path) -> None:
    connector = CsvPayrollConnector(tmp_path)
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def run() -> None:
        start.wait()
        outcome = connector.send(payroll_message())
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [o.status for o in outcomes] == ["delivered"] * 8
    assert [p.name for p in tmp_path.iterdir()] == ["payroll-payout-2026-11.csv"]


def test_payroll_escapes_formulas(tmp_path: Path) -> None:
    lines = [
        {
            "employee_id": '=HYPERLINK("http://x")',
            "amount": "-5.00",
            "currency": "EUR",
            "reason": "+1 for everyone",
            "reference": "@SUM(A1:A9)",
        },
        {"employee_id": "E2", "amount": "1.00", "reason": "-cmd|' /C calc'!A0"},
        {"employee_id": "E3", "amount": "2", "reason": "\tTabbed", "reference": "ok=fine"},
    ]
    assert CsvPayrollConnector(tmp_path).send(payroll_message(lines)).status == "delivered"
    rows = read_rows(tmp_path / "payroll-payout-2026-11.csv")
    assert rows[1] == [
        '\'=HYPERLINK("http://x")',
        "-5.00",
        "EUR",
        "'+1 for everyone",
        "'@SUM(A1:A9)",
    ]
    assert rows[2] == ["E2", "1.00", "EUR", "'-cmd|' /C calc'!A0", ""]  # currency from the payload
    assert rows[3] == ["E3", "2", "EUR", "'\tTabbed", "ok=fine"]
    assert escape_cell("plain") == "plain"


@pytest.mark.parametrize(
    "line",
    [
        {"employee_id": "E1", "amount": "=1+2"},
        {"employee_id": "E1", "amount": "12,30"},
        {"employee_id": "E1"},
        {"amount": "1.00"},
    ],
)
def test_payroll_bad_line_is_failed_and_writes_nothing(
    tmp_path: Path, line: dict[str, str]
) -> None:
    outcome = CsvPayrollConnector(tmp_path).send(payroll_message([line]))
    assert outcome.status == "failed"
    assert "bad payroll payload" in outcome.detail
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("period", ["../2026-11", "2026/11", "", ".hidden"])
def test_payroll_period_cannot_escape_the_directory(tmp_path: Path, period: str) -> None:
    outcome = CsvPayrollConnector(tmp_path / "out").send(payroll_message(period=period))
    assert outcome.status == "failed"
    assert not (tmp_path / "out").exists()


def test_payroll_unwritable_directory_is_retried(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the directory should be")
    outcome = CsvPayrollConnector(blocker / "payroll").send(payroll_message())
    assert outcome.status == "retry"
    assert "payroll-payout-2026-11.csv" in outcome.detail


def test_payroll_with_no_lines_writes_the_header(tmp_path: Path) -> None:
    assert CsvPayrollConnector(tmp_path).send(payroll_message([])).status == "delivered"
    assert read_rows(tmp_path / "payroll-payout-2026-11.csv") == [
        ["employee_id", "amount", "currency", "reason", "reference"]
    ]


def test_tango_references_are_letters_and_digits_and_stable() -> None:
    assert external_ref("eotm2026x11") == "eotm2026x11"  # fits: as is
    ref = external_ref("gift:42:first-share::ever")
    assert re.fullmatch(r"[A-Za-z0-9]{1,100}", ref) and ref == external_ref(
        "gift:42:first-share::ever"
    )
    assert ref != external_ref("gift:43:first-share::ever")
    assert re.fullmatch(r"[A-Za-z0-9]{1,100}", external_ref("x" * 101))
