"""Local HTTP servers that behave like the HR systems our connectors talk to, with faults on demand.

Why real servers rather than mocked transports: the connectors' promises are about the wire (keep-alive pools,
timeouts, a connection dropped after the request arrived, Retry-After headers, signatures over the exact bytes).
Each receiver is a ``ThreadingHTTPServer`` speaking HTTP/1.1 with keep-alive on a free port, in a thread, that
does what the real API does with a request:

* :class:`WebhookReceiver`: verifies the Standard Webhooks signature with ``standardwebhooks`` (401 if bad),
  dedups by ``webhook-id``, answers 204.
* :class:`BonuslyReceiver`: checks the bearer token, creates a bonus (``{"success": true, "result": {...}}``),
  dedups by ``Idempotency-Key`` (a repeat gets the first answer again).
* :class:`TangoReceiver`: checks the bearer token, validates and places an order, dedups by ``externalRefID``
  per account the way Tango RaaS v2 documents it: 201 for a new order, 200 with the original order for a known
  ``externalRefID`` (developers.tangocard.com, "Best practices" / "Implementation notes").

Each records every request (``received``, ``requests``) and the deliveries as the receiver sees them
(``deliveries``: idempotency key -> body, so a message sent twice is there once; ``duplicates`` counts repeats),
and the connections it accepted (``connections``: a keep-alive sender opens few).

Faults: ``receiver.script(500, Timeout(2.0), (429, {"Retry-After": "3"}), 410, ACCEPT_THEN_DIE, 200)`` applies
one behaviour to each of the next requests; when the script is empty, ``receiver.on_request(request)`` (if set)
may return a behaviour; otherwise the request is handled normally. Behaviours:

* ``None`` or a 2xx int: handle normally (``(200, {"X": "y"})`` handles normally and adds headers);
* another int, or ``(status, headers)``: answer that status with an error body in the API's style, unhandled;
* ``(status, headers, body)`` or :class:`Reply`: answer exactly that, unhandled (``body`` bytes, str or JSON);
* :class:`Timeout` ``(seconds)``: hold the request that long, then handle it (a sender that gave up does not
  know it arrived); cut short, unhandled, when the receiver stops;
* :data:`ACCEPT_THEN_DIE`: handle the request (it counts as delivered), then close the connection unanswered;
* :data:`DROP`: close the connection unanswered without handling it.

Lean on purpose (no logging, one write per answer, Nagle off): a receiver sustains thousands of requests/s.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import re
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.servers import free_port

__all__ = [
    "ACCEPT_THEN_DIE",
    "BONUSLY_TOKEN",
    "DROP",
    "TANGO_ACCOUNT",
    "TANGO_CUSTOMER",
    "TANGO_TOKEN",
    "WEBHOOK_SECRET",
    "AcceptThenDie",
    "Behaviour",
    "BonuslyReceiver",
    "Drop",
    "Receiver",
    "Reply",
    "Request",
    "TangoReceiver",
    "Timeout",
    "WebhookReceiver",
    "bonusly_receiver",
    "make_secret",
    "refused_url",
    "tango_receiver",
    "webhook_receiver",
]


def make_secret(seed: bytes = b"plaudit test webhook secret 0001") -> str:
    """A Standard Webhooks secret (``whsec_`` + base64 of 24-64 bytes)."""
    return "whsec_" + base64.b64encode(seed).decode()


WEBHOOK_SECRET = make_secret()
BONUSLY_TOKEN = "bonusly-test-token-5f1c9e2a7d"
TANGO_TOKEN = "tango-test-token-8b3e6a0f4c"
TANGO_ACCOUNT = "plaudit-rewards"
TANGO_CUSTOMER = "plaudit-hr"


# -- behaviours ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reply:
    """Answer exactly this, without handling the request."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | str | dict[str, Any] | list[Any] | None = None


@dataclass(frozen=True)
class Timeout:
    """Hold the request ``seconds`` before handling it (unhandled if the receiver stops meanwhile)."""

    seconds: float


@dataclass(frozen=True)
class AcceptThenDie:
    """Handle the request, then close the connection without answering."""


@dataclass(frozen=True)
class Drop:
    """Close the connection without handling the request or answering."""


ACCEPT_THEN_DIE = AcceptThenDie()
DROP = Drop()

Behaviour = (
    None
    | int
    | tuple[int, dict[str, str]]
    | tuple[int, dict[str, str], Any]
    | Reply
    | Timeout
    | AcceptThenDie
    | Drop
)


@dataclass(frozen=True)
class Request:
    """One request as it arrived (header names lower-cased)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Answer:
    status: int
    headers: dict[str, str]
    body: bytes


# -- the server ------------------------------------------------------------------------------------------------
class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.accepted = 0
        super().__init__(("127.0.0.1", 0), _Handler)  # port 0: the OS picks a free one

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
            self.accepted += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client that hung up mid-answer is part of the tests, not news."""

    def drop_connections(self) -> None:
        with self.connections_lock:
            live = list(self.connections)
        for conn in live:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """No per-request logging: it would cost more than the request."""

    def do_POST(self) -> None:
        self._serve()

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

    def _serve(self) -> None:
        length = self.headers.get("Content-Length")
        if length is None and self.command in ("POST", "PUT", "PATCH"):
            self._write(_Answer(411, {}, b""))
            return
        body = self.rfile.read(int(length)) if length else b""
        request = Request(
            self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
        )
        answer = self.server.receiver._respond(request)
        if answer is None:  # die: close without a word
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._write(answer)

    def _write(self, answer: _Answer) -> None:
        try:
            phrase = HTTPStatus(answer.status).phrase
        except ValueError:
            phrase = "Status"
        lines = [f"HTTP/1.1 {answer.status} {phrase}", f"Content-Length: {len(answer.body)}"]
        if answer.body and not any(k.lower() == "content-type" for k in answer.headers):
            lines.append("Content-Type: application/json")
        lines += [f"{k}: {v}" for k, v in answer.headers.items()]
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            self.wfile.write(head + answer.body)
        except OSError:  # the sender gave up (a Timeout behaviour): nothing to tell anyone
            self.close_connection = True


# -- receivers -------------------------------------------------------------------------------------------------
class Receiver:
    """A local HTTP server with scripted faults; subclasses say what handling a request means."""

    #: Where the API lives on the server (``endpoint`` = ``url`` + this).
    path = "/"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._script: deque[Behaviour] = deque()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.on_request: Callable[[Request], Behaviour] | None = None
        self.received: list[Request] = []
        self.requests = 0
        self.deliveries: dict[str, Any] = {}
        self.duplicates = 0

    # lifecycle
    def start(self) -> Self:
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.drop_connections()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start the receiver first"
        return int(self._server.server_address[1])

    @property
    def connections(self) -> int:
        """Connections accepted so far (keep-alive senders open few)."""
        return self._server.accepted if self._server is not None else 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> str:
        return self.url + self.path

    # faults
    def script(self, *behaviours: Behaviour) -> None:
        """Apply these behaviours to the next requests, one each, in order."""
        with self._lock:
            self._script.extend(behaviours)

    def drop_connections(self) -> None:
        """Close every open connection (as a server restart would): the next request on one fails."""
        if self._server is not None:
            self._server.drop_connections()

    # what the API does: subclasses
    def handle(self, request: Request) -> _Answer:
        raise NotImplementedError

    def error_body(self, status: int, request: Request) -> bytes:
        """An error answer's body in the API's style."""
        return _json({"error": _phrase(status)})

    # plumbing
    def _respond(self, request: Request) -> _Answer | None:
        with self._lock:
            self.requests += 1
            self.received.append(request)
            behaviour = self._script.popleft() if self._script else None
        if behaviour is None and self.on_request is not None:
            behaviour = self.on_request(request)
        if behaviour is None:
            return self.handle(request)
        if isinstance(behaviour, Timeout):
            if self._stopping.wait(behaviour.seconds):
                return None
            return self.handle(request)
        if isinstance(behaviour, AcceptThenDie):
            self.handle(request)
            return None
        if isinstance(behaviour, Drop):
            return None
        if isinstance(behaviour, Reply):
            return _Answer(behaviour.status, dict(behaviour.headers), _bytes(behaviour.body))
        if isinstance(behaviour, int):
            behaviour = (behaviour, {})
        if len(behaviour) == 3:
            status, headers, body = behaviour  # type: ignore[misc]
            return _Answer(status, dict(headers), _bytes(body))
        status, headers = behaviour[0], behaviour[1]
        if 200 <= status < 300:
            answer = self.handle(request)
            answer.headers.update(headers)
            return answer
        return _Answer(status, dict(headers), self.error_body(status, request))

    def _record(self, key: str, body: Any) -> bool:
        """Keep a delivery under its idempotency key; False when it was there already (a repeat)."""
        with self._lock:
            if key in self.deliveries:
                self.duplicates += 1
                return False
            self.deliveries[key] = body
            return True


class WebhookReceiver(Receiver):
    """An HR system's Standard Webhooks endpoint."""

    path = "/hooks/plaudit"

    def __init__(self, secret: str = WEBHOOK_SECRET) -> None:
        super().__init__()
        self.secret = secret
        self._verifier = Webhook(secret)
        self.rejected = 0

    def handle(self, request: Request) -> _Answer:
        try:
            data = self._verifier.verify(request.body, request.headers)
        except (WebhookVerificationError, ValueError):
            with self._lock:
                self.rejected += 1
            return _Answer(401, {}, _json({"error": "invalid signature"}))
        self._record(request.headers["webhook-id"], data)
        return _Answer(204, {}, b"")


class BonuslyReceiver(Receiver):
    """Bonusly's "create a bonus" (``POST /api/v1/bonuses``), idempotent by ``Idempotency-Key``."""

    path = "/api/v1/bonuses"

    def __init__(self, token: str = BONUSLY_TOKEN) -> None:
        super().__init__()
        self.token = token
        self._answers: dict[str, bytes] = {}
        self._ids = itertools.count(1)

    def error_body(self, status: int, request: Request) -> bytes:
        return _json({"success": False, "message": _phrase(status)})

    def handle(self, request: Request) -> _Answer:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _Answer(401, {}, _json({"success": False, "message": "Invalid access token"}))
        try:
            body = request.json()
        except ValueError:
            return _Answer(400, {}, _json({"success": False, "message": "Body is not JSON"}))
        missing = [
            k
            for k in ("giver_email", "receiver_email", "amount", "reason")
            if body.get(k) in (None, "")
        ]
        if missing:
            return _Answer(
                422, {}, _json({"success": False, "message": f"{missing[0]} is required"})
            )
        key = request.headers.get("idempotency-key") or f"no-key-{next(self._ids)}"
        with self._lock:
            known = self._answers.get(key)
            if known is None:
                bonus = {
                    "id": f"bonus_{next(self._ids):06d}",
                    "created_at": datetime.now(UTC).isoformat(),
                    "giver": {"email": body["giver_email"]},
                    "receiver": {"email": body["receiver_email"]},
                    "amount": body["amount"],
                    "reason": body["reason"],
                    "hashtag": body.get("hashtag"),
                }
                known = self._answers[key] = _json({"success": True, "result": bonus})
        self._record(key, body)
        return _Answer(200, {}, known)


class TangoReceiver(Receiver):
    """Tango Card RaaS v2 ``POST /raas/v2/orders``, idempotent by ``externalRefID`` per account.

    As Tango documents it (developers.tangocard.com, "Best practices"): a new order answers 201; an order whose
    ``externalRefID`` the account has seen creates nothing and returns the original order with 200, "even if the
    original order is for a different item". Errors have RaaS v2's shape (``httpCode``, ``message``, ``errors``).
    """

    path = "/raas/v2/orders"

    def __init__(
        self,
        token: str = TANGO_TOKEN,
        account_identifier: str = TANGO_ACCOUNT,
        customer_identifier: str = TANGO_CUSTOMER,
    ) -> None:
        super().__init__()
        self.token = token
        self.account_identifier = account_identifier
        self.customer_identifier = customer_identifier
        self._orders: dict[tuple[str, str], bytes] = {}
        self._ids = itertools.count(1)

    def error_body(self, status: int, request: Request, message: str = "") -> bytes:
        return _json(
            {
                "timestamp": datetime.now(UTC).isoformat(),
                "requestId": f"req-{next(self._ids)}",
                "path": request.path,
                "httpCode": status,
                "httpPhrase": _phrase(status),
                "i18nKey": "RAAS:GENERIC",
                "message": message or _phrase(status),
            }
        )

    def handle(self, request: Request) -> _Answer:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _Answer(401, {}, self.error_body(401, request, "Authentication failed"))
        try:
            body = request.json()
        except ValueError:
            return _Answer(400, {}, self.error_body(400, request, "Malformed JSON"))
        problem = self._invalid(body)
        if problem:
            return _Answer(400, {}, self.error_body(400, request, problem))
        ref = body.get("externalRefID")
        key = ref or f"order-{next(self._ids)}"
        with self._lock:
            known = self._orders.get((body["accountIdentifier"], key))
            if known is None:
                self._orders[(body["accountIdentifier"], key)] = self._order(body)
        self._record(key, body)
        if known is not None:  # Tango: a known externalRefID returns the original order, 200
            return _Answer(200, {}, known)
        return _Answer(201, {}, self._orders[(body["accountIdentifier"], key)])

    def _invalid(self, body: Any) -> str:
        if not isinstance(body, dict):
            return "body must be an object"
        if body.get("accountIdentifier") != self.account_identifier:
            return "accountIdentifier: unknown account"
        if body.get("customerIdentifier") != self.customer_identifier:
            return "customerIdentifier: unknown customer"
        amount = body.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int | float) or amount <= 0:
            return "amount: must be a positive number"
        if not body.get("utid"):
            return "utid: required"
        recipient = body.get("recipient")
        if body.get("sendEmail", True) and not (
            isinstance(recipient, dict) and recipient.get("email")
        ):
            return "recipient.email: required when sendEmail is true"
        ref = body.get("externalRefID")
        if ref is not None and (
            not isinstance(ref, str) or not re.fullmatch(r"[A-Za-z0-9]{1,100}", ref)
        ):
            return "externalRefID: at most 100 letters and digits"
        return ""

    def _order(self, body: dict[str, Any]) -> bytes:
        n = next(self._ids)
        now = datetime.now(UTC)
        currency = body.get("currencyCode") or "USD"
        return _json(
            {
                "referenceOrderID": f"RA{now:%y%m%d}-{n:04d}-{n % 97:02d}",
                "externalRefID": body.get("externalRefID"),
                "customerIdentifier": body["customerIdentifier"],
                "accountIdentifier": body["accountIdentifier"],
                "amountCharged": {
                    "value": body["amount"],
                    "currencyCode": currency,
                    "total": body["amount"],
                },
                "denomination": {"value": body["amount"], "currencyCode": currency},
                "utid": body["utid"],
                "rewardName": "Mock Gift Card",
                "recipient": body.get("recipient"),
                "sendEmail": body.get("sendEmail", True),
                "status": "COMPLETE",
                "createdAt": now.isoformat(),
                "reward": {
                    "credentials": {"Claim Code": f"MOCK-{n:08d}"},
                    "credentialList": [
                        {"label": "Claim Code", "value": f"MOCK-{n:08d}", "type": "text"}
                    ],
                    "redemptionInstructions": "Not a real card.",
                },
            }
        )


def refused_url() -> str:
    """A URL on which nothing listens: connecting is refused."""
    return f"http://127.0.0.1:{free_port()}/nothing-here"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _bytes(body: bytes | str | dict[str, Any] | list[Any] | None) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return _json(body)


# -- fixtures --------------------------------------------------------------------------------------------------
@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A Standard Webhooks receiver holding :data:`WEBHOOK_SECRET`."""
    with WebhookReceiver(WEBHOOK_SECRET) as receiver:
        yield receiver


@pytest.fixture
def bonusly_receiver() -> Iterator[BonuslyReceiver]:
    """A Bonusly-like API accepting :data:`BONUSLY_TOKEN`."""
    with BonuslyReceiver(BONUSLY_TOKEN) as receiver:
        yield receiver


@pytest.fixture
def tango_receiver() -> Iterator[TangoReceiver]:
    """A Tango-RaaS-like API accepting :data:`TANGO_TOKEN` for :data:`TANGO_ACCOUNT` / :data:`TANGO_CUSTOMER`."""
    with TangoReceiver(TANGO_TOKEN, TANGO_ACCOUNT, TANGO_CUSTOMER) as receiver:
        yield receiver
