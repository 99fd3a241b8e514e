"""Issue 18: the API keeps its contract under any input. Each test sends the exact request of a row of the
issue's table and checks the answer it must get: a 4xx that names the field, never a 500."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from litestar.testing import TestClient
from test_api import JWT_SECRET, ROOT, Api, prepared_database, sample

from admin.pages import install_pages
from api.app import create_app
from api.config import ApiConfig

pytest_plugins = ["test_api"]

TOO_BIG = "9223372036854775808"  # 2^63: one more than a signed 64-bit integer holds


def test_options_on_every_route_is_answered_never_a_500(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`curl -X OPTIONS /v1/events` answered 500 ("'user' is not defined in scope"): the guards read a caller
    that the authentication middleware does not set for OPTIONS. Every route of the app, pages included."""
    monkeypatch.chdir(ROOT)
    config = ApiConfig(
        database_url=prepared_database(tmp_path), jwt_secret=JWT_SECRET, run_worker=False
    )
    app = create_app(config, on_app_init=[install_pages])
    with TestClient(app) as client:
        answers = {}
        for route in app.routes:
            path = re.sub(r"\{[^}]+\}", "1", route.path)
            answers[path] = client.options(path).status_code
    failed = {path: status for path, status in answers.items() if status >= 500}
    assert not failed, failed
    assert answers["/v1/events"] == 204 and len(answers) > 40


def test_cors_preflight_answers_the_configured_origins_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    config = ApiConfig.from_env(
        database_url=prepared_database(tmp_path), jwt_secret=JWT_SECRET, run_worker=False
    )
    assert config.cors_origins == ()  # none by default
    monkeypatch.setenv(
        "PLAUDIT_CORS_ORIGINS", "https://intranet.example.com, https://portal.example.com"
    )
    config = ApiConfig.from_env(
        database_url=config.database_url, jwt_secret=JWT_SECRET, run_worker=False
    )
    assert config.cors_origins == ("https://intranet.example.com", "https://portal.example.com")
    preflight = {
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    with TestClient(create_app(config)) as client:
        allowed = client.options(
            "/v1/leaderboards/points", headers={**preflight, "Origin": "https://portal.example.com"}
        )
        assert allowed.status_code in (200, 204), allowed.text
        assert allowed.headers["access-control-allow-origin"] == "https://portal.example.com"
        assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
        stranger = client.options(
            "/v1/leaderboards/points", headers={**preflight, "Origin": "https://evil.example"}
        )
        assert stranger.status_code < 500
        assert "access-control-allow-origin" not in stranger.headers


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("GET", f"/v1/shoutouts?cursor={TOO_BIG}", "cursor"),
        ("GET", f"/v1/employees/E1/ledger?cursor={TOO_BIG}", "cursor"),
        ("DELETE", f"/v1/api-keys/{TOO_BIG}", "key_id"),
        ("GET", f"/v1/outbox?before={TOO_BIG}", "before"),
    ],
)
def test_an_integer_above_64_bits_is_refused_by_name(
    api: Api, method: str, path: str, field: str
) -> None:
    answer = api.client.request(method, path, headers=api.token("E1", role="hr"))
    assert answer.status_code in (400, 422), answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert field in answer.text


def test_a_scim_user_id_above_64_bits_is_not_found(api: Api) -> None:
    scim = api.key("scim")
    answer = api.client.get(f"/scim/v2/Users/{TOO_BIG}", headers=scim)
    assert answer.status_code == 404, answer.text


def test_an_unknown_board_is_404_naming_the_boards(api: Api) -> None:
    answer = api.client.get("/v1/leaderboards/company", headers=api.token("E1"))
    assert answer.status_code == 404
    assert answer.json()["errors"] == ["board: expected one of points"]
    assert api.client.get("/v1/leaderboards/points", headers=api.token("E1")).status_code == 200


def test_each_route_group_has_its_own_limit_and_a_429_says_when_to_retry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SCIM and tools shared the /v1 limit, and a 429 had no Retry-After."""
    monkeypatch.chdir(ROOT)
    url = prepared_database(tmp_path)
    config = ApiConfig(
        database_url=url,
        jwt_secret=JWT_SECRET,
        run_worker=False,
        rate_limit_per_second=3,
        events_rate_limit_per_second=5,
        scim_rate_limit_per_second=0,  # an identity provider's sync, unlimited here
    )
    with TestClient(create_app(config)) as client:
        api = Api(client, url)
        key = api.key("events:write", "read", "scim")
        board = [client.get("/v1/leaderboards/points", headers=key).status_code for _ in range(5)]
        assert board[:3] == [200] * 3 and board[3:] == [429, 429]
        limited = client.get("/v1/leaderboards/points", headers=key)
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["Retry-After"]) <= 1
        assert limited.headers["content-type"].startswith("application/problem+json")
        # The same credential, other groups: counted apart.
        events = [client.post("/v1/events", json=[], headers=key).status_code for _ in range(5)]
        assert 429 not in events, events
        assert client.post("/v1/events", json=[], headers=key).status_code == 429
        scim = [client.get("/scim/v2/Users", headers=key).status_code for _ in range(30)]
        assert set(scim) == {200}, scim


def test_one_share_under_three_webhook_ids_is_one_event(api: Api) -> None:
    """The mapping says `id: data.share_id`: the share is the event, each webhook-id only a delivery. It was
    three events (32 points instead of 18)."""
    body = sample("advocacy-tool-share.json")
    statuses = [api.webhook("advocacy-tool", body, f"msg_{n}").status_code for n in range(3)]
    assert statuses == [202, 200, 200]
    share_id = json.loads(body)["data"]["share_id"]
    assert api.db.query('SELECT external_id FROM "event"') == [(share_id,)]
    # A click has no id in the mapping: its delivery's id is the event's, and a retry of it is one event.
    click = sample("advocacy-tool-click.json")
    assert [api.webhook("advocacy-tool", click, "msg_click").status_code for _ in range(2)] == [
        202,
        200,
    ]
    assert api.db.query("SELECT COUNT(*) FROM \"event\" WHERE external_id = 'msg_click'") == [(1,)]


@pytest.mark.parametrize(
    "path", ["/v1/employees/E2", "/v1/employees/E2/ledger", "/v1/employees/E2/badges"]
)
def test_a_read_key_reads_boards_not_people(api: Api, path: str) -> None:
    """`GET /v1/employees/E0002/ledger` with a `read` key answered every employee's data, hidden ones too."""
    read = api.key("read")
    assert api.client.get("/v1/leaderboards/points", headers=read).status_code == 200
    assert api.client.get(path, headers=read).status_code == 403
    assert api.client.get(path, headers=api.token("E2")).status_code == 200  # the person
    assert api.client.get(path, headers=api.hr()).status_code == 200  # HR


def test_an_unexpected_error_is_logged_once_with_the_request_id_it_answers(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A 500 on /v1 left nothing in the server's log: now one record with the traceback and the request id,
    which the problem body and the X-Request-Id header carry too."""
    import logging

    import api.employee.leaderboards as leaderboards

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(leaderboards, "board_view", broken)
    caplog.set_level(logging.INFO)
    me = api.token("E1")
    answer = api.client.get(
        "/v1/leaderboards/points", headers={**me, "X-Request-Id": "ticket-4711"}
    )
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["x-request-id"] == "ticket-4711" == answer.json()["request_id"]
    logged = [r for r in caplog.records if "ticket-4711" in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert "RuntimeError: a bug" in caplog.text and me["Authorization"][7:] not in caplog.text
    # Without one (or with one a log line should not carry), the answer makes its own.
    again = api.client.get("/v1/leaderboards/points", headers={**me, "X-Request-Id": "a\\nb"})
    made = again.headers["x-request-id"]
    assert made != "a\\nb" and len(made) == 16 and again.json()["request_id"] == made
    assert api.client.get("/health").headers["x-request-id"]


def test_the_schema_declares_each_answer_with_its_shape(api: Api) -> None:
    """The rows of the issue on the document itself (the fuzz test, tests/test_openapi_contract.py, checks the
    answers against it): every error is declared as a problem (SCIM's error under /scim), JSON-LD and PNG
    answers are declared as what they are, numbers are numbers."""
    document = api.client.get("/schema/openapi.json").json()
    undeclared = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            errors = {s: r for s, r in operation["responses"].items() if s.startswith(("4", "5"))}
            media = (
                "application/scim+json" if path.startswith("/scim/") else "application/problem+json"
            )
            public = path.startswith(("/webhooks", "/health", "/metrics", "/ob"))
            if "503" not in errors or (not public and "401" not in errors):
                undeclared.append(f"{method.upper()} {path}: {sorted(errors)}")
            undeclared += [
                f"{method.upper()} {path} {status}: {list(answer.get('content', {}))}"
                for status, answer in errors.items()
                if media not in answer.get("content", {}) and path != "/health"
            ]
    assert not undeclared, "\n".join(undeclared)
    paths = document["paths"]
    issuer = paths["/ob/issuer"]["get"]["responses"]["200"]["content"]
    assert issuer["application/ld+json"]["schema"]["type"] == "object"
    badge = paths["/ob/badges/{name}"]["get"]["responses"]["200"]["content"]
    assert set(badge) == {"application/ld+json", "image/png"}
    card = paths["/v1/awards/{result}/card.png"]["get"]["responses"]
    assert "image/png" in card["200"]["content"] and "404" in card
    reach = document["components"]["schemas"]["PeriodKpis"]["properties"]["organic_reach"]
    assert reach == {"type": "number"}
    assert "200" in paths["/webhooks/{source}"]["post"]["responses"]  # a duplicate delivery
    assert "503" in paths["/health"]["get"]["responses"]
    strict = document["components"]["schemas"]["NewShoutout"]
    assert strict["additionalProperties"] is False


def test_allow_lists_every_method_of_a_path(api: Api) -> None:
    """`OPTIONS /v1/employees/E1` said `OPTIONS, PATCH` (litestar#4169); SCIM's said all five methods."""
    assert api.client.options("/v1/employees/E1").headers["allow"] == "GET, OPTIONS, PATCH"
    assert api.client.options("/scim/v2/Users").headers["allow"] == "GET, OPTIONS, POST"
    refused = api.client.put("/scim/v2/Users")
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, OPTIONS, POST"
