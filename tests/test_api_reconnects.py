"""The API after PostgreSQL dropped its connections (issue 17): 503 with Retry-After at worst, never a 500,
and answers again by itself, against a real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import TestClient
from test_api import JWT_SECRET, ROOT, ROSTER, Api

from api.app import create_app
from api.config import ApiConfig
from engine.people.roster import import_roster
from engine.scoring.rulesets import publish
from engine.storage.database import DatabaseConfig, open_database


def test_the_api_answers_again_after_postgres_dropped_every_connection(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(ROOT)
    admin = open_database(DatabaseConfig(url=postgres_url))
    publish(admin, ROOT / "rules.yaml")
    import_roster(admin, ROSTER)
    config = ApiConfig(database_url=postgres_url, jwt_secret=JWT_SECRET, run_worker=False)
    with TestClient(create_app(config)) as client:
        me = Api(client, postgres_url).token("E1")
        assert client.get("/v1/leaderboards/points", headers=me).status_code == 200
        assert client.get("/health").status_code == 200
        dropped = admin.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert dropped, "the API held no connection to drop"
        statuses = []
        for _ in range(20):  # each thread of the pool finds its connection dead once, at most
            r = client.get("/v1/leaderboards/points", headers=me)
            statuses.append(r.status_code)
            if r.status_code == 503:
                assert r.headers["Retry-After"] == "2"
                assert r.json()["status"] == 503
        assert 500 not in statuses, statuses
        assert statuses[-5:] == [200] * 5, statuses
        health = [client.get("/health").status_code for _ in range(20)]
        assert health[-5:] == [200] * 5, health
    admin.close()
