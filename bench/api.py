"""Benchmark of the HTTP API on the embedded default, server and client on this machine.

Starts ``plaudit serve`` (uvicorn, one process, access log off, in-process worker) on a free port against a fresh
SQLite file, then measures:

1. batch intake → scored: 1,000-event batches posted to ``/v1/events`` until every event is scored (events/s);
2. signed webhooks, one event per request, from 64 keep-alive connections (req/s, p50/p99 ms);
3. leaderboard top 10 + the asker's rank and neighbours at 100,000 employees (p50/p99 ms, and the server's own
   time from the ``Server-Timing`` header).

The client is a small asyncio HTTP/1.1 client over pre-built requests, so it costs little next to the server;
both share the 2 cores. Run: ``.venv/bin/python bench/api.py [--employees 100000] [--events 200000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
from standardwebhooks.webhooks import Webhook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.demo.events import generate_events  # noqa: E402
from engine.demo.roster import generate_roster  # noqa: E402
from engine.people.api_keys import create_key  # noqa: E402
from engine.people.roster import RosterRow, import_roster  # noqa: E402
from engine.scoring.rulesets import publish  # noqa: E402
from engine.storage.database import DatabaseConfig, open_database  # noqa: E402
from tests.servers import free_port  # noqa: E402

SECRET = "whsec_" + "YmVuY2htYXJrLW9ubHktc2VjcmV0LTMyYnl0ZXMhIQ=="  # bench-only
JWT_SECRET = "bench-only-jwt-secret-0123456789abcdef"


def request(
    method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: bench", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connection:
    """One keep-alive HTTP/1.1 connection; enough of the protocol for these answers (Content-Length bodies)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def send(self, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {
            k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines if h)
        }
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return int(status_line.split()[1]), headers, body

    def close(self) -> None:
        self.writer.close()


async def run_all(
    port: int, requests: list[bytes], connections: int
) -> tuple[list[float], list[int], list[float]]:
    """Send every request once over ``connections`` connections; latencies (ms), statuses, server times (ms)."""
    queue = list(reversed(requests))
    latencies: list[float] = []
    statuses: list[int] = []
    server: list[float] = []

    async def worker() -> None:
        conn = await Connection.open(port)
        try:
            while queue:
                raw = queue.pop()
                started = time.perf_counter()
                status, headers, _ = await conn.send(raw)
                latencies.append((time.perf_counter() - started) * 1000)
                statuses.append(status)
                if "server-timing" in headers:
                    server.append(float(headers["server-timing"].split("dur=")[1].split(";")[0]))
        finally:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return latencies, statuses, server


def pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


def wait_until_scored(port: int, timeout: float = 600) -> None:
    if os.environ.get("PLAUDIT_WORKER") == "off":
        return

    async def pending() -> int:
        conn = await Connection.open(port)
        try:
            _, _, body = await conn.send(request("GET", "/health"))
            return json.loads(body)["pending_events"]
        finally:
            conn.close()

    deadline = time.monotonic() + timeout
    while asyncio.run(pending()) and time.monotonic() < deadline:
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument(
        "--events", type=int, default=200_000, help="events for the batch intake figure"
    )
    parser.add_argument("--webhooks", type=int, default=20_000)
    parser.add_argument("--board-requests", type=int, default=5_000)
    parser.add_argument("--connections", type=int, default=16, help="concurrent webhook senders")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="plaudit-bench-api-"))
    url = f"sqlite:///{folder / 'bench.sqlite'}"
    db = open_database(DatabaseConfig(url=url))
    publish(db, ROOT / "rules.yaml")
    roster = generate_roster(args.employees, seed=5)
    import_roster(db, [RosterRow.from_record(r) for r in roster])
    key = create_key(db, "bench", ["events:write", "read"], "bench").key
    db.close()

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PLAUDIT_JWT_SECRET": JWT_SECRET,
        "PLAUDIT_WEBHOOK_SECRET_GENERIC": SECRET,
        "PLAUDIT_RATE_LIMIT": os.environ.get("PLAUDIT_RATE_LIMIT", "50"),
        "PLAUDIT_WORKER": os.environ.get("PLAUDIT_WORKER", "on"),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "admin.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.1)
        print(f"server: one uvicorn process on :{port}, {args.employees:,} employees, {url}")

        # 1. batch intake -> scored
        start = datetime.now(UTC) - timedelta(days=28)
        stream = generate_events(
            roster,
            start,
            28,
            seed=5,
            events_per_employee_per_day=args.events / args.employees / 28 * 1.05,
        )
        events = [e for _, e in zip(range(args.events), stream, strict=False)]
        auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        batches = [
            request(
                "POST", "/v1/events", json.dumps({"events": events[i : i + 1000]}).encode(), auth
            )
            for i in range(0, len(events), 1000)
        ]
        t0 = time.perf_counter()
        latencies, statuses, _ = asyncio.run(run_all(port, batches, 2))
        t1 = time.perf_counter()
        wait_until_scored(port)
        t2 = time.perf_counter()
        assert set(statuses) == {202}, set(statuses)
        print(
            f"batch intake: {len(events):,} events in {t1 - t0:.1f}s = {len(events) / (t1 - t0):,.0f} events/s accepted "
            f"(p50 {pct(latencies, 50):.0f} ms, p99 {pct(latencies, 99):.0f} ms per 1,000-event request)"
        )
        print(
            f"batch intake -> scored: {len(events) / (t2 - t0):,.0f} events/s (all scored {t2 - t0:.1f}s after the first request)"
        )

        # 2. signed webhooks, one event each
        hook = Webhook(SECRET)
        raw: list[bytes] = []
        now = datetime.now(UTC)
        for i in range(args.webhooks):
            person = roster[random.randrange(len(roster))]["external_id"]
            body = json.dumps(
                {
                    "type": "click",
                    "employee": person,
                    "occurred_at": now.isoformat(),
                    "attributes": {"content_id": f"p{i % 500}", "visitor": f"v{i}"},
                }
            ).encode()
            msg_id = f"bench-{i}"
            headers = {
                "webhook-id": msg_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": hook.sign(msg_id, now, body.decode()),
                "Content-Type": "application/json",
            }
            raw.append(request("POST", "/webhooks/generic", body, headers))
        t0 = time.perf_counter()
        latencies, statuses, _ = asyncio.run(run_all(port, raw, args.connections))
        t1 = time.perf_counter()
        assert set(statuses) == {202}, set(statuses)
        print(
            f"webhooks: {len(raw):,} signed requests in {t1 - t0:.1f}s = {len(raw) / (t1 - t0):,.0f} req/s, "
            f"p50 {pct(latencies, 50):.1f} ms, p99 {pct(latencies, 99):.1f} ms ({args.connections} connections)"
        )
        wait_until_scored(port)

        # 3. leaderboard top 10 + around me, for random askers
        tokens = []
        for _ in range(200):
            sub = roster[random.randrange(len(roster))]["external_id"]
            claims = {"sub": sub, "exp": int(time.time()) + 3600, "roles": ["employee"]}
            tokens.append(jwt.encode(claims, JWT_SECRET, algorithm="HS256"))
        # Everyone on the board: standings for all employees (lognormal scores, many ties), written as scoring
        # would. The read path only sees standings, whatever the size of the ledger behind them.
        seed_db = open_database(DatabaseConfig(url=url, migrate=False))
        rng = random.Random(9)
        ids = [r[0] for r in seed_db.query('SELECT id FROM "employee"')]
        with seed_db.transaction():
            seed_db.executemany(
                'INSERT INTO "standing" (board, period, employee, score, reached_at) VALUES (?, ?, ?, ?, ?) '
                "ON CONFLICT (board, period, employee) DO UPDATE SET score = excluded.score",
                [
                    (
                        "points",
                        "all",
                        e,
                        int(rng.lognormvariate(4, 1.2)),
                        seed_db.ts(datetime.now(UTC)),
                    )
                    for e in ids
                ],
            )
        seed_db.close()
        asyncio.run(
            run_all(
                port,
                [
                    request(
                        "GET",
                        "/v1/leaderboards/points?period=all",
                        headers={"Authorization": f"Bearer {tokens[0]}"},
                    )
                ],
                1,
            )
        )
        reqs = [
            request(
                "GET",
                "/v1/leaderboards/points?period=all&limit=10",
                headers={"Authorization": f"Bearer {random.choice(tokens)}"},
            )
            for _ in range(args.board_requests)
        ]
        latencies, statuses, server_ms = asyncio.run(
            run_all(port, reqs, 1)
        )  # one at a time: no queueing in the figure
        assert set(statuses) == {200}, set(statuses)
        with_points = len(
            open_database(DatabaseConfig(url=url, migrate=False)).query(
                "SELECT employee FROM \"standing\" WHERE board = 'points' AND period = 'all'"
            )
        )
        print(
            f"leaderboard top10+me+around, {with_points:,} of {args.employees:,} employees on the board: client p50 "
            f"{pct(latencies, 50):.2f} ms, p99 {pct(latencies, 99):.2f} ms; server p50 {pct(server_ms, 50):.2f} ms, "
            f"p99 {pct(server_ms, 99):.2f} ms"
        )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
