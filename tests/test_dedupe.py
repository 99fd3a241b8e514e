"""Near-duplicates at intake (issue 16): the same share re-sent under new ids counts once.

The default program declares ``share: dedupe: {key: [content_id, network], within_minutes: 10}``: a share of the
same post on the same network by the same employee less than 10 minutes after another one is a duplicate:
answered as a repeated event id is, stored, and marked `duplicate` by scoring. Which shares count depends on the
set of shares, never on the order they arrive in (issue 17). The suite's clock stands at 2026-11-20 09:00 UTC (conftest).
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_api import Api, sample
from test_fair_play import points_of, send, stored

from engine import clock
from engine.people.roster import RosterRow, import_roster
from engine.scoring.intake import accept_events
from engine.scoring.replay import replay
from engine.scoring.rulesets import load_rulebook, publish
from engine.scoring.score import process_pending
from engine.storage.database import Database, DatabaseConfig, open_database
from rules import load_rules

#: The `api` fixture: the app with the default program and the test roster.
pytest_plugins = ["test_api"]

RULES_PATH = Path(__file__).resolve().parent.parent / "rules.yaml"
#: The first share of every test; the others are this many seconds or minutes after it.
FIRST = datetime(2026, 11, 20, 8, 40, tzinfo=UTC)


def share(
    eid: str,
    after: timedelta = timedelta(0),
    employee: str = "E1",
    content: str = "post_311",
    network: str = "linkedin",
) -> dict[str, Any]:
    return {
        "source": "tool",
        "id": eid,
        "type": "share",
        "employee": employee,
        "occurred_at": (FIRST + after).isoformat(),
        "attributes": {"content_id": content, "content_kind": "curated", "network": network},
    }


def test_the_default_program_dedupes_shares() -> None:
    dedupe = load_rules(RULES_PATH, run_tests=False).event_types["share"].dedupe
    assert dedupe is not None
    assert (dedupe.key, dedupe.within_minutes) == (("content_id", "network"), 10)


def kept(api: Api) -> int:
    """Stored events that are not near-duplicates."""
    return int(api.db.query("SELECT COUNT(*) FROM \"event\" WHERE status != 'duplicate'")[0][0])


def twenty_shares() -> list[dict[str, Any]]:
    """One share re-sent 20 times under new ids, 20 seconds apart (6 minutes 20 in all)."""
    return [share(f"again-{n}", timedelta(seconds=20 * n)) for n in range(20)]


@pytest.mark.parametrize("requests", [1, 20], ids=["one-request", "twenty-requests"])
def test_the_same_share_sent_twenty_times_counts_once(api: Api, requests: int) -> None:
    events = twenty_shares()
    size = len(events) // requests
    results = [r for i in range(0, len(events), size) for r in send(api, *events[i : i + size])]
    assert [r["status"] for r in results] == ["accepted"] + ["duplicate"] * 19
    api.score()
    assert stored(api) == 20 and kept(api) == 1
    assert points_of(api) == 10  # one curated share (rule share: 10 × 1.0)

    # 11 minutes after the first but less than 10 after the last re-send: still the same share.
    (again,) = send(api, share("again-later", timedelta(minutes=11)))
    assert again["status"] == "duplicate"
    # 10 minutes after the last one: a new share of the post (the re-share decay halves it).
    (later,) = send(api, share("later", timedelta(minutes=21)))
    assert later["status"] == "accepted"
    api.score()
    assert kept(api) == 2 and points_of(api) == 10 + 5

    replay(api.db)  # scoring decides near-duplicates the same way again
    assert points_of(api) == 15 and kept(api) == 2


def test_what_is_not_a_near_duplicate(api: Api) -> None:
    results = send(
        api,
        share("first"),
        share("other-network", timedelta(minutes=1), network="x"),
        share("other-post", timedelta(minutes=1), content="post_312"),
        share("other-employee", timedelta(minutes=1), employee="E2"),
        share("ten-minutes-on", timedelta(minutes=10)),  # the window is open at its end
    )
    assert [r["status"] for r in results] == ["accepted"] * 5


def test_the_employee_and_the_key_are_compared_as_stored(api: Api) -> None:
    """The employee's email in another case, with spaces, is the same ref as stored (trimmed, lower case)."""
    results = send(
        api,
        share("by-email", employee="anna@example.com"),
        share("shouted", timedelta(minutes=2), employee=" ANNA@Example.com "),
    )
    assert [r["status"] for r in results] == ["accepted", "duplicate"]
    key, ref = api.db.query('SELECT dedupe_key, employee_ref FROM "event"')[0]
    assert len(key) == 32 and int(key, 16) >= 0 and ref == "anna@example.com"


def test_an_event_type_without_dedupe_is_untouched(api: Api) -> None:
    reaction = {
        "source": "tool",
        "type": "reaction_received",
        "employee": "E1",
        "occurred_at": FIRST.isoformat(),
        "attributes": {"content_id": "post_311", "reaction": "like", "count": 1},
    }
    results = send(api, {**reaction, "id": "r1"}, {**reaction, "id": "r2"})
    assert [r["status"] for r in results] == ["accepted", "accepted"]
    assert api.db.query('SELECT DISTINCT dedupe_key FROM "event"') == [(None,)]


def test_a_near_duplicate_webhook_is_answered_as_a_retry(api: Api) -> None:
    """A tool's new delivery (new webhook-id, new share id) of the same share a minute later: 200 "duplicate"."""
    body = sample("advocacy-tool-share.json")
    first = api.webhook("advocacy-tool", body, "msg_share_1")
    assert first.status_code == 202, first.text
    payload = json.loads(body)
    payload["data"]["share_id"] = "shr_again"
    payload["timestamp"] = "2026-11-03T09:15:22Z"
    again = api.webhook("advocacy-tool", json.dumps(payload).encode(), "msg_share_2")
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "duplicate"
    api.score()
    assert kept(api) == 1


def test_a_chain_is_decided_by_the_set_not_the_arrival_order(api: Api) -> None:
    """10:00, 10:08, 10:16 with a 10-minute window: each is within the window of the one before, so only 10:00
    counts, whichever arrives first. Intake answers what it can already see; scoring decides the rest."""
    in_order = send(
        api,
        share("a0", timedelta(0)),
        share("a8", timedelta(minutes=8)),
        share("a16", timedelta(minutes=16)),
    )
    assert [r["status"] for r in in_order] == ["accepted", "duplicate", "duplicate"]
    api.score()
    in_order_points = points_of(api)
    assert in_order_points == 10

    middle_first = send(
        api,
        share("b8", timedelta(minutes=8), content="post_312"),
        share("b16", timedelta(minutes=16), content="post_312"),
    )
    assert [r["status"] for r in middle_first] == ["accepted", "duplicate"]
    api.score()  # b8 is scored: nothing earlier is known yet
    assert points_of(api) == 2 * in_order_points
    # The earliest share arrives last: b8 becomes its near-duplicate and its points are taken back.
    (first,) = send(api, share("b0", timedelta(0), content="post_312"))
    assert first["status"] == "accepted"
    api.score()
    assert points_of(api) == 2 * in_order_points
    statuses = dict(api.db.query('SELECT external_id, status FROM "event"'))
    assert [statuses[k] for k in ("b0", "b8", "b16")] == ["done", "duplicate", "duplicate"]
    (reason,) = api.db.query("SELECT reason FROM \"event\" WHERE external_id = 'b8'")[0]
    assert reason == "near-duplicate: the same key less than 10 minutes earlier"
    rescored = api.db.query(
        'SELECT l.points, l.reasons FROM "ledger_entry" l JOIN "event" e ON e.id = l.event '
        "WHERE e.external_id = 'b8' AND l.kind = 'rescore'"
    )
    assert [points for points, _ in rescored] == [-10]
    assert "an earlier share arrived late" in rescored[0][1]


# -- the storage layer on both databases -------------------------------------------------------------------------


def test_intake_dedupes_on_both_databases(db: Database) -> None:
    publish(db, RULES_PATH)
    rules = load_rulebook(db).current
    events = twenty_shares()
    statuses = [o.status for o in accept_events(db, events[:10], rules)]
    statuses += [o.status for n in range(10, 20) for o in accept_events(db, [events[n]], rules)]
    assert statuses == ["accepted"] + ["duplicate"] * 19
    (later,) = accept_events(db, [share("later", timedelta(minutes=17))], rules)
    assert later.status == "accepted"
    # All stored (scoring marks near-duplicates; this database has no roster, so they wait parked), one key.
    rows = db.query('SELECT external_id, dedupe_key FROM "event" ORDER BY occurred_at')
    assert [r[0] for r in rows] == [f"again-{n}" for n in range(20)] + ["later"]
    assert len({r[1] for r in rows}) == 1 and len(rows[0][1]) == 32


def test_concurrent_intakes_keep_one_share(postgres_url: str) -> None:
    """API processes storing the same share under new ids at the same moment: one of them counts."""
    setup = open_database(DatabaseConfig(url=postgres_url))
    publish(setup, RULES_PATH)
    senders = 6
    barrier = threading.Barrier(senders)
    statuses: list[str] = []
    problems: list[BaseException] = []

    def send_one(n: int) -> None:
        db = open_database(DatabaseConfig(url=postgres_url, migrate=False))
        try:
            rules = load_rulebook(db).current
            barrier.wait(timeout=30)
            (outcome,) = accept_events(db, [share(f"racer-{n}", timedelta(seconds=n))], rules)
            statuses.append(outcome.status)
        except BaseException as exc:
            problems.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=send_one, args=(n,)) for n in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not problems, problems
    # An answer is what intake could tell when it stored the share: the first to store hears "accepted", and
    # so does any later sender whose share occurred before every share stored so far.
    assert "accepted" in statuses and len(statuses) == senders
    assert setup.query('SELECT COUNT(DISTINCT dedupe_key), COUNT(*) FROM "event"') == [(1, senders)]
    # Scoring decides from the set: only the earliest share counts.
    import_roster(
        setup,
        [RosterRow.from_record({"external_id": "E1", "email": "e1@example.com", "name": "E"})],
    )
    with clock.pinned(FIRST + timedelta(hours=1)):
        process_pending(setup, load_rulebook(setup))
    assert setup.query("SELECT external_id FROM \"event\" WHERE status != 'duplicate'") == [
        ("racer-0",)
    ]
    setup.close()
