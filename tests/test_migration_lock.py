"""Processes starting together against one PostgreSQL migrate one after the other.

API replicas and workers all migrate when they start. Eight real processes (each its own Python, its own
connections, as replicas on several machines are) open the same fresh database at the same instant, with a
CPU hog beside them so the scheduler interleaves them the way a loaded machine does; twenty rounds, each on a
new database. Every process must come up on the complete schema, and the migrations must be recorded once.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.machine import ROOT
from tests.servers import create_database

PROCESSES = 8
ROUNDS = 20
#: Each migration, recorded once.
MIGRATIONS = sorted(
    importlib.import_module(f"engine.storage.migrations.{p.stem}").ID
    for p in (ROOT / "engine" / "storage" / "migrations").glob("plaudit_*.py")
)

#: One starting process: imports first, then waits for "go" with a database URL and opens it (migrating),
#: answering with the employee count or the error, once per round.
CHILD = """
import sys, traceback
from engine.storage.database import DatabaseConfig, open_database
for line in sys.stdin:
    try:
        db = open_database(DatabaseConfig(url=line.strip()))
        try:
            print("ok", db.query('SELECT COUNT(*) FROM "employee"')[0][0], flush=True)
        finally:
            db.close()
    except Exception as exc:
        print("error", repr(exc).replace("\\n", " "), flush=True)
"""


@pytest.fixture
def cpu_hog() -> Iterator[None]:
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        hog.kill()
        hog.wait()


def test_eight_processes_starting_together_migrate_once(
    postgres_server: str, cpu_hog: None
) -> None:
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    try:
        for round_ in range(ROUNDS):
            url = create_database(postgres_server, "race")
            for child in children:  # as close to together as a pipe write each allows
                assert child.stdin is not None
                child.stdin.write(url + "\n")
                child.stdin.flush()
            answers = [child.stdout.readline().strip() for child in children if child.stdout]
            assert answers == ["ok 0"] * PROCESSES, f"round {round_}: {answers}"
            import psycopg

            with psycopg.connect(url) as conn:
                names = [r[0] for r in conn.execute("SELECT name FROM migration").fetchall()]
            assert sorted(names) == MIGRATIONS, f"round {round_}: {names}"
    finally:
        for child in children:
            if child.stdin:
                child.stdin.close()
            child.wait(30)
