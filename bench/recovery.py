"""Benchmark: how long Plaudit's processes take to work again after a dependency comes back.

Worker (target ≤ 10 s): a real redis-server and one `plaudit worker` on an embedded SQLite database. Redis is
stopped for a few seconds (the worker must not exit), an event arrives while it is down (intake stores it;
queuing fails), Redis comes back empty, and the time from its first answered PING to that event scored is
printed. API (target ≤ 2 s, with ``--api``): `plaudit serve` on a real PostgreSQL whose every connection to the
API's database is terminated; the time to the first 200 from /health and the answers before it (503s, never a
500). Repeated a few times; min / median / max.

    .venv/bin/python bench/recovery.py [--rounds 5] [--down 3] [--api]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.people.roster import import_roster  # noqa: E402
from engine.scoring.intake import accept_events  # noqa: E402
from engine.scoring.rulesets import load_rulebook, publish  # noqa: E402
from engine.storage.database import DatabaseConfig, open_database  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis(port: int, folder: Path) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server") or sys.exit("redis-server is not installed")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder), "--protected-mode", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    client = redis.Redis(port=port, socket_connect_timeout=0.2)
    while True:
        try:
            if client.ping():
                return process
        except redis.ConnectionError:
            time.sleep(0.01)


def api_recovery(rounds: int) -> None:
    from tests.servers import create_database, postgres_server

    with postgres_server() as server:
        url = create_database(server)
        db = open_database(DatabaseConfig(url=url))
        publish(db, ROOT / "rules.yaml")
        port = free_port()
        env = dict(os.environ, DATABASE_URL=url, PLAUDIT_JWT_SECRET="bench-only-secret-" + "x" * 32)
        api = subprocess.Popen(
            [sys.executable, "-m", "admin.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        health = f"http://127.0.0.1:{port}/health"
        try:
            while _status(health) != 200:
                time.sleep(0.05)
            times: list[float] = []
            answers: list[int] = []
            for _ in range(rounds):
                for _ in range(20):  # every thread of the server's pool holds a connection
                    _status(health)
                db.query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                dropped = time.monotonic()
                while (status := _status(health)) != 200:
                    answers.append(status)
                    time.sleep(0.01)
                times.append(time.monotonic() - dropped)
            print(f"`plaudit serve` on PostgreSQL, every connection terminated, {rounds} rounds")
            print(
                f"from the drop to the first 200 from /health: min {min(times) * 1000:.0f} ms, "
                f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
                f"(target ≤ 2 s); answers before it: {sorted(set(answers)) or 'none'}"
            )
            if 500 in answers:
                sys.exit("the API answered 500 after the drop")
        finally:
            api.terminate()
            api.wait()
            db.close()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--down", type=float, default=3.0, help="seconds Redis stays down")
    parser.add_argument("--api", action="store_true", help="the API after PostgreSQL dropped it")
    args = parser.parse_args()
    if args.api:
        api_recovery(args.rounds)
        return
    folder = Path(tempfile.mkdtemp(prefix="plaudit-recovery-"))
    url = f"sqlite:///{folder}/r.sqlite"
    db = open_database(DatabaseConfig(url=url))
    publish(db, ROOT / "rules.yaml")
    import_roster(
        db,
        "external_id,email,given_name,family_name,team,visibility\nE1,e1@acme.com,A,B,Sales,public\n",
    )
    rules = load_rulebook(db).current
    port = free_port()
    server = start_redis(port, folder)
    env = dict(os.environ, DATABASE_URL=url, REDIS_URL=f"redis://127.0.0.1:{port}/0")
    worker = subprocess.Popen(
        [sys.executable, "-m", "admin.cli", "worker"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    times: list[float] = []
    try:
        time.sleep(2)  # the worker is up and listening
        for n in range(args.rounds):
            server.terminate()
            server.wait()
            at = datetime(2026, 11, 3, 9, n, tzinfo=UTC).isoformat()
            event = {"source": "bench", "id": f"r{n}", "type": "training_completed", "employee": "E1",
                     "occurred_at": at, "attributes": {"course_id": f"c{n}"}}  # fmt: skip
            accept_events(db, [event], rules)  # stored while Redis is down: nothing queued
            time.sleep(args.down)
            assert worker.poll() is None, "the worker exited while Redis was down"
            server = start_redis(port, folder)
            back = time.monotonic()
            while (
                db.query('SELECT status FROM "event" WHERE external_id = ?', [f"r{n}"])[0][0]
                != "done"
            ):
                if time.monotonic() - back > 60:
                    sys.exit("nothing scored within 60 s of Redis coming back")
                time.sleep(0.02)
            times.append(time.monotonic() - back)
        print(f"Redis down {args.down:.0f} s, {args.rounds} rounds, one `plaudit worker`, SQLite")
        print(
            f"from Redis back to the first event scored: min {min(times):.2f} s, "
            f"median {statistics.median(times):.2f} s, max {max(times):.2f} s (target ≤ 10 s)"
        )
    finally:
        worker.terminate()
        worker.wait()
        server.terminate()


if __name__ == "__main__":
    main()
