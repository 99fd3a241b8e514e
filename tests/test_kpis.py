"""Program KPIs: exact figures over two hand-made months on SQLite and a real PostgreSQL, and the HTTP API.

The months are October and November 2026 in Europe/Amsterdam (the default program's time zone): an event at
22:59:59 UTC on 31 October is still October there, one at 23:30 UTC is November.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.config import ApiConfig
from engine import clock
from engine.insight.kpis import (
    CSV_COLUMNS,
    Contributor,
    KpiConfig,
    KpiError,
    PeriodKpis,
    _Queries,
    compute_kpis,
    kpis_csv,
    last_periods,
)
from engine.people.directory import set_active
from engine.people.roster import import_roster
from engine.people.shoutouts import give_shoutout
from engine.rewards.awards import AWARD_VALUE
from engine.scoring.adjustments import adjust
from engine.scoring.intake import accept_events
from engine.scoring.rulesets import load_rulebook, publish
from engine.storage.database import Database, DatabaseConfig, open_database
from rules import CompiledRules
from rules.periods import period_keys
from tests.test_api import JWT_SECRET, ROOT, Api, prepared_database
from tests.test_pipeline import event

RULES_PATH = ROOT / "rules.yaml"
AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

ROSTER = """external_id,email,given_name,family_name,team,visibility
E1,anna@example.com,Anna,de Vries,Sales,public
E2,bjorn@example.com,Bjørn,Pedersen,Sales,public
E3,olga@example.com,Ольга,Иванова,Marketing,public
E4,hidden@example.com,Hanna,Hidden,Sales,hidden
E5,eve@example.com,Eve,Leaving,Marketing,public
"""
#: Joins in November.
LATE_JOINER = """external_id,email,given_name,family_name,team
E6,frank@example.com,Frank,Newman,Sales
"""
#: On the file but never active: never on the roster, whatever their events.
NEVER_ACTIVE = """external_id,email,given_name,family_name,team,active
E7,gus@example.com,Gus,Inactive,Sales,no
"""


EVENTS = [
    # Before the report: E4 has had an account since September.
    event("s0", "E4", "share", "2026-09-20T09:00:00Z", content_id="p0", audience=1000),
    # October.
    event("s1", "E1", "share", "2026-10-02T08:00:00Z", content_id="p1", audience=100),
    event("s2", "E1", "share", "2026-10-03T08:00:00Z", content_id="p2", audience=50),
    event("r1", "E1", "reaction_received", "2026-10-03T09:00:00Z", content_id="p1", count=3),
    event("r2", "E1", "reaction_received", "2026-10-03T10:00:00Z", content_id="p1"),  # count 1
    event("c1", "E1", "click", "2026-10-04T08:00:00Z", content_id="p1", suspected_bot=False),
    event("c2", "E1", "click", "2026-10-04T08:01:00Z", content_id="p1", suspected_bot=True),
    event("c3", "E1", "click", "2026-10-04T08:02:00Z", content_id="p2"),  # not a bot
    event("f1", "E2", "referral", "2026-10-10T08:00:00Z", candidate_id="c-1", stage="submitted"),
    event("s3", "eve@example.com", "share", "2026-10-05T08:00:00Z", content_id="p3", audience=30),
    event("s4", "E7", "share", "2026-10-06T08:00:00Z", content_id="p4", audience=7),
    event("s5", "E99", "share", "2026-10-07T08:00:00Z", content_id="p5", audience=3),  # unknown
    event("l1", "E4", "lead", "2026-10-31T22:59:59Z", lead_id="l-1"),  # 23:59:59 in Amsterdam
    # November.
    event("c4", "E3", "click", "2026-10-31T23:30:00Z", content_id="p1"),  # 00:30 on 1 November
    event("s6", "E1", "share", "2026-11-03T08:00:00Z", content_id="p6", audience=200),
    event("s7", "FRANK@example.com", "share", "2026-11-06T08:00:00Z", content_id="p7", audience=40),
    event("r3", "E6", "reaction_received", "2026-11-06T09:00:00Z", content_id="p7", count=2),
    event("f2", "E2", "referral", "2026-11-10T08:00:00Z", candidate_id="c-1", stage="hired"),
    event("f3", "E2", "referral", "2026-11-11T08:00:00Z", candidate_id="c-2", stage="submitted"),
    event("f4", "E2", "referral", "2026-11-12T08:00:00Z", candidate_id="c-3", stage="interviewed"),
    event("s8", "E5", "share", "2026-11-12T08:00:00Z", content_id="p8", audience=10),  # deactivated
]


def with_joined_on(roster: str, day: str) -> str:
    """The roster file with a ``joined_on`` column: every row joined on ``day``."""
    header, *rows = roster.strip().splitlines()
    return "\n".join([f"{header},joined_on", *(f"{row},{day}" for row in rows)]) + "\n"


#: After both months: a roster imported today says when people joined with ``joined_on``.
IMPORTED_LATER = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def build_program(db: Database, joined_on_file: bool = False) -> CompiledRules:
    """The two months: roster changes, events from a tool, shoutouts, an award, points on the board.

    ``joined_on_file``: the roster is imported after the months, its ``joined_on`` column saying when each
    person joined (as a company starting Plaudit mid-program would); otherwise imported on the day."""
    publish(db, RULES_PATH)
    book = load_rulebook(db)
    rules = book.current
    assert rules is not None
    zone = rules.timezone
    if joined_on_file:
        import_roster(db, with_joined_on(ROSTER, "2026-09-01"), now=IMPORTED_LATER, timezone=zone)
        import_roster(db, NEVER_ACTIVE, now=IMPORTED_LATER, timezone=zone)
    else:
        import_roster(db, ROSTER, now=datetime(2026, 9, 1, tzinfo=UTC))
        import_roster(db, NEVER_ACTIVE, now=datetime(2026, 9, 1, tzinfo=UTC))
    outcomes = accept_events(db, EVENTS, rules)
    assert [o.status for o in outcomes] == ["accepted"] * len(EVENTS), outcomes
    # Points: what the top contributors are ranked by (HR adjustments give exact figures).
    for who, points, at in [
        ("E1", 30, "2026-10-05T10:00:00Z"),
        ("E2", 50, "2026-10-06T10:00:00Z"),
        ("E4", 40, "2026-10-07T10:00:00Z"),  # hidden from public boards, not from HR
        ("E5", 10, "2026-10-08T10:00:00Z"),
        ("E3", 20, "2026-11-02T10:00:00Z"),
        ("E1", 20, "2026-11-03T10:00:00Z"),  # the same score, reached later: after E3
        ("E2", -5, "2026-11-04T10:00:00Z"),  # below zero: not a contributor
    ]:
        adjust(db, book, who, points, "test", "hr", at=datetime.fromisoformat(at))
    with db.transaction():
        eve = db.query('SELECT id FROM "employee" WHERE external_id = ?', ["E5"])[0][0]
        set_active(db, [eve], False, datetime(2026, 10, 10, tzinfo=UTC))
    if joined_on_file:
        late = with_joined_on(LATE_JOINER, "2026-11-05")
        import_roster(db, late, now=IMPORTED_LATER, timezone=zone)
    else:
        import_roster(db, LATE_JOINER, now=datetime(2026, 11, 5, tzinfo=UTC))
    # Shoutouts: receiving one is neither an account nor activity, giving one is activity.
    give_shoutout(
        db, rules, "E2", ["E1", "E3"], "teamwork", "Great demo", AT.replace(month=10, day=15)
    )
    give_shoutout(db, rules, "E2", ["E1"], "ownership", "Shipped it", AT.replace(day=4))
    give_shoutout(db, rules, "E1", ["E4", "E6"], "curiosity", "Thanks", AT.replace(day=7))
    # The company's award shoutout: counted apart.
    with db.transaction():
        db.execute(
            'INSERT INTO "shoutout" (giver, value, message, period, created_at) VALUES (NULL, ?, ?, ?, ?)',
            [AWARD_VALUE, "Employee of the month", "2026-10", db.ts(AT.replace(day=2))],
        )
        award = db.query('SELECT MAX(id) FROM "shoutout"')[0][0]
        anna = db.query('SELECT id FROM "employee" WHERE external_id = ?', ["E1"])[0][0]
        db.execute(
            'INSERT INTO "shoutout_recipient" (shoutout, employee) VALUES (?, ?)', [award, anna]
        )
    return rules


OCTOBER = PeriodKpis(
    period="2026-10",
    start=datetime(2026, 9, 30, 22, 0, tzinfo=UTC),  # CEST, UTC+2
    end=datetime(2026, 10, 31, 23, 0, tzinfo=UTC),  # CET, UTC+1
    invited=5,  # E1-E5 (E6 not yet, E7 never)
    accounts=4,  # E4 (September), E1, E2, E5
    active=4,  # E1, E2, E5 (before leaving), E4 (a lead at 23:59:59 local); E3 only received a shoutout
    adoption_rate=0.8,
    participation_rate=0.8,
    top_contributors=(
        Contributor("E2", "Bjørn Pedersen", "Sales", 50),
        Contributor("E4", "Hanna Hidden", "Sales", 40),
        Contributor("E1", "Anna de Vries", "Sales", 30),
        Contributor("E5", "Eve Leaving", "Marketing", 10),
    ),
    organic_reach=190,  # 100 + 50 + 30 + 7 (E7, not on the roster) + 3 (unknown to it)
    shares=5,
    reactions=4,  # 3 + 1 (no count)
    clicks=2,  # the bot's is left out
    engagement_per_share=1.2,
    referrals_submitted=1,
    referrals_hired=0,
    shoutouts_given=1,
    shoutouts_received=2,
    shoutout_givers=1,
    shoutout_receivers=2,
    award_shoutouts=0,
)
NOVEMBER = PeriodKpis(
    period="2026-11",
    start=datetime(2026, 10, 31, 23, 0, tzinfo=UTC),
    end=datetime(2026, 11, 30, 23, 0, tzinfo=UTC),
    invited=5,  # E1-E4, E6 (E5 left in October)
    accounts=5,  # E1, E2, E3, E4, E6 (E5 is off the roster)
    active=4,  # E3 (00:30 local), E1, E6, E2 (events; E1 and E2 gave shoutouts too); not E4, not E5
    adoption_rate=1.0,
    participation_rate=0.8,
    top_contributors=(
        Contributor("E3", "Ольга Иванова", "Marketing", 20),
        Contributor("E1", "Anna de Vries", "Sales", 20),
    ),
    organic_reach=250,  # 200 + 40 + 10 (E5's share after leaving still reached people)
    shares=3,
    reactions=2,
    clicks=1,
    engagement_per_share=1.0,
    referrals_submitted=1,
    referrals_hired=1,
    shoutouts_given=2,
    shoutouts_received=3,
    shoutout_givers=2,
    shoutout_receivers=3,
    award_shoutouts=1,
)


def test_two_months_exact_figures(db: Database) -> None:
    """On SQLite and on PostgreSQL (the ``db`` fixture runs both; PostgreSQL is skipped where missing)."""
    rules = build_program(db)
    rows = compute_kpis(db, rules, "month", 2, at=AT)
    assert rows == [OCTOBER, NOVEMBER]
    # The look back reaches before the data: empty periods, no division by zero.
    rows = compute_kpis(db, rules, "month", 4, at=AT)
    assert [r.period for r in rows] == ["2026-08", "2026-09", "2026-10", "2026-11"]
    august, september = rows[0], rows[1]
    assert (august.invited, august.accounts, august.active, august.shares) == (0, 0, 0, 0)
    assert (august.adoption_rate, august.engagement_per_share) == (0.0, 0.0)
    assert (september.invited, september.accounts, september.active) == (5, 1, 1)
    assert september.organic_reach == 1000
    assert rows[2:] == [OCTOBER, NOVEMBER]


def test_join_dates_on_the_roster_file_decide_who_was_invited(db: Database) -> None:
    """A roster imported after the months, with ``joined_on``: the same figures, month by month."""
    rules = build_program(db, joined_on_file=True)
    assert compute_kpis(db, rules, "month", 2, at=AT) == [OCTOBER, NOVEMBER]
    september = compute_kpis(db, rules, "month", 3, at=AT)[0]
    assert (september.invited, september.accounts, september.active) == (5, 1, 1)
    # Without joined_on, an import today would have invited nobody in those months.
    december = compute_kpis(db, rules, "month", 1, at=IMPORTED_LATER)[0]
    assert december.invited == 5  # E1-E4, E6: E5 left in October


def test_weeks_and_quarters(db: Database) -> None:
    rules = build_program(db)
    weeks = compute_kpis(db, rules, "week", 3, at=AT)
    assert [w.period for w in weeks] == ["2026-W45", "2026-W46", "2026-W47"]
    w45, w46, w47 = weeks
    assert w45.start == datetime(
        2026, 11, 1, 23, 0, tzinfo=UTC
    )  # Monday 2 November, local midnight
    assert (w45.shares, w45.organic_reach, w45.reactions) == (2, 240, 2)
    assert (w45.shoutouts_given, w45.award_shoutouts) == (2, 1)
    assert (w46.referrals_submitted, w46.referrals_hired, w46.shares) == (1, 1, 1)
    assert w46.active == 1 and w46.invited == 5  # E2's referrals; E5 is gone
    assert (w47.active, w47.shares) == (0, 0)
    quarters = compute_kpis(db, rules, "quarter", 2, at=AT)
    assert [q.period for q in quarters] == ["2026-Q3", "2026-Q4"]
    q4 = quarters[1]
    assert (q4.invited, q4.accounts, q4.active) == (6, 6, 6)  # E5 left inside the quarter
    assert (q4.shares, q4.organic_reach, q4.reactions, q4.clicks) == (8, 440, 6, 3)
    assert q4.engagement_per_share == pytest.approx(9 / 8)
    assert (q4.referrals_submitted, q4.referrals_hired) == (2, 1)
    assert (q4.shoutouts_given, q4.shoutouts_received, q4.shoutout_givers) == (3, 5, 2)
    assert q4.shoutout_receivers == 4  # E1, E3, E4, E6
    assert [c.employee for c in q4.top_contributors] == ["E1", "E2", "E4", "E3", "E5"]


def test_config_names_other_fields(sqlite_url: str) -> None:
    db = open_database(DatabaseConfig(url=sqlite_url))
    rules = build_program(db)
    config = KpiConfig(share_type="reaction_received", reach_field="count", top=1)
    october = compute_kpis(db, rules, "month", 1, at=AT.replace(month=10), config=config)[0]
    assert (october.shares, october.organic_reach) == (2, 3)  # counted as "shares": 3 + (none)
    assert [c.employee for c in october.top_contributors] == ["E2"]
    with pytest.raises(ValueError, match="reach_field"):
        KpiConfig(reach_field="audience'); DROP TABLE event; --")


def test_bad_requests_name_the_field(sqlite_url: str) -> None:
    db = open_database(DatabaseConfig(url=sqlite_url))
    publish(db, RULES_PATH)
    rules = load_rulebook(db).current
    assert rules is not None
    for period, periods, field in [
        ("decade", 12, "period"),
        ("day", 12, "period"),
        ("month", 0, "periods"),
    ]:
        with pytest.raises(KpiError) as raised:
            compute_kpis(db, rules, period, periods, at=AT)
        assert raised.value.field == field
    assert last_periods(rules, "month", 3, at=datetime(2026, 1, 10, tzinfo=UTC)) == [
        "2025-11",
        "2025-12",
        "2026-01",
    ]


def test_queries_use_the_time_indexes(sqlite_url: str) -> None:
    db = open_database(DatabaseConfig(url=sqlite_url))
    sql = _Queries(db, KpiConfig())
    start, end = db.ts(AT.replace(day=1)), db.ts(AT)
    plans = {
        "events": (sql.events_sql, [*sql.events_params, start, end, *sql.types]),
        "refs": (
            'SELECT DISTINCT employee_ref FROM "event" WHERE occurred_at >= ? AND occurred_at < ?'
            + sql.not_internal,
            [start, end, *KpiConfig().internal_sources],
        ),
        "givers": (
            'SELECT giver, COUNT(*) FROM "shoutout" WHERE created_at >= ? AND created_at < ? GROUP BY giver',
            [start, end],
        ),
    }
    for name, (query, params) in plans.items():
        plan = " ".join(str(r[-1]) for r in db.query(f"EXPLAIN QUERY PLAN {query}", params))
        # Events by time, or by type and time (the planner may take either for a period's events of some types).
        indexes = (
            ["shoutout_created_at"]
            if name == "givers"
            else ["event_occurred_at", "event_type_occurred"]
        )
        assert any(
            f"USING INDEX {i}" in plan or f"USING COVERING INDEX {i}" in plan for i in indexes
        ), (name, plan)


def test_csv_has_a_header_and_a_row_per_period(sqlite_url: str) -> None:
    db = open_database(DatabaseConfig(url=sqlite_url))
    rules = build_program(db)
    text = kpis_csv(compute_kpis(db, rules, "month", 2, at=AT))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(CSV_COLUMNS)
    october = dict(zip(rows[0], rows[1], strict=True))
    assert october == {
        "period": "2026-10",
        "start": "2026-09-30T22:00:00+00:00",
        "end": "2026-10-31T23:00:00+00:00",
        "invited": "5",
        "accounts": "4",
        "active": "4",
        "adoption_rate": "0.8000",
        "participation_rate": "0.8000",
        "organic_reach": "190",
        "shares": "5",
        "reactions": "4",
        "clicks": "2",
        "engagement_per_share": "1.2000",
        "referrals_submitted": "1",
        "referrals_hired": "0",
        "shoutouts_given": "1",
        "shoutouts_received": "2",
        "shoutout_givers": "1",
        "shoutout_receivers": "2",
        "award_shoutouts": "0",
        "top_contributor": "E2",
        "top_contributor_name": "Bjørn Pedersen",
        "top_contributor_points": "50",
    }
    assert len(rows) == 3


def test_csv_cells_are_not_formulas() -> None:
    row = PeriodKpis(
        **{
            **OCTOBER.__dict__,
            "top_contributors": (Contributor("E9", '=HYPERLINK("x")', "", 5),),
        }
    )
    rows = list(csv.reader(io.StringIO(kpis_csv([row]))))
    assert rows[1][CSV_COLUMNS.index("top_contributor_name")] == '\'=HYPERLINK("x")'


# -- the API ------------------------------------------------------------------------------------------------------------
@pytest.fixture
def kpi_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """The API on the test roster (created now), with this month's share and shoutout."""
    monkeypatch.chdir(ROOT)
    url = prepared_database(tmp_path)
    db = open_database(DatabaseConfig(url=url, migrate=False))
    rules = load_rulebook(db).current
    assert rules is not None
    now = clock.now()
    accepted = accept_events(
        db, [event("k1", "E1", "share", now.isoformat(), content_id="p1", audience=120)], rules
    )
    assert accepted[0].status == "accepted"
    give_shoutout(db, rules, "E2", ["E1"], "teamwork", "Thanks", now)
    db.close()
    config = ApiConfig(database_url=url, jwt_secret=JWT_SECRET, run_worker=False)
    with TestClient(create_app(config)) as client:
        yield Api(client, url)


def test_api_json(kpi_api: Api) -> None:
    r = kpi_api.client.get(
        "/v1/kpis", params={"period": "month", "periods": 3}, headers=kpi_api.hr()
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["period"] == "month"
    assert len(body["periods"]) == 3
    current = body["periods"][-1]
    assert set(current) == {
        "period",
        "start",
        "end",
        "invited",
        "accounts",
        "active",
        "adoption_rate",
        "participation_rate",
        "top_contributors",
        "organic_reach",
        "shares",
        "reactions",
        "clicks",
        "engagement_per_share",
        "referrals_submitted",
        "referrals_hired",
        "shoutouts_given",
        "shoutouts_received",
        "shoutout_givers",
        "shoutout_receivers",
        "award_shoutouts",
    }
    assert current["period"] == period_keys(clock.now(), ZoneInfo("Europe/Amsterdam")).month
    # The five of the test roster were created now: invited in the current month only.
    assert (current["invited"], current["accounts"], current["active"]) == (5, 1, 2)
    assert (current["shares"], current["organic_reach"]) == (1, 120)
    assert (current["shoutouts_given"], current["shoutout_receivers"]) == (1, 1)
    assert current["adoption_rate"] == 0.2 and current["participation_rate"] == 0.4
    assert current["top_contributors"] == []  # nothing scored yet
    assert body["periods"][0]["invited"] == 0
    assert body["periods"][0]["start"] < body["periods"][1]["start"] < current["start"]
    # Defaults: twelve months.
    r = kpi_api.client.get("/v1/kpis", headers=kpi_api.hr())
    assert r.status_code == 200 and len(r.json()["periods"]) == 12
    assert all(p["period"].count("-") == 1 for p in r.json()["periods"])


def test_api_csv(kpi_api: Api) -> None:
    r = kpi_api.client.get(
        "/v1/kpis.csv", params={"period": "week", "periods": 2}, headers=kpi_api.hr()
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == list(CSV_COLUMNS)
    assert len(rows) == 3
    current = dict(zip(rows[0], rows[2], strict=True))
    assert "-W" in current["period"]
    assert (current["invited"], current["shares"], current["organic_reach"]) == ("5", "1", "120")
    assert current["top_contributor"] == ""


def test_api_is_for_hr_only_and_names_bad_fields(kpi_api: Api) -> None:
    client, hr = kpi_api.client, kpi_api.hr()
    assert client.get("/v1/kpis", headers=kpi_api.token("E1")).status_code == 403
    assert client.get("/v1/kpis.csv", headers=kpi_api.token("E1")).status_code == 403
    assert client.get("/v1/kpis").status_code == 401
    for path in ("/v1/kpis", "/v1/kpis.csv"):
        for params, field in [
            ({"period": "decade"}, "period"),
            ({"periods": 0}, "periods"),
            ({"periods": 1000}, "periods"),
            ({"periods": "many"}, "periods"),
        ]:
            r = client.get(path, params=params, headers=hr)
            assert r.status_code == 422, (path, params, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert any(e.startswith(f"{field}:") for e in r.json()["errors"]), r.json()
