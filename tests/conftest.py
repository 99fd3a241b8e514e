"""Fixtures: a real PostgreSQL server for the session, a fresh database per test, SQLite files in tmp dirs.

PostgreSQL is started by ``tests/servers.py``. Tests that need it are skipped with the reason when no PostgreSQL
binaries exist, and fail in CI, which installs them (``tests/machine.py``). Plaudit's clock is pinned for the
whole session (``suite_clock``).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from engine import clock
from engine.storage.database import Database, DatabaseConfig, open_database
from tests.machine import unavailable
from tests.servers import create_database, find_pg_binary
from tests.servers import postgres_server as started_postgres

pytest_plugins = ["tests.redis_server"]

ROOT = Path(__file__).resolve().parent.parent
RULES_PATH = ROOT / "rules.yaml"


#: ``PLAUDIT_TEST_WALL_CLOCK=2028-02-29T11:00:00Z pytest``: the whole test process's wall clock (``time.time``,
#: ``datetime.now``, …, not the monotonic clock) starts at that instant and runs on (time-machine), to prove
#: that nothing depends on the day the suite runs (``.ci/calendar``). libfaketime can't do this for Python:
#: with the monotonic clock moved, timed waits hang; without, ``time.sleep`` fails (0.9.10, Debian 12).
WALL_CLOCK_ENV = "PLAUDIT_TEST_WALL_CLOCK"
_travel: Any = None


def pytest_configure(config: pytest.Config) -> None:
    global _travel
    moment = os.environ.get(WALL_CLOCK_ENV, "").strip()
    if moment and "@" not in moment:  # with "@": a process a test started (tests/wall_clock/)
        import time_machine

        _travel = time_machine.travel(clock.parse_instant(moment, WALL_CLOCK_ENV), tick=True)
        _travel.start()
        # The Python processes tests start move their wall clocks the same way (tests/wall_clock/).
        os.environ[WALL_CLOCK_ENV] = f"{datetime.now(UTC).isoformat()}@{time.monotonic():.6f}"
        folder = str(Path(__file__).parent / "wall_clock")
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (folder, os.environ.get("PYTHONPATH", "")) if p
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    if _travel is not None:
        _travel.stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    return f"wall clock moved: {datetime.now(UTC).isoformat()}" if _travel is not None else None


#: The instant the suite runs at, whatever the day it really runs: mid-month, mid-quarter, a Friday morning in
#: the program's time zone. Tests of a calendar edge pin their own instant (``engine.clock.pinned``).
SUITE_NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session", autouse=True)
def suite_clock() -> Iterator[datetime]:
    """Plaudit's clock starts at SUITE_NOW, in this process and in every process a test starts
    (``PLAUDIT_NOW``), and runs on from there: no test depends on the day the suite runs."""
    previous_env = os.environ.get(clock.ENV_NOW)
    suite = clock.starting_at(SUITE_NOW)
    previous = clock.set_clock(suite)
    # Anchored to the monotonic clock: processes started later agree on the time.
    os.environ[clock.ENV_NOW] = clock.env_value(suite)
    try:
        yield SUITE_NOW
    finally:
        clock.set_clock(previous)
        if previous_env is None:
            os.environ.pop(clock.ENV_NOW, None)
        else:
            os.environ[clock.ENV_NOW] = previous_env


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server on a free port; yields the DSN prefix ``postgresql://postgres@127.0.0.1:PORT``."""
    if not (find_pg_binary("initdb") and find_pg_binary("pg_ctl")):
        unavailable("PostgreSQL binaries (initdb, pg_ctl) not found")
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
