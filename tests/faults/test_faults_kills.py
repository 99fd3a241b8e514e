"""Issue 17, rows 2 and 5: processes killed with SIGKILL at seeded random points, as a crash or the OOM killer
would, come to the ground truth once restarted.

* The embedded server (SQLite, scoring in-process) killed twice while a tool sends 1,000-event batches; the
  batches that got no answer are sent again after the restart, as a tool retries.
* A scaled worker killed three times mid-run (at start-up too), a new one started each time, with ``plaudit cron``
  sweeping as deployed: the killed job's shard is not blocked (its queued mark expires within one sweep).
"""

from __future__ import annotations

import random
import signal
import threading
import time
from pathlib import Path

import pytest

from engine.storage.database import DatabaseConfig, open_database
from tests.faults.processes import (
    CRON_ENV,
    Outcome,
    Server,
    compare,
    ground_truth,
    outcome,
    prepare,
    start_cron,
    wait_until,
)
from tests.test_scaleout import Workload, any_pending, any_scored, fresh, load, workers_for

#: ~4,500 events of 120 people over 12 days, re-sent copies included, in the order a tool sends them.
SERVED = Workload("kill-served", employees=120, days=12, per_day=3.0, seed=45)
#: ~16,000 events in 16 shards: several seconds of work for a worker, time for three kills.
WORKED = Workload("kill-worked", employees=400, days=20, per_day=2.0, seed=46)


def test_the_embedded_server_killed_twice_while_a_tool_sends(tmp_path: Path) -> None:
    seed = 4242
    rng = random.Random(seed)
    events = SERVED.events
    batches = [events[i : i + 1000] for i in range(0, len(events), 1000)]
    kills = dict(
        (n, rng.uniform(0.0, 0.4)) for n in sorted(rng.sample(range(len(batches)), 2))
    )  # batch -> seconds after its request starts
    print(f"seed {seed}: kill -9 while sending batches {kills}")
    expected = ground_truth(tmp_path, SERVED.roster, events)

    url = f"sqlite:///{tmp_path / 'plaudit.sqlite'}"
    key = prepare(url, SERVED.roster)
    server = Server({"DATABASE_URL": url, "PLAUDIT_WORKER": "on"}, tmp_path / "serve.log", key)
    unanswered = 0
    try:
        server.start()
        for n, batch in enumerate(batches):
            answer: list[int] = []
            sender = threading.Thread(target=lambda b=batch, a=answer: a.append(server.send(b)))
            sender.start()
            if n in kills:
                time.sleep(kills[n])
                server.kill()
            sender.join()
            while answer[-1] != 202:  # no answer (or one cut short): start again and send it again
                unanswered += answer[-1] != 202
                server.close()
                server.start()
                answer.append(server.send(batch))
        db = open_database(DatabaseConfig(url=url, migrate=False))
        wait_until(lambda: not any_pending(db), "every event scored", server.logs)
        differences = compare(outcome(db), expected)
        assert not differences, f"seed {seed}, kills {kills}: {differences}\n{server.logs()}"
        db.close()
    finally:
        server.close()
    print(f"{unanswered} batch(es) sent again")


@pytest.fixture(scope="module")
def worked_truth(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    return ground_truth(tmp_path_factory.mktemp("truth"), WORKED.roster, WORKED.events)


def test_a_worker_killed_at_random_points(
    worked_truth: Outcome, postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    import redis

    seed = 5151
    rng = random.Random(seed)
    pauses = [rng.uniform(0.2, 1.5) for _ in range(3)]
    print(f"seed {seed}: kill -9 a worker after {pauses} s of work")
    db = fresh(postgres_url)
    load(db, WORKED, redis.Redis.from_url(redis_url))
    with workers_for(postgres_url, redis_url, tmp_path) as pool:
        pool.env.update(CRON_ENV)
        cron = start_cron(pool.env, tmp_path / "cron.log")
        pool.start(1)
        wait_until(lambda: any_scored(db), "a first batch", pool.logs)
        for pause in pauses:
            time.sleep(pause)
            alive = [p for p in pool.procs if p.poll() is None]
            if not alive or not any_pending(db):
                break
            rng.choice(alive).send_signal(signal.SIGKILL)
            pool.start(1)
        try:
            wait_until(lambda: not any_pending(db), "every event scored after the kills", pool.logs)
        finally:
            cron.terminate()
            cron.wait(timeout=30)
        pool.stop()
    differences = compare(outcome(db), worked_truth)
    assert not differences, f"seed {seed}: {differences}"
    db.close()
