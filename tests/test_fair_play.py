"""Fair play at intake (issue 16): what an attacker sends through the API and what comes back.

The suite's clock stands at 2026-11-20 09:00 UTC (conftest). Each test sends one row of the attack table through
the API with a tool's key or a signed webhook, and asserts the outcome: refused, naming the field, and nothing
stored or scored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from machine import shared_data
from test_api import Api

from engine import clock

#: The `api` fixture: the app with the default program and the test roster.
pytest_plugins = ["test_api"]


@pytest.fixture
def at_nine() -> Iterator[None]:
    """Plaudit's clock at 09:00:00 when the test starts, so "5 minutes from now" is 09:05 give or take a second."""
    with clock.pinned(datetime(2026, 11, 20, 9, 0, tzinfo=UTC), ticking=True):
        yield


def reaction(eid: str, count: Any) -> dict[str, Any]:
    return {
        "source": "tool",
        "id": eid,
        "type": "reaction_received",
        "employee": "E1",
        "occurred_at": "2026-11-19T10:00:00Z",
        "attributes": {"content_id": "p1", "reaction": "like", "count": count},
    }


def share_at(eid: str, at: str, **attributes: Any) -> dict[str, Any]:
    return {
        "source": "tool",
        "id": eid,
        "type": "share",
        "employee": "E1",
        "occurred_at": at,
        "attributes": {"content_id": eid, "content_kind": "curated", **attributes},
    }


def send(api: Api, *events: dict[str, Any]) -> list[dict[str, Any]]:
    r = api.client.post(
        "/v1/events", json={"events": list(events)}, headers=api.key("events:write")
    )
    assert r.status_code == 202, r.text
    results: list[dict[str, Any]] = r.json()["results"]
    return results


def points_of(api: Api, employee: str = "E1") -> int:
    rows = api.db.query(
        'SELECT COALESCE(SUM(l.points), 0) FROM "ledger_entry" l JOIN "employee" e ON e.id = l.employee '
        "WHERE e.external_id = ?",
        [employee],
    )
    return int(rows[0][0])


def stored(api: Api) -> int:
    return int(api.db.query('SELECT COUNT(*) FROM "event"')[0][0])


@pytest.mark.parametrize("count", [-1000, -1, 0, 100_001])
def test_a_count_outside_its_range_is_refused_naming_the_field(api: Api, count: int) -> None:
    (result,) = send(api, reaction("r1", count))
    assert result["status"] == "rejected"
    assert any(e.startswith("attributes.count: expected at") for e in result["errors"]), result
    api.score()
    assert stored(api) == 0 and points_of(api) == 0


def test_a_negative_count_cannot_free_a_cap(api: Api) -> None:
    """−1,000 then +1,000 on one day gave +1,000 through a 40/day cap; now the first is refused and the cap holds."""
    results = send(api, reaction("drain", -1000), reaction("fill", 1000))
    assert [r["status"] for r in results] == ["rejected", "accepted"]
    api.score()
    assert points_of(api) == 40  # engagement_daily


def test_a_negative_count_in_a_webhook_is_a_422_naming_the_field(api: Api) -> None:
    payload = json.loads(shared_data("webhooks/advocacy-tool-reaction.json").read_text())
    payload["data"]["count"] = -1000
    r = api.webhook("advocacy-tool", json.dumps(payload).encode(), "msg_drain")
    assert r.status_code == 422, r.text
    assert any("count" in e and "at least 1" in e for e in r.json()["errors"]), r.json()
    assert stored(api) == 0


@pytest.mark.parametrize("audience", [10**18, -5])
def test_an_audience_outside_its_range_is_refused(api: Api, audience: int) -> None:
    (result,) = send(api, share_at("s1", "2026-11-19T10:00:00Z", audience=audience))
    assert result["status"] == "rejected"
    assert any(e.startswith("attributes.audience: expected at") for e in result["errors"]), result
    assert stored(api) == 0


def test_an_overlong_id_is_refused(api: Api) -> None:
    (result,) = send(api, share_at("x" * 201, "2026-11-19T10:00:00Z"))
    assert result["status"] == "rejected"
    assert "attributes.content_id: expected at most 200 characters, got 201" in result["errors"]


@pytest.mark.parametrize(
    "at", ["2027-11-20T09:00:00Z", "9999-12-31T23:59:59Z", "2026-11-20T09:05:01Z"]
)
def test_an_event_dated_in_the_future_is_refused(api: Api, at_nine: None, at: str) -> None:
    (result,) = send(api, share_at("future", at))
    assert result["status"] == "rejected"
    assert result["errors"] == [
        f"occurred_at: {at[:-1]}+00:00 is more than 5 minute(s) in the future"
    ]
    api.score()
    assert stored(api) == 0 and points_of(api) == 0


def test_a_little_clock_drift_is_accepted(api: Api, at_nine: None) -> None:
    """Within the program's max_future_minutes (5): a tool's clock a few minutes ahead is not an attack."""
    (result,) = send(api, share_at("drift", "2026-11-20T09:04:59Z"))
    assert result["status"] == "accepted"


def referral(eid: str, candidate: str, stage: str = "submitted") -> dict[str, Any]:
    return {
        "source": "ats",
        "id": eid,
        "type": "referral",
        "employee": "E1",
        "occurred_at": "2026-11-19T10:00:00Z",
        "attributes": {"candidate_id": candidate, "stage": stage},
    }


def test_one_candidate_spelled_three_ways_counts_once(api: Api) -> None:
    """`S@ACME.com`, `s@acme.com ` and `s@acme.com` are one candidate: the referral's `once` key holds."""
    results = send(
        api,
        referral("r1", "S@ACME.com"),
        referral("r2", "s@acme.com "),
        referral("r3", "s@acme.com"),
    )
    assert [r["status"] for r in results] == ["accepted"] * 3
    api.score()
    assert points_of(api) == 50  # submitted once: 25, doubled by the autumn-hiring campaign


@pytest.mark.parametrize("candidate", ["anna@example.com", " ANNA@Example.com ", "E1"])
def test_a_self_referral_is_refused_however_it_is_spelled(api: Api, candidate: str) -> None:
    """E1 is anna@example.com on the roster: their own email, in any case, or their id is themself."""
    (result,) = send(api, referral("self", candidate))
    assert result["status"] == "rejected"
    assert result["errors"] == ["attributes.candidate_id: names the employee themself (E1)"]
    api.score()
    assert stored(api) == 0 and points_of(api) == 0


def test_a_colleague_as_candidate_is_still_a_referral(api: Api) -> None:
    """Referring a colleague's friend, or a colleague (an internal move), is not a self-referral."""
    results = send(api, referral("friend", "friend@elsewhere.org"), referral("move", "E2"))
    assert [r["status"] for r in results] == ["accepted", "accepted"]


def test_a_tool_sent_shoutout_from_oneself_is_refused(api: Api) -> None:
    event = {
        "source": "tool",
        "id": "selfie",
        "type": "shoutout_received",
        "employee": "E1",
        "occurred_at": "2026-11-19T10:00:00Z",
        "attributes": {"giver": "Anna@Example.com", "value": "teamwork"},
    }
    (result,) = send(api, event)
    assert result["status"] == "rejected"
    assert result["errors"] == ["attributes.giver: names the employee themself (E1)"]


def test_a_tool_sent_shoutout_with_an_unknown_company_value_is_refused(api: Api) -> None:
    event = {
        "source": "tool",
        "id": "made-up",
        "type": "shoutout_received",
        "employee": "E1",
        "occurred_at": "2026-11-19T10:00:00Z",
        "attributes": {"giver": "E2", "value": "being-awesome"},
    }
    (refused,) = send(api, event)
    assert refused["status"] == "rejected"
    assert refused["errors"] == [
        'attributes.value: unknown company value "being-awesome"; '
        "expected one of customer-first, ownership, teamwork, curiosity"
    ]
    (given,) = send(
        api, {**event, "id": "real", "attributes": {"giver": "E2", "value": "teamwork"}}
    )
    assert given["status"] == "accepted"
