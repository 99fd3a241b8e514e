"""Connectors: how a reward message reaches an HR system (a signed webhook, a payroll CSV file, a vendor's
REST API).

A connector sends one message and says what happened; it never retries, sleeps or touches the database. The
outbox (``engine.rewards.outbox``) owns the schedule: it claims due messages, calls ``send`` and records the
:class:`Outcome` (delivered, retry later, endpoint gone, failed for good). Every attempt of one message carries
the same ``message_id`` and ``idempotency_key``, so a receiver that dedups by them sees it once, even when a
worker died after sending and before recording.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

__all__ = ["Connector", "OutboundMessage", "Outcome"]


@dataclass(frozen=True)
class OutboundMessage:
    """One outbox message as a connector sees it."""

    #: Standard Webhooks ``webhook-id`` (``msg_…``), the same on every attempt.
    message_id: str
    #: The reward's idempotency key (Tango's ``externalRefID``, an ``Idempotency-Key`` header).
    idempotency_key: str
    reward: str
    #: badge_awarded | award_won | points_milestone | monthly_payout
    trigger: str
    #: The body, shaped for the connector's kind by the outbox (see each connector's docstring).
    payload: dict[str, Any]
    #: 1 on the first try.
    attempt: int = 1
    created_at: datetime | None = None


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to.

    * ``delivered``: the receiver has it (2xx; or it says it had it already, e.g. a duplicate reference).
    * ``retry``: worth trying again (5xx, 408, 429, a timeout, a refused connection); ``retry_after`` is the
      receiver's ``Retry-After`` in seconds when it sent one.
    * ``gone``: the endpoint answered 410: disable it, send nothing more until HR re-sends.
    * ``failed``: retrying cannot help (another 4xx, a missing secret, a file that exists with other content).
    """

    status: Literal["delivered", "retry", "gone", "failed"]
    detail: str = ""
    status_code: int | None = None
    retry_after: float | None = None
    #: What the receiver said worth keeping (an order id), never secrets.
    receipt: dict[str, Any] = field(default_factory=dict)


class Connector(Protocol):
    """Sends one message; safe to call from several threads at once."""

    def send(self, message: OutboundMessage) -> Outcome: ...

    def close(self) -> None: ...
