"""Integrity signals and the review queue (issue 16), through the API with the default program.

The suite's clock stands at 2026-11-20 09:00 UTC. Attacks are sent with a tool's key, scored, and the outcome
checked: the signal's case in GET /v1/review, the ledger, what HR's decision does, and that a replay gives the
same ledger as live scoring did.
"""

from __future__ import annotations

from typing import Any

from test_api import Api
from test_fair_play import at_nine, points_of, send

from engine.insight.simulate import events_from_db, simulate
from engine.rewards.awards import close_award
from engine.scoring.replay import replay
from engine.scoring.rulesets import load_rulebook

pytest_plugins = ["test_api"]
__all__ = ["at_nine"]  # a fixture of test_fair_play's, used here


def event(eid: str, etype: str, at: str, employee: str = "E1", **attributes: Any) -> dict[str, Any]:
    return {
        "source": "tool",
        "id": eid,
        "type": etype,
        "employee": employee,
        "occurred_at": at,
        "attributes": attributes,
    }


def cases(api: Api, status: str = "open") -> list[dict[str, Any]]:
    r = api.client.get(f"/v1/review?status={status}", headers=api.hr())
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


def ledger(api: Api) -> list[tuple[Any, ...]]:
    """Per employee and event, the points (the kinds of entries may differ, the sums may not)."""
    return api.db.query(
        'SELECT employee, event, SUM(points) FROM "ledger_entry" GROUP BY employee, event '
        "HAVING SUM(points) != 0 ORDER BY employee, event"
    )


def replayed_equals_live(api: Api) -> None:
    live = ledger(api), points_of(api)
    replay(api.db, load_rulebook(api.db))
    assert (ledger(api), points_of(api)) == live


def trivial_posts(n: int, day: str = "2026-11-18") -> list[dict[str, Any]]:
    return [
        event(f"post{i}-{day}", "share", f"{day}T{8 + i // 12:02d}:{(i % 12) * 5:02d}:00Z",
              content_id=f"post{i}-{day}", content_kind="curated")
        for i in range(n)
    ]  # fmt: skip


def test_many_trivial_posts_in_a_day_are_held_with_the_days_points(api: Api) -> None:
    """100 different posts shared a day: the day's points wait for HR (the 60-point cap no longer pays)."""
    send(api, *trivial_posts(100))
    api.score()
    assert points_of(api) == 0
    (case,) = cases(api)
    assert (case["kind"], case["signal"], case["employee"]) == ("hold", "many-posts", "E1")
    assert case["points"] == 60  # what the day earned, capped, held
    assert "21 share events in 2026-11-18 (more than 20)" in case["reason"]
    # The events from the 21st on, and the earlier ones whose points the hold took back (the 7th to the
    # 20th earned nothing: the cap of 60 was reached by the 6th).
    assert len(case["evidence"]) == 86
    replayed_equals_live(api)


def test_an_honest_day_is_not_flagged(api: Api) -> None:
    honest = trivial_posts(2) + [
        event(f"like{i}", "reaction_given", f"2026-11-18T1{i}:00:00Z", content_id=f"c{i}",
              reaction="like", owner="colleague")
        for i in range(3)
    ]  # fmt: skip
    send(api, *honest)
    api.score()
    assert cases(api, "all") == []
    assert points_of(api) == 23


def test_hr_approves_a_hold_and_the_points_count(api: Api) -> None:
    send(api, *trivial_posts(30))
    api.score()
    (case,) = cases(api)
    r = api.client.post(
        f"/v1/review/{case['id']}/approve", json={"note": "launch day"}, headers=api.hr()
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.json()["decided_by"] == "hr-admin"
    assert points_of(api) == 60
    again = api.client.post(f"/v1/review/{case['id']}/reject", headers=api.hr())
    assert again.status_code == 409, again.text
    audit = api.db.query(
        "SELECT actor, summary FROM \"audit_entry\" WHERE action = 'review.decided'"
    )
    assert audit == [("hr-admin", "hold approved for employee 1")]
    # A share from the day before arrives late: the employee is re-scored, the approved hold still counts once.
    send(
        api, event("before", "share", "2026-11-17T09:00:00Z", content_id="y", content_kind="owned")
    )
    api.score()
    assert points_of(api) == 60 + 12
    replayed_equals_live(api)
    # Later events of the approved day count from now on.
    send(
        api,
        event("late-post", "share", "2026-11-18T20:00:00Z", content_id="x", content_kind="owned"),
    )
    api.score()
    assert points_of(api) == 60 + 12  # the cap of the day is already reached
    replayed_equals_live(api)


def test_hr_rejects_a_hold_and_nothing_counts(api: Api) -> None:
    send(api, *trivial_posts(30))
    api.score()
    (case,) = cases(api)
    r = api.client.post(f"/v1/review/{case['id']}/reject", headers=api.hr())
    assert r.status_code == 200, r.text
    assert points_of(api) == 0
    replayed_equals_live(api)
    assert points_of(api) == 0


def test_rotating_visitors_clicking_ones_shares_are_held(api: Api) -> None:
    clicks = [
        event(f"click{i}", "click", f"2026-11-18T{6 + i // 60:02d}:{i % 60:02d}:00Z",
              content_id="mine", visitor=f"v{i}")
        for i in range(400)
    ]  # fmt: skip
    send(api, *clicks)
    api.score()
    assert points_of(api) == 0
    (case,) = cases(api)
    assert (case["kind"], case["signal"]) == ("hold", "click-burst")
    assert case["points"] == 40  # the engagement cap of the day, held
    replayed_equals_live(api)


def test_a_shoutout_ring_is_flagged_and_counts(api: Api) -> None:
    ring = [
        event(
            "s1", "shoutout_received", "2026-11-02T09:00:00Z", "E2", giver="E1", value="teamwork"
        ),
        event(
            "s2", "shoutout_received", "2026-11-03T09:00:00Z", "E3", giver="E2", value="teamwork"
        ),
        event(
            "s3", "shoutout_received", "2026-11-04T09:00:00Z", "E1", giver="E3", value="teamwork"
        ),
    ]
    send(api, *ring)
    api.score()
    (case,) = cases(api)
    assert (case["kind"], case["signal"], case["employee"]) == ("flag", "shoutout-ring", "E1")
    assert "ring of 3 people" in case["reason"]
    assert points_of(api, "E1") == 5  # flagged: it counts until HR says otherwise
    r = api.client.post(f"/v1/review/{case['id']}/reject", headers=api.hr())
    assert r.status_code == 200, r.text
    assert points_of(api, "E1") == 0
    # An earlier shoutout for E1 arrives late: E1 is re-scored, the rejected ring still earns nothing.
    send(
        api,
        event(
            "s0", "shoutout_received", "2026-11-01T09:00:00Z", "E1", giver="E4", value="ownership"
        ),
    )
    api.score()
    assert points_of(api, "E1") == 5
    replayed_equals_live(api)


def test_colleagues_thanking_each_other_once_is_not_a_ring(api: Api) -> None:
    send(
        api,
        event(
            "s1", "shoutout_received", "2026-11-02T09:00:00Z", "E2", giver="E1", value="teamwork"
        ),
        event(
            "s2", "shoutout_received", "2026-11-03T09:00:00Z", "E3", giver="E1", value="teamwork"
        ),
    )
    api.score()
    assert cases(api, "all") == []


def test_a_back_and_forth_is_a_ring_in_any_arrival_order(api: Api) -> None:
    send(
        api,
        event(
            "s2", "shoutout_received", "2026-11-05T09:00:00Z", "E1", giver="E2", value="ownership"
        ),
    )
    send(
        api,
        event(
            "s1", "shoutout_received", "2026-11-02T09:00:00Z", "E2", giver="E1", value="teamwork"
        ),
    )
    api.score()
    (case,) = cases(api)
    assert (case["employee"], case["signal"]) == ("E1", "shoutout-ring")


def test_a_ring_is_flagged_whichever_shoutout_is_scored_last(api: Api) -> None:
    """The closing shoutout scored first, the ring's first one days later: the same case, on the same person."""
    send(
        api,
        event(
            "s3", "shoutout_received", "2026-11-04T09:00:00Z", "E1", giver="E3", value="teamwork"
        ),
    )
    api.score()
    send(
        api,
        event(
            "s2", "shoutout_received", "2026-11-03T09:00:00Z", "E3", giver="E2", value="teamwork"
        ),
    )
    api.score()
    assert cases(api, "all") == []
    send(
        api,
        event(
            "s1", "shoutout_received", "2026-11-02T09:00:00Z", "E2", giver="E1", value="teamwork"
        ),
    )
    api.score()
    (case,) = cases(api)
    assert (case["employee"], case["signal"], sorted(case["evidence"])) == (
        "E1",
        "shoutout-ring",
        [1, 2, 3],
    )
    replayed_equals_live(api)
    assert [c["id"] for c in cases(api)] == [case["id"]]


def test_events_backdated_into_a_closed_month_wait_for_hr(api: Api, at_nine: None) -> None:
    """After October's award closed, October events are parked as late, listed, and scored only if HR says so."""
    rules = load_rulebook(api.db).current
    assert rules is not None
    send(
        api, event("oct1", "share", "2026-10-10T09:00:00Z", content_id="a", content_kind="curated")
    )
    api.score()
    assert points_of(api) == 10
    close_award(api.db, rules, rules.program.awards[0], "2026-10", None, "test")
    backdated = [
        event(
            f"back{i}",
            "share",
            f"2026-10-{11 + i}T09:00:00Z",
            content_id=f"b{i}",
            content_kind="curated",
        )
        for i in range(3)
    ]
    send(api, *backdated)
    api.score()
    assert points_of(api) == 10
    late = cases(api)
    assert [c["kind"] for c in late] == ["late"] * 3
    assert (
        late[0]["reason"]
        == "late: 2026-10 is closed (award employee-of-the-month closed); waiting for HR"
    )
    status = api.db.query("SELECT status FROM \"event\" WHERE external_id LIKE 'back%'")
    assert {s for (s,) in status} == {"late"}
    ok = api.client.post(
        f"/v1/review/{late[0]['id']}/approve", json={"note": "tool outage"}, headers=api.hr()
    )
    assert ok.status_code == 200, ok.text
    no = api.client.post(f"/v1/review/{late[1]['id']}/reject", headers=api.hr())
    assert no.status_code == 200, no.text
    api.score()
    assert points_of(api) == 20
    reasons = api.db.query(
        'SELECT l.reasons FROM "ledger_entry" l JOIN "event" e ON e.id = l.event WHERE e.external_id = \'back0\''
    )
    assert "scored into closed 2026-10, approved by HR" in reasons[0][0]
    board = api.client.get("/v1/leaderboards/points?period=2026-10", headers=api.hr())
    assert board.status_code == 200, board.text
    replayed_equals_live(api)


def test_review_answers_4xx_never_500(api: Api) -> None:
    bogus = api.client.get("/v1/review?status=bogus", headers=api.hr())
    assert 400 <= bogus.status_code < 500 and "status" in bogus.text, bogus.text
    assert api.client.post("/v1/review/999/approve", headers=api.hr()).status_code == 404
    huge = api.client.post("/v1/review/9223372036854775808/approve", headers=api.hr())
    assert 400 <= huge.status_code < 500, huge.text
    assert api.client.get("/v1/review", headers=api.token("E1")).status_code == 403


def test_simulation_gives_what_live_scoring_gave(api: Api) -> None:
    """Holds, take-backs and flags: the simulation of the published program equals the live ledger (no HR
    decision made yet, as the simulation assumes)."""
    clicks = [
        event(f"click{i}", "click", f"2026-11-17T{6 + i // 60:02d}:{i % 60:02d}:00Z",
              content_id="mine", visitor=f"v{i}")
        for i in range(400)
    ]  # fmt: skip
    for part in (trivial_posts(30), clicks[:200], clicks[200:], trivial_posts(3, "2026-11-19")):
        send(api, *part)
    api.score()
    book = load_rulebook(api.db)
    assert book.current is not None
    result = simulate(book.current, events_from_db(api.db), book)
    assert result.published.by_employee["E1"] == points_of(api) == 30  # only the 19th counts
    assert result.draft.by_employee["E1"] == points_of(api)
