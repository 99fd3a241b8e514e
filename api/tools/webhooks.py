"""``POST /webhooks/{source}``: events from advocacy tools, signed per Standard Webhooks.

The signature is the authentication (HMAC-SHA256 over ``{id}.{timestamp}.{body}`` with the source's
``whsec_`` secret, several accepted at once for rotation, ±5 minutes). The event's id is the one the source's
mapping names (``id: data.share_id``), else the ``webhook-id``: a retry of the same delivery, or the same share
delivered again under a new webhook-id, is answered 200 "duplicate" and changes nothing. The source's mapping in
rules.yaml turns the tool's payload into a canonical event; intake stores it and the worker scores it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping
from typing import Any

import msgspec
from litestar import Controller, Request, Response, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath
from litestar.plugins.problem_details import ProblemDetailsException
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from api.config import webhook_secret_variable
from api.openapi import json_object
from api.problems import problem
from api.runtime import Runtime

__all__ = ["IntakeResult", "WebhookController"]

log = logging.getLogger("plaudit.api.webhooks")


class IntakeResult(msgspec.Struct):
    status: str
    id: str
    message: str | None = None


@functools.lru_cache(maxsize=256)
def _webhook(secret: str) -> Webhook:
    return Webhook(secret)


def _verify(secrets: list[str], body: bytes, headers: Mapping[str, str]) -> None:
    """Raise 401 unless one of the secrets signed this body (any error in the headers is a 401 too)."""
    reason = "no matching signature"
    for secret in secrets:
        try:
            _webhook(secret).verify(body, dict(headers), json_parse=False)
            return
        except WebhookVerificationError as exc:
            reason = str(exc)
            if "timestamp" in reason.lower() or "headers" in reason.lower():
                break
        except (ValueError, UnicodeDecodeError):
            reason = "malformed webhook-signature header or body"
            break
    raise problem(401, f"webhook signature rejected: {reason}")


class WebhookController(Controller):
    path = "/webhooks"
    tags = ["intake"]

    @post(
        "/{source:str}",
        exclude_from_auth=True,
        status_code=202,
        opt={"request_body": json_object("the tool's own payload, mapped by rules.yaml's sources")},
        responses={
            200: ResponseSpec(IntakeResult, description="Already received; nothing changed")
        },
    )
    async def receive(
        self, source: FromPath[str], request: Request, state: State
    ) -> Response[IntakeResult]:
        """Receive one signed event from a tool (Standard Webhooks)."""
        runtime: Runtime = state.runtime
        # Checking the signature and mapping the payload take microseconds: done here, on the event loop. The
        # signature covers the exact bytes, so they are read raw. Storing goes to the group-commit writer.
        body = await request.body()
        event, delivery = _checked_event(runtime, source, body, request.headers)
        (outcome,) = await asyncio.wrap_future(runtime.store([event]))
        if outcome.status == "rejected":
            raise problem(422, "the mapped event is not valid", list(outcome.errors))
        if outcome.status == "duplicate":
            return Response(
                IntakeResult("duplicate", delivery, "already received; nothing changed"),
                status_code=200,
            )
        return Response(IntakeResult("accepted", delivery), status_code=202)


def _checked_event(
    runtime: Runtime, source: str, data: bytes, headers: Mapping[str, str]
) -> tuple[dict[str, Any], str]:
    """The canonical event of a verified delivery, or the 4xx saying why not."""
    rules = runtime.rules
    if source not in rules.sources:
        raise problem(
            404, f"unknown source {source!r}; sources: {', '.join(sorted(rules.sources)) or 'none'}"
        )
    secrets = runtime.config.secrets_for(source)
    if not secrets:
        raise problem(
            404, f"source {source!r} has no signing secret: set {webhook_secret_variable(source)}"
        )
    try:
        _verify(secrets, data, headers)
    except ProblemDetailsException as exc:
        log.warning(
            "rejected a delivery to /webhooks/%s (webhook-id %r): %s",
            source,
            headers.get("webhook-id", "")[:64],
            exc.detail,
        )
        raise
    delivery = headers.get("webhook-id", "")
    try:
        payload: Any = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        runtime.intake.count("rejected")
        raise problem(422, f"body is not valid JSON: {exc}") from None
    mapped = rules.map_payload(source, payload)
    if isinstance(mapped, list):
        runtime.intake.count("rejected")
        raise problem(422, "the payload does not map to an event", mapped)
    event = {
        "source": source,
        # The event's identity is the id the mapping names (``id: data.share_id``): the same share delivered
        # again under a new webhook-id is the same event. Without one, the delivery's id.
        "id": mapped.id or delivery,
        "type": mapped.type,
        "employee": mapped.employee,
        "occurred_at": mapped.occurred_at,
        "attributes": mapped.attributes,
    }
    return event, delivery
