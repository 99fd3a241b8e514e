"""Employee of the month: closing a period picks winners, freezes the result, archives the board, rewards.

Real databases (SQLite and PostgreSQL via ``db``). The program is in Europe/Amsterdam: November 2026 ends at
2026-11-30T23:00Z, and with 48 grace hours closes at 2026-12-02T23:00Z.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from admin.cli import main
from engine.people.roster import import_roster
from engine.people.shoutouts import feed
from engine.rewards.awards import (
    AwardError,
    approve_award,
    archived_board,
    award_card,
    award_results,
    close_award,
    close_due_awards,
    find_award_spec,
    period_months,
)
from engine.scoring.intake import accept_events
from engine.scoring.rulesets import load_rulebook, publish
from engine.scoring.score import process_pending
from engine.storage.audit import AWARD_APPROVED, AWARD_CLOSED, recent
from engine.storage.database import Database
from rules import CompiledRules, load_rules_text
from rules.periods import period_label
from tests.rules.rules_support import BASE
from tests.test_pipeline import share as pipeline_share

__all__ = ["prepared", "program", "referral", "review_case", "scored", "share"]

CLOSE = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)

ROSTER = (
    "external_id,email,name,team\n"
    "E1,e1@example.com,Anna Berg,Sales\n"
    "E2,e2@example.com,Bo Dahl,Sales\n"
    "E3,e3@example.com,Cleo Eng,Ops\n"
    "E4,e4@example.com,Dan Fox,Ops\n"
    "E5,e5@example.com,Eva Gran,Ops\n"
)


def program(award: str = "") -> str:
    """BASE with two rules, a badge for winners and one award (``award``: extra YAML keys of it)."""
    extra = textwrap.indent(textwrap.dedent(award).strip("\n"), "    ") + "\n" if award else ""
    return (
        BASE.replace("  id: test\n", "  id: test\n  name: Acme Corp\n")
        + """
rules:
  - id: share
    event: share
    points: 10
  - id: referral
    event: referral
    points: 50
badges:
  - id: star
    name: Star of the month
    criteria: {kind: rank, period: month}
    goal: 1
    again: true
awards:
  - id: eotm
    name: Employee of the month
    reward: {bonus: 100, badge: star}
"""
        + extra
    )


def share(eid: str, employee: str, at: str) -> dict:
    """A curated share of its own post (content id = event id: no repeat discounts)."""
    return pipeline_share(eid, employee, at, eid)


def referral(eid: str, employee: str, at: str) -> dict:
    return {
        "source": "tool",
        "id": eid,
        "type": "referral",
        "employee": employee,
        "occurred_at": at,
        "attributes": {"candidate_id": eid, "stage": "hired"},
    }


def prepared(db: Database, award: str = "") -> CompiledRules:
    publish(db, load_rules_text(program(award), run_tests=False))
    import_roster(db, ROSTER)
    rules = load_rulebook(db).current
    assert rules is not None
    return rules


def scored(db: Database, events: list[dict]) -> None:
    book = load_rulebook(db)
    accept_events(db, events, book.current)
    process_pending(db, book)


def shoutout_to(db: Database, giver: str, recipient: str, at: str) -> None:
    """A peer shoutout as engine.people.shoutouts stores it (the tie-breaker counts the recipient rows)."""
    ids = dict(db.query('SELECT external_id, id FROM "employee"'))
    moment = db.ts(datetime.fromisoformat(at))
    db.execute(
        'INSERT INTO "shoutout" (giver, value, message, period, created_at) VALUES (?, ?, ?, ?, ?)',
        (ids[giver], "teamwork", "thanks", "2026-11", moment),
    )
    sid = db.query('SELECT MAX(id) FROM "shoutout"')[0][0]
    db.execute(
        'INSERT INTO "shoutout_recipient" (shoutout, employee) VALUES (?, ?)', (sid, ids[recipient])
    )


def close(db: Database, rules: CompiledRules, period: str = "2026-11", now: datetime = CLOSE):
    return close_award(db, rules, find_award_spec(rules, "eotm"), period, now, "test")


def winners(outcome) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [(r.scope, r.team, r.employee) for r in outcome.winners]


def standing(db: Database, employee: str, period: str) -> int | None:
    rows = db.query(
        'SELECT s.score FROM "standing" s JOIN "employee" e ON e.id = s.employee '
        "WHERE e.external_id = ? AND s.period = ? AND s.board = 'points'",
        (employee, period),
    )
    return rows[0][0] if rows else None


# -- winners and rewards --------------------------------------------------------------------------------------
def test_the_most_points_win_and_the_winner_is_rewarded(db: Database) -> None:
    rules = prepared(db)
    scored(
        db,
        [
            share("a", "E1", "2026-11-02T10:00:00+01:00"),
            share("b", "E1", "2026-11-03T10:00:00+01:00"),
            share("c", "E1", "2026-11-04T10:00:00+01:00"),
            share("d", "E2", "2026-11-04T10:00:00+01:00"),
            share("e", "E2", "2026-11-05T10:00:00+01:00"),
            share("f", "E3", "2026-12-01T10:00:00+01:00"),  # December: not in November's award
        ],
    )
    outcome = close(db, rules)
    assert outcome.created
    assert winners(outcome) == [("company", "", "E1")]
    (win,) = outcome.winners
    assert (win.metric, win.scored_events, win.active_days, win.rank) == (30, 3, 3, 1)
    # The bonus is dated at the close moment: it counts in December, November's standings stay as archived.
    bonus = db.query(
        'SELECT l.points, l.rule_id, l.event, l.occurred_at FROM "ledger_entry" l '
        "JOIN \"employee\" e ON e.id = l.employee WHERE e.external_id = 'E1' AND l.kind = 'award'"
    )
    assert [(p, r, ev) for p, r, ev, _ in bonus] == [(100, "award:eotm", None)]
    assert db.read_ts(bonus[0][3]) == CLOSE
    assert standing(db, "E1", "2026-11") == 30
    assert standing(db, "E1", "2026-12") == 100
    e1 = db.query("SELECT id FROM \"employee\" WHERE external_id = 'E1'")[0][0]
    assert outcome.deltas[("points", "2026-12", e1)][0] == 100
    assert outcome.deltas[("points", "all", e1)][0] == 100
    badge = db.query(
        'SELECT b.badge, b.tier, b.earned_in, b.event FROM "badge_award" b '
        "JOIN \"employee\" e ON e.id = b.employee WHERE e.external_id = 'E1'"
    )
    assert badge == [("star", "", "2026-11", None)]
    # The company recognises the winner in the feed.
    (item, *_) = feed(db)
    assert (item.giver, item.giver_name) == ("", "Acme Corp")
    assert item.message == "Employee of the month, November 2026: Acme Corp"
    assert item.recipients == [{"employee": "E1", "name": "Anna Berg"}]
    assert [i.id for i in feed(db, team="Sales")] == [item.id]
    assert feed(db, team="Ops") == []
    # The archived board: November as it stood at close.
    board = archived_board(db, "eotm", "2026-11")
    assert [(r.rank, r.employee, r.score) for r in board or []] == [(1, "E1", 30), (2, "E2", 20)]
    assert archived_board(db, "eotm", "2026-10") is None


def test_nobody_eligible_still_closes_once(db: Database) -> None:
    rules = prepared(db)
    outcome = close(db, rules)
    assert outcome.created and outcome.results == []
    assert not close(db, rules).created


def test_eligibility_min_events_min_active_days_inactive_and_cooldown(db: Database) -> None:
    rules = prepared(
        db,
        "eligibility: {min_events: 2, min_active_days: 2, cooldown_months: 1}",
    )
    scored(
        db,
        [
            # October: E4 wins (the only one eligible).
            share("o1", "E4", "2026-10-05T10:00:00+01:00"),
            share("o2", "E4", "2026-10-06T10:00:00+01:00"),
            # November: E1 has the most points but one event.
            referral("n1", "E1", "2026-11-02T10:00:00+01:00"),
            # E2: two events on one local day (23:30 and 00:30 UTC are both 3 Nov in Amsterdam).
            share("n2", "E2", "2026-11-02T23:30:00+00:00"),
            share("n3", "E2", "2026-11-03T00:30:00+01:00"),
            share("n4", "E2", "2026-11-03T10:00:00+01:00"),
            # E3 would win, but leaves before the close.
            share("n5", "E3", "2026-11-02T10:00:00+01:00"),
            share("n6", "E3", "2026-11-03T10:00:00+01:00"),
            share("n7", "E3", "2026-11-04T10:00:00+01:00"),
            share("n8", "E3", "2026-11-05T10:00:00+01:00"),
            # E4 won October: cooling down in November.
            share("n9", "E4", "2026-11-02T10:00:00+01:00"),
            share("n10", "E4", "2026-11-03T10:00:00+01:00"),
            share("n11", "E4", "2026-11-04T10:00:00+01:00"),
            # E5: fewer points, but eligible.
            share("n12", "E5", "2026-11-02T10:00:00+01:00"),
            share("n13", "E5", "2026-11-04T10:00:00+01:00"),
        ],
    )
    assert winners(close(db, rules, "2026-10")) == [("company", "", "E4")]
    db.execute("UPDATE \"employee\" SET active = ? WHERE external_id = 'E3'", (False,))
    # The bonus E4 got for October counts in December (the close moment), not in November.
    assert winners(close(db, rules)) == [("company", "", "E5")]


@pytest.mark.parametrize(
    ("tie_breakers", "order"),
    [
        ("[shoutouts_received, active_days, earliest]", ["E3", "E1", "E2"]),
        ("[active_days, earliest]", ["E1", "E2", "E3"]),
        ("[earliest]", ["E2", "E1", "E3"]),
        ("[shoutouts_received, earliest]", ["E3", "E2", "E1"]),
    ],
)
def test_a_three_way_tie_is_decided_by_the_tie_breakers_in_order(
    db: Database, tie_breakers: str, order: list[str]
) -> None:
    rules = prepared(db, f"winners: 3\ntie_breakers: {tie_breakers}")
    scored(
        db,
        [
            # E1: two active days, reached 20 on 3 Nov.
            share("a1", "E1", "2026-11-02T10:00:00+01:00"),
            share("a2", "E1", "2026-11-03T10:00:00+01:00"),
            # E2: one day, reached 20 first (2 Nov 09:30).
            share("b1", "E2", "2026-11-02T09:00:00+01:00"),
            share("b2", "E2", "2026-11-02T09:30:00+01:00"),
            # E3: one day, reached 20 last, but received a shoutout.
            share("c1", "E3", "2026-11-05T10:00:00+01:00"),
            share("c2", "E3", "2026-11-05T11:00:00+01:00"),
        ],
    )
    shoutout_to(db, "E4", "E3", "2026-11-04T12:00:00+01:00")
    shoutout_to(db, "E4", "E2", "2026-10-30T12:00:00+01:00")  # October's: does not count
    outcome = close(db, rules)
    assert [r.employee for r in outcome.winners] == order
    assert [r.rank for r in outcome.winners] == [1, 2, 3]
    assert {r.employee: r.shoutouts_received for r in outcome.winners}["E3"] == 1
    assert {r.employee: r.metric for r in outcome.winners} == {"E1": 20, "E2": 20, "E3": 20}


def test_team_scope_gives_a_winner_per_team_and_one_reward_per_person(db: Database) -> None:
    rules = prepared(db, "scopes: [company, team]")
    scored(
        db,
        [
            share("a1", "E1", "2026-11-02T10:00:00+01:00"),
            share("a2", "E1", "2026-11-03T10:00:00+01:00"),
            share("a3", "E1", "2026-11-04T10:00:00+01:00"),
            share("b1", "E2", "2026-11-02T10:00:00+01:00"),
            share("c1", "E3", "2026-11-02T10:00:00+01:00"),
            share("c2", "E3", "2026-11-03T10:00:00+01:00"),
            share("d1", "E4", "2026-11-02T10:00:00+01:00"),
        ],
    )
    outcome = close(db, rules)
    assert winners(outcome) == [
        ("company", "", "E1"),
        ("team", "Ops", "E3"),
        ("team", "Sales", "E1"),
    ]
    assert standing(db, "E1", "2026-12") == 100  # once, though E1 won twice
    assert standing(db, "E3", "2026-12") == 100
    messages = sorted(i.message for i in feed(db))
    assert messages == [
        "Employee of the month, November 2026: Acme Corp and team Sales",
        "Employee of the month, November 2026: team Ops",
    ]


def test_metric_rules_counts_only_those_rules(db: Database) -> None:
    rules = prepared(db, "metric: rules\nrules: [referral]")
    scored(
        db,
        [
            *(share(f"s{i}", "E1", f"2026-11-0{i + 1}T10:00:00+01:00") for i in range(6)),
            referral("r1", "E2", "2026-11-02T10:00:00+01:00"),
            referral("r2", "E3", "2026-10-31T10:00:00+01:00"),  # October
        ],
    )
    outcome = close(db, rules)
    assert [(r.employee, r.metric) for r in outcome.winners] == [("E2", 50)]


# -- frozen -----------------------------------------------------------------------------------------------------
def test_a_late_event_after_close_does_not_change_the_result_or_the_archived_board(
    db: Database,
) -> None:
    rules = prepared(db)
    scored(
        db,
        [
            share("a", "E1", "2026-11-02T10:00:00+01:00"),
            share("b", "E1", "2026-11-03T10:00:00+01:00"),
            share("c", "E2", "2026-11-03T10:00:00+01:00"),
        ],
    )
    first = close(db, rules)
    board = archived_board(db, "eotm", "2026-11")
    # A late event of November arrives after the close: E2 now leads November's standings.
    scored(db, [referral("late", "E2", "2026-11-20T10:00:00+01:00")])
    assert standing(db, "E2", "2026-11") == 60
    again = close(db, rules, now=datetime(2026, 12, 10, tzinfo=UTC))
    assert not again.created
    assert again.results == first.results and winners(again) == [("company", "", "E1")]
    assert archived_board(db, "eotm", "2026-11") == board
    assert [(r.employee, r.score) for r in board or []] == [("E1", 20), ("E2", 10)]
    # Rewards were given once.
    assert db.query("SELECT COUNT(*) FROM \"ledger_entry\" WHERE kind = 'award'")[0][0] == 1
    assert len(feed(db)) == 1


def test_closing_refuses_the_wrong_period_kind_and_an_early_close(db: Database) -> None:
    rules = prepared(db)
    with pytest.raises(AwardError, match="period: award eotm is given per month") as exc:
        close(db, rules, "2026-Q4")
    assert exc.value.field == "period"
    for bad in ("nope", "2026-13"):
        with pytest.raises(AwardError, match=f"period: '{bad}' is not a period key"):
            close(db, rules, bad)
    with pytest.raises(AwardError, match="grace") as early:
        close(db, rules, now=datetime(2026, 12, 1, 12, tzinfo=UTC))
    assert early.value.kind == "early"
    award = find_award_spec(rules, "eotm")
    forced = close_award(
        db, rules, award, "2026-11", datetime(2026, 12, 1, 12, tzinfo=UTC), force=True
    )
    assert forced.created
    with pytest.raises(AwardError, match="award: unknown award 'x'"):
        find_award_spec(rules, "x")


# -- approval -----------------------------------------------------------------------------------------------------
def test_approval_shortlists_then_hr_approves_one(db: Database) -> None:
    rules = prepared(db, "approval: true")
    scored(
        db,
        [
            share("a1", "E1", "2026-11-02T10:00:00+01:00"),
            share("a2", "E1", "2026-11-03T10:00:00+01:00"),
            share("a3", "E1", "2026-11-04T10:00:00+01:00"),
            share("b1", "E2", "2026-11-02T10:00:00+01:00"),
            share("b2", "E2", "2026-11-03T10:00:00+01:00"),
            share("c1", "E3", "2026-11-02T10:00:00+01:00"),
            share("d1", "E4", "2026-11-02T09:00:00+01:00"),
        ],
    )
    outcome = close(db, rules)
    assert [(r.employee, r.rank, r.status) for r in outcome.results] == [
        ("E1", 1, "shortlisted"),
        ("E2", 2, "shortlisted"),
        ("E4", 3, "shortlisted"),  # E4 and E3 tie on 10: E4 reached it first
    ]
    assert db.query("SELECT COUNT(*) FROM \"ledger_entry\" WHERE kind = 'award'")[0][0] == 0
    assert feed(db) == []
    chosen = outcome.results[1]
    approved = approve_award(db, rules, chosen.id, "hr@example.com", CLOSE)
    assert [(r.employee, r.status) for r in approved.results] == [
        ("E1", "not selected"),
        ("E2", "winner"),
        ("E4", "not selected"),
    ]
    assert standing(db, "E2", "2026-12") == 100
    assert [i.recipients[0]["employee"] for i in feed(db)] == ["E2"]
    for result in approved.results:
        with pytest.raises(AwardError) as exc:
            approve_award(db, rules, result.id, "hr@example.com", CLOSE)
        assert exc.value.kind == "decided"
    with pytest.raises(AwardError) as missing:
        approve_award(db, rules, 999_999, "hr@example.com", CLOSE)
    assert missing.value.kind == "not_found"
    # The audit log says who closed and who approved, once each (the refused approvals wrote nothing).
    assert [
        (a.actor, a.action, a.subject, a.summary)
        for a in reversed(recent(db))
        if a.action != "rules.published"
    ] == [
        (
            "test",
            AWARD_CLOSED,
            "eotm 2026-11",
            "closed Employee of the month for 2026-11: 3 shortlisted",
        ),
        (
            "hr@example.com",
            AWARD_APPROVED,
            "eotm 2026-11",
            "approved E2 as Employee of the month for 2026-11",
        ),
    ]


# -- the review queue (issue 16): holds make someone ineligible, flags are shown -----------------------------------
def review_case(
    db: Database, employee: str, kind: str, period: str = "2026-11", status: str = "open"
) -> None:
    """A review_item row as engine.scoring.review writes it (one per employee, kind, signal and bucket)."""
    emp = db.query('SELECT id FROM "employee" WHERE external_id = ?', (employee,))[0][0]
    (count,) = db.query('SELECT COUNT(*) FROM "review_item"')[0]
    bucket = f"{kind}-{period}-{status}-{count}"
    db.insert_rows(
        "review_item",
        (
            "employee",
            "kind",
            "signal",
            "bucket",
            "reason",
            "evidence",
            "entries",
            "period",
            "status",
        ),
        [(emp, kind, "burst", bucket, f"test {kind}", "[]", "[]", period, status)],
    )


NOVEMBER = [
    share("a1", "E1", "2026-11-02T10:00:00+01:00"),
    share("a2", "E1", "2026-11-03T10:00:00+01:00"),
    share("a3", "E1", "2026-11-04T10:00:00+01:00"),
    share("b1", "E2", "2026-11-02T10:00:00+01:00"),
    share("b2", "E2", "2026-11-03T10:00:00+01:00"),
    share("c1", "E3", "2026-11-02T10:00:00+01:00"),
]


def test_an_open_hold_makes_the_top_scorer_ineligible(db: Database) -> None:
    rules = prepared(db)
    scored(db, NOVEMBER)
    review_case(db, "E1", "hold")  # E1 leads November, with points waiting for HR
    review_case(db, "E2", "hold", period="2026-10")  # another month: no effect on November
    review_case(db, "E2", "hold", status="approved")  # decided: no effect
    review_case(db, "E3", "zero", status="noted")  # a record only
    outcome = close(db, rules)
    assert winners(outcome) == [("company", "", "E2")]
    assert db.query("SELECT COUNT(*) FROM \"ledger_entry\" WHERE kind = 'award'")[0][0] == 1
    # The audit entry says who was left out and why; the summary stays as it was.
    (closed,) = [a for a in recent(db) if a.action == AWARD_CLOSED]
    assert closed.summary == "closed Employee of the month for 2026-11: 1 winner"
    assert closed.detail == "not eligible, an open hold in the review queue: E1"


def test_an_open_hold_keeps_them_off_the_shortlist(db: Database) -> None:
    rules = prepared(db, "approval: true")
    scored(db, NOVEMBER)
    review_case(db, "E1", "hold")
    outcome = close(db, rules)
    assert [(r.employee, r.rank, r.status) for r in outcome.results] == [
        ("E2", 1, "shortlisted"),
        ("E3", 2, "shortlisted"),
    ]


def test_open_flags_leave_them_shortlisted_and_are_shown(db: Database) -> None:
    rules = prepared(db, "approval: true")
    scored(db, NOVEMBER)
    review_case(db, "E1", "flag")
    review_case(db, "E1", "flag")
    review_case(db, "E1", "flag", status="rejected")  # decided: not counted
    review_case(db, "E2", "flag", period="2026-10")  # another month: not counted
    outcome = close(db, rules)
    assert [(r.employee, r.rank, r.status, r.open_flags) for r in outcome.results] == [
        ("E1", 1, "shortlisted", 2),
        ("E2", 2, "shortlisted", 0),
        ("E3", 3, "shortlisted", 0),
    ]
    # Counted when read: a flag HR decides no longer shows.
    db.execute(
        "UPDATE \"review_item\" SET status = 'approved' WHERE id = "
        "(SELECT MIN(id) FROM \"review_item\" WHERE kind = 'flag')"
    )
    assert [r.open_flags for r in award_results(db)] == [1, 0, 0]


def test_a_quarterly_award_looks_at_the_holds_and_flags_of_its_three_months(db: Database) -> None:
    rules = prepared(db, "period: quarter\napproval: true")
    assert period_months("2026-Q4") == ["2026-10", "2026-11", "2026-12"]
    assert period_months("2026-11") == ["2026-11"]
    scored(db, NOVEMBER)
    review_case(db, "E1", "hold", period="2026-10")
    review_case(db, "E2", "flag", period="2026-12")
    review_case(db, "E2", "flag", period="2026-11")
    review_case(db, "E3", "hold", period="2027-01")  # the next quarter
    outcome = close(db, rules, "2026-Q4", datetime(2027, 1, 5, tzinfo=UTC))
    assert [(r.employee, r.status, r.open_flags) for r in outcome.results] == [
        ("E2", "shortlisted", 2),
        ("E3", "shortlisted", 0),
    ]


# -- the card, labels, the scheduler --------------------------------------------------------------------------------
def test_card_of_a_result(db: Database) -> None:
    rules = prepared(db)
    scored(db, [share("a", "E1", "2026-11-02T10:00:00+01:00")])
    (win,) = close(db, rules).winners
    card = award_card(db, rules, win.id)
    assert card is not None
    assert (card.employee_name, card.award, card.period_label, card.company) == (
        "Anna Berg",
        "Employee of the month",
        "November 2026",
        "Acme Corp",
    )
    assert award_card(db, rules, 999_999) is None
    assert period_label("2026-Q4") == "Q4 2026"


def test_the_scheduler_closes_after_the_grace_hours_only(db: Database) -> None:
    rules = prepared(db, "grace_hours: 48")
    scored(db, [share("a", "E1", "2026-11-02T10:00:00+01:00")])
    # Nov ends 2026-11-30T23:00Z; 47 hours later it is still open (October, the period before, closes: empty).
    (october,) = close_due_awards(db, rules, datetime(2026, 12, 2, 22, tzinfo=UTC))
    assert (october.period, october.results) == ("2026-10", [])
    (done,) = close_due_awards(db, rules, datetime(2026, 12, 2, 23, tzinfo=UTC))
    assert (done.award, done.period, winners(done)) == ("eotm", "2026-11", [("company", "", "E1")])
    assert close_due_awards(db, rules, datetime(2026, 12, 5, tzinfo=UTC)) == []


# -- the command line -----------------------------------------------------------------------------------------------
def test_cli_close_prints_winners_and_names_the_field_of_a_bad_period(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.storage.database import open_database

    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    db = open_database(url)
    prepared(db)
    scored(db, [share("a", "E1", "2026-11-02T10:00:00+01:00")])
    db.close()
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(main, ["--db", url, "awards", *args], catch_exceptions=False)

    bad = invoke("close", "--period", "2026-Q4", "--now", "2027-02-01T00:00:00+00:00")
    assert bad.exit_code == 1 and "period: award eotm is given per month" in bad.output
    early = invoke("close", "--period", "2026-11", "--now", "2026-12-01T00:00:00+00:00")
    assert early.exit_code == 1 and "period: 2026-11 closes for eotm at" in early.output
    unknown = invoke("close", "--period", "2026-11", "--award", "nope")
    assert unknown.exit_code == 1 and "award: unknown award 'nope'" in unknown.output
    done = invoke("close", "--period", "2026-11", "--now", "2026-12-03T09:00:00+00:00")
    assert done.exit_code == 0, done.output
    assert "Employee of the month, 2026-11: winners" in done.output
    assert "E1" in done.output and "Anna Berg" in done.output and "winner" in done.output
    again = invoke("close", "--period", "2026-11", "--award", "eotm")
    assert again.exit_code == 0 and "unchanged" in again.output


def test_cron_closes_the_award_when_its_own_grace_passed_after_the_period_was_marked_closed(
    db: Database, redis_url: str
) -> None:
    import redis

    from engine.jobs.cron import CLOSED_PERIODS_KEY, run_close

    rules = prepared(db, "grace_hours: 48")
    scored(db, [share("a", "E1", "2026-11-02T10:00:00+01:00")])
    client = redis.Redis.from_url(redis_url)
    # One hour after November ended: the period closes (cron grace 1 h), the award (48 h) waits.
    first = run_close(db, client, rules, datetime(2026, 12, 1, 0, 30, tzinfo=UTC), 3600)
    assert "2026-11" in first["closed"]
    assert client.sismember(CLOSED_PERIODS_KEY, "2026-11")
    assert archived_board(db, "eotm", "2026-11") is None
    # Two days later the award closes, though its period is marked closed already.
    run_close(db, client, rules, datetime(2026, 12, 3, tzinfo=UTC), 3600)
    assert [(r.rank, r.employee) for r in archived_board(db, "eotm", "2026-11") or []] == [
        (1, "E1")
    ]
    assert standing(db, "E1", "2026-12") == 100
    run_close(db, client, rules, datetime(2026, 12, 4, tzinfo=UTC), 3600)
    assert db.query("SELECT COUNT(*) FROM \"ledger_entry\" WHERE kind = 'award'")[0][0] == 1
