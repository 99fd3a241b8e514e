"""A rule that counts only after another event (``after:``, issue 16): live scoring, replay and simulation
agree, since all three play the same compiled rules over the same per-employee counters.

The default program's referral: interviewed and hired count only after the same employee submitted that
candidate; November's autumn-hiring campaign doubles what counts.
"""

from __future__ import annotations

import json
import re

from engine.insight.simulate import events_from_db, simulate
from engine.people.roster import import_roster
from engine.scoring.intake import accept_events
from engine.scoring.replay import replay
from engine.scoring.rulesets import load_rulebook, publish
from engine.scoring.score import process_pending
from engine.storage.database import Database
from rules import load_rules_text
from tests.test_pipeline import event
from tests.test_replay import RULES_PATH, snapshot

ROSTER = "external_id,email,name,team\nE1,e1@example.com,x,Sales\nE2,e2@example.com,x,Sales\n"


def referral(eid: str, employee: str, at: str, candidate: str, stage: str) -> dict:
    return event(eid, employee, "referral", at, candidate_id=candidate, job_id="j1", stage=stage)


EVENTS = [
    referral("a1", "E1", "2026-11-02T10:00:00Z", "c1", "submitted"),  # 25 ×2
    referral("a2", "E1", "2026-11-12T10:00:00Z", "c1", "hired"),  # 500 ×2: submitted before
    referral("a3", "E1", "2026-11-13T10:00:00Z", "c2", "hired"),  # 0: never submitted
    referral("b1", "E2", "2026-11-14T10:00:00Z", "c1", "hired"),  # 0: E1 submitted c1, not E2
    referral("b2", "E2", "2026-11-15T10:00:00Z", "C3@Example.com", "interviewed"),  # 0: too early
    referral("b3", "E2", "2026-11-15T11:00:00Z", " c3@example.com", "submitted"),  # 25 ×2
    referral("b4", "E2", "2026-11-16T10:00:00Z", "c3@example.com", "interviewed"),  # 75 ×2
]
EXPECTED = {"E1": 50 + 1000, "E2": 50 + 150}


def by_employee(db: Database) -> dict[str, int]:
    rows = db.query(
        'SELECT e.external_id, SUM(l.points) FROM "ledger_entry" l JOIN "employee" e ON e.id = l.employee '
        "GROUP BY e.external_id"
    )
    return {emp: int(points) for emp, points in rows}


def test_scoring_replay_and_simulation_agree(db: Database) -> None:
    publish(db, RULES_PATH)
    import_roster(db, ROSTER)
    book = load_rulebook(db)
    outcomes = accept_events(db, EVENTS, book.current)
    assert [o.status for o in outcomes] == ["accepted"] * len(EVENTS), outcomes
    process_pending(db, batch_size=3)  # the marks go through the counter table between batches
    assert by_employee(db) == EXPECTED
    reasons = db.query(
        'SELECT l.reasons FROM "ledger_entry" l JOIN "event" v ON v.id = l.event '
        "WHERE v.external_id = ?",
        ["a2"],
    )
    stored = reasons[0][0]
    assert "Autumn hiring push ×2" in (json.loads(stored) if isinstance(stored, str) else stored)

    scored = snapshot(db)
    replay(db)
    assert snapshot(db) == scored

    text = RULES_PATH.read_text(encoding="utf-8")
    same = simulate(load_rules_text(text, run_tests=False), events_from_db(db), book)
    assert dict(same.published.by_employee) == dict(same.draft.by_employee) == EXPECTED
    assert same.published.by_rule["referral"] == sum(EXPECTED.values())

    # The draft without the prerequisite pays the three hires and the early interview as well.
    without = re.sub(r"\n    after:.*\n(      .*\n)+", "\n", text, count=1)
    assert "after:" not in without.split("\n  - id: referral\n", 1)[1].split("\n\n", 1)[0]
    loose = simulate(load_rules_text(without, run_tests=False), events_from_db(db), book)
    assert dict(loose.published.by_employee) == EXPECTED
    assert dict(loose.draft.by_employee) == {"E1": 1050 + 1000, "E2": 200 + 1000}
