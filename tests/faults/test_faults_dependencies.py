"""Issue 17, rows 3 and 4: the servers Plaudit depends on go away and come back, and every Plaudit process heals
by itself (nobody restarts anything) and comes to the ground truth.

* Redis killed and started again empty 6 seconds later under two ``plaudit worker``, ``plaudit cron`` and the
  API: none exits, /health says ``degraded`` with Redis ``unavailable`` meanwhile and ``ok`` after, and the same
  workers finish every event.
* PostgreSQL stopped fast (every connection dropped) and started again 3 seconds later under the API and its
  in-process worker: the API answers 503 with Retry-After meanwhile, never a 500, then 200; events sent after
  are taken and scored.
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import redis

from engine.people.api_keys import create_key
from engine.storage.database import DatabaseConfig, open_database
from tests.faults.processes import (
    CRON_ENV,
    Answer,
    Server,
    compare,
    ground_truth,
    outcome,
    prepare,
    start_cron,
    wait_until,
)
from tests.redis_server import started_server
from tests.servers import create_database, postgres_server, restart_postgres
from tests.test_scaleout import (
    Workload,
    any_pending,
    any_scored,
    assert_boards_equal_standings,
    cli,
    fresh,
    load,
    workers_for,
)

WORK = Workload("dependencies", employees=300, days=15, per_day=2.0, seed=47)


def test_redis_restarted_empty_under_workers_cron_and_api(
    postgres_url: str, tmp_path: Path
) -> None:
    expected = ground_truth(tmp_path, WORK.roster, WORK.events)
    server = started_server()
    cron: subprocess.Popen[bytes] | None = None
    api: Server | None = None
    try:
        db = fresh(postgres_url)
        key = create_key(db, "faults", ["events:write", "read"], "fault tests").key
        client = redis.Redis.from_url(server.url)
        load(db, WORK, client)
        with workers_for(postgres_url, server.url, tmp_path) as pool:
            pool.env.update(CRON_ENV)  # the sweep every 2 seconds: cron meets the outage
            pair = pool.start(2)
            cron = start_cron(pool.env, tmp_path / "cron.log")
            api = Server(
                {"DATABASE_URL": postgres_url, "REDIS_URL": server.url, "PLAUDIT_WORKER": "off"},
                tmp_path / "serve.log",
                key,
            )
            api.start()
            wait_until(lambda: any_scored(db), "a first batch", pool.logs)

            server.stop()  # no persistence: the queue, the shard marks, the cron registry and the boards go
            wait_until(
                lambda: api.get("/health").body.get("redis") == "unavailable", "/health to say so"
            )
            status, health, _ = api.get("/health")
            assert (status, health["status"], health["database"]) == (200, "degraded", "ok")
            time.sleep(6)
            server.start()

            wait_until(
                lambda: not any_pending(db), "every event scored by the same workers", pool.logs
            )
            wait_until(
                lambda: api.get("/health").body.get("workers") == 2,
                "/health to see both workers again",
            )
            assert api.get("/health").body["status"] == "ok"
            assert [p.poll() for p in pair] == [None, None], pool.logs()
            assert cron.poll() is None, (tmp_path / "cron.log").read_text()
            cron_log = (tmp_path / "cron.log").read_text()
            assert "a dependency is unreachable" in cron_log, cron_log
            # Each worker said so (RQ's own retry while it waits for a job, or ours around it).
            for proc in pair:
                said = pool.log_of(proc).lower()
                assert "could not connect to redis" in said or "a dependency is unreachable" in said
            pool.stop()
            cli(pool.env, "leaderboards", "rebuild")

        differences = compare(outcome(db), expected)
        assert not differences, differences
        assert_boards_equal_standings(db, client)
        db.close()
    finally:
        if cron is not None and cron.poll() is None:
            cron.terminate()
            cron.wait(timeout=30)
        if api is not None:
            api.close()
        server.close()


def test_postgres_restarted_under_the_api(tmp_path: Path) -> None:
    events = WORK.events[:3000]
    first, second = events[:2000], events[2000:]
    expected = ground_truth(tmp_path, WORK.roster, events)
    with postgres_server() as pg:
        url = create_database(pg)
        key = prepare(url, WORK.roster)
        api = Server({"DATABASE_URL": url, "PLAUDIT_WORKER": "on"}, tmp_path / "serve.log", key)
        try:
            api.start()
            assert api.send(first[:1000]) == 202 and api.send(first[1000:]) == 202
            db = open_database(DatabaseConfig(url=url, migrate=False))
            wait_until(lambda: not any_pending(db), "the first events scored", api.logs)
            db.close()

            seen: list[tuple[str, Answer]] = []
            restarting = threading.Thread(target=restart_postgres, args=(pg, 3.0))
            restarting.start()
            while restarting.is_alive():  # the outage, as the API's callers see it
                for path in ("/health", "/v1/leaderboards/points"):
                    seen.append((path, api.get(path)))
                time.sleep(0.05)
            restarting.join()
            back = time.monotonic()
            wait_until(
                lambda: api.get("/v1/leaderboards/points").status == 200, "the API to answer"
            )
            print(f"first 200 after PostgreSQL came back: {time.monotonic() - back:.2f} s")

            statuses = {answer.status for _, answer in seen}
            assert 500 not in statuses, seen
            retry_after = [
                a.headers.get("Retry-After")
                for p, a in seen
                if p.startswith("/v1") and a.status == 503
            ]
            assert retry_after, f"the outage was never seen: {sorted(statuses)}"
            assert set(retry_after) == {"2"}, retry_after
            # A tool retries a 503 after its Retry-After: the request that finds a connection dead is answered
            # 503, the next one is taken on a new connection.
            for batch in (second[:500], second[500:]):
                answers = [api.send(batch)]
                while answers[-1] == 503 and len(answers) < 5:
                    time.sleep(0.2)
                    answers.append(api.send(batch))
                assert answers[-1] == 202, (answers, api.last_error)
            db = open_database(DatabaseConfig(url=url, migrate=False))
            wait_until(lambda: not any_pending(db), "the events sent after scored", api.logs)
            assert api.proc is not None and api.proc.poll() is None
            differences = compare(outcome(db), expected)
            assert not differences, differences
            db.close()
        finally:
            api.close()
