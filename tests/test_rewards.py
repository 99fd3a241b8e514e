"""Outbound rewards are queued with what triggered them: badges, awards, milestones, monthly payouts.

On SQLite and a real PostgreSQL. Delivery is tested in tests/test_outbox.py, against local HTTP receivers.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from engine.people.erasure import erase_employee
from engine.people.roster import import_roster
from engine.rewards.awards import approve_award, close_award, find_award_spec
from engine.rewards.outbox import list_messages
from engine.rewards.payouts import PayoutError, close_payout, payout_lines
from engine.scoring.intake import accept_events
from engine.scoring.replay import replay
from engine.scoring.review import decide, review_items
from engine.scoring.rulesets import load_rulebook, publish
from engine.scoring.score import process_pending
from engine.storage.database import Database
from rules import CompiledRules, load_rules_text
from tests.test_pipeline import RULES_PATH, share

ROSTER = """external_id,email,given_name,family_name,team,department
E1,anna@example.com,Anna,de Vries,Sales,Commercial
E2,bjorn@example.com,Bjørn,Pedersen,Sales,Commercial
E3,olga@example.com,Ольга,Иванова,Marketing,Marketing
"""

SECTIONS = """\
connectors:
  - id: hr
    kind: webhook
    url: http://127.0.0.1:9/hooks
    secret_env: PLAUDIT_TEST_HR_SECRET
  - id: payroll
    kind: csv_payroll
    directory: {payroll}
  - id: bonusly
    kind: bonusly
    url: http://127.0.0.1:9/api/v1/bonuses
    token_env: PLAUDIT_TEST_BONUSLY_TOKEN

rewards:
  - id: first-share-hr
    trigger: badge_awarded
    badges: [first-share]
    connector: hr
  - id: eotm-bonus
    trigger: award_won
    connector: bonusly
    amount: 50
    giver: hr@example.com
    reason: "+{{amount}} {{award.name}}, {{award.period}} #recognition"
  - id: fifty
    trigger: points_milestone
    points: 50
    connector: hr
    payload: {{who: "{{employee.id}}", reached: "{{milestone.points}}"}}
  - id: payout
    trigger: monthly_payout
    connector: payroll
    rate: {{points: 10, amount: 1}}
    budget: {{default: 1000, Commercial: 1.50}}
    reason: "{{reward.id}} for {{employee.name}}, {{period}}: {{points}} points"
  - id: payout-bonus
    trigger: monthly_payout
    connector: bonusly
    rate: {{points: 1, amount: 1}}
    giver: hr@example.com

"""


def with_rewards(sections: str) -> CompiledRules:
    """The default program with these `connectors:` and `rewards:` in place of its own."""
    text = RULES_PATH.read_text(encoding="utf-8")
    start, end = text.index("connectors:"), text.index("# What each tool sends")
    return load_rules_text(text[:start] + sections + text[end:], "rules.yaml")


@pytest.fixture
def rules(db: Database, tmp_path) -> CompiledRules:  # type: ignore[no-untyped-def]
    compiled, _ = publish(db, with_rewards(SECTIONS.format(payroll=tmp_path / "payroll")))
    import_roster(db, ROSTER)
    return compiled


def messages(db: Database) -> list[tuple[str, str, str, dict]]:
    """(reward, employee, status, payload) of every message, oldest first."""
    rows = db.query(
        'SELECT m.reward, e.external_id, m.status, m.payload FROM "outbox_message" m '
        'LEFT JOIN "employee" e ON e.id = m.employee ORDER BY m.id'
    )
    return [(r, e, s, p if isinstance(p, dict) else json.loads(p)) for r, e, s, p in rows]


def score(db: Database, events: list[dict]) -> None:
    book = load_rulebook(db)
    accept_events(db, events, book.current)
    process_pending(db, book)


def test_a_badge_queues_its_message_once_even_through_a_replay(db: Database, rules) -> None:
    score(db, [share("s1", "E1", "2026-11-02T09:00:00+01:00")])
    (badge,) = [m for m in messages(db) if m[0] == "first-share-hr"]
    _, employee, status, payload = badge
    assert (employee, status) == ("E1", "pending")
    assert payload["type"] == "badge.awarded"
    assert payload["data"]["badge.id"] == "first-share"
    assert payload["data"]["employee.email"] == "anna@example.com"
    before = messages(db)
    replay(db, load_rulebook(db))
    score(db, [share("s2", "E1", "2026-11-03T09:00:00+01:00", content="p2")])
    assert [m[:2] for m in messages(db) if m[0] == "first-share-hr"] == [badge[:2]]
    assert len(messages(db)) >= len(before)


def test_milestone_fires_once_when_the_total_crosses_it(db: Database, rules) -> None:
    score(
        db,
        [
            share(f"s{i}", "E2", f"2026-11-0{i}T09:00:00+01:00", content=f"p{i}")
            for i in range(2, 9)
        ],
    )
    fifty = [m for m in messages(db) if m[0] == "fifty"]
    assert len(fifty) == 1
    assert fifty[0][3]["data"] == {"who": "E2", "reached": "50"}
    score(db, [share("s9", "E2", "2026-11-09T09:00:00+01:00", content="p9")])
    assert len([m for m in messages(db) if m[0] == "fifty"]) == 1


def test_award_winner_gets_the_bonus_message(db: Database, rules) -> None:
    events = [
        share(f"a{d}", "E3", f"2026-10-{d:02d}T09:00:00+01:00", content=f"p{d}")
        for d in range(1, 8)
    ]
    score(db, events)
    award = find_award_spec(rules, "employee-of-the-month")
    outcome = close_award(db, rules, award, "2026-10", datetime(2026, 11, 10, tzinfo=UTC))
    assert not [m for m in messages(db) if m[0] == "eotm-bonus"]  # the default needs HR's approval
    (pick,) = [r for r in outcome.results if r.scope == "company" and r.status == "shortlisted"]
    approve_award(db, rules, pick.id, "hr:test", datetime(2026, 11, 10, tzinfo=UTC))
    (won,) = [m for m in messages(db) if m[0] == "eotm-bonus"]
    assert won[1] == "E3"
    assert won[3] == {
        "giver_email": "hr@example.com",
        "receiver_email": "olga@example.com",
        "amount": 50,
        "reason": "+50.00 Employee of the month, 2026-10 #recognition",
    }


def test_payout_rate_budget_pro_rata_and_once(db: Database, rules, tmp_path) -> None:
    # Anna and Bjørn (Commercial, budget 1.50) and Olga (Marketing, default budget) share in October.
    score(
        db,
        [
            share("a", "E1", "2026-10-05T09:00:00+01:00"),
            share("b", "E2", "2026-10-05T10:00:00+01:00"),
        ]
        + [
            share(f"o{d}", "E3", f"2026-10-{d:02d}T09:00:00+01:00", content=f"p{d}") for d in (5, 6)
        ],
    )
    payout = next(r for r in rules.rewards if r.id == "payout")
    lines = {line.external_id: line for line in payout_lines(db, payout, "2026-10")}
    points = {k: v.points for k, v in lines.items()}
    earned = {k: v.earned for k, v in lines.items()}
    assert earned == {k: Decimal(p) / 10 for k, p in points.items()}
    commercial = earned["E1"] + earned["E2"]
    assert commercial > Decimal("1.50")  # over budget: both get the same share of what they earned
    assert lines["E1"].amount + lines["E2"].amount <= Decimal("1.50")
    assert lines["E1"].amount == (earned["E1"] * Decimal("1.50") / commercial).quantize(
        Decimal("0.01"), "ROUND_DOWN"
    )
    assert lines["E3"].amount == earned["E3"]  # within its budget

    with pytest.raises(PayoutError, match="period: 2026-10 is paid out from"):
        close_payout(db, rules, payout, "2026-10", datetime(2026, 11, 1, tzinfo=UTC))
    with pytest.raises(PayoutError, match="period: expected a month"):
        close_payout(db, rules, payout, "2026-Q4", datetime(2026, 12, 1, tzinfo=UTC))
    done = close_payout(db, rules, payout, "2026-10", datetime(2026, 11, 5, tzinfo=UTC))
    assert done.created and done.total == sum(line.amount for line in lines.values())
    (file_message,) = [m for m in messages(db) if m[0] == "payout"]
    assert file_message[1] is None  # one payroll file for the month, no one employee
    rows = file_message[3]["lines"]
    assert [r["employee_id"] for r in rows] == ["E1", "E2", "E3"]
    assert rows[0]["amount"] == f"{lines['E1'].amount:.2f}" and rows[0]["currency"] == "EUR"
    assert rows[0]["reason"] == f"payout for Anna de Vries, 2026-10: {points['E1']} points"
    # A late event and a second close: nothing recomputed, nothing queued again. October is paid out, so the
    # event waits for HR (late); approved, it is scored into October.
    score(db, [share("late", "E3", "2026-10-20T09:00:00+01:00", content="late")])
    (case,) = review_items(db)
    assert case.kind == "late" and case.reason.startswith("late: 2026-10 is closed (payout")
    decide(db, load_rulebook(db), case.id, True, "hr-test", "the tool was down in October")
    process_pending(db)
    again = close_payout(db, rules, payout, "2026-10", datetime(2026, 11, 6, tzinfo=UTC))
    assert not again.created
    assert len([m for m in messages(db) if m[0] == "payout"]) == 1
    # The per-person payout to the REST connector, closed after the late event was approved (so it counts): one
    # message each, the amount at its own rate.
    bonus = next(r for r in rules.rewards if r.id == "payout-bonus")
    close_payout(db, rules, bonus, "2026-10", datetime(2026, 11, 5, tzinfo=UTC))
    per_person = {m[1]: m[3]["amount"] for m in messages(db) if m[0] == "payout-bonus"}
    assert per_person == {"E1": points["E1"], "E2": points["E2"], "E3": points["E3"] + 10}


def test_erasure_empties_and_cancels_the_messages_about_them(db: Database, rules) -> None:
    score(db, [share("s1", "E1", "2026-11-02T09:00:00+01:00")])
    assert messages(db)
    result = erase_employee(db, "E1")
    assert result.messages == len(messages(db))
    assert all(m[2] == "cancelled" and m[3] == {"erased": True} for m in messages(db))
    assert "anna" not in json.dumps([m[3] for m in messages(db)])
    assert all(m.last_error for m in list_messages(db, status="cancelled"))
