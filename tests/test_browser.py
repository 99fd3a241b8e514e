"""End to end in a real headless Chromium (Debian's ``chromium``, driven by Playwright) against a server the
test starts with ``plaudit serve``: an employee uses the board and gives a shoutout; HR breaks a rule, sees the
error at its line, simulates, publishes, closes the month and opens Piccolo Admin.

Screenshots go to ``test-results/screenshots/`` (kept after the run; CI's output names them).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.machine import unavailable
from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("PLAUDIT_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "test-results" / "screenshots"
HR_PASSWORD = "a long HR passphrase"

try:
    from playwright import sync_api
except ImportError:  # pragma: no cover - the test extra installs it
    sync_api = None  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def browser_at_hand() -> None:
    """Skipped without Playwright or Chromium on a laptop; a failure in CI, which installs both."""
    if sync_api is None:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).exists():
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")


@dataclass
class Site:
    base: str
    db_path: Path
    env: dict[str, str]

    def plaudit(self, *args: str, stdin: str = "") -> str:
        done = subprocess.run(
            [sys.executable, "-m", "admin.cli", "--db", f"sqlite:///{self.db_path}", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.db_path.parent,
            check=True,
        )
        return done.stdout.strip()

    def link(self, employee: str, role: str = "employee") -> str:
        return self.plaudit("token", employee, "--role", role, "--link")

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with sqlite3.connect(self.db_path) as conn:
            return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("site")
    shutil.copy(ROOT / "rules.yaml", folder / "rules.yaml")
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PLAUDIT_JWT_SECRET": "browser-test-secret-" + "x" * 32,
        "PLAUDIT_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PLAUDIT_RULES": str(folder / "rules.yaml"),
        "PLAUDIT_RATE_LIMIT": "0",
    }
    env.pop("DATABASE_URL", None)
    site = Site(f"http://127.0.0.1:{port}", folder / "plaudit.sqlite", env)
    site.plaudit("demo", "--employees", "60", "--days", "20")
    site.plaudit("hr", "add", "hana", "--password-stdin", stdin=HR_PASSWORD + "\n")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "admin.cli",
            "--db",
            f"sqlite:///{site.db_path}",
            "serve",
            "--port",
            str(port),
        ],
        env=env,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{site.base}/health", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: {server.stderr.read()}") from None
                time.sleep(0.2)
        yield site
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / f"{request.node.name}-last.png"
    page.screenshot(path=str(shot), full_page=True)
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def sign_in(page, site: Site, employee: str) -> None:  # type: ignore[no-untyped-def]
    """Through a sign-in link, then English (the roster gives some people Dutch)."""
    page.goto(site.link(employee))
    assert page.url.endswith("/board")
    page.goto(f"{site.base}/lang/en?next=/board")


def shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_employee_opens_the_board_switches_period_and_gives_a_shoutout(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, site, "E0001")
    me = page.locator("tr.me")
    assert me.count() == 1, "my own row is highlighted"
    assert page.locator(".tabs a[aria-current=page]", has_text="Month").count() == 1
    shoot(page, "employee-board-month")

    page.get_by_role("link", name="Week", exact=True).click()
    page.wait_for_url("**period=week**")
    assert page.locator(".tabs a[aria-current=page]", has_text="Week").count() == 1
    page.get_by_role("link", name=re.compile(r"My team")).click()
    page.wait_for_url("**scope=team**")
    team = site.query("SELECT team FROM employee WHERE external_id = 'E0001'")[0][0]
    assert page.locator("h1").inner_text().endswith(team)
    shoot(page, "employee-board-week-team")

    # Keyboard only: the skip link comes first, then the navigation.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"

    mate = site.query(
        "SELECT external_id, name FROM employee WHERE team = ? AND external_id <> 'E0001' "
        "AND active ORDER BY id LIMIT 1",
        (team,),
    )[0]
    page.get_by_role("link", name="Shoutouts").click()
    page.wait_for_url("**/shoutouts")
    left_before = int(page.locator("#allowance").inner_text().split("/")[0])
    page.get_by_label("Colleague (employee id or email)").fill(mate[0])
    page.locator("input[name=value]").first.check()
    page.get_by_label("Message").fill("Thanks for the launch post, it brought three leads!")
    page.get_by_role("button", name="Send").click()
    page.get_by_role("status").wait_for()
    assert "Thank you" in page.get_by_role("status").inner_text()
    first = page.locator("#feed li").first
    assert "it brought three leads" in first.inner_text()
    assert mate[1] in first.inner_text()
    assert int(page.locator("#allowance").inner_text().split("/")[0]) == left_before - 1
    shoot(page, "employee-shoutout-sent")

    # A second one without a message is refused at its field, and what was typed stays.
    page.get_by_label("Colleague (employee id or email)").fill(mate[0])
    page.locator("input[name=value]").first.check()
    page.get_by_label("Message").fill(" ")
    page.get_by_role("button", name="Send").click()
    assert "message" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Colleague (employee id or email)").input_value() == mate[0]


def test_employee_profile_and_dutch(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, site, "E0003")
    page.get_by_role("link", name="My profile").click()
    page.wait_for_url("**/me")
    assert page.locator("svg.chart").count() == 1
    assert page.get_by_role("heading", name="Why did I get these points?").is_visible()
    page.get_by_role("link", name="Nederlands").click()
    page.locator("html[lang=nl]").wait_for()
    assert page.get_by_role("heading", name="Waarom kreeg ik deze punten?").is_visible()
    assert page.locator("html").get_attribute("lang") == "nl"
    page.get_by_label("verborgen: alleen ik zie mijn positie").check()
    page.get_by_role("button", name="Opslaan").click()
    assert page.get_by_role("status").inner_text() == "Opgeslagen."
    assert site.query("SELECT visibility FROM employee WHERE external_id = 'E0003'") == [
        ("hidden",)
    ]
    shoot(page, "employee-profile-nl")
    page.get_by_role("link", name="English").click()


def test_hr_breaks_a_rule_sees_the_line_simulates_and_publishes(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    page.goto(site.base + "/hr/rules/")
    assert "/login" in page.url  # signed out: the HR login
    page.get_by_label("Username").fill("hana")
    page.get_by_label("Password").fill(HR_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#text").wait_for()
    assert page.url.rstrip("/").endswith("/hr/rules")

    editor = page.locator("#text")
    original = editor.input_value()
    broken = original.replace("timezone: Europe/Amsterdam", "timezone: Europe/Amsterdm")
    line = original[: original.index("timezone: Europe/Amsterdam")].count("\n") + 1
    editor.fill(broken)
    page.get_by_role("button", name="Validate").click()
    problem = page.locator("#problems a[data-line]").first
    assert problem.inner_text().startswith(f"rules.yaml:{line}:")
    assert "Europe/Amsterdm" in page.locator("#problems").inner_text()
    assert page.locator(f"#L{line}.bad").count() == 1
    shoot(page, "hr-rules-error-at-its-line")
    problem.click()  # selects the line in the draft
    selected = page.evaluate(
        "(() => { const t = document.getElementById('text');"
        " return t.value.slice(t.selectionStart, t.selectionEnd); })()"
    )
    assert selected.strip().startswith("timezone: Europe/Amsterdm ")

    # Training worth double: simulated on the last 30 days (the file's own tests are shown, not blocking).
    draft = original.replace('version: "2026.11"', 'version: "2026.12"')
    doubled = draft.replace("points: 30", "points: 60", 1)
    editor.fill(doubled)
    page.get_by_role("button", name="Simulate").click()
    page.locator("#simulation").wait_for()
    training = page.locator("#sim-rules tr", has_text="training")
    cells = training.locator("td").all_inner_texts()
    published, drafted = (int(c.replace(",", "")) for c in cells[:2])
    assert drafted == 2 * published > 0
    assert page.locator("#sim-top tbody tr").count() >= 1
    shoot(page, "hr-rules-simulation")

    # Publish a draft whose tests pass: a new immutable version with an audit entry.
    page.locator("#text").fill(draft.replace('name: "Employee advocacy"', 'name: "Advocacy 2027"'))
    page.get_by_role("button", name="Publish").click()
    assert "Published version 2026.12" in page.get_by_role("status").inner_text()
    rows = site.query("SELECT actor, subject FROM audit_entry WHERE action = 'rules.published'")
    assert ("hr:hana", "2026.12") in rows
    page.get_by_role("link", name="All versions with their changes").click()
    page.wait_for_url("**/history")
    assert '+  name: "Advocacy 2027"' in page.locator("pre.diff").first.inner_text()
    shoot(page, "hr-rules-history")


def test_hr_closes_the_month_and_opens_piccolo_admin(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    page.goto(site.base + "/login")
    page.get_by_label("Username").fill("hana")
    page.get_by_label("Password").fill(HR_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Month close").wait_for()
    page.get_by_role("link", name="Month close").click()
    page.get_by_role("heading", name="Month close").wait_for()
    page.locator(".tabs a").first.click()  # the current month: the demo's events are in it
    page.wait_for_url("**period=*")
    page.get_by_role("button", name="Close and shortlist now").first.click()
    approve = page.get_by_role("button", name=re.compile("^Approve")).first
    name = approve.get_attribute("aria-label").removeprefix("Approve ")
    approve.click()
    winner = page.locator("tr", has_text="Winner, announced").first
    assert name in winner.inner_text()
    shoot(page, "hr-month-close")
    page.goto(site.base + "/shoutouts")
    assert name in page.locator("#feed li").first.inner_text()

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(site.base + "/admin")
    assert "/admin/" in page.url  # /admin → /admin/, or the UI's relative asset links break
    # Signed in by the HR login already: the table list, not Piccolo Admin's own login page.
    page.get_by_text("Welcome to Plaudit admin").wait_for(timeout=15000)
    page.get_by_text("Ledger Entry", exact=False).first.wait_for()
    assert "login" not in page.url
    shoot(page, "hr-piccolo-admin")
