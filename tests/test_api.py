"""The HTTP API through Litestar's test client: every endpoint, and the error paths as carefully as the happy ones."""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import jwt
import pytest
from litestar.testing import TestClient
from standardwebhooks.webhooks import Webhook

from api.app import create_app
from api.config import ApiConfig
from engine import clock
from engine.boards.sql import period_key
from engine.people.roster import import_roster
from engine.scoring.rulesets import publish
from engine.scoring.score import process_pending
from engine.storage.database import DatabaseConfig, open_database
from rules import load_rules_text
from tests.machine import shared_data
from tests.test_pipeline import share

ROOT = Path(__file__).resolve().parent.parent
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # test-only
OLD_SECRET = (
    "whsec_" + "C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
)  # test-only, still accepted while rotating
JWT_SECRET = "test-only-jwt-secret-of-enough-length"

ROSTER = """external_id,email,given_name,family_name,team,visibility
E1,anna@example.com,Anna,de Vries,Sales,public
E2,emp0002@example.com,Bjørn,Pedersen,Sales,public
E3,olga@example.com,Ольга,Иванова,Marketing,public
E4,hidden@example.com,Hanna,Hidden,Sales,hidden
E5,teamonly@example.com,Tom,Teamonly,Marketing,team
"""


class Api:
    """A client with the helpers tests need: tokens, signed webhooks, scoring on demand."""

    def __init__(self, client: TestClient, url: str) -> None:
        self.client = client
        self.url = url
        self.db = open_database(DatabaseConfig(url=url, migrate=False))

    def token(
        self, sub: str, role: str = "employee", secret: str = JWT_SECRET, minutes: int = 30
    ) -> dict[str, str]:
        # pyjwt directly: Litestar's Token refuses to build an expired token, and tests need one.
        claims = {
            "sub": sub,
            "exp": int((clock.now() + timedelta(minutes=minutes)).timestamp()),
            "roles": [role],
        }
        return {"Authorization": f"Bearer {jwt.encode(claims, secret, algorithm='HS256')}"}

    def hr(self) -> dict[str, str]:
        return self.token("hr-admin", "hr")

    def key(self, *scopes: str) -> dict[str, str]:
        r = self.client.post(
            "/v1/api-keys", json={"name": "test", "scopes": list(scopes)}, headers=self.hr()
        )
        assert r.status_code == 201, r.text
        return {"Authorization": f"Bearer {r.json()['key']}"}

    def webhook(
        self,
        source: str,
        body: bytes,
        msg_id: str = "msg_1",
        secret: str = SECRET,
        at: datetime | None = None,
    ):  # type: ignore[no-untyped-def]
        at = at or datetime.now(UTC)
        signature = Webhook(secret).sign(msg_id, at, body.decode())
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature,
        }
        return self.client.post(
            f"/webhooks/{source}",
            content=body,
            headers={**headers, "content-type": "application/json"},
        )

    def score(self) -> None:
        # What the in-process worker (embedded) or an RQ worker (scaled) does: score, then update the boards.
        pages = self.client.app.state.runtime.pages
        with pages.writing():  # as the worker does: boards loading meanwhile wait for the apply
            process_pending(self.db, on_batch=lambda result: pages.scored(self.db, result.deltas))


def prepared_database(tmp_path: Path, rules_text: str | None = None) -> str:
    """A SQLite file with the program published and the test roster; its URL."""
    from rules import load_rules_text

    url = f"sqlite:///{tmp_path / 'api.sqlite'}"
    db = open_database(DatabaseConfig(url=url))
    publish(db, load_rules_text(rules_text, run_tests=False) if rules_text else ROOT / "rules.yaml")
    import_roster(db, ROSTER)
    db.close()
    return url


#: Where the API reads its leaderboards: its own memory (embedded), a real Redis (scaled), or a Redis that is
#: down (scaled, answered from SQL).
BOARDS = ["memory", "redis", "redis-down"]


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest):
    monkeypatch.chdir(ROOT)
    url = prepared_database(tmp_path)
    boards = getattr(request, "param", "memory")
    redis_url = None
    if boards == "redis":
        redis_url = request.getfixturevalue("redis_url")
    elif boards == "redis-down":
        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            redis_url = f"redis://127.0.0.1:{s.getsockname()[1]}/0"
    config = ApiConfig(
        database_url=url,
        redis_url=redis_url,
        jwt_secret=JWT_SECRET,
        run_worker=False,
        webhook_secrets={
            "advocacy-tool": [SECRET, OLD_SECRET],
            "ats": [SECRET],
            "generic": [SECRET],
        },
        max_body_bytes=64 * 1024,
    )
    with TestClient(create_app(config)) as client:
        yield Api(client, url)


def sample(name: str) -> bytes:
    return shared_data(f"webhooks/{name}").read_bytes()


# -- webhooks ---------------------------------------------------------------------------------------------


def test_signed_webhook_is_accepted_and_a_replay_is_a_duplicate(api: Api) -> None:
    body = sample("advocacy-tool-share.json")
    r = api.webhook("advocacy-tool", body, "msg_share_1")
    assert r.status_code == 202, r.text
    assert r.json() == {"status": "accepted", "id": "msg_share_1", "message": None}
    again = api.webhook("advocacy-tool", body, "msg_share_1")
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    rows = api.db.query(
        'SELECT type, employee_ref, attributes FROM "event" WHERE source = ?', ["advocacy-tool"]
    )
    assert len(rows) == 1
    etype, ref, attrs = rows[0]
    assert (etype, ref) == ("share", "emp0002@example.com")
    assert json.loads(attrs)["personalized"] is True


def test_webhook_signed_with_a_rotated_secret_is_accepted(api: Api) -> None:
    r = api.webhook("advocacy-tool", sample("advocacy-tool-click.json"), "msg_c", secret=OLD_SECRET)
    assert r.status_code == 202, r.text


@pytest.mark.parametrize(
    "tamper",
    ["body", "wrong-secret", "stale", "future", "missing-headers", "garbage-signature"],
)
def test_bad_signatures_are_401_and_store_nothing(api: Api, tamper: str) -> None:
    body = sample("advocacy-tool-click.json")
    if tamper == "body":
        at = datetime.now(UTC)
        headers = {
            "webhook-id": "m1",
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(SECRET).sign("m1", at, body.decode()),
        }
        r = api.client.post(
            "/webhooks/advocacy-tool",
            content=body.replace(b"linkedin", b"LINKEDIN"),
            headers=headers,
        )
    elif tamper == "wrong-secret":
        r = api.webhook("advocacy-tool", body, secret="whsec_" + "dGhpcyBpcyBub3QgdGhlIHNlY3JldA==")
    elif tamper == "stale":
        r = api.webhook("advocacy-tool", body, at=datetime.now(UTC) - timedelta(minutes=6))
    elif tamper == "future":
        r = api.webhook("advocacy-tool", body, at=datetime.now(UTC) + timedelta(minutes=6))
    elif tamper == "missing-headers":
        r = api.client.post("/webhooks/advocacy-tool", content=body)
    else:
        r = api.client.post(
            "/webhooks/advocacy-tool",
            content=body,
            headers={
                "webhook-id": "m",
                "webhook-timestamp": str(int(time.time())),
                "webhook-signature": "nonsense",
            },
        )
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert api.db.query('SELECT COUNT(*) FROM "event"')[0][0] == 0


def test_unknown_source_is_404(api: Api) -> None:
    r = api.webhook("nobody", b"{}")
    assert r.status_code == 404
    assert "unknown source" in r.json()["detail"]


def test_malformed_json_and_unmappable_payloads_are_422_naming_the_field(api: Api) -> None:
    r = api.webhook("advocacy-tool", b"{not json", "m1")
    assert r.status_code == 422
    assert "not valid JSON" in r.json()["detail"]
    payload = json.loads(sample("advocacy-tool-share.json"))
    payload["data"]["audience_size"] = "many"
    r = api.webhook("advocacy-tool", json.dumps(payload).encode(), "m2")
    assert r.status_code == 422
    assert any("audience" in e for e in r.json()["errors"]), r.json()
    payload["type"] = "advocacy.share.deleted"
    r = api.webhook("advocacy-tool", json.dumps(payload).encode(), "m3")
    assert r.status_code == 422
    assert any("advocacy.share.deleted" in e for e in r.json()["errors"])


def test_oversized_body_is_413(api: Api) -> None:
    r = api.webhook("generic", b'{"pad": "' + b"x" * (70 * 1024) + b'"}', "big")
    assert r.status_code == 413


def test_unknown_employee_is_parked_not_lost(api: Api) -> None:
    r = api.webhook("ats", sample("ats-referral.json"), "ref_1")  # emp0021 is not on the roster
    assert r.status_code == 202
    api.score()
    status, reason = api.db.query(
        'SELECT status, reason FROM "event" WHERE external_id = ?', ["ref_1"]
    )[0]
    assert status == "parked" and "emp0021@example.com" in reason
    import_roster(api.db, ROSTER + "E21,emp0021@example.com,New,Hire,Sales,public\n")
    api.score()
    assert (
        api.db.query('SELECT status FROM "event" WHERE external_id = ?', ["ref_1"])[0][0] == "done"
    )


# -- batch events ------------------------------------------------------------------------------------------


def test_batch_gives_a_result_per_event(api: Api) -> None:
    key = api.key("events:write")
    events = [
        share("a", "E1", "2026-11-03T09:00:00Z"),
        share("a", "E1", "2026-11-03T09:00:00Z"),
        share("b", "E1", "2026-11-03T09:00:00Z", audience="lots"),
        {"id": "c"},
    ]
    r = api.client.post("/v1/events", json={"events": events}, headers=key)
    assert r.status_code == 202, r.text
    body = r.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (1, 1, 2)
    assert [x["status"] for x in body["results"]] == [
        "accepted",
        "duplicate",
        "rejected",
        "rejected",
    ]
    assert any("audience" in e for e in body["results"][2]["errors"])
    again = api.client.post("/v1/events", json=[events[0]], headers=key)
    assert again.json()["results"][0]["status"] == "duplicate"


def test_batch_errors(api: Api) -> None:
    key = api.key("events:write")
    assert api.client.post("/v1/events", content=b"[1,", headers=key).status_code == 400
    r = api.client.post("/v1/events", json={"events": []}, headers=key)
    assert r.status_code == 422 and "events" in r.json()["errors"][0]
    too_many = [share(str(i), "E1", "2026-11-03T09:00:00Z") for i in range(1001)]
    assert api.client.post("/v1/events", json=too_many, headers=key).status_code in (413, 422)
    assert (
        api.client.post("/v1/events", json=[share("x", "E1", "2026-11-03T09:00:00Z")]).status_code
        == 401
    )
    assert (
        api.client.post(
            "/v1/events", json=[share("x", "E1", "2026-11-03T09:00:00Z")], headers=api.key("read")
        ).status_code
        == 403
    )
    assert (
        api.client.post(
            "/v1/events", json=[], headers={"Authorization": "Bearer pk_notakey"}
        ).status_code
        == 401
    )


# -- leaderboards, profiles -----------------------------------------------------------------------------


def seed_scores(api: Api) -> None:
    now = clock.now().replace(microsecond=0)
    at = lambda minutes: (now - timedelta(minutes=minutes)).isoformat()  # noqa: E731
    events = [
        share("1", "E1", at(50), "a"),
        share("2", "E1", at(40), "b"),  # E1: 20
        share("3", "E2", at(30), "c"),
        share("4", "E2", at(20), "d"),  # E2: 20, reached later than E1
        share("5", "E3", at(10), "e", personalized=True),  # E3: 15
        share("6", "E4", at(9), "f"),
        share("7", "E4", at(8), "g"),
        share("8", "E4", at(7), "h"),  # E4 (hidden): 30
        share("9", "E5", at(6), "i"),  # E5 (team only, Marketing): 10
    ]
    r = api.client.post("/v1/events", json=events, headers=api.key("events:write"))
    assert r.json()["accepted"] == 9
    api.score()


@pytest.mark.parametrize("api", BOARDS, indirect=True)
def test_leaderboard_ranks_ties_and_hides_hidden_people(api: Api) -> None:
    seed_scores(api)
    r = api.client.get("/v1/leaderboards/points?period=all", headers=api.token("E3"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(x["rank"], x["employee"], x["points"]) for x in body["rows"]] == [
        (1, "E1", 20),
        (1, "E2", 20),
        (3, "E3", 15),
    ]
    assert body["ties"] == "shared"
    assert body["me"]["employee"] == "E3" and body["me"]["rank"] == 3
    # The hidden employee is on nobody's page, not even their own, but sees where they would stand.
    mine = api.client.get("/v1/leaderboards/points?period=all", headers=api.token("E4")).json()
    assert mine["me"]["rank"] == 1 and mine["me"]["points"] == 30
    assert "E4" not in [x["employee"] for x in mine["rows"]]


@pytest.mark.parametrize("api", BOARDS, indirect=True)
def test_team_board_and_per_capita(api: Api) -> None:
    seed_scores(api)
    r = api.client.get("/v1/leaderboards/points?period=all&team=Marketing", headers=api.token("E1"))
    assert [x["employee"] for x in r.json()["rows"]] == ["E3", "E5"]
    teams = api.client.get(
        "/v1/leaderboards/points?period=all&by=team", headers=api.token("E1")
    ).json()["teams"]
    by_team = {t["team"]: t for t in teams}
    assert by_team["Sales"]["members"] == 3 and by_team["Sales"]["points"] == 70
    assert by_team["Marketing"]["per_member"] == 12.5
    assert (
        api.client.get("/v1/leaderboards/points?team=Nowhere", headers=api.token("E1")).status_code
        == 404
    )


def test_leaderboard_validation_and_auth(api: Api) -> None:
    assert api.client.get("/v1/leaderboards/points").status_code == 401
    assert (
        api.client.get(
            "/v1/leaderboards/points", headers=api.token("E1", secret="x" * 40)
        ).status_code
        == 401
    )
    assert (
        api.client.get("/v1/leaderboards/points", headers=api.token("E1", minutes=-5)).status_code
        == 401
    )
    r = api.client.get("/v1/leaderboards/points?period=fortnight", headers=api.token("E1"))
    assert r.status_code == 422
    r = api.client.get("/v1/leaderboards/points?limit=0", headers=api.token("E1"))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("api", BOARDS, indirect=True)
def test_profile_ledger_and_visibility(api: Api) -> None:
    seed_scores(api)
    r = api.client.get("/v1/employees/E1", headers=api.token("E1"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["points"]["all"]["points"] == 20 and body["points"]["all"]["rank"] == 1
    assert body["recent"] and "Share company content" in body["recent"][0]["reasons"][0]
    assert {c["cap"] for c in body["caps"]} >= {"sharing_daily"}
    assert api.client.get("/v1/employees/E2", headers=api.token("E1")).status_code == 403
    assert api.client.get("/v1/employees/E2", headers=api.hr()).status_code == 200
    assert api.client.get("/v1/employees/E99", headers=api.hr()).status_code == 404
    page = api.client.get("/v1/employees/E1/ledger?limit=1", headers=api.token("E1")).json()
    assert len(page["entries"]) == 1 and page["next_cursor"]
    rest = api.client.get(
        f"/v1/employees/E1/ledger?limit=1&cursor={page['next_cursor']}", headers=api.token("E1")
    ).json()
    assert rest["entries"][0]["id"] < page["entries"][0]["id"]
    r = api.client.patch("/v1/employees/E1", json={"visibility": "hidden"}, headers=api.token("E1"))
    assert r.status_code == 200 and r.json()["visibility"] == "hidden"
    board = api.client.get("/v1/leaderboards/points?period=all", headers=api.token("E3")).json()
    assert "E1" not in [x["employee"] for x in board["rows"]]
    r = api.client.patch("/v1/employees/E1", json={"visibility": "secret"}, headers=api.token("E1"))
    assert r.status_code == 422
    assert (
        api.client.patch(
            "/v1/employees/E2", json={"visibility": "hidden"}, headers=api.token("E1")
        ).status_code
        == 403
    )


# -- shoutouts ---------------------------------------------------------------------------------------------


def test_shoutouts_allowance_values_and_self(api: Api) -> None:
    me = api.token("E1")

    def give(recipients: list[str], value: str, message: str, **extra: object):  # type: ignore[no-untyped-def]
        body = {"recipients": recipients, "value": value, "message": message, **extra}
        return api.client.post("/v1/shoutouts", json=body, headers=me)

    r = give(["E2", "E3"], "teamwork", "Great launch!")
    assert r.status_code == 201, r.text
    assert r.json()["allowance_left"] == 4
    api.score()
    points = api.client.get("/v1/employees/E2", headers=api.hr()).json()["points"]
    assert points["all"]["points"] == 5
    assert give(["E1"], "teamwork", "me!").status_code == 422
    r = give(["E2"], "greed", "x")
    assert r.status_code == 422 and "value" in r.json()["errors"][0]
    assert give(["E2"], "teamwork", "x", extra=1).status_code == 422
    for _ in range(4):
        assert give(["E3"], "ownership", "again").status_code == 201
    r = give(["E3"], "ownership", "one more")
    assert r.status_code == 409 and "shoutouts" in r.json()["detail"]
    feed = api.client.get("/v1/shoutouts?limit=2", headers=api.token("E3")).json()
    assert len(feed["shoutouts"]) == 2 and feed["next_cursor"]
    team = api.client.get("/v1/shoutouts?team=Marketing", headers=api.token("E3")).json()
    assert all(any(r["employee"] == "E3" for r in s["recipients"]) for s in team["shoutouts"])
    assert give(["E3"], "teamwork", "x", giver="E2").status_code == 403


# -- HR ----------------------------------------------------------------------------------------------------


def test_adjustments_need_hr_and_name_the_actor(api: Api) -> None:
    body = {"employee": "E1", "points": 50, "why": "keynote at the sales kick-off"}
    assert api.client.post("/v1/adjustments", json=body, headers=api.token("E1")).status_code == 403
    r = api.client.post("/v1/adjustments", json=body, headers=api.hr())
    assert r.status_code == 201, r.text
    assert r.json()["actor"] == "hr-admin"
    entry = api.client.get("/v1/employees/E1/ledger", headers=api.hr()).json()["entries"][0]
    assert entry["kind"] == "adjustment" and "keynote" in entry["reasons"][0]
    board = api.client.get("/v1/leaderboards/points?period=all", headers=api.token("E2")).json()
    assert board["rows"][0] == {
        "rank": 1,
        "employee": "E1",
        "name": "Anna de Vries",
        "team": "Sales",
        "points": 50,
        "me": False,
    }
    assert (
        api.client.post("/v1/adjustments", json={**body, "points": 0}, headers=api.hr()).status_code
        == 422
    )
    assert (
        api.client.post("/v1/adjustments", json={**body, "why": " "}, headers=api.hr()).status_code
        == 422
    )
    assert (
        api.client.post(
            "/v1/adjustments", json={**body, "employee": "E99"}, headers=api.hr()
        ).status_code
        == 404
    )
    assert (
        api.client.post(
            "/v1/adjustments", json={**body, "points": "fifty"}, headers=api.hr()
        ).status_code
        == 422
    )


def test_api_keys_are_shown_once_and_revocable(api: Api) -> None:
    r = api.client.post(
        "/v1/api-keys",
        json={"name": "EveryoneSocial", "scopes": ["events:write"]},
        headers=api.hr(),
    )
    created = r.json()
    assert created["key"].startswith("pk_")
    listed = api.client.get("/v1/api-keys", headers=api.hr()).json()
    assert all(k["key"] is None for k in listed)
    assert created["key"] not in api.db.query('SELECT key_hash FROM "api_key"')[0][0]
    headers = {"Authorization": f"Bearer {created['key']}"}
    assert (
        api.client.post(
            "/v1/events", json=[share("k", "E1", "2026-11-03T09:00:00Z")], headers=headers
        ).status_code
        == 202
    )
    assert api.client.delete(f"/v1/api-keys/{created['id']}", headers=api.hr()).status_code == 204
    assert (
        api.client.post(
            "/v1/events", json=[share("k2", "E1", "2026-11-03T09:00:00Z")], headers=headers
        ).status_code
        == 401
    )
    assert (
        api.client.post(
            "/v1/api-keys", json={"name": "x", "scopes": ["root"]}, headers=api.hr()
        ).status_code
        == 422
    )
    assert api.client.get("/v1/api-keys", headers=api.key("read")).status_code == 403


# -- operations --------------------------------------------------------------------------------------------


def test_health_metrics_and_openapi(api: Api) -> None:
    health = api.client.get("/health").json()
    assert health["status"] == "ok" and health["pending_events"] == 0
    api.webhook("advocacy-tool", sample("advocacy-tool-click.json"), "m_metrics")
    assert api.client.get("/health").json()["pending_events"] == 1
    metrics = api.client.get("/metrics").text
    assert 'plaudit_events_total{outcome="accepted"} 1.0' in metrics
    assert "plaudit_worker_lag_seconds" in metrics
    schema = api.client.get("/schema/openapi.json").json()
    assert "/webhooks/{source}" in schema["paths"] and "/v1/leaderboards/{board}" in schema["paths"]


def test_request_threads_are_sized_by_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    config = ApiConfig(
        database_url=prepared_database(tmp_path), jwt_secret=JWT_SECRET, db_connections=7
    )
    with TestClient(create_app(config)) as client:

        async def threads() -> float:
            return anyio.to_thread.current_default_thread_limiter().total_tokens

        assert client.blocking_portal.call(threads) == 7


def test_the_boards_of_the_page_tabs_are_loaded_at_start(api: Api) -> None:
    """Their first visitor should not pay for loading them (about a second each at 100,000 employees)."""
    runtime = api.client.app.state.runtime
    deadline = time.monotonic() + 10
    while not api.client.get("/health").json()["boards_warm"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert api.client.get("/health").json()["boards_warm"]
    rules = runtime.rules
    wanted = {
        ("points", period_key(rules, name)) for name in ("day", "week", "month", "quarter", "all")
    }
    assert wanted <= set(runtime.boards.loaded())
    # Scoring after the warm-up reaches the loaded boards, once.
    seed_scores(api)
    board = runtime.boards.get("points", "all")
    assert board is not None and board.score_of(runtime.directory.find("E1").id) == 20


def test_a_ruleset_published_elsewhere_reaches_the_running_api(api: Api) -> None:
    runtime = api.client.app.state.runtime
    assert api.client.get("/health").json()["ruleset"] == "2026.11"
    text = (ROOT / "rules.yaml").read_text().replace('version: "2026.11"', 'version: "2026.12"', 1)
    publish(api.db, load_rules_text(text, run_tests=False), actor="plaudit rules publish (CLI)")
    runtime._published._check_every = 0  # the API looks every 5 s; do not make the test wait for it
    assert api.client.get("/health").json()["ruleset"] == "2026.12"


# -- end to end --------------------------------------------------------------------------------------------


def test_signed_webhooks_through_the_worker_to_ranked_leaderboard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    url = prepared_database(tmp_path)
    db = open_database(DatabaseConfig(url=url, migrate=False))
    config = ApiConfig(
        database_url=url, jwt_secret=JWT_SECRET, webhook_secrets={"generic": [SECRET]}
    )
    with TestClient(create_app(config)) as client:
        api = Api(client, url)
        now = clock.now().replace(microsecond=0)
        shares = {"E1": 3, "E2": 1, "E3": 2}
        n = 0
        for employee, count in shares.items():
            for i in range(count):
                n += 1
                body = {
                    "type": "share",
                    "employee": employee,
                    "occurred_at": (now - timedelta(minutes=60 - n)).isoformat(),
                    "attributes": {"content_id": f"{employee}-{i}", "content_kind": "curated"},
                }
                assert (
                    api.webhook("generic", json.dumps(body).encode(), f"e2e-{n}").status_code == 202
                )
        deadline = time.monotonic() + 20
        rows: list = []
        while time.monotonic() < deadline:
            rows = client.get("/v1/leaderboards/points?period=all", headers=api.token("E2")).json()[
                "rows"
            ]
            if sum(r["points"] for r in rows) == 60:
                break
            time.sleep(0.1)
        assert [(r["rank"], r["employee"], r["points"]) for r in rows] == [
            (1, "E1", 30),
            (2, "E3", 20),
            (3, "E2", 10),
        ]

        # Someone added to the roster by another process (a CLI import) shows up once they score.
        import_roster(db, ROSTER + "E6,new@example.com,Nieuw,Lid,Sales,public\n")
        body = {
            "type": "share",
            "employee": "E6",
            "occurred_at": now.isoformat(),
            "attributes": {"content_id": "n", "content_kind": "curated"},
        }
        assert api.webhook("generic", json.dumps(body).encode(), "e2e-new").status_code == 202
        deadline = time.monotonic() + 20
        mine: list = []
        while time.monotonic() < deadline and not mine:
            board = client.get("/v1/leaderboards/points?period=all", headers=api.token("E6")).json()
            mine = [r["employee"] for r in board["rows"] if r["me"]]
            time.sleep(0.1)
        assert mine == ["E6"]


def test_tie_policy_earliest_comes_from_rules_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    text = (
        (ROOT / "rules.yaml")
        .read_text(encoding="utf-8")
        .replace("  ties: shared", "  ties: earliest")
    )
    url = prepared_database(tmp_path, text)
    with TestClient(
        create_app(ApiConfig(database_url=url, jwt_secret=JWT_SECRET, run_worker=False))
    ) as client:
        api = Api(client, url)
        seed_scores(api)
        rows = client.get("/v1/leaderboards/points?period=all", headers=api.token("E3")).json()[
            "rows"
        ]
        # E1 and E2 both have 20; E1 reached it first, so ranks 1 and 2, not 1 and 1.
        assert [(r["rank"], r["employee"]) for r in rows[:2]] == [(1, "E1"), (2, "E2")]


def test_rate_limit_per_credential_is_429(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    url = prepared_database(tmp_path)
    config = ApiConfig(
        database_url=url, jwt_secret=JWT_SECRET, run_worker=False, rate_limit_per_second=3
    )
    with TestClient(create_app(config)) as client:
        api = Api(client, url)
        mine, other = api.token("E1"), api.token("E2")
        statuses = [
            client.get("/v1/leaderboards/points", headers=mine).status_code for _ in range(6)
        ]
        assert 429 in statuses and statuses[0] == 200
        limited = client.get("/v1/leaderboards/points", headers=mine)
        assert limited.status_code == 429 and limited.headers["content-type"].startswith(
            "application/problem+json"
        )
        assert (
            client.get("/v1/leaderboards/points", headers=other).status_code == 200
        )  # per credential
        assert client.get("/health").status_code == 200  # probes are never limited


def test_no_secret_reaches_the_logs(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    key = api.key("events:write")
    api.webhook(
        "advocacy-tool",
        sample("advocacy-tool-click.json"),
        "log-1",
        secret="whsec_" + "d3Jvbmcgc2VjcmV0IGZvciB0aGUgbG9ncw==",
    )
    api.client.post("/v1/events", json=[share("log", "E1", "2026-11-03T09:00:00Z")], headers=key)
    api.client.get("/v1/leaderboards/points", headers={"Authorization": "Bearer not-a-token"})
    api.client.get("/v1/leaderboards/points", headers={"Authorization": "Bearer pk_live_wrong"})
    # The rejections are logged (so this test reads real log lines), saying what without the credentials.
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("plaudit.")]
    assert any(
        m.startswith("rejected a delivery to /webhooks/advocacy-tool (webhook-id 'log-1')")
        for m in logged
    ), logged
    assert any(m.startswith("rejected a token:") for m in logged), logged
    assert "rejected an unknown or revoked API key pk_live_wro…" in logged
    text = caplog.text
    for secret in (SECRET, OLD_SECRET, JWT_SECRET, key["Authorization"].split()[1]):
        assert secret not in text


def test_hr_lists_the_outbox_and_resends(api: Api) -> None:
    from engine.rewards.payouts import close_payout
    from engine.scoring.intake import accept_events
    from engine.scoring.rulesets import load_rulebook

    rules = load_rulebook(api.db).current
    accept_events(api.db, [share("o1", "E1", "2026-10-05T09:00:00+01:00")], rules)
    api.score()
    payout = next(r for r in rules.rewards if r.trigger == "monthly_payout")
    close_payout(api.db, rules, payout, "2026-10", datetime(2026, 11, 5, tzinfo=UTC))
    assert api.client.get("/v1/outbox", headers=api.token("E1")).status_code == 403
    r = api.client.get("/v1/outbox?status=pending", headers=api.hr())
    assert r.status_code == 200, r.text
    (message,) = r.json()["messages"]
    assert (message["reward"], message["connector"], message["status"]) == (
        payout.id,
        "payroll",
        "pending",
    )
    assert message["held"] is False and r.json()["next_before"] is None
    nothing = api.client.post("/v1/outbox/retry", json={}, headers=api.hr())
    assert nothing.status_code == 422 and "ids" in nothing.json()["errors"][0]
    none_dead = api.client.post("/v1/outbox/retry", json={"ids": [message["id"]]}, headers=api.hr())
    assert none_dead.json() == {"requeued": 0, "connectors_enabled": []}  # pending: not re-sent
    bad = api.client.get("/v1/outbox?status=lost", headers=api.hr())
    assert bad.status_code == 422 and "status" in bad.text


def test_every_kind_of_refusal_has_one_status() -> None:
    """The engine's refusals (PlauditError.kind) reach HTTP through one table, so none falls through to 500."""
    from api.problems import STATUS_OF_KIND
    from engine.errors import KINDS

    assert set(STATUS_OF_KIND) == set(KINDS)
    assert all(400 <= status < 500 for status in STATUS_OF_KIND.values())
