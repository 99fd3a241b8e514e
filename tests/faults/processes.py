"""What the fault tests drive and compare: ``plaudit serve`` as a process, events sent to it over HTTP in
batches, and the ground truth (the same events imported at once and scored in-process on SQLite).

Every kill point and arrival order comes from one seed, printed by the test (``-s``) and in its failure
message, so a failing run can be repeated exactly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from engine.people.api_keys import create_key
from engine.people.roster import RosterRow, import_roster
from engine.scoring.intake import accept_events
from engine.scoring.rulesets import load_rulebook, publish
from engine.scoring.score import process_pending
from engine.storage.database import Database, DatabaseConfig, open_database
from tests.conftest import ROOT, RULES_PATH
from tests.servers import free_port

__all__ = [
    "CRON_ENV",
    "PATIENCE",
    "Answer",
    "Outcome",
    "Server",
    "compare",
    "ground_truth",
    "outcome",
    "prepare",
    "start_cron",
    "wait_until",
]

#: Safety limit of every wait (never a performance threshold: a hung process fails the test, not CI).
PATIENCE = 180.0
JWT_SECRET = "faults-test-secret-" + "x" * 32


def wait_until(condition: Any, what: str, logs: Any = None) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}\n{logs() if logs else ''}")
        time.sleep(0.05)


def prepare(url: str, roster: list[dict[str, str]]) -> str:
    """A database with the default program and the roster, as an operator sets it up; returns an API key
    (events:write and read) for the tool that sends the events."""
    db = open_database(DatabaseConfig(url=url))
    try:
        publish(db, RULES_PATH)
        import_roster(db, [RosterRow.from_record(r) for r in roster])
        return create_key(db, "faults", ["events:write", "read"], "fault tests").key
    finally:
        db.close()


#: What cron gets in these tests: nothing closes (a close adds award points the ground truth lacks), and the sweep
#: runs every 2 seconds, so a job lost with a killed worker is queued again within seconds.
CRON_ENV = {"PLAUDIT_CLOSE_GRACE_SECONDS": str(10 * 365 * 86400), "PLAUDIT_SWEEP_INTERVAL": "2"}


def start_cron(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``plaudit cron``, one per deployment, as docs/scaling.md runs it (its jobs run on the workers, which
    need ``CRON_ENV`` too)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "admin.cli", "cron"],
            cwd=ROOT,
            env={**env, **CRON_ENV},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


class Server:
    """``plaudit serve`` (cwd = repo root) on a free port, logging to a file; killed and started again at will."""

    def __init__(self, env: dict[str, str], log: Path, key: str) -> None:
        self.env = {**os.environ, "PLAUDIT_JWT_SECRET": JWT_SECRET, "PYTHONUNBUFFERED": "1", **env}
        self.log = log
        self.key = key
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.last_error: Any = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "admin.cli", "serve", "--port", str(self.port)],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_until(
            lambda: self.get("/health").status in (200, 503), "the server to answer", self.logs
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; whatever was not committed is gone."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def logs(self, tail: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "--- server log:\n" + "\n".join(text.splitlines()[-tail:])

    def request(self, method: str, path: str, body: bytes | None = None) -> Answer:
        """One request as the tool (its API key); status 0 when no answer came (refused, or cut by a kill)."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=body,
            method=method,
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return Answer(
                    int(answer.status), json.loads(answer.read() or b"null"), answer.headers
                )
        except urllib.error.HTTPError as error:
            return Answer(int(error.code), json.loads(error.read() or b"null"), error.headers)
        except OSError:
            return Answer(0, None, None)

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def send(self, events: list[dict[str, Any]]) -> int:
        """POST one batch to /v1/events; the status (the answer's body goes to ``last_error`` unless 202)."""
        answer = self.request("POST", "/v1/events", json.dumps({"events": events}).encode())
        if answer.status != 202:
            self.last_error = answer.body
        return answer.status


class Answer(NamedTuple):
    status: int
    body: Any
    #: Case-insensitive ``get`` (None when no answer came).
    headers: Any


@dataclass(frozen=True)
class Outcome:
    """What the events came to, comparable across databases and arrival orders. Points per (event, rule):
    re-scored events carry compensating entries, so entry counts differ by design while every sum agrees."""

    totals: list[tuple[Any, ...]]
    points: list[tuple[Any, ...]]
    standings: list[tuple[Any, ...]]
    badges: list[tuple[Any, ...]]
    statuses: list[tuple[Any, ...]]


def outcome(db: Database) -> Outcome:
    totals = db.query(
        'SELECT e.external_id, SUM(l.points) FROM "ledger_entry" l JOIN "employee" e ON e.id = l.employee '
        "GROUP BY e.external_id HAVING SUM(l.points) != 0 ORDER BY e.external_id"
    )
    points = db.query(
        'SELECT v.source, v.external_id, l.rule_id, SUM(l.points) FROM "ledger_entry" l '
        'JOIN "event" v ON v.id = l.event GROUP BY v.source, v.external_id, l.rule_id '
        "HAVING SUM(l.points) != 0 ORDER BY v.source, v.external_id, l.rule_id"
    )
    standings = db.query(
        'SELECT s.board, s.period, e.external_id, s.score FROM "standing" s '
        'JOIN "employee" e ON e.id = s.employee WHERE s.score != 0 ORDER BY 1, 2, 3'
    )
    badges = db.query(
        'SELECT e.external_id, b.badge, b.tier, b.earned_in FROM "badge_award" b '
        'JOIN "employee" e ON e.id = b.employee ORDER BY 1, 2, 3, 4'
    )
    statuses = db.query('SELECT source, external_id, status FROM "event" ORDER BY 1, 2')
    return Outcome(
        *(list(map(tuple, rows)) for rows in (totals, points, standings, badges, statuses))
    )


def ground_truth(
    folder: Path, roster: list[dict[str, str]], events: list[dict[str, Any]]
) -> Outcome:
    """The same events imported at once and scored in this process on SQLite: the reference."""
    url = f"sqlite:///{folder / 'truth.sqlite'}"
    prepare(url, roster)
    db = open_database(DatabaseConfig(url=url))
    try:
        accept_events(db, events, load_rulebook(db).current)
        process_pending(db)
        return outcome(db)
    finally:
        db.close()


def _diff(what: str, actual: list[Any], expected: list[Any]) -> str | None:
    if actual == expected:
        return None
    a, e = Counter(actual), Counter(expected)
    missing, extra = list((e - a).elements()), list((a - e).elements())
    return (
        f"{what}: {len(actual)} rows, expected {len(expected)}; {len(missing)} missing, e.g. "
        f"{missing[:3]}; {len(extra)} unexpected, e.g. {extra[:3]}"
    )


def compare(actual: Outcome, expected: Outcome, badges_may_stay: bool = False) -> list[str]:
    """Every difference from the ground truth. ``badges_may_stay``: events arrived out of time order, and a
    badge earned under that order stays earned (its public link may be shared), so only none may be missing."""
    out = [
        _diff(name, getattr(actual, name), getattr(expected, name))
        for name in ("totals", "points", "standings", "statuses")
    ]
    if badges_may_stay:
        missing = sorted(set(expected.badges) - set(actual.badges))
        out.append(f"badges: {len(missing)} missing, e.g. {missing[:3]}" if missing else None)
    else:
        out.append(_diff("badges", actual.badges, expected.badges))
    return [d for d in out if d]
