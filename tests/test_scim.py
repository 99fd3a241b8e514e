"""SCIM 2.0 at /scim/v2 as Okta and Microsoft Entra ID call it: their request sequences and payload habits, the
RFC 7644 error shape on every error path, discovery, paging, and what provisioning does to the program (a
deactivated person stops earning and leaves the boards; a new person's parked events get scored).

Storage-touching tests run on the embedded SQLite file and on a real PostgreSQL (``db_url``).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.config import ApiConfig
from engine import clock
from engine.people.provisioning import (
    EmailAddress,
    ProvisioningError,
    UserFields,
    choose_email,
    create_user,
    delete_user,
    find_users,
    get_user,
    update_user,
)
from engine.people.roster import import_roster
from engine.scoring.rulesets import publish
from engine.storage.database import Database, DatabaseConfig, open_database
from tests.test_api import JWT_SECRET, ROSTER, Api
from tests.test_pipeline import share

ROOT = Path(__file__).resolve().parent.parent
SCIM = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


class Scim:
    """A test client speaking SCIM with a ``scim`` API key, plus the program's API helpers."""

    def __init__(self, client: TestClient, url: str) -> None:
        self.client = client
        self.api = Api(client, url)
        self.db = self.api.db
        self.auth = self.api.key("scim")

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        sent = {**self.auth, "content-type": SCIM, "accept": SCIM}
        if headers is not None:
            sent = {"content-type": SCIM, **headers}
        content = body if isinstance(body, bytes) else None if body is None else json.dumps(body)
        return self.client.request(
            method, f"/scim/v2{path}", content=content, headers=sent, params=params
        )

    def get(self, path: str, **kw: Any) -> Any:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any, **kw: Any) -> Any:
        return self.call("POST", path, body, **kw)

    def put(self, path: str, body: Any, **kw: Any) -> Any:
        return self.call("PUT", path, body, **kw)

    def patch(self, path: str, *operations: dict[str, Any], **kw: Any) -> Any:
        return self.call(
            "PATCH", path, {"schemas": [PATCH_OP], "Operations": list(operations)}, **kw
        )

    def delete(self, path: str, **kw: Any) -> Any:
        return self.call("DELETE", path, **kw)

    def find(self, scim_filter: str) -> dict[str, Any]:
        r = self.get("/Users", params={"filter": scim_filter, "startIndex": 1, "count": 100})
        assert r.status_code == 200, r.text
        return r.json()

    def employee(self, column: str, where: str, value: Any) -> Any:
        rows = self.db.query(f'SELECT {column} FROM "employee" WHERE {where} = ?', [value])
        return rows[0][0] if rows else None

    def events(self, *events: dict[str, Any]) -> None:
        r = self.client.post("/v1/events", json=list(events), headers=self.api.key("events:write"))
        assert r.status_code == 202, r.text
        assert r.json()["accepted"] == len(events), r.text

    def board(self) -> dict[str, int]:
        r = self.client.get("/v1/leaderboards/points?period=all", headers=self.api.token("E2"))
        assert r.status_code == 200, r.text
        return {row["employee"]: row["points"] for row in r.json()["rows"]}


def _prepare(url: str) -> None:
    db = open_database(DatabaseConfig(url=url))
    try:
        publish(db, ROOT / "rules.yaml")
        import_roster(db, ROSTER)
    finally:
        db.close()


@contextlib.contextmanager
def _serving(url: str, **config: Any) -> Iterator[Scim]:
    settings: dict[str, Any] = {
        "database_url": url,
        "jwt_secret": JWT_SECRET,
        "run_worker": False,
        "rate_limit_per_second": 0,
        "max_body_bytes": 64 * 1024,
        "public_url": "https://plaudit.example.com",
        **config,
    }
    with TestClient(create_app(ApiConfig(**settings))) as client:
        scim = Scim(client, url)
        try:
            yield scim
        finally:
            scim.db.close()


@pytest.fixture
def scim(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Scim]:
    """The API on SQLite and on PostgreSQL, with the test roster (E1..E5) and the default program."""
    monkeypatch.chdir(ROOT)
    _prepare(db_url)
    with _serving(db_url) as client:
        yield client


@pytest.fixture
def scim_sqlite(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Scim]:
    """The same on SQLite only: for protocol checks that do not depend on the database."""
    monkeypatch.chdir(ROOT)
    _prepare(sqlite_url)
    with _serving(sqlite_url) as client:
        yield client


def okta_user(user_name: str = "jane.doe@acme.example", **extra: Any) -> dict[str, Any]:
    """A user as Okta's SCIM 2.0 integration creates one (password and empty groups included)."""
    return {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "displayName": "Jane Doe",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": True,
        **extra,
    }


def entra_user(manager_id: str | None = None) -> dict[str, Any]:
    """A user as Entra ID's provisioning service creates one: the enterprise extension, ``meta`` and empty
    ``roles`` in the request, a GUID as externalId, the UPN as userName."""
    enterprise: dict[str, Any] = {"employeeNumber": "E77", "department": "Field Marketing"}
    if manager_id is not None:
        enterprise["manager"] = {"value": manager_id}
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "Kari.Nordmann@Contoso.example",
        "active": True,
        "displayName": "Kari Nordmann",
        "emails": [{"primary": True, "type": "work", "value": "kari.nordmann@contoso.example"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Kari Nordmann", "familyName": "Nordmann", "givenName": "Kari"},
        "roles": [],
        ENTERPRISE: enterprise,
    }


def assert_error(r: Any, status: int, scim_type: str | None = None) -> dict[str, Any]:
    """The RFC 7644 §3.12 shape: SCIM media type, Error schema, status as a string, scimType, detail."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(SCIM), r.headers["content-type"]
    body = r.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type, body
    assert body["detail"]
    return body


# -- Okta ---------------------------------------------------------------------------------------------------


def test_okta_sequence_lookup_create_read_replace_deactivate(scim: Scim) -> None:
    # Okta looks the user up before creating them.
    found = scim.find('userName eq "jane.doe@acme.example"')
    assert found == {
        "schemas": [LIST],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }

    r = scim.post("/Users", okta_user())
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith(SCIM)
    created = r.json()
    uid = created["id"]
    location = f"https://plaudit.example.com/scim/v2/Users/{uid}"
    assert r.headers["location"] == location
    meta = created["meta"]
    assert meta["resourceType"] == "User" and meta["location"] == location
    assert meta["created"] and meta["lastModified"] and meta["version"].startswith('W/"')
    assert r.headers["etag"] == meta["version"]
    assert created["userName"] == "jane.doe@acme.example"
    assert created["externalId"] == "00ujl29u0le5T6Aj10h7"
    assert created["active"] is True
    assert created["emails"] == [
        {"value": "jane.doe@acme.example", "type": "work", "primary": True}
    ]
    assert "password" not in created and "groups" not in created
    # No employeeNumber: the employee id is Okta's externalId, which tools can be told.
    assert created[ENTERPRISE]["employeeNumber"] == "00ujl29u0le5T6Aj10h7"
    assert scim.employee("email", "id", int(uid)) == "jane.doe@acme.example"

    r = scim.get(f"/Users/{uid}")
    assert r.status_code == 200 and r.json()["userName"] == "jane.doe@acme.example"
    found = scim.find('userName eq "jane.doe@acme.example"')
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == uid

    # Okta sends the whole user back on a profile change, read-only attributes included.
    replacement = okta_user(
        id=uid,
        name={"givenName": "Jane", "familyName": "Smith"},
        displayName="Jane Smith",
        meta={"resourceType": "User"},
    )
    r = scim.put(f"/Users/{uid}", replacement)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["displayName"] == "Jane Smith" and body["name"]["familyName"] == "Smith"
    assert body["meta"]["created"] == meta["created"]
    assert body["meta"]["version"] != meta["version"]
    assert scim.employee("name", "id", int(uid)) == "Jane Smith"

    # Okta deactivates with a no-path replace.
    r = scim.patch(f"/Users/{uid}", {"op": "replace", "value": {"active": False}})
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False
    assert scim.employee("active", "id", int(uid)) in (False, 0)
    assert scim.employee("deactivated_at", "id", int(uid)) is not None
    assert scim.get(f"/Users/{uid}").json()["active"] is False
    # And reactivates the same way.
    r = scim.patch(f"/Users/{uid}", {"op": "replace", "value": {"active": True}})
    assert r.json()["active"] is True
    assert scim.employee("deactivated_at", "id", int(uid)) is None


def test_okta_links_an_employee_the_roster_already_has(scim: Scim) -> None:
    """Okta finds a roster employee by userName (their email) and updates them instead of creating a
    duplicate; their employee id, which tools already use, stays."""
    found = scim.find('userName eq "Anna@Example.com"')
    assert found["totalResults"] == 1
    anna = found["Resources"][0]
    assert anna[ENTERPRISE]["employeeNumber"] == "E1"
    r = scim.put(f"/Users/{anna['id']}", okta_user("anna@example.com", displayName="Anna de Vries"))
    assert r.status_code == 200, r.text
    assert scim.employee("external_id", "id", int(anna["id"])) == "E1"
    assert scim.employee("user_name", "id", int(anna["id"])) == "anna@example.com"
    assert scim.employee("team", "id", int(anna["id"])) == "Sales"  # no division sent: team kept
    # Creating her instead is a conflict: the userName is her email.
    assert_error(scim.post("/Users", okta_user("anna@example.com")), 409, "uniqueness")


# -- Entra ID ----------------------------------------------------------------------------------------------


def test_entra_sequence_match_create_patch_delete(scim: Scim) -> None:
    anna_id = scim.find('userName eq "anna@example.com"')["Resources"][0]["id"]
    # Entra matches on externalId or userName first.
    assert scim.find('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')["totalResults"] == 0
    assert scim.find('userName eq "Kari.Nordmann@Contoso.example"')["totalResults"] == 0

    r = scim.post("/Users", entra_user(manager_id=anna_id))
    assert r.status_code == 201, r.text
    kari = r.json()
    uid = kari["id"]
    assert kari[ENTERPRISE] == {
        "employeeNumber": "E77",
        "department": "Field Marketing",
        "manager": {"value": anna_id},
    }
    assert kari["userName"] == "Kari.Nordmann@Contoso.example"
    # Stored for tools: employeeNumber as the employee id, the manager by their employee id, no team.
    assert scim.employee("external_id", "id", int(uid)) == "E77"
    assert scim.employee("manager_external_id", "id", int(uid)) == "E1"
    assert scim.employee("team", "id", int(uid)) == ""
    found = scim.find('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')
    assert [u["id"] for u in found["Resources"]] == [uid]
    # userName is not case-exact.
    assert scim.find('userName eq "kari.nordmann@contoso.example"')["totalResults"] == 1

    # Entra's PATCH: capitalised ops, paths, value filters, string booleans.
    r = scim.patch(
        f"/Users/{uid}",
        {
            "op": "Replace",
            "path": 'emails[type eq "work"].value',
            "value": "kari@contoso.example",
        },
        {"op": "Replace", "path": "name.familyName", "value": "Nordmann-Berg"},
        {"op": "Replace", "path": "displayName", "value": "Kari Nordmann-Berg"},
        {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Sales Ops"},
        {"op": "Add", "path": f"{ENTERPRISE}:division", "value": "Sales"},
        {"op": "Replace", "path": "active", "value": "False"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["active"] is False
    assert body["emails"][0]["value"] == "kari@contoso.example"
    assert body["name"]["familyName"] == "Nordmann-Berg"
    assert body[ENTERPRISE]["department"] == "Sales Ops"
    assert scim.employee("email", "id", int(uid)) == "kari@contoso.example"
    assert scim.employee("team", "id", int(uid)) == "Sales"  # division is the team
    assert scim.employee("active", "id", int(uid)) in (False, 0)

    r = scim.patch(f"/Users/{uid}", {"op": "Replace", "path": "active", "value": "True"})
    assert r.json()["active"] is True
    # The manager as {"value": id}, and as the bare id older Entra tenants send.
    e2_id = scim.find('userName eq "emp0002@example.com"')["Resources"][0]["id"]
    r = scim.patch(
        f"/Users/{uid}", {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": {"value": e2_id}}
    )
    assert r.json()[ENTERPRISE]["manager"] == {"value": e2_id}
    assert scim.employee("manager_external_id", "id", int(uid)) == "E2"
    r = scim.patch(
        f"/Users/{uid}", {"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": anna_id}
    )
    assert r.status_code == 200, r.text
    assert scim.employee("manager_external_id", "id", int(uid)) == "E1"
    r = scim.patch(f"/Users/{uid}", {"op": "Remove", "path": f"{ENTERPRISE}:manager"})
    assert "manager" not in r.json()[ENTERPRISE]
    assert scim.employee("manager_external_id", "id", int(uid)) is None
    # A new employeeNumber is the new employee id.
    r = scim.patch(
        f"/Users/{uid}", {"op": "Replace", "path": f"{ENTERPRISE}:employeeNumber", "value": "E78"}
    )
    assert scim.employee("external_id", "id", int(uid)) == "E78"

    assert scim.delete(f"/Users/{uid}").status_code == 204
    assert_error(scim.get(f"/Users/{uid}"), 404)
    assert_error(scim.delete(f"/Users/{uid}"), 404)
    assert_error(
        scim.patch(f"/Users/{uid}", {"op": "Replace", "path": "active", "value": "True"}), 404
    )
    assert scim.find('userName eq "Kari.Nordmann@Contoso.example"')["totalResults"] == 0
    # The row stays (its history is the program's), deactivated and deprovisioned.
    assert scim.employee("deprovisioned", "id", int(uid)) in (True, 1)
    assert scim.employee("active", "id", int(uid)) in (False, 0)


def test_entra_patch_adds_a_work_email_a_user_did_not_have(scim: Scim) -> None:
    body = entra_user()
    del body["emails"]
    body["userName"] = "kari"  # not an email: no address at all
    r = scim.post("/Users", body)
    assert r.status_code == 201, r.text
    uid = r.json()["id"]
    assert "emails" not in r.json()
    r = scim.patch(
        f"/Users/{uid}",
        {"op": "Add", "path": 'emails[type eq "work"].value', "value": "Kari@Contoso.example"},
    )
    assert r.status_code == 200, r.text
    assert scim.employee("email", "id", int(uid)) == "kari@contoso.example"


# -- paging and filters ------------------------------------------------------------------------------------


def test_paging_with_start_index_and_count(scim: Scim) -> None:
    for i in range(3):
        assert (
            scim.post("/Users", okta_user(f"user{i}@acme.example", externalId=f"ok{i}")).status_code
            == 201
        )
    everyone = scim.get("/Users").json()
    assert everyone["totalResults"] == 8 and everyone["itemsPerPage"] == 8
    ids = [u["id"] for u in everyone["Resources"]]
    page = scim.get("/Users", params={"startIndex": 3, "count": 2}).json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (8, 3, 2)
    assert [u["id"] for u in page["Resources"]] == ids[2:4]
    last = scim.get("/Users", params={"startIndex": 7, "count": 5}).json()
    assert [u["id"] for u in last["Resources"]] == ids[6:]
    beyond = scim.get("/Users", params={"startIndex": 20}).json()
    assert beyond["totalResults"] == 8 and beyond["Resources"] == []
    counted = scim.get("/Users", params={"count": 0}).json()
    assert counted["totalResults"] == 8 and counted["Resources"] == []
    # RFC 7644 §3.4.2.4: startIndex below 1 is 1, a negative count is 0.
    floor = scim.get("/Users", params={"startIndex": -4, "count": 1}).json()
    assert floor["startIndex"] == 1 and [u["id"] for u in floor["Resources"]] == ids[:1]
    attrs = scim.get("/Users", params={"attributes": "userName", "count": 1}).json()
    assert set(attrs["Resources"][0]) == {"schemas", "id", "userName"}


def test_an_identity_providers_bulk_sync_is_never_throttled(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18: SCIM shared the /v1 limit and a conformance run was throttled. With the default limits (only
    /v1 turned off, as in every test here) an identity provider runs its whole cycle per user (look up, create,
    find by filter, replace, deactivate, delete) from four connections, as fast as this process answers up
    to the SCIM limit's pace: no 429, and each new user is found by filter on the first page among hundreds."""
    monkeypatch.chdir(ROOT)
    _prepare(sqlite_url)
    with _serving(sqlite_url) as scim:
        limit = ApiConfig().scim_rate_limit_per_second
        # Microsoft asks a SCIM endpoint to take 25 requests/s from one provisioning job; Okta sends less.
        assert limit >= 25 and limit != ApiConfig().rate_limit_per_second
        pace = Pace(
            0.9 * limit
        )  # as fast as the process answers, never faster than the limit allows
        statuses: list[int] = []

        def call(method: str, path: str, body: Any = None, **kw: Any) -> Any:
            pace.wait()
            r = scim.call(method, path, body, **kw)
            statuses.append(r.status_code)
            return r

        def cycle(n: int) -> None:
            name = f"sync{n}@acme.example"
            query = {"filter": f'userName eq "{name}"'}
            assert call("GET", "/Users", params=query).json()["totalResults"] == 0
            created = call("POST", "/Users", okta_user(name, externalId=f"okta-{n}"))
            assert created.status_code == 201, created.text
            uid = created.json()["id"]
            found = call("GET", "/Users", params=query).json()
            assert [u["id"] for u in found["Resources"]] == [uid] and found["totalResults"] == 1
            replaced = call("PUT", f"/Users/{uid}", okta_user(name, externalId=f"okta-{n}"))
            assert replaced.status_code == 200, replaced.text
            off = {
                "schemas": [PATCH_OP],
                "Operations": [{"op": "replace", "value": {"active": False}}],
            }
            assert call("PATCH", f"/Users/{uid}", off).status_code == 200
            assert call("DELETE", f"/Users/{uid}").status_code == 204

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(cycle, range(200)))
        assert len(statuses) == 1200 and 429 not in statuses


class Pace:
    """At most ``per_second`` calls a second from any number of threads, evenly spaced."""

    def __init__(self, per_second: float) -> None:
        self.gap = 1 / per_second
        self.next = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            slot = max(self.next, now)
            self.next = slot + self.gap
        time.sleep(max(0.0, slot - now))


def test_filters(scim: Scim) -> None:
    assert scim.post("/Users", entra_user()).status_code == 201
    count = lambda f: scim.find(f)["totalResults"]  # noqa: E731
    # Attribute names without case (RFC 7644 §3.4.2.2); userName and emails values without case too.
    assert count('USERNAME eq "kari.nordmann@contoso.example"') == 1
    assert count('emails.value eq "KARI.NORDMANN@contoso.example"') == 1
    assert count('Emails.Value eq "anna@example.com"') == 1
    assert count('emails[value eq "anna@example.com"]') == 1
    assert count(f'{ENTERPRISE}:employeeNumber eq "E77"') == 1
    assert count('externalId eq "0A21F0F2-8D2A-4F8E-BF98-7363C4AED4EF"') == 0  # case-exact
    assert (
        count(
            'userName eq "Kari.Nordmann@Contoso.example" and externalId eq '
            '"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"'
        )
        == 1
    )
    assert count('userName eq "Kari.Nordmann@Contoso.example" and externalId eq "other"') == 0
    assert count('userName eq "a@x.example" and userName eq "b@x.example"') == 0
    anna = scim.find('userName eq "anna@example.com"')["Resources"][0]["id"]
    assert count(f'id eq "{anna}"') == 1


# -- effects on the program --------------------------------------------------------------------------------


def test_deactivated_user_stops_earning_and_leaves_the_board(scim: Scim) -> None:
    earlier = (clock.now() - timedelta(hours=1)).replace(microsecond=0).isoformat()
    scim.events(share("s1", "E1", earlier, "a"), share("s2", "E2", earlier, "b"))
    scim.api.score()
    assert scim.board() == {"E1": 10, "E2": 10}

    anna = scim.find('userName eq "anna@example.com"')["Resources"][0]["id"]
    r = scim.patch(f"/Users/{anna}", {"op": "replace", "value": {"active": False}})
    assert r.status_code == 200, r.text
    assert scim.board() == {"E2": 10}  # at once, not at the next scoring

    after = (clock.now() + timedelta(seconds=1)).isoformat()
    scim.events(share("s3", "E1", after, "c"))
    scim.api.score()
    status, reason = scim.db.query(
        'SELECT status, reason FROM "event" WHERE external_id = ?', ["s3"]
    )[0]
    assert status == "done" and "inactive" in reason
    points = scim.db.query(
        'SELECT SUM(points) FROM "ledger_entry" WHERE employee = ?', [int(anna)]
    )[0][0]
    assert points == 10  # what she earned before stays hers

    # Reactivated, she is back with her points.
    scim.patch(f"/Users/{anna}", {"op": "Replace", "path": "active", "value": "True"})
    assert scim.board() == {"E1": 10, "E2": 10}


def test_created_users_parked_events_are_scored(scim: Scim) -> None:
    at = (clock.now() - timedelta(hours=1)).replace(microsecond=0).isoformat()
    scim.events(
        share("p1", "jane.doe@acme.example", at, "a"),  # by email
        share("p2", "E77", at, "b"),  # by employee number
    )
    scim.api.score()
    statuses = dict(scim.db.query('SELECT external_id, status FROM "event"'))
    assert statuses == {"p1": "parked", "p2": "parked"}

    assert scim.post("/Users", okta_user()).status_code == 201
    assert scim.post("/Users", entra_user()).status_code == 201
    assert dict(scim.db.query('SELECT external_id, status FROM "event"')) == {
        "p1": "pending",
        "p2": "pending",
    }
    scim.api.score()
    scored = scim.db.query(
        'SELECT v.external_id, e.user_name, l.points FROM "ledger_entry" l '
        'JOIN "event" v ON v.id = l.event JOIN "employee" e ON e.id = l.employee ORDER BY v.external_id'
    )
    assert scored == [
        ("p1", "jane.doe@acme.example", 10),
        ("p2", "Kari.Nordmann@Contoso.example", 10),
    ]


def test_deleted_user_is_gone_and_the_same_user_name_revives_their_history(scim: Scim) -> None:
    uid = scim.post("/Users", okta_user()).json()["id"]
    at = (clock.now() - timedelta(hours=1)).replace(microsecond=0).isoformat()
    scim.events(share("d1", "jane.doe@acme.example", at, "a"), share("d2", "E2", at, "b"))
    scim.api.score()
    assert scim.board() == {"00ujl29u0le5T6Aj10h7": 10, "E2": 10}

    assert scim.delete(f"/Users/{uid}").status_code == 204
    assert_error(scim.get(f"/Users/{uid}"), 404)
    assert uid not in [u["id"] for u in scim.get("/Users").json()["Resources"]]
    assert scim.board() == {"E2": 10}
    assert (
        scim.db.query('SELECT COUNT(*) FROM "ledger_entry" WHERE employee = ?', [int(uid)])[0][0]
        == 1
    )

    # Okta assigns her again: same row, same points, active.
    r = scim.post("/Users", okta_user())
    assert r.status_code == 201, r.text
    assert r.json()["id"] == uid and r.json()["active"] is True
    assert scim.board() == {"00ujl29u0le5T6Aj10h7": 10, "E2": 10}


def test_deactivated_user_leaves_the_redis_boards_too(
    sqlite_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scaled setup: the boards are Redis sorted sets, re-filed on the same answer."""
    monkeypatch.chdir(ROOT)
    _prepare(sqlite_url)
    with _serving(sqlite_url, redis_url=redis_url) as s:
        at = (clock.now() - timedelta(hours=1)).replace(microsecond=0).isoformat()
        s.events(share("r1", "E1", at, "a"), share("r2", "E2", at, "b"))
        s.api.score()
        assert s.board() == {"E1": 10, "E2": 10}
        anna = s.find('userName eq "anna@example.com"')["Resources"][0]["id"]
        assert (
            s.patch(f"/Users/{anna}", {"op": "replace", "value": {"active": False}}).status_code
            == 200
        )
        assert s.board() == {"E2": 10}


def test_deactivated_user_alone_on_a_board_leaves_it(scim_sqlite: Scim) -> None:
    at = (clock.now() - timedelta(hours=1)).replace(microsecond=0).isoformat()
    scim_sqlite.events(share("a1", "E1", at, "a"))
    scim_sqlite.api.score()
    anna = scim_sqlite.find('userName eq "anna@example.com"')["Resources"][0]["id"]
    scim_sqlite.patch(f"/Users/{anna}", {"op": "replace", "value": {"active": False}})
    assert scim_sqlite.board() == {}


# -- errors ------------------------------------------------------------------------------------------------


def test_authentication_and_scope_errors(scim_sqlite: Scim) -> None:
    s = scim_sqlite
    r = s.get("/Users", headers={})
    assert_error(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert_error(s.get("/Users", headers={"Authorization": "Bearer pk_notakey"}), 401)
    assert_error(s.get("/Users", headers={"Authorization": "Bearer not-a-jwt"}), 401)
    assert_error(s.get("/Users", headers=s.api.key("read", "events:write")), 403)
    assert_error(s.get("/Users", headers=s.api.hr()), 403)  # HR's token is not a provisioning key
    assert_error(s.post("/Users", okta_user(), headers=s.api.key("admin")), 403)
    # A revoked key is refused.
    made = s.client.post(
        "/v1/api-keys", json={"name": "Okta", "scopes": ["scim"]}, headers=s.api.hr()
    ).json()
    assert s.client.delete(f"/v1/api-keys/{made['id']}", headers=s.api.hr()).status_code in (
        200,
        204,
    )
    assert_error(s.get("/Users", headers={"Authorization": f"Bearer {made['key']}"}), 401)


@pytest.mark.parametrize(
    ("scim_filter", "status", "scim_type"),
    [
        ('userName eq "x', 400, "invalidFilter"),  # unterminated string
        ("userName eq", 400, "invalidFilter"),
        ('userName sw "ja"', 400, "invalidFilter"),  # only eq is looked up
        ('userName eq "a" or userName eq "b"', 400, "invalidFilter"),
        ('title eq "CEO"', 400, "invalidFilter"),  # a real attribute we do not look up
        ('nickname eq "x" and userName eq "y"', 400, "invalidFilter"),
        ('foo eq "x"', 400, "invalidFilter"),  # no such attribute
        ("active eq true", 400, "invalidFilter"),
    ],
)
def test_bad_filters_are_invalid_filter(
    scim_sqlite: Scim, scim_filter: str, status: int, scim_type: str
) -> None:
    assert_error(scim_sqlite.get("/Users", params={"filter": scim_filter}), status, scim_type)


def test_bad_paging_values_are_invalid_value(scim_sqlite: Scim) -> None:
    assert_error(scim_sqlite.get("/Users", params={"startIndex": "first"}), 400, "invalidValue")
    assert_error(scim_sqlite.get("/Users", params={"count": "many"}), 400, "invalidValue")


def test_bad_bodies(scim_sqlite: Scim) -> None:
    s = scim_sqlite
    assert_error(s.post("/Users", b'{"userName": '), 400, "invalidSyntax")
    assert_error(s.post("/Users", b"[1, 2]"), 400, "invalidSyntax")
    assert_error(s.post("/Users", {"schemas": [USER_SCHEMA]}), 400, "invalidValue")  # no userName
    assert_error(s.post("/Users", {"schemas": [USER_SCHEMA], "userName": 5}), 400, "invalidValue")
    body = assert_error(
        s.post("/Users", okta_user(emails=[{"value": "not-an-email", "type": "work"}])),
        400,
        "invalidValue",
    )
    assert "emails" in body["detail"]
    assert_error(s.post("/Users", okta_user(active="maybe")), 400, "invalidValue")
    assert_error(s.post("/Users", {"schemas": ["urn:x"], "userName": "x"}), 400, "invalidSyntax")
    # Longer than the column: refused naming the attribute, on PostgreSQL as on SQLite.
    body = assert_error(s.post("/Users", okta_user(locale="x" * 40)), 400, "invalidValue")
    assert body["detail"].startswith("locale")
    assert_error(s.post("/Users", okta_user(userName="   ")), 400, "invalidValue")
    uid = s.post("/Users", okta_user()).json()["id"]
    assert_error(s.put(f"/Users/{uid}", {"schemas": [USER_SCHEMA]}), 400, "invalidValue")
    # Nothing half-applied: the user is as created.
    assert s.get(f"/Users/{uid}").json()["displayName"] == "Jane Doe"


@pytest.mark.parametrize(
    ("operation", "scim_type"),
    [
        ({"op": "replace", "path": 'emails[type eq "work"', "value": "x@y.example"}, "invalidPath"),
        ({"op": "replace", "path": "name..givenName", "value": "x"}, "invalidPath"),
        ({"op": "copy", "path": "active", "value": True}, "invalidValue"),
        ({"op": "Replace", "path": "active", "value": "maybe"}, "invalidValue"),
        (
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "nope"},
            "invalidValue",
        ),
        ({"op": "add", "path": "displayName"}, "invalidValue"),
        ({"op": "remove"}, "noTarget"),
        ({"op": "replace", "path": "id", "value": "7"}, "mutability"),
        ({"op": "remove", "path": "userName"}, "mutability"),
    ],
)
def test_bad_patch_operations(scim_sqlite: Scim, operation: dict[str, Any], scim_type: str) -> None:
    s = scim_sqlite
    uid = s.post("/Users", okta_user()).json()["id"]
    assert_error(
        s.patch(
            f"/Users/{uid}", {"op": "replace", "path": "displayName", "value": "Changed"}, operation
        ),
        400,
        scim_type,
    )
    # The operations are applied together or not at all.
    assert s.get(f"/Users/{uid}").json()["displayName"] == "Jane Doe"


def test_patch_body_errors(scim_sqlite: Scim) -> None:
    s = scim_sqlite
    uid = s.post("/Users", okta_user()).json()["id"]
    assert_error(s.call("PATCH", f"/Users/{uid}", {"schemas": [PATCH_OP]}), 400, "invalidValue")
    assert_error(
        s.call("PATCH", f"/Users/{uid}", {"schemas": [PATCH_OP], "Operations": []}),
        400,
        "invalidValue",
    )
    assert_error(s.call("PATCH", f"/Users/{uid}", b"nope"), 400, "invalidSyntax")


def test_conflicts_are_uniqueness(scim_sqlite: Scim) -> None:
    s = scim_sqlite
    assert s.post("/Users", okta_user()).status_code == 201
    body = assert_error(s.post("/Users", okta_user("JANE.DOE@acme.example")), 409, "uniqueness")
    assert body["detail"].startswith("userName")
    other_name_same_email = okta_user(
        "jdoe", emails=[{"value": "jane.doe@acme.example", "primary": True}], externalId="x2"
    )
    assert assert_error(s.post("/Users", other_name_same_email), 409, "uniqueness")[
        "detail"
    ].startswith("emails")
    same_number = entra_user()
    same_number[ENTERPRISE]["employeeNumber"] = "E3"  # Olga's
    assert (
        "employeeNumber" in assert_error(s.post("/Users", same_number), 409, "uniqueness")["detail"]
    )
    # Changing into someone else's userName or email is a conflict too.
    kari = s.post("/Users", entra_user()).json()["id"]
    assert_error(
        s.patch(
            f"/Users/{kari}",
            {"op": "replace", "path": "userName", "value": "jane.doe@acme.example"},
        ),
        409,
        "uniqueness",
    )
    assert_error(
        s.patch(
            f"/Users/{kari}",
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": "olga@example.com"},
        ),
        409,
        "uniqueness",
    )


def test_not_found_and_unsupported_endpoints(scim_sqlite: Scim) -> None:
    s = scim_sqlite
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        body = None if method in ("GET", "DELETE") else okta_user()
        if method == "PATCH":
            body = {
                "schemas": [PATCH_OP],
                "Operations": [{"op": "replace", "path": "active", "value": False}],
            }
        assert_error(s.call(method, "/Users/99999", body), 404)
        assert_error(s.call(method, "/Users/not-a-number", body), 404)
    groups = assert_error(s.get("/Groups"), 404)
    assert "Groups are not supported" in groups["detail"]
    assert_error(s.post("/Groups", {"displayName": "Sales"}), 404)
    assert_error(s.get("/Groups/1"), 404)
    assert_error(s.get("/Bulk"), 404)
    assert_error(s.get("/Me"), 404)
    assert_error(s.call("PUT", "/Users", okta_user()), 405)
    assert_error(s.call("POST", "/Users/1", okta_user()), 405)
    assert_error(s.call("DELETE", "/ServiceProviderConfig"), 405)


def test_content_types(scim_sqlite: Scim) -> None:
    s = scim_sqlite
    plain_json = {**s.auth, "content-type": "application/json"}
    r = s.post("/Users", okta_user(), headers=plain_json)
    assert r.status_code == 201 and r.headers["content-type"].startswith(SCIM)
    with_charset = {**s.auth, "content-type": "application/scim+json; charset=utf-8"}
    r = s.patch(
        f"/Users/{r.json()['id']}",
        {"op": "replace", "value": {"active": False}},
        headers=with_charset,
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith(SCIM)
    assert_error(
        s.post("/Users", b"userName=x", headers={**s.auth, "content-type": "text/plain"}), 415
    )
    assert_error(s.post("/Users", b"{" + b" " * (70 * 1024) + b"}"), 413)


# -- discovery ---------------------------------------------------------------------------------------------


def test_discovery_endpoints(scim_sqlite: Scim) -> None:
    s = scim_sqlite
    config = s.get("/ServiceProviderConfig")
    assert config.status_code == 200 and config.headers["content-type"].startswith(SCIM)
    body = config.json()
    assert body["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
    assert body["patch"] == {"supported": True}
    assert body["bulk"]["supported"] is False and body["sort"] == {"supported": False}
    assert body["filter"]["supported"] is True and body["filter"]["maxResults"] >= 100
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert "groups are not supported" in body["authenticationSchemes"][0]["description"]

    types = s.get("/ResourceTypes").json()
    assert types["totalResults"] == 1
    (user_type,) = types["Resources"]
    assert (user_type["name"], user_type["endpoint"], user_type["schema"]) == (
        "User",
        "/Users",
        USER_SCHEMA,
    )
    assert user_type["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    assert s.get("/ResourceTypes/User").json()["endpoint"] == "/Users"
    assert "Groups are not supported" in assert_error(s.get("/ResourceTypes/Group"), 404)["detail"]

    schemas = s.get("/Schemas").json()
    assert sorted(x["id"] for x in schemas["Resources"]) == sorted([USER_SCHEMA, ENTERPRISE])
    enterprise = s.get(f"/Schemas/{ENTERPRISE}").json()
    assert {a["name"] for a in enterprise["attributes"]} >= {
        "employeeNumber",
        "department",
        "manager",
    }
    user_schema = s.get(f"/Schemas/{USER_SCHEMA}").json()
    assert any(a["name"] == "userName" and a["required"] for a in user_schema["attributes"])
    assert_error(s.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group"), 404)


# -- the store itself --------------------------------------------------------------------------------------


def _user(user_name: str, **extra: Any) -> UserFields:
    return UserFields(user_name=user_name, **extra)


def test_employee_id_and_email_rules() -> None:
    work = EmailAddress("Work@Acme.example", "work")
    home = EmailAddress("home@acme.example", "home")
    primary = EmailAddress("main@acme.example", "other", primary=True)
    assert choose_email([home, work, primary], None) == "main@acme.example"
    assert choose_email([home, work], None) == "work@acme.example"
    assert choose_email([home], None) == "home@acme.example"
    assert choose_email([], "Jane@Acme.example") == "jane@acme.example"
    assert choose_email([], "jane") is None


def test_store_derives_ids_and_keeps_them_stable(db: Database) -> None:
    import_roster(db, ROSTER)
    by_number = create_user(
        db, _user("a@acme.example", employee_number="N1", scim_external_id="okta-1")
    )
    assert by_number.external_id == "N1" and by_number.email == "a@acme.example"
    by_scim = create_user(db, _user("b@acme.example", scim_external_id="okta-2"))
    assert by_scim.external_id == "okta-2"
    by_name = create_user(db, _user("c.user"))
    assert (by_name.external_id, by_name.email, by_name.name) == ("c.user", None, "c.user")
    # A new externalId does not move the employee id; an employeeNumber does.
    assert update_user(db, by_scim.id, {"scim_external_id": "okta-9"}).external_id == "okta-2"
    assert update_user(db, by_scim.id, {"employee_number": "N2"}).external_id == "N2"
    # The manager by our id becomes their employee id; an unknown reference is kept as sent.
    anna = find_users(db, email="anna@example.com").users[0]
    managed = update_user(db, by_name.id, {"manager": str(anna.id)})
    assert (managed.manager_external_id, managed.manager_id) == ("E1", anna.id)
    assert update_user(db, by_name.id, {"manager": "HR-42"}).manager_external_id == "HR-42"
    with pytest.raises(ProvisioningError) as failed:
        update_user(db, by_name.id, {"nickname": "x"})
    assert failed.value.field == "nickname" and failed.value.kind == "invalid"


def test_store_deprovisioning_frees_the_email_and_revives_by_user_name(db: Database) -> None:
    import_roster(db, ROSTER)
    jane = create_user(db, _user("Jane", emails=(EmailAddress("jane@acme.example"),)))
    delete_user(db, jane.id)
    with pytest.raises(ProvisioningError) as gone:
        get_user(db, jane.id)
    assert gone.value.kind == "not_found"
    with pytest.raises(ProvisioningError):
        delete_user(db, jane.id)
    # Someone else gets her address: hers is freed (events by that email go to the new person).
    other = create_user(
        db, _user("jd", scim_external_id="x", emails=(EmailAddress("jane@acme.example"),))
    )
    assert other.email == "jane@acme.example" and other.id != jane.id
    assert db.query('SELECT email FROM "employee" WHERE id = ?', [jane.id])[0][0] is None
    # The same user name (in any case) brings her row back.
    back = create_user(db, _user("JANE", emails=(EmailAddress("jane.new@acme.example"),)))
    assert back.id == jane.id and back.active and back.user_name == "JANE"
    # Conflicts name the field.
    with pytest.raises(ProvisioningError) as taken:
        create_user(db, _user("jane"))
    assert (taken.value.field, taken.value.kind) == ("user_name", "conflict")
    with pytest.raises(ProvisioningError) as number:
        create_user(db, _user("z", employee_number="E2"))
    assert (number.value.field, number.value.kind) == ("external_id", "conflict")
    with pytest.raises(ProvisioningError) as long_name:
        create_user(db, _user("y", name="n" * 300))
    assert (long_name.value.field, long_name.value.kind) == ("name", "invalid")
    assert find_users(db, user_name="y").total == 0  # nothing half-written


def test_attributes_we_do_not_keep_never_block_a_deactivation(scim_sqlite: Scim) -> None:
    """An admin's custom mapping sends attributes we do not keep: ignored, so the rest still applies."""
    s = scim_sqlite
    custom = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
    r = s.post("/Users", okta_user(costCode="C-9", **{custom: {"badge": "7"}}))
    assert r.status_code == 201, r.text
    uid = r.json()["id"]
    r = s.patch(
        f"/Users/{uid}",
        {"op": "Replace", "path": f"{custom}:badge", "value": "8"},
        {"op": "Replace", "path": "costCode", "value": "C-10"},
        {"op": "Replace", "path": "active", "value": "False"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False and "costCode" not in r.json()


@pytest.mark.parametrize("locale", ["sr-Latn-RS-u-nu-latn", "en_US", "zh-Hant-TW", "de"])
def test_any_bcp_47_locale_is_kept(scim: Scim, locale: str) -> None:
    """`"locale": "sr-Latn-RS-u-nu-latn"` was refused (the column held 16 characters); on both databases."""
    created = scim.post("/Users", okta_user(locale=locale))
    assert created.status_code == 201, created.text
    assert scim.get(f"/Users/{created.json()['id']}").json()["locale"] == locale


@pytest.mark.parametrize("locale", ["english please", "e", "en--US", "x" * 70])
def test_a_locale_that_is_no_language_tag_is_refused_by_name(scim: Scim, locale: str) -> None:
    body = assert_error(scim.post("/Users", okta_user(locale=locale)), 400, "invalidValue")
    assert body["detail"].startswith("locale")
