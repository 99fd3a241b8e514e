"""Benchmark: 10,000 outbox messages delivered to a local Standard Webhooks receiver.

The receiver (tests/receivers.py, a real HTTP server on a free port) verifies every signature and dedups by
webhook-id. Prints messages/s of:

* the baseline: the same number of signed POSTs from the same HTTP client and threads, no database;
* the outbox, all answered 200: claim, send, record;
* the outbox with faults: 10% 500s and 3% 429 with Retry-After: 1 s (retries on a shortened schedule), until
  every message is delivered; the receiver must hold each message exactly once.

Target (issue 6): 10,000 messages at >= 500 messages/s, retries working. Not a test:

    .venv/bin/python bench/outbox.py [--messages 10000] [--threads 16] [--postgres]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.demo.roster import generate_roster  # noqa: E402
from engine.people.roster import RosterRow, import_roster  # noqa: E402
from engine.rewards.connectors import OutboundMessage  # noqa: E402
from engine.rewards.connectors.webhook import WebhookConnector  # noqa: E402
from engine.rewards.outbox import (  # noqa: E402
    Connectors,
    DeliveryConfig,
    RewardCause,
    deliver_due,
    queue_rewards,
)
from engine.scoring.rulesets import publish  # noqa: E402
from engine.storage.database import Database, DatabaseConfig, open_database  # noqa: E402
from rules import CompiledRules, load_rules_text  # noqa: E402
from tests.receivers import WEBHOOK_SECRET, Request, WebhookReceiver  # noqa: E402
from tests.servers import scratch_database  # noqa: E402

SECTIONS = """\
connectors:
  - id: hr
    kind: webhook
    url: {url}
    secret_env: PLAUDIT_BENCH_SECRET
rewards:
  - id: {reward}
    trigger: badge_awarded
    connector: hr

"""


class ReceiverProcess:
    """The receiver in a process of its own, as an HR system would be: it must not share this process's GIL
    (and so its CPU) with the sender being measured. Commands go over a pipe."""

    def __init__(self) -> None:
        parent, child = multiprocessing.Pipe()
        self._pipe = parent
        self._process = multiprocessing.Process(target=_serve, args=(child,), daemon=True)
        self._process.start()
        self.endpoint: str = parent.recv()

    def ask(self, command: str) -> Any:
        self._pipe.send(command)
        return self._pipe.recv()

    def stop(self) -> None:
        self.ask("stop")
        self._process.join(10)


def _serve(pipe: Any) -> None:
    rng = random.Random(1)

    def faults(_: Request):  # type: ignore[no-untyped-def]
        roll = rng.random()
        if roll < 0.10:
            return 500
        if roll < 0.13:
            return (429, {"Retry-After": "1"})
        return None

    with WebhookReceiver() as receiver:
        pipe.send(receiver.endpoint)
        while True:
            command = pipe.recv()
            if command == "faults":
                receiver.on_request = faults
            elif command == "clear":
                receiver.deliveries.clear()
            elif command == "stats":
                pass
            elif command == "stop":
                pipe.send(None)
                return
            pipe.send((len(receiver.deliveries), receiver.requests, receiver.duplicates))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def program(url: str, reward: str) -> CompiledRules:
    text = (ROOT / "rules.yaml").read_text(encoding="utf-8")
    start, end = text.index("connectors:"), text.index("# What each tool sends")
    sections = SECTIONS.format(url=url, reward=reward)
    return load_rules_text(text[:start] + sections + text[end:], "rules.yaml")


def queue(db: Database, rules: CompiledRules, ids: list[int]) -> None:
    causes = [
        RewardCause(
            i,
            {
                "badge.id": "first-share",
                "badge.name": "First share",
                "badge.tier": "",
                "badge.window": "ever",
            },
            subject="first-share",
        )
        for i in ids
    ]
    with db.transaction():
        queue_rewards(db, rules, "badge_awarded", causes)


def baseline(url: str, n: int, threads: int) -> float:
    connector = WebhookConnector(url, WEBHOOK_SECRET)
    payload = {"type": "badge.awarded", "timestamp": "2026-11-23T09:00:00+00:00", "data": {"x": 1}}
    messages = [
        OutboundMessage(f"msg_base{i}", f"base{i}", "base", "badge_awarded", payload)
        for i in range(n)
    ]
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        outcomes = list(pool.map(connector.send, messages))
    seconds = time.perf_counter() - started
    connector.close()
    assert all(o.status == "delivered" for o in outcomes), {o.detail for o in outcomes}
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=DeliveryConfig().threads)
    parser.add_argument("--postgres", action="store_true", help="a real PostgreSQL on a free port")
    args = parser.parse_args()
    n = args.messages
    environ = {"PLAUDIT_BENCH_SECRET": WEBHOOK_SECRET}
    receiver = ReceiverProcess()
    try:
        with scratch_database(args.postgres) as url:
            run(url, receiver, n, args.threads, environ)
    finally:
        receiver.stop()


def run(url: str, receiver: ReceiverProcess, n: int, threads: int, environ: dict[str, str]) -> None:
    db = open_database(DatabaseConfig(url=url))
    print(f"{n:,} messages, {threads} threads, database: {db.dialect}")
    import_roster(db, [RosterRow.from_record(r) for r in generate_roster(n, seed=9)])
    ids = [int(i) for (i,) in db.query('SELECT id FROM "employee" ORDER BY id')]

    seconds = baseline(receiver.endpoint, n, threads)
    print(
        f"{'baseline: signed POSTs, no database':<44} {seconds:6.2f} s {n / seconds:>8,.0f} msg/s"
    )
    receiver.ask("clear")

    connectors = Connectors(environ=environ)
    clean = program(receiver.endpoint, "clean")
    publish(db, clean)
    queue(db, clean, ids)
    started = time.perf_counter()
    result = deliver_due(db, clean, connectors, DeliveryConfig(threads=threads))
    seconds = time.perf_counter() - started
    held, _, _ = receiver.ask("stats")
    assert result.delivered == n and held == n, (result, held)
    print(f"{'outbox, every answer 200':<44} {seconds:6.2f} s {n / seconds:>8,.0f} msg/s")

    receiver.ask("clear")
    _, requests_before, _ = receiver.ask("faults")
    faulty = program(receiver.endpoint, "faulty")
    queue(db, faulty, ids)
    retrying = DeliveryConfig(threads=threads, schedule=(1, 1, 1, 1, 1, 1, 1))
    started = time.perf_counter()
    delivered, passes = 0, 0
    while delivered < n:
        delivered += deliver_due(db, faulty, connectors, retrying).delivered
        passes += 1
        if delivered < n:
            time.sleep(0.2)
        assert passes < 200, "retries did not converge"
    seconds = time.perf_counter() - started
    held, requests, duplicates = receiver.ask("stats")
    assert held == n, held
    print(
        f"{'outbox, 13% failing, retried until all in':<44} {seconds:6.2f} s {n / seconds:>8,.0f} msg/s "
        f"({requests - requests_before:,} requests for {n:,} messages; the receiver holds each once, "
        f"{duplicates} repeats)"
    )
    dead = db.query("SELECT COUNT(*) FROM \"outbox_message\" WHERE status = 'dead'")[0][0]
    print(f"dead letters: {dead}; peak RSS {peak_rss_mb():.0f} MB")
    target = n / seconds
    print(f"target: >= 500 messages/s with retries: {'met' if target >= 500 else 'MISSED'}")
    connectors.close()
    db.close()


if __name__ == "__main__":
    main()
