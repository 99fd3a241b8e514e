"""A bonus in a Bonusly-style recognition platform ("create a bonus": ``POST /api/v1/bonuses``).

Payload (shaped by the outbox), sent as JSON as it is (extra keys such as ``hashtag`` pass through)::

    {"giver_email": "hr@example.com", "receiver_email": "ana@example.com", "amount": 10, "reason": "..."}

Headers: ``Authorization: Bearer <token>`` and ``Idempotency-Key: <the reward's idempotency key>``, so a
retried bonus (after a timeout, or a worker that died before recording) is created once.

Bonusly answers ``{"success": true, "result": {"id": ...}}``; a 2xx whose body says ``"success": false`` is a
refusal (e.g. the giver's balance is too low) and ``failed`` with Bonusly's message. The receipt keeps
``{"bonus_id": ...}``. With no token nothing is sent (failed "no token").
"""

from __future__ import annotations

from typing import Any

from engine.rewards.connectors import OutboundMessage, Outcome
from engine.rewards.connectors._http import (
    make_client,
    mask,
    post_json_with_token,
    read_json,
    redact,
)

__all__ = ["BonuslyConnector"]

_REQUIRED = ("giver_email", "receiver_email", "amount", "reason")


class BonuslyConnector:
    """Creates one bonus per message; thread-safe (one shared keep-alive client)."""

    def __init__(self, url: str, token: str | None, timeout: float = 10.0) -> None:
        self.url = url
        self._token = (token or "").strip() or None
        self._client = make_client(timeout)

    def send(self, message: OutboundMessage) -> Outcome:
        if self._token is None:
            return Outcome("failed", "no token (set the connector's token_env variable)")
        missing = [k for k in _REQUIRED if message.payload.get(k) in (None, "")]
        if missing:
            return Outcome("failed", f"payload lacks {', '.join(missing)}")
        outcome, answer = post_json_with_token(
            self._client,
            self.url,
            self._token,
            message.payload,
            {"Idempotency-Key": message.idempotency_key},
        )
        if answer is not None and outcome.status == "delivered":
            outcome = _read_bonus(answer.status_code, read_json(answer), outcome, self._token)
        return redact(outcome, [self._token])

    def close(self) -> None:
        self._client.close()


def _read_bonus(code: int, data: Any, delivered: Outcome, token: str) -> Outcome:
    if not isinstance(data, dict):
        # A 2xx is a yes even without Bonusly's body; retrying could pay twice where keys are not honoured.
        return Outcome("delivered", f"HTTP {code} (no JSON body: no bonus id)", status_code=code)
    if data.get("success") is False:
        said = data.get("message") or data.get("error") or "success: false"
        said = mask(str(said), [token])[:200]  # masked before shortening: no half token
        return Outcome("failed", f"Bonusly refused: {said}", status_code=code)
    result = data.get("result")
    bonus_id = result.get("id") if isinstance(result, dict) else None
    return Outcome(
        "delivered",
        delivered.detail,
        status_code=code,
        receipt={"bonus_id": bonus_id} if bonus_id is not None else {},
    )
