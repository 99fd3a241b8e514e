"""A Standard Webhooks POST to an HR system: the message as compact JSON, signed with the endpoint's secret.

Payload (shaped by the outbox): ``{"type": "badge.awarded", "timestamp": "<ISO 8601>", "data": {...}}``.

Why signed, always: the receiver pays or announces on the strength of this message, so it must be able to tell
it came from us. With no secret the message is not sent at all (failed "no signing secret"): an unsigned reward
message is worse than a late one, and HR sets the secret once. Signing uses the ``standardwebhooks`` library;
``webhook-id`` is the message id (the same on every attempt, so the receiver dedups by it) and
``webhook-timestamp`` is the time of this attempt (receivers reject stale timestamps, so a retry 10 h later must
not carry the first attempt's). While a secret rotates, the setting holds several space-separated secrets; the
first one signs.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from standardwebhooks import Webhook

from engine.rewards.connectors import OutboundMessage, Outcome
from engine.rewards.connectors._http import make_client, outcome_of, post, redact

__all__ = ["WebhookConnector", "encode_body"]


def encode_body(payload: object) -> bytes:
    """Compact UTF-8 JSON: the exact bytes that are signed and sent."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


class WebhookConnector:
    """POSTs a signed message to ``url``; thread-safe (one shared keep-alive client)."""

    def __init__(self, url: str, secret: str | None, timeout: float = 10.0) -> None:
        self.url = url
        self._secrets = tuple((secret or "").split())
        self._signer: Webhook | None = None
        self._problem = "no signing secret (set the connector's secret_env variable)"
        if self._secrets:
            try:
                self._signer = Webhook(self._secrets[0])
            except Exception:  # binascii.Error, EmptyWebhookSecretError, RuntimeError
                # The library's messages are fine, but a bad secret's text must never reach a detail.
                self._problem = "the signing secret is not a whsec_… base64 key"
        self._client = make_client(timeout)

    def send(self, message: OutboundMessage) -> Outcome:
        if self._signer is None:
            return Outcome("failed", self._problem)
        body = encode_body(message.payload)
        stamp = int(time.time())
        signature = self._signer.sign(
            message.message_id, datetime.fromtimestamp(stamp, UTC), body.decode()
        )
        headers = {
            "Content-Type": "application/json",
            "webhook-id": message.message_id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": signature,
        }
        answer = post(self._client, self.url, body, headers)
        outcome = answer if isinstance(answer, Outcome) else outcome_of(answer, self._redacted())
        return redact(outcome, self._redacted())

    def _redacted(self) -> list[str]:
        words = list(self._secrets)
        words += [s.removeprefix("whsec_") for s in self._secrets]
        return words

    def close(self) -> None:
        self._client.close()
