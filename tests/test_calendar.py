"""The calendar's edges: what an employee and HR see at the start of a month, the end of a quarter, just
after midnight on a Monday and on a leap day, with Plaudit's clock pinned there.

Each case seeds the demo up to "now" (as `plaudit demo` does) and asks the API: the signed-in employee always
has their own row on the board, ranked or not yet; the KPIs' current period is the one the program's time
zone says, and the month before it counts who had joined; a simulation of the last days sees their events.
`.ci/run` also runs this module with the machine's wall clock moved to two of these instants (faketime).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import jwt
import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.config import ApiConfig
from engine import clock
from engine.demo.seed import seed_demo
from engine.insight.simulate import simulate_recent
from engine.people.roster import import_roster
from engine.scoring.rulesets import load_rulebook, publish
from engine.storage.database import DatabaseConfig, open_database
from rules.periods import period_keys
from tests.machine import ROOT

AMSTERDAM = ZoneInfo("Europe/Amsterdam")  # the default program's time zone


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMSTERDAM).astimezone(UTC)  # type: ignore[misc]


EDGES = {
    "first-of-month-00:30": local(2026, 12, 1, 0, 30),
    "quarter-end-23:30": local(2026, 12, 31, 23, 30),
    "monday-00:05": local(2026, 11, 23, 0, 5),
    "leap-day": local(2028, 2, 29, 12, 0),
}
JWT_SECRET = "calendar-test-secret-of-enough-length"
#: On the roster, never active: nothing in any period.
NEWCOMER = "external_id,email,given_name,family_name,team\nN1,new@example.com,Nia,New,Sales\n"


@pytest.fixture(params=list(EDGES), ids=list(EDGES))
def at_edge(request: pytest.FixtureRequest) -> Iterator[datetime]:
    with clock.pinned(EDGES[request.param]):
        yield EDGES[request.param]


@pytest.fixture
def client(
    at_edge: datetime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    monkeypatch.chdir(ROOT)
    url = f"sqlite:///{tmp_path / 'calendar.sqlite'}"
    db = open_database(DatabaseConfig(url=url))
    publish(db, ROOT / "rules.yaml")
    seed_demo(db, load_rulebook(db), employees=40, days=10)
    import_roster(db, NEWCOMER)
    db.close()
    config = ApiConfig(database_url=url, jwt_secret=JWT_SECRET, run_worker=False)
    with TestClient(create_app(config)) as test_client:
        yield test_client


def signed(sub: str, role: str = "employee") -> dict[str, str]:
    exp = int((clock.now() + timedelta(minutes=30)).timestamp())
    token = jwt.encode({"sub": sub, "exp": exp, "roles": [role]}, JWT_SECRET, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


def test_my_own_row_is_on_every_board(client: TestClient, at_edge: datetime) -> None:
    keys = period_keys(at_edge, AMSTERDAM)
    for period, key in (
        ("day", keys.day),
        ("week", keys.week),
        ("month", keys.month),
        ("all", "all"),
    ):
        for who in ("E0001", "N1"):
            body = client.get(
                f"/v1/leaderboards/points?period={period}", headers=signed(who)
            ).json()
            assert body["period"] == key
            me = body["me"]
            assert me is not None and (me["employee"], me["me"]) == (who, True), (period, who, body)
            if me["rank"] is None:
                assert me["points"] == 0
    newcomer = client.get("/v1/leaderboards/points?period=all", headers=signed("N1")).json()["me"]
    assert (newcomer["rank"], newcomer["points"]) == (None, 0)
    assert all(
        row["employee"] != "N1"
        for row in client.get(
            "/v1/leaderboards/points?period=all&limit=100", headers=signed("E0001")
        ).json()["rows"]
    )


def test_the_kpis_are_cut_in_the_programs_months(client: TestClient, at_edge: datetime) -> None:
    body = client.get("/v1/kpis?period=month&periods=2", headers=signed("hr", "hr")).json()
    previous, current = body["periods"]
    assert current["period"] == period_keys(at_edge, AMSTERDAM).month
    # The demo's people joined before its first event, ten days before now.
    first_event = at_edge - timedelta(days=10)
    if first_event < datetime.fromisoformat(current["start"]):
        assert previous["invited"] == 40 and previous["shares"] > 0
    assert current["invited"] == 41  # and the newcomer


def test_a_simulation_of_the_last_days_sees_their_events(at_edge: datetime, tmp_path: Path) -> None:
    db = open_database(DatabaseConfig(url=f"sqlite:///{tmp_path / 'sim.sqlite'}"))
    publish(db, ROOT / "rules.yaml")
    book = load_rulebook(db)
    seeded = seed_demo(db, book, employees=20, days=3)
    assert book.current is not None
    simulation = simulate_recent(db, book.current, days=3)
    assert simulation.events == seeded.intake.accepted > 0
