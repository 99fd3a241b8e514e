"""What the HTTP connectors share: one pooled client, one POST that never raises, one reading of an answer.

Why one place: every HTTP connector must classify an answer the same way, because the outbox's retry schedule
(and its 410 rule) rests on it. 2xx is delivered; 410 is gone; 408, 429 and 5xx are worth another try, after the
receiver's ``Retry-After`` when it sent one; any other status is failed (retrying a 400 or 401 only repeats it).
A timeout, a refused connection or a connection dropped before the answer is ``retry``: the receiver may or may
not have the message, and the same ``message_id`` / idempotency key on the next attempt makes that harmless.

Details never carry a secret: the URL is left out (a receiver may put a token in it), and every connector passes
its secrets to :func:`redact` before an Outcome leaves it.
"""

from __future__ import annotations

import functools
import json
import math
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import urllib3

from engine import clock
from engine.rewards.connectors import Outcome

__all__ = [
    "MAX_RETRY_AFTER",
    "POOL_SIZE",
    "USER_AGENT",
    "Answer",
    "answer_text",
    "make_client",
    "mask",
    "outcome_of",
    "parse_retry_after",
    "post",
    "post_json_with_token",
    "read_json",
    "redact",
]

#: Connections kept open per connector: the outbox sends from a pool of about this many threads.
POOL_SIZE = 16
#: A receiver's Retry-After is honoured up to a day (the outbox caps it the same way).
MAX_RETRY_AFTER = 86400.0
USER_AGENT = "plaudit-outbox/0.1"
#: Characters of a receiver's answer kept in a detail: enough to read its error, not a page of HTML.
_BODY_CHARS = 200
_RETRY_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True)
class Answer:
    """A receiver's answer, read whole (the connectors look at the status, a header or the JSON body)."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


class Pool(urllib3.PoolManager):
    """urllib3's pool, closable: a closed one sends nothing more (the outbox replaced its connector)."""

    closed = False

    def close(self) -> None:
        self.closed = True
        self.clear()


def make_client(timeout: float) -> Pool:
    """One keep-alive pool per connector, shared by the outbox's threads (a PoolManager is thread-safe).

    Why urllib3 and not httpx: measured here, it sends about 1.6 times as many requests per second from the
    same threads, and the outbox's throughput is its HTTP client's. Redirects are not followed and urllib3's
    own retries are off: a POST that is redirected is a misconfigured URL, which HR must see, and retrying is
    the outbox's job (with its schedule and its records).
    """
    return Pool(
        num_pools=4,
        maxsize=POOL_SIZE,
        timeout=urllib3.Timeout(connect=timeout, read=timeout),
        retries=False,
        ssl_context=_tls(),
        headers={"User-Agent": USER_AGENT},
    )


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every connector: building one loads the CA bundle (~50 ms), and it is read-only."""
    return ssl.create_default_context()


def post(client: Pool, url: str, content: bytes, headers: Mapping[str, str]) -> Answer | Outcome:
    """POST ``content``; the answer, or the Outcome of not getting one (this never raises)."""
    if client.closed:
        return Outcome("retry", "the connector was closed while sending")
    if not all(value.isascii() and value.isprintable() for value in headers.values()):
        # A token with accents or a line break: sent, it would be mangled or split the request.
        return Outcome(
            "failed", "the request could not be built (a header holds an invalid character)"
        )
    try:
        response = client.request(
            "POST",
            url,
            body=content,
            headers={"User-Agent": USER_AGENT, **headers},
            redirect=False,
            retries=False,
        )
        return Answer(response.status, response.headers, response.data)
    except (
        urllib3.exceptions.NewConnectionError
    ) as exc:  # first: urllib3 makes it a timeout error too
        return Outcome("retry", f"could not connect: {type(exc).__name__}")
    except urllib3.exceptions.TimeoutError as exc:
        return Outcome("retry", f"no answer in time ({type(exc).__name__})")
    except urllib3.exceptions.ProtocolError:
        # The receiver closed the connection before answering: it may have the message (same ids next time).
        return Outcome("retry", "connection closed before an answer")
    except urllib3.exceptions.LocationValueError:
        return Outcome("failed", "the connector URL is not an http:// or https:// URL with a host")
    except urllib3.exceptions.HTTPError as exc:
        return Outcome("retry", f"HTTP error: {type(exc).__name__}")
    except (UnicodeEncodeError, ValueError) as exc:
        # A non-ASCII token or a malformed URL: its text may hold the secret, so only its type is kept.
        return Outcome("failed", f"the request could not be built ({type(exc).__name__})")


def post_json_with_token(
    client: Pool,
    url: str,
    token: str,
    payload: Any,
    headers: Mapping[str, str] | None = None,
) -> tuple[Outcome, Answer | None]:
    """POST ``payload`` as JSON with ``Authorization: Bearer <token>``, as the vendor REST connectors do: the
    outcome (a 401/403 says to check the token; the token masked) and the answer when one came."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    sent = {
        "Authorization": f"Bearer {token}",
        **(headers or {}),
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    answer = post(client, url, body, sent)
    if isinstance(answer, Outcome):
        return redact(answer, [token]), None
    outcome = outcome_of(answer, [token])
    if outcome.status == "failed" and answer.status_code in (401, 403):
        outcome = Outcome(
            "failed", f"{outcome.detail} (check the token)", status_code=answer.status_code
        )
    return redact(outcome, [token]), answer


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delay-seconds or an HTTP date; capped at a day; None if unreadable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # RFC 9110 dates are GMT
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or clock.now())).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def answer_text(response: Answer, secrets: Iterable[str | None] = ()) -> str:
    """The receiver's words, short: a JSON error's ``message``/``error``/``detail``, else the body's start.

    Secrets are masked before shortening, so a secret cut in two by the shortening cannot leave half of it.
    """
    text = mask(_body(response).strip(), secrets)
    data = _json_or_none(text)
    if isinstance(data, dict):
        for key in ("message", "error_description", "error", "detail", "title"):
            said = data.get(key)
            if isinstance(said, str) and said:
                text = said
                break
    text = " ".join(text.split())
    return text[:_BODY_CHARS] + ("…" if len(text) > _BODY_CHARS else "")


def read_json(response: Answer) -> Any:
    """The body as JSON, or None when it is not JSON."""
    return _json_or_none(_body(response))


def outcome_of(response: Answer, secrets: Iterable[str | None] = ()) -> Outcome:
    """What a status means for the outbox (see the module docstring); 2xx gives an empty receipt."""
    code = response.status_code
    if 200 <= code < 300:
        return Outcome("delivered", f"HTTP {code}", status_code=code)
    said = answer_text(response, secrets)
    detail = f"HTTP {code}" + (f": {said}" if said else "")
    if code == 410:
        return Outcome("gone", detail, status_code=code)
    if code in _RETRY_STATUSES or code >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return Outcome("retry", detail, status_code=code, retry_after=retry_after)
    if 300 <= code < 400:
        detail += " (redirects are not followed: fix the connector URL)"
    return Outcome("failed", detail, status_code=code)


def redact(outcome: Outcome, secrets: Iterable[str | None]) -> Outcome:
    """The outcome with every secret in its detail or receipt replaced by ``***`` (a receiver may echo one)."""
    words = _words(secrets)
    if not words:
        return outcome
    detail = mask(outcome.detail, words)
    receipt = outcome.receipt
    if receipt:
        dumped = json.dumps(receipt, default=str)
        if any(word in dumped for word in words):
            receipt = {}
    if detail == outcome.detail and receipt is outcome.receipt:
        return outcome
    return replace(outcome, detail=detail, receipt=receipt)


def _words(secrets: Iterable[str | None]) -> list[str]:
    # Longest first, so a secret that contains another is masked whole.
    return sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)


def mask(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret (of 4+ characters) replaced by ``***``."""
    for word in _words(secrets):
        text = text.replace(word, "***")
    return text


def _body(response: Answer) -> str:
    return response.text


def _json_or_none(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
