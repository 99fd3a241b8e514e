"""Awards over HTTP: results (winners for everyone, shortlists for HR), the archived board, approval, the card."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from litestar.testing import TestClient
from PIL import Image

from api.app import create_app
from api.config import ApiConfig
from engine.rewards.awards import close_award, find_award_spec
from engine.scoring.rulesets import load_rulebook
from tests.test_api import JWT_SECRET, ROOT, Api, prepared_database
from tests.test_awards import program, review_case, scored, share

CLOSE = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def awards_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """The API on a program whose award needs HR approval, with November scored and closed (a shortlist)."""
    monkeypatch.chdir(ROOT)
    url = prepared_database(tmp_path, program("approval: true"))
    config = ApiConfig(database_url=url, jwt_secret=JWT_SECRET, run_worker=False)
    with TestClient(create_app(config)) as client:
        api = Api(client, url)
        scored(
            api.db,
            [
                share("a1", "E1", "2026-11-02T10:00:00+01:00"),
                share("a2", "E1", "2026-11-03T10:00:00+01:00"),
                share("b1", "E2", "2026-11-02T10:00:00+01:00"),
            ],
        )
        rules = load_rulebook(api.db).current
        assert rules is not None
        close_award(api.db, rules, find_award_spec(rules, "eotm"), "2026-11", CLOSE, "test")
        yield api


def test_results_list_shortlist_for_hr_and_winners_for_everyone(awards_api: Api) -> None:
    api = awards_api
    hr = api.client.get("/v1/awards", headers=api.hr())
    assert hr.status_code == 200, hr.text
    assert [(r["employee"], r["rank"], r["status"], r["metric"]) for r in hr.json()] == [
        ("E1", 1, "shortlisted", 20),
        ("E2", 2, "shortlisted", 10),
    ]
    assert api.client.get("/v1/awards", headers=api.token("E2")).json() == []
    assert api.client.get("/v1/awards").status_code == 401


def test_hr_sees_the_open_flags_of_the_shortlist_and_nobody_else_does(awards_api: Api) -> None:
    api = awards_api
    review_case(api.db, "E1", "flag")
    review_case(api.db, "E1", "flag", period="2026-10")  # another month
    hr = api.client.get("/v1/awards", headers=api.hr()).json()
    assert [(r["employee"], r["status"], r["open_flags"]) for r in hr] == [
        ("E1", "shortlisted", 1),
        ("E2", "shortlisted", 0),
    ]
    r = api.client.post(f"/v1/awards/{hr[0]['id']}/approve", headers=api.hr())
    assert [(x["employee"], x["open_flags"]) for x in r.json()] == [("E1", 1), ("E2", 0)]
    # The winner is public; their review cases are not.
    seen = api.client.get("/v1/awards", headers=api.token("E2")).json()
    assert [(x["employee"], x["status"], x["open_flags"]) for x in seen] == [("E1", "winner", 0)]


def test_approve_is_for_hr_once_and_the_winner_is_announced(awards_api: Api) -> None:
    api = awards_api
    first, second = api.client.get("/v1/awards", headers=api.hr()).json()
    path = f"/v1/awards/{second['id']}/approve"
    assert api.client.post(path, headers=api.token("E2")).status_code == 403
    r = api.client.post(path, headers=api.hr())
    assert r.status_code == 200, r.text
    assert [(x["employee"], x["status"]) for x in r.json()] == [
        ("E1", "not selected"),
        ("E2", "winner"),
    ]
    assert api.client.post(path, headers=api.hr()).status_code == 409
    assert api.client.post(f"/v1/awards/{first['id']}/approve", headers=api.hr()).status_code == 409
    assert api.client.post("/v1/awards/999999/approve", headers=api.hr()).status_code == 404
    assert api.client.post("/v1/awards/x%20y/approve", headers=api.hr()).status_code == 404
    # Everyone sees the winner now, and the company's recognition in the feed.
    seen = api.client.get("/v1/awards", headers=api.token("E1")).json()
    assert [(x["employee"], x["status"]) for x in seen] == [("E2", "winner")]
    feed = api.client.get("/v1/shoutouts", headers=api.token("E1")).json()["shoutouts"]
    assert feed[0]["giver"] == "" and feed[0]["giver_name"] == "Acme Corp"
    assert feed[0]["message"] == "Employee of the month, November 2026: Acme Corp"


def test_the_archived_board_is_served_and_unknown_ones_are_404(awards_api: Api) -> None:
    api = awards_api
    r = api.client.get("/v1/awards/eotm/2026-11/board", headers=api.token("E1"))
    assert r.status_code == 200, r.text
    assert [(x["rank"], x["employee"], x["score"]) for x in r.json()["rows"]] == [
        (1, "E1", 20),
        (2, "E2", 10),
    ]
    # A late event changes the standings, not the archived board.
    scored(api.db, [share("late", "E2", "2026-11-20T10:00:00+01:00")])
    scored(api.db, [share("late2", "E2", "2026-11-21T10:00:00+01:00")])
    assert api.client.get("/v1/awards/eotm/2026-11/board", headers=api.hr()).json() == r.json()
    assert api.client.get("/v1/awards/eotm/2026-10/board", headers=api.hr()).status_code == 404
    assert api.client.get("/v1/awards/nope/2026-11/board", headers=api.hr()).status_code == 404


def test_the_card_is_a_1200x627_png(awards_api: Api) -> None:
    api = awards_api
    first = api.client.get("/v1/awards", headers=api.hr()).json()[0]
    r = api.client.get(first["card"], headers=api.token("E1"))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(r.content)).size == (1200, 627)
    for bad in ("999999", "abc", "-1", "1e3"):
        assert api.client.get(f"/v1/awards/{bad}/card.png", headers=api.hr()).status_code == 404
