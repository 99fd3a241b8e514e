"""Badges over HTTP: an employee's badges and progress, and Open Badges 2.0 hosting (public, verifiable)."""

from __future__ import annotations

from datetime import timedelta

from badges.openbadges import missing_fields, unbake, verify_recipient
from engine import clock
from tests.test_api import Api, api
from tests.test_pipeline import share

__all__ = ["api"]


def shared_twice(api: Api) -> None:
    now = clock.now().replace(microsecond=0)
    events = [
        share("b1", "E1", (now - timedelta(minutes=30)).isoformat(), "x"),
        share("b2", "E1", (now - timedelta(minutes=20)).isoformat(), "y"),
    ]
    assert (
        api.client.post("/v1/events", json=events, headers=api.key("events:write")).status_code
        == 202
    )
    api.score()


def test_an_employee_sees_their_badges_and_progress(api: Api) -> None:
    shared_twice(api)
    r = api.client.get("/v1/employees/E1/badges", headers=api.token("E1"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(b["badge"], b["name"], b["tier"]) for b in body["earned"]] == [
        ("first-share", "First share", "")
    ]
    progress = {p["badge"]: p for p in body["progress"]}
    assert progress["monthly-sharer"]["current"] == 2
    assert (progress["monthly-sharer"]["next_tier"], progress["monthly-sharer"]["goal"]) == (
        "bronze",
        5,
    )
    assert progress["first-share"]["next_tier"] is None
    # Someone else's badges are theirs to see (and HR's).
    assert api.client.get("/v1/employees/E1/badges", headers=api.token("E2")).status_code == 403
    assert api.client.get("/v1/employees/E1/badges", headers=api.hr()).status_code == 200
    listed = api.client.get("/v1/badges", headers=api.token("E2")).json()
    assert {"first-share", "monthly-sharer"} <= {b["id"] for b in listed}


def test_open_badges_documents_are_public_complete_and_verifiable(api: Api) -> None:
    shared_twice(api)
    (earned,) = api.client.get("/v1/employees/E1/badges", headers=api.token("E1")).json()["earned"]
    path = earned["assertion"].removeprefix("http://localhost:8000")
    r = api.client.get(path)  # no credential: verifiers fetch it
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    doc = r.json()
    assert missing_fields(doc) == []
    assert verify_recipient(doc["recipient"], "anna@example.com")
    assert "anna" not in r.text
    badge = api.client.get(doc["badge"].removeprefix("http://localhost:8000"))
    assert badge.status_code == 200 and missing_fields(badge.json()) == []
    issuer = api.client.get("/ob/issuer")
    assert issuer.status_code == 200 and missing_fields(issuer.json()) == []
    image = api.client.get(badge.json()["image"].removeprefix("http://localhost:8000"))
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    baked = api.client.get(f"{path}.png")
    assert baked.status_code == 200 and unbake(baked.content) == doc
    assert api.client.get("/ob/badges/no-such-badge").status_code == 404
    assert api.client.get("/ob/assertions/nope").status_code == 404


def test_a_revoked_badge_answers_gone(api: Api) -> None:
    shared_twice(api)
    (earned,) = api.client.get("/v1/employees/E1/badges", headers=api.token("E1")).json()["earned"]
    public_id = earned["assertion"].rsplit("/", 1)[1]
    revoke = f"/v1/badge-awards/{public_id}/revoke"
    assert api.client.post(revoke, json={"reason": "x"}, headers=api.token("E1")).status_code == 403
    assert api.client.post(revoke, json={"reason": " "}, headers=api.hr()).status_code == 422
    assert (
        api.client.post(revoke, json={"reason": "shared by a bot"}, headers=api.hr()).status_code
        == 201
    )
    gone = api.client.get(f"/ob/assertions/{public_id}")
    assert gone.status_code == 410
    assert gone.json()["revoked"] is True and "shared by a bot" in gone.json()["revocationReason"]
    assert (
        api.client.post(
            "/v1/badge-awards/nope/revoke", json={"reason": "x"}, headers=api.hr()
        ).status_code
        == 404
    )


def test_odd_open_badges_urls_are_404_not_500(api: Api) -> None:
    for path in (
        "/ob/badges/first-share.",
        "/ob/badges/x.y.z.png",
        "/ob/badges/monthly-sharer.png",  # a tiered badge is named with its tier
        "/ob/assertions/..png",
    ):
        assert api.client.get(path).status_code == 404, path
    assert api.client.get("/ob/badges/monthly-sharer.gold.png").status_code == 200
