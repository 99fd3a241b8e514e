"""Issue 18: one logging setup (engine.logs) for the API, the workers and cron: JSON lines when nobody reads a
terminal, a readable line when somebody does, the request id on every line of a request, the batch and the
ruleset on every line of a scoring batch, an access log that can be switched off, and never a secret."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from test_api import Api

from engine.logs import LogConfig, configure_logging, log_context
from engine.scoring.score import process_pending

pytest_plugins = ["test_api"]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging changes the root logger: give pytest's back after the test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    access = logging.getLogger("plaudit.access").level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("plaudit.access").setLevel(access)


def _lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_the_format_comes_from_the_environment_and_a_wrong_value_is_named() -> None:
    assert LogConfig.from_env({"PLAUDIT_LOG_FORMAT": "console"}).format == "console"
    assert LogConfig.from_env({"PLAUDIT_LOG_FORMAT": "JSON"}).format == "json"
    # Unset: JSON unless standard error is a terminal (it is not under pytest).
    assert LogConfig.from_env({}).format == "json"
    assert LogConfig.from_env({"PLAUDIT_ACCESS_LOG": "off"}).access_log is False
    for variable, value in [
        ("PLAUDIT_LOG_FORMAT", "xml"),
        ("PLAUDIT_LOG_LEVEL", "loud"),
        ("PLAUDIT_ACCESS_LOG", "maybe"),
    ]:
        with pytest.raises(ValueError, match=variable):
            LogConfig.from_env({variable: value})


def test_a_json_line_has_the_context_the_call_s_fields_and_the_traceback(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(LogConfig("json"))
    log = logging.getLogger("plaudit.test")
    with log_context(request_id="r-1"):
        log.info("hello %s", "world", extra={"events": 3})
        try:
            raise RuntimeError("a bug")
        except RuntimeError:
            log.exception("it broke")
    log.info("outside")
    first, broke, outside = _lines(capsys.readouterr().err)
    assert first["message"] == "hello world" and first["level"] == "info"
    assert first["logger"] == "plaudit.test" and str(first["time"]).endswith("+00:00")
    assert first["request_id"] == "r-1" and first["events"] == 3
    assert "RuntimeError: a bug" in str(broke["error"]) and broke["request_id"] == "r-1"
    assert "request_id" not in outside


def test_a_console_line_carries_the_context_as_key_value(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(LogConfig("console"))
    with log_context(batch="1-9", ruleset="2026.11"):
        logging.getLogger("plaudit.scoring").info("scored", extra={"events": 9})
    line = capsys.readouterr().err.strip()
    assert line.endswith("INFO plaudit.scoring scored batch=1-9 ruleset=2026.11"), line


def test_each_request_is_one_access_line_with_its_request_id_and_no_secret(
    api: Api, restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(LogConfig("json"))
    me = api.token("E1")
    api.client.get(
        "/v1/leaderboards/points?period=month", headers={**me, "X-Request-Id": "ticket-1"}
    )
    api.client.get("/login/token?token=secret-sign-in-token")  # a 404 here (no pages): logged too
    api.client.get("/v1/leaderboards/points")  # 401, from the authentication middleware
    # The test's own HTTP client (httpx) logs its URLs; the server's lines are what is checked.
    lines = [line for line in _lines(capsys.readouterr().err) if line["logger"] != "httpx"]
    text = json.dumps(lines)
    access = [line for line in lines if line["logger"] == "plaudit.access"]
    assert [(a["method"], a["path"], a["status"]) for a in access] == [
        ("GET", "/v1/leaderboards/points", 200),
        ("GET", "/login/token", 404),
        ("GET", "/v1/leaderboards/points", 401),
    ]
    assert access[0]["request_id"] == "ticket-1" and float(str(access[0]["ms"])) >= 0
    assert "secret-sign-in-token" not in text and me["Authorization"][7:] not in text


def test_the_access_log_can_be_switched_off(
    api: Api, restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(LogConfig("json", access_log=False))
    api.client.get("/health")
    logging.getLogger("plaudit.api").warning("still here")
    lines = [line["logger"] for line in _lines(capsys.readouterr().err)]
    assert [name for name in lines if name != "httpx"] == ["plaudit.api"]


def test_a_scoring_batch_is_logged_with_its_batch_and_ruleset(
    api: Api, restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(LogConfig("json"))
    event = {
        "source": "t",
        "id": "e1",
        "type": "share",
        "employee": "E1",
        "occurred_at": "2026-11-03T09:14:22Z",
        "attributes": {"content_id": "p1", "content_kind": "owned", "network": "linkedin"},
    }
    assert (
        api.client.post("/v1/events", json={"events": [event]}, headers=api.hr()).status_code == 202
    )
    process_pending(api.db)
    scoring = [
        line for line in _lines(capsys.readouterr().err) if line["logger"] == "plaudit.scoring"
    ]
    assert len(scoring) == 1, scoring
    assert (
        scoring[0]["batch"] and scoring[0]["ruleset"] == api.client.app.state.runtime.rules.version
    )
    assert "1 scored" in str(scoring[0]["message"])
