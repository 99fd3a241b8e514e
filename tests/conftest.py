"""Fixtures: a real PostgreSQL server for the session, a fresh database per test, SQLite files in tmp dirs.

PostgreSQL is started by ``tests/servers.py``. Tests that need it are skipped with the reason when no PostgreSQL
binaries exist (CI installs them, so CI runs them).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.database import Database, DatabaseConfig, open_database
from tests.servers import create_database, find_pg_binary
from tests.servers import postgres_server as started_postgres

pytest_plugins = ["tests.redis_server"]

ROOT = Path(__file__).resolve().parent.parent
RULES_PATH = ROOT / "rules.yaml"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server on a free port; yields the DSN prefix ``postgresql://postgres@127.0.0.1:PORT``."""
    if not (find_pg_binary("initdb") and find_pg_binary("pg_ctl")):
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found")
    with started_postgres() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A new empty database on the session's server."""
    return create_database(postgres_server)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'plaudit.sqlite'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs on the embedded SQLite file and on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'plaudit.sqlite'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(DatabaseConfig(url=db_url))
    try:
        yield database
    finally:
        with contextlib.suppress(Exception):
            database.close()
