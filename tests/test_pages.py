"""The web pages over HTTP (Litestar's test client): signing in, the board, the profile, shoutouts, languages,
HR's rules editor and month close, the HR password login and Piccolo Admin, and the JSON API beside them.

The database: the test roster of ``tests.test_api`` (E1…E5, a hidden and a team-only colleague), a Dutch
colleague (E6, locale nl-NL) and the nine shares of ``seed_scores``, on a SQLite file of the test's own (``site``)
or, for tests that only look, one of the module's (``looker``). Employees sign in with a
link signed as ``plaudit token --link`` signs it; forms send the ``plaudit_csrf`` cookie back as ``_csrf_token``.

"""

from __future__ import annotations

import html
import io
import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from PIL import Image

from admin.cli import main as plaudit
from admin.cli.serve import _sign
from admin.pages import install_pages
from api.app import create_app
from api.config import ApiConfig
from engine.people.roster import import_roster
from engine.storage.database import DatabaseConfig, open_database
from tests.test_api import JWT_SECRET, ROOT, Api, prepared_database, seed_scores
from tests.test_awards import scored
from tests.test_awards import share as october_share

#: A colleague whose roster locale is Dutch, in a team of their own (no points: the boards stay as seeded).
DUTCH_COLLEAGUE = (
    "external_id,email,name,team,locale\nE6,daan@example.com,Daan de Boer,Support,nl-NL\n"
)
HR_PASSWORD = "a long HR passphrase"
#: What the POST forms answer today. They declare 303 but answer 302: see test_post_forms_answer_303.
AFTER_POST = (303,)


@dataclass
class Site:
    """The app with the pages, and what a browser would do with it."""

    api: Api
    config: ApiConfig

    @property
    def client(self) -> TestClient:
        return self.api.client

    def link_token(self, who: str, role: str = "employee", valid: timedelta | None = None) -> str:
        return _sign(self.config, who, role, valid or timedelta(minutes=60))

    def sign_in(self, who: str, role: str = "employee", next: str | None = None) -> httpx.Response:
        """A fresh browser following a sign-in link: the session cookie, and where it is sent next."""
        self.client.cookies.clear()
        params = {"token": self.link_token(who, role), **({"next": next} if next else {})}
        r = self.client.get("/login/token", params=params, follow_redirects=False)
        assert r.status_code == 302, r.text
        assert "plaudit_session" in r.cookies
        return r

    def csrf(self) -> str:
        token = self.client.cookies.get("plaudit_csrf")
        if token is None:
            self.client.get("/login")
            token = self.client.cookies.get("plaudit_csrf")
        assert token
        return token

    def post(
        self, path: str, data: dict[str, str], csrf: bool = True, **kwargs: object
    ) -> httpx.Response:
        body = {**data, "_csrf_token": self.csrf()} if csrf else data
        return self.client.post(path, data=body, follow_redirects=False, **kwargs)  # type: ignore[arg-type]

    def query(self, sql: str, params: list | tuple = ()) -> list[tuple]:
        return self.api.db.query(sql, list(params))


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The program published and the roster imported, once: each test starts from a copy."""
    folder = tmp_path_factory.mktemp("prepared")
    url = prepared_database(folder)
    db = open_database(DatabaseConfig(url=url, migrate=False))
    import_roster(db, DUTCH_COLLEAGUE)
    db.close()
    return Path(url.removeprefix("sqlite:///"))


@contextmanager
def running_site(prepared: Path, folder: Path) -> Iterator[Site]:
    """The app with the pages on a copy of the prepared database, the shares of ``seed_scores`` scored."""
    for file in prepared.parent.glob(prepared.name + "*"):  # with -wal and -shm, if any
        shutil.copy(file, folder / file.name)
    url = f"sqlite:///{folder / prepared.name}"
    config = ApiConfig(
        database_url=url, jwt_secret=JWT_SECRET, run_worker=False, rate_limit_per_second=0
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        with TestClient(create_app(config, on_app_init=[install_pages])) as client:
            site = Site(Api(client, url), config)
            seed_scores(site.api)
            yield site
    site.api.db.close()


@pytest.fixture
def site(prepared: Path, tmp_path: Path) -> Iterator[Site]:
    """A site of the test's own, for tests that change something."""
    with running_site(prepared, tmp_path) as site:
        yield site


@pytest.fixture(scope="module")
def shared_site(prepared: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with running_site(prepared, tmp_path_factory.mktemp("shared")) as site:
        yield site


@pytest.fixture
def looker(shared_site: Site) -> Site:
    """One site for the tests that only look (and check that they changed nothing), signed out at first:
    starting an app per test would make the module twice as slow."""
    shared_site.client.cookies.clear()
    return shared_site


# -- reading pages -----------------------------------------------------------------------------------------

BOARD_ROW = re.compile(
    r'<tr(?P<me> class="me" aria-current="true")?>\s*<td class="num">(?P<rank>\d+)</td>\s*'
    r'<td>(?P<name>[^<]*?)\s*(?:<span class="muted">[^<]*</span>\s*)?<div>.*?</div></td>\s*'
    r'<td class="hide-sm">(?P<team>[^<]*)</td>\s*<td class="num">(?P<points>[^<]*)</td>\s*</tr>',
    re.S,
)


def board_rows(page: str) -> list[tuple[int, str, str, str, bool]]:
    """(rank, name, team, points, is me) of every row of the board's table."""
    return [
        (int(m["rank"]), html.unescape(m["name"]), m["team"], m["points"], bool(m["me"]))
        for m in BOARD_ROW.finditer(page)
    ]


def nav(page: str, label: str) -> str:
    m = re.search(rf'<nav aria-label="{label}">(.*?)</nav>', page, re.S)
    assert m, f"no {label} navigation"
    return m.group(1)


def main_nav(page: str) -> list[str]:
    """The links of the layout's main navigation."""
    return re.findall(r'<li><a href="([^"]+)"', nav(page, "Main navigation"))


def textarea(page: str, ident: str) -> str:
    m = re.search(rf'<textarea id="{ident}"[^>]*>(.*?)</textarea>', page, re.S)
    assert m, f"no textarea {ident}"
    return html.unescape(m.group(1))


def alert(page: str) -> str:
    m = re.search(r'role="alert"[^>]*>(.*?)</p>', page, re.S)
    assert m, "no alert on the page"
    return html.unescape(m.group(1))


def is_html_page(r: httpx.Response, status: int) -> bool:
    return r.status_code == status and r.headers["content-type"].startswith("text/html")


def location(r: httpx.Response) -> str:
    return r.headers["location"]


# -- signed out --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "next"),
    [
        ("/board", "/board"),
        ("/board?period=week&scope=team", "/board%3Fperiod%3Dweek%26scope%3Dteam"),
        ("/me", "/me"),
        ("/shoutouts", "/shoutouts"),
        ("/hr/rules/", "/hr/rules"),
        ("/hr/month-close/", "/hr/month-close"),
        ("/hr/review/", "/hr/review"),
        ("/", "/"),
    ],
)
def test_signed_out_pages_send_to_the_login(looker: Site, path: str, next: str) -> None:
    r = looker.client.get(path, follow_redirects=False)
    assert r.status_code == 302
    assert location(r) == f"/login?next={next}"


def test_the_login_page_renders_with_its_form(looker: Site) -> None:
    r = looker.client.get("/login?next=/hr/rules/")
    assert is_html_page(r, 200)
    assert "<h1>HR sign-in</h1>" in r.text
    assert '<form method="post" action="/login"' in r.text
    assert '<input type="hidden" name="next" value="/hr/rules/">' in r.text
    assert '<input type="hidden" name="_csrf_token" value="' in r.text
    assert "Wrong username or password." not in r.text
    assert "/logout" not in r.text  # nobody to sign out


def test_a_sign_in_link_lands_where_the_visitor_was_going(site: Site) -> None:
    r = site.sign_in("E1", next="/board?period=week")
    assert location(r) == "/board?period=week"
    page = site.client.get(location(r))
    assert page.status_code == 200
    assert 'aria-current="page">Week</a>' in page.text
    assert site.sign_in("E1").headers["location"] == "/"
    assert location(site.client.get("/", follow_redirects=False)) == "/board"


@pytest.mark.parametrize("bad", ["garbage", "wrong-secret", "expired", "no-role"])
def test_a_bad_sign_in_link_is_a_401_page_and_no_session(looker: Site, bad: str) -> None:
    if bad == "garbage":
        token, why = "not.a.token", "invalid token"
    elif bad == "wrong-secret":
        other = ApiConfig(database_url=looker.config.database_url, jwt_secret="y" * 40)
        token, why = _sign(other, "E1", "employee", timedelta(minutes=5)), "Signature verification"
    elif bad == "expired":
        token, why = looker.link_token("E1", valid=timedelta(minutes=-5)), "Signature has expired"
    else:
        token = jwt.encode(
            {"sub": "E1", "exp": 2_000_000_000, "roles": ["janitor"]}, JWT_SECRET, "HS256"
        )
        why = "grant nothing here"
    r = looker.client.get("/login/token", params={"token": token}, follow_redirects=False)
    assert is_html_page(r, 401)
    assert "<h1>Something is not right</h1>" in r.text
    assert alert(r.text).startswith("this sign-in link: ")
    assert why in alert(r.text)
    assert "plaudit_session" not in r.cookies
    assert "plaudit_session" not in looker.client.cookies
    assert looker.client.get("/board", follow_redirects=False).status_code == 302


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com", "/\\evil.com", "evil.com"])
def test_next_pointing_off_site_is_ignored(looker: Site, target: str) -> None:
    assert location(looker.sign_in("E1", next=target)) == "/"
    looker.client.cookies.clear()
    page = looker.client.get("/login", params={"next": target})
    assert '<input type="hidden" name="next" value="/">' in page.text


# -- the board ---------------------------------------------------------------------------------------------


def test_board_marks_my_row_and_leaves_out_hidden_and_team_only_colleagues(looker: Site) -> None:
    looker.sign_in("E1")
    r = looker.client.get("/board")
    assert is_html_page(r, 200)
    assert "<h1>Leaderboard</h1>" in r.text
    assert board_rows(r.text) == [
        (1, "Anna de Vries", "Sales", "20", True),
        (1, "Bjørn Pedersen", "Sales", "20", False),
        (3, "Ольга Иванова", "Marketing", "15", False),
    ]
    assert r.text.count('class="me"') == 1
    assert 'Anna de Vries <span class="muted">(You)</span>' in r.text
    assert "Hanna Hidden" not in r.text and "Tom Teamonly" not in r.text


def test_someone_with_no_points_yet_still_sees_their_own_row(looker: Site) -> None:
    looker.sign_in("E6")  # the Dutch colleague: on the roster, nothing shared yet
    looker.client.get("/lang/en?next=/board")
    r = looker.client.get("/board")
    assert is_html_page(r, 200)
    assert "You: 0 points, not ranked yet — your first share counts." in r.text
    mine = re.search(r'<tr class="me" aria-current="true">\s*<td class="num">([^<]*)</td>', r.text)
    assert mine and mine[1] == "–"
    assert "Nobody has points in this period yet." not in r.text


@pytest.mark.parametrize("period", ["week", "month", "quarter", "all"])
def test_each_period_tab_is_a_page_with_itself_current(looker: Site, period: str) -> None:
    looker.sign_in("E3")
    r = looker.client.get("/board", params={"period": period})
    assert r.status_code == 200
    tabs = nav(r.text, "Period")
    assert re.findall(r'href="/board\?period=(\w+)&scope=company"', tabs) == [
        "week",
        "month",
        "quarter",
        "all",
    ]
    assert re.findall(r'period=(\w+)&scope=company" aria-current="page"', tabs) == [period]
    # The seeded shares are minutes old: every period holds all of them.
    assert [(rank, name, me) for rank, name, _, _, me in board_rows(r.text)] == [
        (1, "Anna de Vries", False),
        (1, "Bjørn Pedersen", False),
        (3, "Ольга Иванова", True),
    ]


def test_an_unknown_period_is_a_404_page(looker: Site) -> None:
    looker.sign_in("E1")
    r = looker.client.get("/board?period=day")
    assert is_html_page(r, 404)
    assert alert(r.text) == "no period 'day'"


def test_my_team_shows_only_my_team(looker: Site) -> None:
    looker.sign_in("E1")
    r = looker.client.get("/board?scope=team&period=all")
    assert r.status_code == 200
    assert "<h1>Leaderboard · Sales</h1>" in r.text
    assert 'scope=team" aria-current="page">My team (Sales)</a>' in nav(r.text, "Team")
    # E4 is in Sales too, but hidden.
    assert board_rows(r.text) == [
        (1, "Anna de Vries", "Sales", "20", True),
        (1, "Bjørn Pedersen", "Sales", "20", False),
    ]
    looker.sign_in("E3")
    marketing = looker.client.get("/board?scope=team&period=all")
    # Tom shows himself to his own team only.
    assert board_rows(marketing.text) == [
        (1, "Ольга Иванова", "Marketing", "15", True),
        (2, "Tom Teamonly", "Marketing", "10", False),
    ]


def test_a_hidden_colleague_is_told_they_are_hidden(looker: Site) -> None:
    looker.sign_in("E4")
    r = looker.client.get("/board?period=all")
    assert r.status_code == 200
    assert "You are hidden from public boards; only you see your rank." in r.text


def test_a_hidden_colleague_sees_their_own_rank(looker: Site) -> None:
    looker.sign_in("E4")
    r = looker.client.get("/board?period=all")
    mine = [row for row in board_rows(r.text) if row[4]]
    assert mine == [(1, "Hanna Hidden", "Sales", "30", True)]


# -- the profile -------------------------------------------------------------------------------------------


def test_profile_shows_points_and_the_ledger_with_reasons(looker: Site) -> None:
    looker.sign_in("E1")
    r = looker.client.get("/me")
    assert is_html_page(r, 200)
    assert '<h1>Anna de Vries <span class="muted">· Sales</span></h1>' in r.text
    cards = re.findall(r'<div class="big">([^<]*)</div>\s*<div class="muted">([^<]*)</div>', r.text)
    assert cards == [("20", "rank 1")] * 4  # week, month, quarter, all time
    ledger = re.findall(
        r'<td class="num">([+-]\d+)</td>\s*<td>([^<]*)<span class="muted">\((\w+)\)</span>', r.text
    )
    assert ledger == [("+10", "Share company content: 10; content_kind curated ×1 ", "share")] * 2
    assert '<svg class="chart"' in r.text and 'role="img"' in r.text
    assert '<form method="post" action="/me/visibility"' in r.text
    assert 'value="public" checked' in r.text


def test_own_visibility_hidden_is_stored_and_the_board_follows(site: Site) -> None:
    site.sign_in("E1")
    r = site.post("/me/visibility", {"visibility": "hidden"})
    assert r.status_code in AFTER_POST
    assert location(r) == "/me?saved=1"
    assert site.query('SELECT visibility FROM "employee" WHERE external_id = ?', ["E1"]) == [
        ("hidden",)
    ]
    saved = site.client.get(location(r))
    assert '<p class="ok" role="status">Saved.</p>' in saved.text
    assert 'value="hidden" checked' in saved.text
    mine = site.client.get("/board?period=all")
    assert "You are hidden from public boards" in mine.text
    site.sign_in("E2")
    theirs = site.client.get("/board?period=all")
    assert [(rank, name) for rank, name, _, _, _ in board_rows(theirs.text)] == [
        (1, "Bjørn Pedersen"),
        (2, "Ольга Иванова"),
    ]


def test_an_unknown_visibility_is_a_422_page_and_changes_nothing(looker: Site) -> None:
    looker.sign_in("E1")
    r = looker.post("/me/visibility", {"visibility": "secret"})
    assert is_html_page(r, 422)
    assert alert(r.text) == "unknown visibility"
    assert "<li>visibility: expected one of public, team, hidden</li>" in r.text
    assert looker.query('SELECT visibility FROM "employee" WHERE external_id = ?', ["E1"]) == [
        ("public",)
    ]


def test_someone_elses_profile_is_403_for_an_employee_and_open_to_hr(looker: Site) -> None:
    looker.sign_in("E1")
    r = looker.client.get("/me?employee=E2")
    assert is_html_page(r, 403)
    assert alert(r.text) == "employees see their own profile; HR sees everyone's"
    assert "Bjørn" not in r.text
    assert is_html_page(looker.client.get("/me?employee=E99"), 404)
    looker.sign_in("hr-admin", "hr")
    hr = looker.client.get("/me?employee=E2")
    assert hr.status_code == 200
    assert "<h1>Bjørn Pedersen" in hr.text
    assert "/me/visibility" not in hr.text  # HR does not change it here
    # An HR account that is nobody on the roster has no profile of its own.
    assert is_html_page(looker.client.get("/me"), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/hr/rules/"),
        ("GET", "/hr/rules"),
        ("GET", "/hr/rules/history"),
        ("POST", "/hr/rules/?action=publish"),
        ("GET", "/hr/month-close/"),
        ("POST", "/hr/month-close/close"),
        ("GET", "/hr/review/"),
        ("POST", "/hr/review/decide"),
    ],
)
def test_hr_pages_are_403_pages_for_an_employee(looker: Site, method: str, path: str) -> None:
    looker.sign_in("E1")
    if method == "GET":
        r = looker.client.get(path)
    else:
        form = {"text": "x", "award": "employee-of-the-month", "period": "2026-10"}
        r = looker.post(path, form)
    assert is_html_page(r, 403)
    assert alert(r.text) == "this needs the 'admin' scope"
    assert looker.query('SELECT COUNT(*) FROM "ruleset"') == [(1,)]
    assert looker.query('SELECT COUNT(*) FROM "award_closing"') == [(0,)]
    assert main_nav(looker.client.get("/board").text) == ["/board", "/shoutouts", "/me"]


# -- shoutouts ---------------------------------------------------------------------------------------------


def give(site: Site, recipients: str, value: str, message: str) -> httpx.Response:
    return site.post("/shoutouts", {"recipients": recipients, "value": value, "message": message})


def test_a_shoutout_is_in_the_feed_and_the_recipient_earns_points(site: Site) -> None:
    site.sign_in("E1")
    form = site.client.get("/shoutouts")
    assert '<p class="muted" id="allowance">5 / 5 left this period' in form.text
    # Suggestions: the giver's team, not the giver.
    assert re.findall(r'<option value="(\w+)">', form.text) == ["E2", "E4"]
    r = give(site, "E3", "teamwork", "Great launch & thanks!")
    assert r.status_code in AFTER_POST
    assert location(r) == "/shoutouts?sent=1"
    page = site.client.get(location(r))
    assert "Sent. Thank you for recognising a colleague!" in page.text
    assert '<p class="muted" id="allowance">4 / 5 left this period' in page.text
    feed = re.search(r'<ul class="stack"[^>]*id="feed">(.*?)</ul>', page.text, re.S)
    assert feed
    assert "<strong>Anna de Vries</strong> to Ольга Иванова" in feed.group(1)
    assert '<span class="chip">Teamwork</span>' in feed.group(1)
    assert "<div>Great launch &amp; thanks!</div>" in feed.group(1)
    assert site.query('SELECT value, message FROM "shoutout"') == [
        ("teamwork", "Great launch & thanks!")
    ]

    site.api.score()  # what the worker does with the recipient's event
    assert site.query(
        'SELECT l.points, l.rule_id FROM "ledger_entry" l JOIN "employee" e ON e.id = l.employee '
        "WHERE e.external_id = ? AND l.rule_id = 'shoutout'",
        ["E3"],
    ) == [(5, "shoutout")]
    site.sign_in("E3")
    profile = site.client.get("/me")
    assert re.search(r'<td class="num">\+5</td>\s*<td>A colleague recognised you', profile.text)
    assert re.findall(r'<div class="big">([^<]*)</div>', profile.text)[-1] == "20"  # 15 + 5


@pytest.mark.parametrize(
    ("recipients", "value", "message", "error"),
    [
        ("E3", "greed", "Well done", "value: 'greed' is not a company value"),
        ("E3", "teamwork", "   ", "message: say what they did"),
        ("E1", "teamwork", "Me, myself", "recipients[0]: a shoutout is for someone else"),
        ("E99", "ownership", "Who?", "recipients[0]: 'E99' is not an active employee"),
        ("", "ownership", "Nobody", "recipients: name at least one colleague"),
    ],
)
def test_a_wrong_shoutout_shows_the_form_again_as_typed(
    looker: Site, recipients: str, value: str, message: str, error: str
) -> None:
    looker.sign_in("E1")
    r = give(looker, recipients, value, message)
    assert is_html_page(r, 422)
    assert re.search(r'id="form-error">([^<]*)</p>', r.text)
    assert html.unescape(re.search(r'id="form-error">([^<]*)</p>', r.text).group(1)).startswith(
        error
    )
    assert (
        f'<input id="recipients" name="recipients" list="colleagues" required value="{recipients}"'
        in r.text
    )
    assert textarea(r.text, "message") == message
    checked = re.findall(r'name="value" value="([\w-]+)" required checked', r.text)
    assert checked == ([] if value == "greed" else [value])
    assert looker.query('SELECT COUNT(*) FROM "shoutout"') == [(0,)]
    assert looker.query("SELECT COUNT(*) FROM \"event\" WHERE source = 'plaudit-shoutouts'") == [
        (0,)
    ]


def test_a_used_up_allowance_is_409_with_the_form_kept(site: Site) -> None:
    site.sign_in("E2")
    for i in range(5):
        assert give(site, "E3", "curiosity", f"thanks {i}").status_code in AFTER_POST
    full = site.client.get("/shoutouts")
    assert '<p class="muted" id="allowance">0 / 5 left this period' in full.text
    assert "You have no shoutouts left this period." in full.text
    assert '<form method="post" action="/shoutouts"' not in full.text
    r = give(site, "E3", "curiosity", "one more")
    assert is_html_page(r, 409)
    assert "shoutouts of " in alert(r.text) and "are given; more next month" in alert(r.text)
    assert 'required value="E3"' in r.text
    assert textarea(r.text, "message") == "one more"
    assert site.query('SELECT COUNT(*) FROM "shoutout"') == [(5,)]


def test_a_shoutout_to_a_colleague_named_by_email(site: Site) -> None:
    site.sign_in("E1")
    r = give(site, "olga@example.com", "teamwork", "By email")
    assert r.status_code in AFTER_POST, alert(r.text)


def test_a_wrong_recipient_marks_the_recipients_field(looker: Site) -> None:
    looker.sign_in("E1")
    r = give(looker, "E99", "teamwork", "Who?")
    assert r.status_code == 422
    assert re.search(
        r'id="recipients"[^>]*aria-invalid="true" aria-describedby="form-error"', r.text
    )


# -- CSRF ----------------------------------------------------------------------------------------------------


def test_a_form_without_its_csrf_token_is_refused(looker: Site) -> None:
    looker.sign_in("E1")
    r = looker.post("/me/visibility", {"visibility": "hidden"}, csrf=False)
    assert is_html_page(r, 403)
    forged = looker.post(
        "/shoutouts",
        {"recipients": "E3", "value": "teamwork", "message": "x", "_csrf_token": "0" * 128},
        csrf=False,
    )
    assert forged.status_code == 403
    assert looker.query('SELECT visibility FROM "employee" WHERE external_id = ?', ["E1"]) == [
        ("public",)
    ]
    assert looker.query('SELECT COUNT(*) FROM "shoutout"') == [(0,)]
    # Signing out is a form too.
    assert looker.post("/logout", {}, csrf=False).status_code == 403
    assert looker.client.get("/board").status_code == 200


# -- languages ---------------------------------------------------------------------------------------------


def test_the_browsers_language_picks_dutch(looker: Site) -> None:
    looker.sign_in("E1")
    r = looker.client.get("/board", headers={"Accept-Language": "nl-NL,nl;q=0.9,en;q=0.5"})
    assert r.text.startswith('<!doctype html>\n<html lang="nl">')
    assert "<h1>Ranglijst</h1>" in r.text
    assert '<th class="num" scope="col">Punten</th>' in r.text
    assert 'Anna de Vries <span class="muted">(Jij)</span>' in r.text
    english = looker.client.get("/board", headers={"Accept-Language": "de-DE,en;q=0.5"})
    assert "<h1>Leaderboard</h1>" in english.text
    looker.client.cookies.clear()
    login = looker.client.get("/login", headers={"Accept-Language": "nl"})
    assert "<h1>Aanmelden voor HR</h1>" in login.text


def test_the_language_picked_wins_over_the_browser(looker: Site) -> None:
    looker.sign_in("E1")
    r = looker.client.get("/lang/en?next=/board", follow_redirects=False)
    assert r.status_code == 302 and location(r) == "/board"
    assert r.cookies["plaudit_lang"] == "en"
    page = looker.client.get("/board", headers={"Accept-Language": "nl"})
    assert '<html lang="en">' in page.text and "<h1>Leaderboard</h1>" in page.text
    assert '<a href="/lang/en?next=/board" lang="en" aria-current="true">English</a>' in page.text
    assert is_html_page(looker.client.get("/lang/xx"), 404)
    assert location(looker.client.get("/lang/nl?next=//evil.com", follow_redirects=False)) == "/"


def test_the_roster_locale_picks_dutch_until_the_person_picks_otherwise(looker: Site) -> None:
    looker.sign_in("E6")
    r = looker.client.get("/board")
    assert '<html lang="nl">' in r.text
    assert "<h1>Ranglijst</h1>" in r.text
    assert "Nog niemand heeft punten in deze periode." not in r.text  # the others have points
    profile = looker.client.get("/me")
    assert '<h2 id="ledger">Waarom kreeg ik deze punten?</h2>' in profile.text
    assert "Nog geen punten." in profile.text
    looker.client.get("/lang/en?next=/board")
    assert "<h1>Leaderboard</h1>" in looker.client.get("/board").text


# -- HR: the rules editor ----------------------------------------------------------------------------------

RULES = (ROOT / "rules.yaml").read_text(encoding="utf-8")
#: Share worth 12 instead of 10, its tests adjusted (15 → 18, 5 → 6; a quarter of 12 is still 3).
RAISED = (
    RULES.replace('version: "2026.11"', 'version: "2026.12"', 1)
    .replace("    event: share\n    points: 10\n", "    event: share\n    points: 12\n", 1)
    .replace("expect: {points: 15,", "expect: {points: 18,", 1)
    .replace("expect: {points: 5}", "expect: {points: 6}", 1)
)


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def issues(page: str) -> list[str]:
    return [
        html.unescape(f"{where}: {what}")
        for where, what in re.findall(r"<a href=\"#L\d+\"[^>]*>([^<]+)</a>: ([^<]*)</li>", page)
    ]


def test_the_rules_editor_shows_the_published_text(looker: Site) -> None:
    looker.sign_in("hr-admin", "hr")
    r = looker.client.get("/hr/rules/")
    assert is_html_page(r, 200)
    assert '<h1>Rules <span class="muted">· published 2026.11</span></h1>' in r.text
    assert textarea(r.text, "text") == looker.query('SELECT text FROM "ruleset"')[0][0]
    assert r.text.count('<span id="L') == len(RULES.splitlines()) + 1
    assert "published 2026.11 (first ruleset)" in r.text
    assert looker.client.get("/hr/rules").status_code == 200  # the navigation's link
    assert main_nav(r.text) == [
        "/board",
        "/shoutouts",
        "/hr/rules",
        "/hr/kpis",
        "/hr/month-close",
        "/hr/review",
        "/admin/",
    ]


def test_validating_a_broken_draft_names_its_line(looker: Site) -> None:
    looker.sign_in("hr-admin", "hr")
    broken = RULES.replace(
        "    event: share\n    points: 10\n", "    event: share\n    points: ten\n"
    )
    line = line_of(broken, "points: ten")
    r = looker.post("/hr/rules/?action=validate", {"text": broken})
    assert is_html_page(r, 422)
    assert issues(r.text) == [
        f'rules.yaml:{line}:13: rule share: points: expected a number, got string "ten"'
    ]
    assert f'<span id="L{line}" class="bad">{line}</span>' in r.text
    assert r.text.count('class="bad"') == 1
    assert 'aria-invalid="true" aria-describedby="problems"' in r.text
    assert (
        textarea(r.text, "text") == broken
    )  # the draft is kept, not replaced by the published text
    fine = looker.post("/hr/rules/?action=validate", {"text": RAISED})
    assert fine.status_code == 200
    assert 'id="valid">No problems: the draft is valid and its tests pass.' in fine.text
    assert looker.query('SELECT COUNT(*) FROM "ruleset"') == [(1,)]


def test_publishing_a_changed_draft_stores_it_with_an_audit_entry(site: Site) -> None:
    site.sign_in("hr-admin", "hr")
    r = site.post("/hr/rules/?action=publish", {"text": RAISED})
    assert r.status_code == 303
    assert location(r) == "/hr/rules/?published=2026.12"
    assert site.query('SELECT version, published_by, text FROM "ruleset" ORDER BY id') == [
        ("2026.11", "plaudit", RULES),
        ("2026.12", "hr:hr-admin", RAISED),
    ]
    entries = site.query(
        'SELECT actor, subject, summary, detail FROM "audit_entry" WHERE action = ? '
        "AND subject = ?",
        ["rules.published", "2026.12"],
    )
    assert len(entries) == 1
    actor, subject, summary, diff = entries[0]
    assert (actor, subject) == ("hr:hr-admin", "2026.12")
    assert summary == "published 2026.12 (was 2026.11): +4 −4 lines"
    assert diff.startswith("--- ruleset 2026.11\n+++ ruleset 2026.12\n")
    assert '-  version: "2026.11"\n+  version: "2026.12"\n' in diff
    assert "-    points: 10\n+    points: 12\n" in diff
    page = site.client.get(location(r))
    assert '<p class="ok" role="status">Published version 2026.12.</p>' in page.text

    # The same draft again changes nothing.
    again = site.post("/hr/rules/?action=publish", {"text": RAISED})
    assert again.status_code == 200
    assert "Version 2026.12 is already published with this content; nothing changed." in again.text
    assert site.query(
        'SELECT COUNT(*) FROM "audit_entry" WHERE action = ?', ["rules.published"]
    ) == [(2,)]

    first_lines = len(RULES.splitlines())  # the whole default program, added
    history = site.client.get("/hr/rules/history")
    assert history.status_code == 200
    summaries = re.findall(r"<summary>[^·<]*· ([^<]*)</summary>", history.text)
    assert summaries == [
        "hr:hr-admin · published 2026.12 (was 2026.11): +4 −4 lines",
        f"plaudit · published 2026.11 (first ruleset): +{first_lines} −0 lines",
    ]
    newest = re.search(r'<pre class="diff">(.*?)</pre>', history.text, re.S)
    assert newest and html.unescape(newest.group(1)) == diff


def test_after_publishing_the_editor_holds_the_new_version(site: Site) -> None:
    site.sign_in("hr-admin", "hr")
    r = site.post("/hr/rules/?action=publish", {"text": RAISED})
    assert r.status_code == 303
    page = site.client.get(location(r))
    assert '<h1>Rules <span class="muted">· published 2026.12</span></h1>' in page.text
    assert textarea(page.text, "text") == RAISED


def test_publishing_other_content_under_a_published_version_is_409(looker: Site) -> None:
    looker.sign_in("hr-admin", "hr")
    same_version = RAISED.replace('version: "2026.12"', 'version: "2026.11"', 1)
    r = looker.post("/hr/rules/?action=publish", {"text": same_version})
    assert is_html_page(r, 409)
    line = line_of(same_version, 'version: "2026.11"')
    assert line == 10
    assert issues(r.text) == [
        f"rules.yaml:{line}:1: version '2026.11' is already published with other content; a "
        "published ruleset is immutable: give the changed program a new program.version"
    ]
    assert f'<span id="L{line}" class="bad">' in r.text
    assert textarea(r.text, "text") == same_version
    assert looker.query('SELECT COUNT(*) FROM "ruleset"') == [(1,)]
    assert looker.query('SELECT COUNT(*) FROM "audit_entry"') == [(1,)]


def test_a_draft_whose_tests_fail_is_not_published(looker: Site) -> None:
    looker.sign_in("hr-admin", "hr")
    untested = RAISED.replace("expect: {points: 18,", "expect: {points: 15,", 1)
    r = looker.post("/hr/rules/?action=publish", {"text": untested})
    assert is_html_page(r, 422)
    assert issues(r.text) == [
        f'rules.yaml:{line_of(untested, "a personalized curated share earns 15")}:5: test "a '
        'personalized curated share earns 15": expected 15 points, got 18'
    ]
    assert looker.query('SELECT COUNT(*) FROM "ruleset"') == [(1,)]


def test_simulating_a_draft_shows_every_section(looker: Site) -> None:
    looker.sign_in("hr-admin", "hr")
    r = looker.post("/hr/rules/?action=simulate", {"text": RAISED, "days": "7"})
    assert is_html_page(r, 200)
    section = re.search(
        r'<section aria-labelledby="sim" id="simulation">(.*?)</section>', r.text, re.S
    )
    assert section
    sim = section.group(1)
    assert re.search(r"<p>9 events\s", sim)
    assert "points: 95 → <strong>114</strong>" in sim and "(+19)" in sim
    assert re.findall(r"<h3>([^<]*)</h3>", sim) == [
        "Per rule",
        "Biggest changes per employee",
        "Top 10",
        "Badge changes",
        "Award changes",
    ]
    per_rule = re.findall(
        r'<th scope="row">([\w-]+)</th><td class="num">(\d+)</td><td class="num">(\d+)</td>', sim
    )
    assert per_rule == [("share", "95", "114")]
    people = re.findall(r"<tbody><tr><td>([^<]*)</td>", sim)
    assert people[0] == "Hanna Hidden"  # 30 → 36: the biggest change
    top = re.search(r'<table id="sim-top">(.*?)</table>', sim, re.S)
    assert top
    assert re.findall(r'<td class="num">(\d+)</td><td>([^<]*)</td>', top.group(1)) == [
        ("1", "Hanna Hidden"),
        ("2", "Anna de Vries"),
        ("3", "Bjørn Pedersen"),
        ("4", "Ольга Иванова"),
        ("5", "Tom Teamonly"),
    ]
    assert "The same badges on both sides." in sim
    assert "The same award winners on both sides." in sim
    assert 'value="7"' in r.text  # the window asked for is kept
    assert looker.query('SELECT COUNT(*) FROM "ruleset"') == [(1,)]

    # A draft whose own tests still expect the old points is simulated, its failing tests beside it.
    stale = RAISED.replace("expect: {points: 18,", "expect: {points: 15,", 1)
    beside = looker.post("/hr/rules/?action=simulate", {"text": stale})
    assert beside.status_code == 200
    assert 'id="simulation"' in beside.text
    assert [i.split(": ", 1)[1] for i in issues(beside.text)] == [
        'test "a personalized curated share earns 15": expected 15 points, got 18'
    ]


def test_an_empty_days_field_gives_the_editor_back(looker: Site) -> None:
    looker.sign_in("hr-admin", "hr")
    r = looker.post("/hr/rules/?action=validate", {"text": RAISED, "days": ""})
    assert r.headers["content-type"].startswith("text/html")


# -- HR: KPIs ----------------------------------------------------------------------------------------------


def test_the_kpi_page_shows_this_months_figures(looker: Site) -> None:
    looker.sign_in("hr-admin", "hr")
    r = looker.client.get("/hr/kpis?periods=2")
    assert is_html_page(r, 200)
    assert '<h1>KPIs <span class="muted">· 2026-11</span></h1>' in r.text
    assert re.findall(r'period=(\w+)&periods=2" aria-current="page"', r.text) == ["month"]
    assert '<div class="muted">9 shares</div>' in r.text
    assert r.text.count('<svg class="chart"') == 4
    top = re.search(r"<h2>Top contributors · 2026-11</h2>\s*<ol>(.*?)</ol>", r.text, re.S)
    assert top
    assert [
        (html.unescape(name), points)
        for name, points in re.findall(
            r"<li>([^<]*) <span[^>]*>[^<]*</span> · (\d+)</li>", top.group(1)
        )
    ] == [
        ("Hanna Hidden", "30"),  # HR sees everyone, the hidden too
        ("Anna de Vries", "20"),
        ("Bjørn Pedersen", "20"),
        ("Ольга Иванова", "15"),
        ("Tom Teamonly", "10"),
    ]
    table = re.search(r'<table id="kpi-table">(.*?)</table>', r.text, re.S)
    assert table and re.findall(r'<th scope="row">([^<]*)</th>', table.group(1)) == [
        "2026-11",
        "2026-10",
    ]
    assert 'href="/hr/kpis.csv?period=month&periods=2" download' in r.text

    wrong = looker.client.get("/hr/kpis?period=year")
    assert is_html_page(wrong, 422)
    assert alert(wrong.text) == "period: expected one of week, month, quarter, got 'year'"
    looker.sign_in("E1")
    assert is_html_page(looker.client.get("/hr/kpis"), 403)
    assert is_html_page(looker.client.get("/hr/kpis.csv"), 403)


def test_the_kpi_csv_is_a_download(looker: Site) -> None:
    looker.sign_in("hr-admin", "hr")
    r = looker.client.get("/hr/kpis.csv?period=month&periods=2")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == 'attachment; filename="plaudit-kpis-month.csv"'
    lines = r.text.splitlines()
    assert lines[0].startswith("period,start,end,invited,accounts,active,")
    assert [line.split(",")[0] for line in lines[1:]] == ["2026-10", "2026-11"]
    assert lines[2].endswith(",E4,Hanna Hidden,30")


def test_the_kpi_csv_names_its_charset_once(looker: Site) -> None:
    looker.sign_in("hr-admin", "hr")
    r = looker.client.get("/hr/kpis.csv")
    assert r.headers["content-type"] == "text/csv; charset=utf-8"


# -- HR: month close -------------------------------------------------------------------------------------


def score_october(site: Site) -> None:
    """E1 on six days and E2 on five (eligible: five active days, three events), E3 on two (not)."""
    events = [
        october_share(f"oct-{who}-{day}-{n}", who, f"2026-10-{day + 5:02d}T09:{n:02d}:00+02:00")
        for who, days in (("E1", 6), ("E2", 5), ("E3", 2))
        for day in range(days)
        for n in range(2)
    ]
    scored(site.api.db, events)


APPROVE = re.compile(
    r'name="result" value="(\d+)">\s*<button type="submit" aria-label="Approve ([^"]*)">'
)
RESULT_ROW = re.compile(
    r'<tr><td>([^<]*)</td><td class="num">(\d+)</td><td>([^<]*)</td>\s*<td class="num">([^<]*)</td>'
)


def close_october(site: Site) -> str:
    site.sign_in("hr-admin", "hr")
    score_october(site)
    before = site.client.get("/hr/month-close/")
    assert before.status_code == 200
    assert (
        '<h2 id="award-employee-of-the-month">Employee of the month · October 2026</h2>'
        in before.text
    )
    assert "Not closed yet" in before.text
    r = site.post("/hr/month-close/close", {"award": "employee-of-the-month", "period": "2026-10"})
    assert r.status_code in AFTER_POST
    assert location(r) == "/hr/month-close/?period=2026-10"
    return site.client.get(location(r)).text


def test_closing_a_month_shortlists_and_approving_names_the_winner(site: Site) -> None:
    page = close_october(site)
    assert "Closed " in page and "· hr:hr-admin" in page
    assert "Waiting for your approval" in page
    assert [tuple(html.unescape(x) for x in row) for row in RESULT_ROW.findall(page)] == [
        ("Company", "1", "Anna de Vries", "120"),
        ("Company", "2", "Bjørn Pedersen", "100"),
        ("Sales", "1", "Anna de Vries", "120"),
        ("Sales", "2", "Bjørn Pedersen", "100"),
    ]
    shortlist = [(int(i), html.unescape(name)) for i, name in APPROVE.findall(page)]
    assert [name for _, name in shortlist] == [
        "Anna de Vries",
        "Bjørn Pedersen",
        "Anna de Vries",
        "Bjørn Pedersen",
    ]
    company_anna = shortlist[0][0]
    r = site.post("/hr/month-close/approve", {"result": str(company_anna)})
    assert r.status_code in AFTER_POST
    assert location(r) == "/hr/month-close/?period=2026-10"
    after = site.client.get(location(r)).text
    assert (
        f'<strong>Winner, announced</strong> · <a href="/hr/month-close/card/{company_anna}">card</a>'
        in after
    )
    assert "<td>not selected</td>" in after
    assert site.query(
        'SELECT r.scope, r.team, e.external_id, r.status, r.decided_by FROM "award_result" r '
        'JOIN "employee" e ON e.id = r.employee ORDER BY r.id'
    ) == [
        ("company", "", "E1", "winner", "hr:hr-admin"),
        ("company", "", "E2", "not selected", "hr:hr-admin"),
        ("team", "Sales", "E1", "shortlisted", None),
        ("team", "Sales", "E2", "shortlisted", None),
    ]
    # Decided once: approving again is a 409 page.
    twice = site.post("/hr/month-close/approve", {"result": str(company_anna)})
    assert is_html_page(twice, 409)
    assert "is winner already" in alert(twice.text)
    unknown = site.post("/hr/month-close/close", {"award": "nope", "period": "2026-10"})
    assert is_html_page(unknown, 422)
    assert alert(unknown.text).startswith("award: unknown award 'nope'")
    # The company's recognition reaches the feed.
    feed = site.client.get("/shoutouts").text
    assert "<strong>Employee advocacy</strong> to Anna de Vries" in feed


def test_the_winners_card_is_a_png(site: Site) -> None:
    page = close_october(site)
    result = APPROVE.findall(page)[0][0]
    site.post("/hr/month-close/approve", {"result": result})
    card = site.client.get(f"/hr/month-close/card/{result}")
    assert card.status_code == 200 and card.headers["content-type"] == "image/png"
    assert card.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert Image.open(io.BytesIO(card.content)).size == (1200, 627)


# -- HR: the review queue -------------------------------------------------------------------------------


def held_case(site: Site) -> int:
    """A hold as the integrity pass leaves it: E1's new share waits (status ``held``) with its 10 points in
    the case's entries, one ledger row without created_at."""
    r = site.client.post(
        "/v1/events",
        json=[october_share("held-1", "E1", "2026-11-19T10:00:00+01:00")],
        headers=site.api.key("events:write"),
    )
    assert r.json()["accepted"] == 1, r.text
    ((event, employee, occurred),) = site.query(
        'SELECT v.id, e.id, v.occurred_at FROM "event" v JOIN "employee" e '
        "ON e.external_id = 'E1' WHERE v.external_id = 'held-1'"
    )
    site.query("UPDATE \"event\" SET status = 'held', reason = 'held' WHERE id = ?", [event])
    entries = [[employee, 10, "rule", event, "share", "v1", "2026.11", '["Share"]', occurred]]
    site.api.db.insert_rows(
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
        [
            (
                employee,
                "hold",
                "share-burst",
                "2026-11-19",
                "12 shares in an hour",
                json.dumps([event]),
                json.dumps(entries),
                "2026-11",
                "open",
            )
        ],
    )
    ((item,),) = site.query('SELECT id FROM "review_item"')
    return int(item)


CASE_ROW = re.compile(r'<tr id="case-(\d+)"[^>]*>(.*?)</tr>', re.S)


def cases(page: str) -> dict[int, str]:
    """Case id -> the text of its row (tags dropped, spaces squeezed)."""
    return {
        int(i): " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split())
        for i, row in CASE_ROW.findall(page)
    }


def all_time(site: Site, employee: str) -> int:
    rows = site.client.get("/v1/leaderboards/points?period=all", headers=site.api.hr()).json()[
        "rows"
    ]
    return next(r["points"] for r in rows if r["employee"] == employee)


def test_the_review_queue_shows_a_hold_and_approving_it_writes_the_points(site: Site) -> None:
    item = held_case(site)
    event = site.query("SELECT id FROM \"event\" WHERE external_id = 'held-1'")[0][0]
    assert all_time(site, "E1") == 20
    site.sign_in("hr-admin", "hr")
    page = site.client.get("/hr/review/")
    assert is_html_page(page, 200)
    assert "/hr/review" in main_nav(page.text)
    row = cases(page.text)[item]
    assert row.startswith(
        f"{item} hold share-burst Anna de Vries E1 12 shares in an hour 10 2026-11 {event} "
    )
    assert f'aria-label="Approve case {item}"' in page.text
    assert f'aria-label="Reject case {item}"' in page.text
    # Nothing decided yet.
    assert cases(site.client.get("/hr/review/?status=approved").text) == {}
    r = site.post(
        "/hr/review/decide",
        {"item": str(item), "decision": "approve", "note": "a launch day", "status": "open"},
    )
    assert r.status_code in AFTER_POST
    assert location(r) == f"/hr/review/?status=open&decided={item}&outcome=approved"
    after = site.client.get(location(r)).text
    assert f'<p class="ok" role="status" id="message">Case {item} approved.</p>' in after
    assert cases(after) == {} and "No cases here." in after
    # The ledger has the held points, the case is approved by the HR user, the event is done.
    assert site.query(
        'SELECT e.external_id, l.points, l.kind, l.rule_id FROM "ledger_entry" l '
        'JOIN "employee" e ON e.id = l.employee WHERE l.event = ?',
        [event],
    ) == [("E1", 10, "review", "share")]
    assert site.query(
        'SELECT status, decided_by, note FROM "review_item" WHERE id = ?', [item]
    ) == [("approved", "hr-admin", "a launch day")]
    assert site.query('SELECT status FROM "event" WHERE id = ?', [event]) == [("done",)]
    assert all_time(site, "E1") == 30  # the live board took the deltas
    decided = cases(site.client.get("/hr/review/?status=approved").text)
    assert " approved · hr-admin · " in decided[item] and decided[item].endswith(" a launch day")
    # Decided once: a second approval is the queue again with why, and changes nothing.
    twice = site.post("/hr/review/decide", {"item": str(item), "decision": "approve"})
    assert is_html_page(twice, 409)
    assert alert(twice.text) == f"Case {item} was decided already: approved by hr-admin."
    assert site.query('SELECT COUNT(*) FROM "ledger_entry" WHERE event = ?', [event]) == [(1,)]
    unknown = site.post("/hr/review/decide", {"item": "999999", "decision": "reject"})
    assert is_html_page(unknown, 404)
    assert alert(unknown.text) == "There is no case 999999."
    huge = site.post("/hr/review/decide", {"item": str(2**70), "decision": "reject"})
    assert is_html_page(huge, 400)
    odd = site.post("/hr/review/decide", {"item": str(item), "decision": "maybe"})
    assert is_html_page(odd, 422)
    assert alert(odd.text) == "Choose approve or reject."
    assert is_html_page(site.client.get("/hr/review/?status=nope"), 404)


def test_rejecting_a_hold_drops_its_points(site: Site) -> None:
    item = held_case(site)
    site.sign_in("hr-admin", "hr")
    r = site.post("/hr/review/decide", {"item": str(item), "decision": "reject", "status": "all"})
    assert location(r) == f"/hr/review/?status=all&decided={item}&outcome=rejected"
    page = site.client.get(location(r)).text
    assert f"Case {item} rejected." in page
    assert " rejected · hr-admin · " in cases(page)[item]
    assert site.query("SELECT COUNT(*) FROM \"ledger_entry\" WHERE kind = 'review'") == [(0,)]
    assert site.query('SELECT status FROM "review_item"') == [("rejected",)]
    assert all_time(site, "E1") == 20


def test_the_shortlist_shows_open_flags_and_an_open_hold_keeps_someone_off_it(site: Site) -> None:
    site.sign_in("hr-admin", "hr")
    score_october(site)
    ids = dict(site.query('SELECT external_id, id FROM "employee"'))
    site.api.db.insert_rows(
        "review_item",
        ("employee", "kind", "signal", "bucket", "reason", "period", "status"),
        [
            (ids["E2"], "flag", "burst", "a", "clicks", "2026-10", "open"),
            (ids["E2"], "flag", "burst", "b", "clicks", "2026-10", "open"),
            (ids["E1"], "hold", "burst", "c", "shares", "2026-10", "open"),
        ],
    )
    before = site.client.get("/hr/month-close/?period=2026-10").text
    assert "1 employee(s) with an open hold in the review queue" in before
    r = site.post("/hr/month-close/close", {"award": "employee-of-the-month", "period": "2026-10"})
    page = site.client.get(location(r)).text
    # E1 (the most points) has an open hold: not on the shortlist. E2's two flags are shown.
    assert [html.unescape(name) for _, name in APPROVE.findall(page)] == [
        "Bjørn Pedersen",
        "Bjørn Pedersen",
    ]
    assert (
        'aria-label="2 open flag(s) of Bjørn Pedersen in the review queue"><strong>2</strong></a>'
        in html.unescape(page)
    )
    assert "Some candidates have open integrity flags" in page


# -- HR: password login, Piccolo Admin -------------------------------------------------------------------


def add_hr_account(site: Site, username: str = "hana") -> None:
    result = CliRunner().invoke(
        plaudit,
        ["--db", site.config.database_url or "", "hr", "add", username, "--password-stdin"],
        input=HR_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert f"HR account {username!r} created" in result.output


def password_login(
    site: Site, password: str = HR_PASSWORD, next: str = "/hr/rules/"
) -> httpx.Response:
    site.client.cookies.clear()
    return site.post("/login", {"username": "hana", "password": password, "next": next})


def test_an_hr_password_signs_in_to_the_pages_and_to_piccolo_admin(site: Site) -> None:
    add_hr_account(site)
    r = password_login(site)
    assert r.status_code in AFTER_POST
    assert location(r) == "/hr/rules/"
    admin_cookie = next(c for c in site.client.cookies.jar if c.name == "id")
    assert admin_cookie.path == "/admin"
    assert "plaudit_session" in site.client.cookies
    assert site.query('SELECT COUNT(*) FROM "hr_session"') == [(1,)]
    assert site.client.get("/hr/rules/").status_code == 200
    assert site.client.get("/hr/month-close/").status_code == 200

    slashless = site.client.get("/admin", follow_redirects=False)
    assert slashless.status_code == 308 and location(slashless) == "/admin/"
    admin = site.client.get("/admin/")
    assert is_html_page(admin, 200)
    assert "<title>Piccolo Admin</title>" in admin.text
    tables = site.client.get("/admin/api/tables/")
    assert tables.status_code == 200
    assert tables.json() == [
        "audit_entry",
        "award_closing",
        "award_result",
        "badge_award",
        "employee",
        "event",
        "ledger_entry",
        "outbox_message",
        "ruleset",
        "shoutout",
    ]
    # Without the /admin cookie, Piccolo Admin's API is closed, whatever the page session says.
    token = admin_cookie.value
    site.client.cookies.delete("id", path="/admin")
    assert site.client.get("/admin/api/tables/").status_code == 401
    assert (
        site.client.get("/admin/api/tables/", headers={"cookie": f"id={token}"}).status_code == 200
    )


def test_a_wrong_password_goes_back_to_the_login(site: Site) -> None:
    add_hr_account(site)
    r = password_login(site, password="not it")
    assert r.status_code in AFTER_POST
    assert location(r) == "/login?failed=1&next=/hr/rules/"
    assert "plaudit_session" not in r.cookies and "id" not in r.cookies
    assert site.query('SELECT COUNT(*) FROM "hr_session"') == [(0,)]
    page = site.client.get(location(r))
    assert '<p class="alert" role="alert">Wrong username or password.</p>' in page.text
    assert site.client.get("/hr/rules/", follow_redirects=False).status_code == 302


def test_a_wrong_password_keeps_the_whole_next(site: Site) -> None:
    add_hr_account(site)
    r = password_login(site, password="not it", next="/board?period=week&scope=team")
    assert parse_qs(urlsplit(location(r)).query)["next"] == ["/board?period=week&scope=team"]


def test_logout_ends_the_page_session_and_piccolo_admins(site: Site) -> None:
    add_hr_account(site)
    password_login(site)
    assert site.client.get("/admin/api/tables/").status_code == 200
    r = site.post("/logout", {})
    assert r.status_code in AFTER_POST
    assert location(r) == "/login"
    assert "plaudit_session" not in site.client.cookies
    assert [c.name for c in site.client.cookies.jar if c.name == "id"] == []
    assert site.client.get("/hr/rules/", follow_redirects=False).status_code == 302
    assert site.client.get("/admin/api/tables/").status_code == 401


def test_logout_revokes_the_piccolo_admin_session(site: Site) -> None:
    add_hr_account(site)
    password_login(site)
    token = site.client.cookies.get("id", path="/admin")
    site.post("/logout", {})
    assert site.query('SELECT COUNT(*) FROM "hr_session"') == [(0,)]
    # The old admin cookie, kept by someone, no longer opens anything.
    kept = site.client.get("/admin/api/tables/", headers={"cookie": f"id={token}"})
    assert kept.status_code == 401


def test_piccolo_admin_keeps_the_ledger_read_only(site: Site) -> None:
    add_hr_account(site)
    password_login(site)
    rows = site.client.get("/admin/api/tables/ledger_entry/").json()["rows"]
    assert len(rows) == 9
    entry = rows[0]["id"]
    before = site.query('SELECT id, points, reasons FROM "ledger_entry" ORDER BY id')
    csrf = site.client.cookies.get("csrftoken")  # piccolo_api's double-submit cookie, set by a GET
    assert csrf
    header = {"X-CSRFToken": csrf}
    # Without its header Piccolo's CSRF check refuses first: the 405s below are the tables' own.
    assert site.client.delete(f"/admin/api/tables/ledger_entry/{entry}/").status_code == 403
    attempts = [
        site.client.delete(f"/admin/api/tables/ledger_entry/{entry}/", headers=header),
        site.client.post(
            "/admin/api/tables/ledger_entry/",
            json={"employee": 1, "points": 1000, "occurred_at": "2026-11-01T00:00:00Z"},
            headers=header,
        ),
        site.client.patch(
            f"/admin/api/tables/ledger_entry/{entry}/", json={"points": 1000}, headers=header
        ),
        site.client.put(
            f"/admin/api/tables/ledger_entry/{entry}/", json={"points": 1000}, headers=header
        ),
    ]
    assert [(a.status_code, a.json()["detail"]) for a in attempts] == [(405, "read-only here")] * 4
    everything = site.client.delete("/admin/api/tables/ledger_entry/", headers=header)
    assert everything.status_code == 405
    assert site.query('SELECT id, points, reasons FROM "ledger_entry" ORDER BY id') == before


def test_an_employee_edited_in_piccolo_admin_reaches_the_boards_and_the_audit_log(
    site: Site,
) -> None:
    add_hr_account(site)
    password_login(site)
    site.client.get("/admin/api/tables/employee/")  # sets piccolo_api's CSRF cookie
    header = {"X-CSRFToken": site.client.cookies.get("csrftoken") or ""}
    (olga,) = site.query('SELECT id FROM "employee" WHERE external_id = ?', ["E3"])[0]
    token = site.api.token("E1")

    def board(query: str) -> list[str]:
        r = site.client.get(f"/v1/leaderboards/points?period=all{query}", headers=token)
        assert r.status_code == 200, r.text
        return [row["employee"] for row in r.json()["rows"]]

    assert board("&team=Sales") == ["E1", "E2"]
    moved = site.client.patch(
        f"/admin/api/tables/employee/{olga}/", json={"team": "Sales"}, headers=header
    )
    assert moved.status_code == 200, moved.text
    assert board("&team=Sales") == ["E1", "E2", "E3"]  # at once, no restart
    hidden = site.client.patch(
        f"/admin/api/tables/employee/{olga}/", json={"visibility": "hidden"}, headers=header
    )
    assert hidden.status_code == 200, hidden.text
    assert "E3" not in board("")
    refused = site.client.delete(f"/admin/api/tables/employee/{olga}/", headers=header)
    assert refused.status_code == 405 and "plaudit employees erase" in refused.json()["detail"]
    assert site.client.delete("/admin/api/tables/employee/", headers=header).status_code == 405
    assert site.query('SELECT COUNT(*) FROM "employee" WHERE id = ?', [olga]) == [(1,)]
    entries = site.query(
        'SELECT actor, subject, summary FROM "audit_entry" WHERE action = ? ORDER BY id',
        ["employee.edited"],
    )
    assert [(subject, summary) for _, subject, summary in entries] == [
        ("E3", "changed in /admin/: team"),
        ("E3", "changed in /admin/: visibility"),
    ]
    assert {actor for actor, _, _ in entries} == {"hr:hana"}


# -- POST answers, the JSON API ------------------------------------------------------------------------------


def test_post_forms_answer_303(site: Site) -> None:
    add_hr_account(site)
    site.sign_in("E1")
    statuses = {
        "visibility": site.post("/me/visibility", {"visibility": "team"}).status_code,
        "shoutout": give(site, "E2", "teamwork", "Thanks").status_code,
    }
    site.sign_in("hr-admin", "hr")
    score_october(site)
    close = site.post(
        "/hr/month-close/close", {"award": "employee-of-the-month", "period": "2026-10"}
    )
    statuses["close"] = close.status_code
    result = APPROVE.findall(site.client.get(location(close)).text)[0][0]
    statuses["approve"] = site.post("/hr/month-close/approve", {"result": result}).status_code
    statuses["login"] = password_login(site).status_code
    statuses["logout"] = site.post("/logout", {}).status_code
    assert statuses == dict.fromkeys(statuses, 303)


def test_the_json_api_is_unchanged_by_the_pages(site: Site) -> None:
    site.sign_in("E3")
    assert site.client.get("/board").status_code == 200  # the page session works…
    alone = site.client.get("/v1/leaderboards/points?period=all")
    assert alone.status_code == 401  # …and is no credential for the API
    assert alone.headers["content-type"].startswith("application/problem+json")
    r = site.client.get("/v1/leaderboards/points?period=all", headers=site.api.token("E3"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert [(x["rank"], x["employee"], x["points"]) for x in body["rows"]] == [
        (1, "E1", 20),
        (1, "E2", 20),
        (3, "E3", 15),
    ]
    assert body["me"]["employee"] == "E3"
    # A bearer API call needs no CSRF token, though the browser holds the pages' cookies.
    shout = site.client.post(
        "/v1/shoutouts",
        json={"recipients": ["E1"], "value": "teamwork", "message": "via the API"},
        headers=site.api.token("E3"),
    )
    assert shout.status_code == 201, shout.text
    assert site.client.get("/health").json()["status"] == "ok"


def test_unknown_paths_are_an_error_page_but_json_on_the_api(site: Site) -> None:
    site.sign_in("E3")
    page = site.client.get("/bord")  # a mistyped link
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert (
        "There is no page at this address." in page.text and "Back to the leaderboard" in page.text
    )
    wrong_method = site.client.delete("/board")
    assert wrong_method.status_code == 405 and "text/html" in wrong_method.headers["content-type"]
    for path in ("/v1/nothing-here", "/v1/leaderboards/points/more"):
        api = site.client.get(path, headers=site.api.token("E3"))
        assert api.status_code == 404, path
        assert api.headers["content-type"].startswith("application/problem+json"), path
        assert api.json()["status"] == 404
    for path in ("/v1/leaderboards/points", "/webhooks/advocacy-tool"):
        api_method = site.client.delete(path, headers=site.api.token("E3"))
        assert api_method.status_code == 405, path
        assert api_method.headers["content-type"].startswith("application/problem+json"), path
