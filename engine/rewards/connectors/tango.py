"""A reward-catalog order in the Tango Card RaaS v2 style (``POST .../raas/v2/orders``): a gift card by e-mail.

Payload (shaped by the outbox)::

    {"amount": 25.0, "currencyCode": "EUR", "utid": "U561593",
     "recipient": {"email": "ana@example.com", "firstName": "Ana", "lastName": "Silva"},
     "message": "Employee of the month", "sendEmail": true}

Sent as ``{"accountIdentifier", "customerIdentifier", "amount", "utid", "recipient", "sendEmail", "message",
"externalRefID"}`` (+ ``currencyCode`` and any other payload keys, e.g. ``notes``), with a Bearer token.

Why ``externalRefID`` is the reward's idempotency key: Tango's orders are idempotent by it (per account). Tango
documents that a new order answers 201 and that an order with an ``externalRefID`` it has seen "will not create
a new order but will return the original order information" with 200 (developers.tangocard.com, "Best
practices" and "Implementation notes"). So a retry after a timeout, or after a worker died before recording,
gets 200 and the first order back: that is ``delivered`` with the existing ``referenceOrderID`` in the receipt,
never a second gift card. Tango keeps the idempotency for 90 days, far beyond the outbox's 27-hour schedule.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from engine.rewards.connectors import OutboundMessage, Outcome
from engine.rewards.connectors._http import make_client, post_json_with_token, read_json, redact

__all__ = ["TangoConnector", "external_ref"]

_REF = re.compile(r"[A-Za-z0-9]{1,100}\Z")


def external_ref(key: str) -> str:
    """The idempotency key as Tango takes an ``externalRefID`` (at most 100 letters and digits): as is when it
    fits, else a digest of it (the same key, the same reference, every attempt)."""
    return key if _REF.match(key) else "plaudit" + hashlib.sha256(key.encode()).hexdigest()[:40]


_REQUIRED = ("amount", "utid", "recipient")


class TangoConnector:
    """Places one order per message; thread-safe (one shared keep-alive client)."""

    def __init__(
        self,
        url: str,
        token: str | None,
        account_identifier: str,
        customer_identifier: str,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self._token = (token or "").strip() or None
        self.account_identifier = account_identifier
        self.customer_identifier = customer_identifier
        self._client = make_client(timeout)

    def order_body(self, message: OutboundMessage) -> dict[str, Any]:
        """The order as Tango reads it: the payload, with our account, customer and reference on top."""
        payload = message.payload
        body: dict[str, Any] = {
            **payload,
            "accountIdentifier": self.account_identifier,
            "customerIdentifier": self.customer_identifier,
            "sendEmail": payload.get("sendEmail", True),
            "externalRefID": external_ref(message.idempotency_key),
        }
        body.setdefault("message", "")
        return body

    def send(self, message: OutboundMessage) -> Outcome:
        if self._token is None:
            return Outcome("failed", "no token (set the connector's token_env variable)")
        missing = [k for k in _REQUIRED if message.payload.get(k) in (None, "", {})]
        recipient = message.payload.get("recipient")
        if isinstance(recipient, dict) and not recipient.get("email"):
            missing.append("recipient.email")
        if missing:
            return Outcome("failed", f"payload lacks {', '.join(missing)}")
        if not (self.account_identifier and self.customer_identifier):
            return Outcome("failed", "the connector has no account or customer identifier")
        outcome, answer = post_json_with_token(
            self._client, self.url, self._token, self.order_body(message)
        )
        if answer is not None and outcome.status == "delivered":
            outcome = redact(_read_order(answer.status_code, read_json(answer)), [self._token])
        return outcome

    def close(self) -> None:
        self._client.close()


def _read_order(code: int, data: Any) -> Outcome:
    # 201: a new order; 200: Tango had this externalRefID already and returns that order (see module doc).
    what = "order existed already (same externalRefID)" if code == 200 else "order placed"
    if not isinstance(data, dict) or not data.get("referenceOrderID"):
        return Outcome(
            "delivered", f"HTTP {code}: {what}, but no referenceOrderID", status_code=code
        )
    receipt = {"referenceOrderID": data["referenceOrderID"]}
    return Outcome("delivered", f"HTTP {code}: {what}", status_code=code, receipt=receipt)
