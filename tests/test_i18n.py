"""The pages' Dutch: every message the templates and handlers ask for has a Dutch entry with the same
placeholders, and HR's pages (rules editor, simulation, history, KPIs, month close, review queue) come in
Dutch for an HR user who picked Dutch, while the rules compiler's messages stay as they are.

The site is ``tests.test_pages``'s: the test roster, the shares of ``seed_scores``, HR signed in by a link.
"""

from __future__ import annotations

import html
import re
import string
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.plugins.jinja import JinjaTemplateEngine

from admin.pages.i18n import NL, install_translations, translator
from engine.insight.simulate import SideTotals, Simulation
from tests.test_api import prepared_database
from tests.test_pages import (
    RAISED,
    RULES,
    Site,
    cases,
    held_case,
    running_site,
    score_october,
)

WEB = Path(__file__).resolve().parent.parent / "admin" / "pages"
TEMPLATES = WEB / "templates"
#: ``_("…")`` or ``_('…')`` with a literal first argument, in a template or in a handler.
MESSAGE = re.compile(r"""(?<![\w.])_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def messages(path: Path) -> set[str]:
    return {
        double or single for double, single in MESSAGE.findall(path.read_text(encoding="utf-8"))
    }


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


# -- the catalog -------------------------------------------------------------------------------------------


def test_every_template_message_has_dutch() -> None:
    templates = sorted(TEMPLATES.glob("*.html"))
    assert len(templates) >= 10
    used = {(path.name, message) for path in templates for message in messages(path)}
    assert len(used) > 100  # the regex finds them
    missing = sorted(f"{name}: {message!r}" for name, message in used if message not in NL)
    assert not missing, "no Dutch for:\n" + "\n".join(missing)


def test_every_handler_message_has_dutch() -> None:
    used = {
        (path.name, message) for path in sorted(WEB.rglob("*.py")) for message in messages(path)
    }
    assert {name for name, _ in used} >= {"kpis.py", "month_close.py", "profile.py"}
    missing = sorted(f"{name}: {message!r}" for name, message in used if message not in NL)
    assert not missing, "no Dutch for:\n" + "\n".join(missing)


def test_dutch_keeps_the_placeholders() -> None:
    wrong = [
        f"{english!r} → {dutch!r}"
        for english, dutch in NL.items()
        if placeholders(english) != placeholders(dutch)
    ]
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_the_translator_fills_placeholders_after_translating() -> None:
    nl, en = translator("nl"), translator("en")
    assert nl("Approve {name}", name="Anna {x}") == "Anna {x} goedkeuren"
    assert en("Approve {name}", name="Anna") == "Approve Anna"
    assert nl("no such message {n}", n=3) == "no such message 3"  # falls back to the English
    assert nl("{count} problem(s) in the draft") == "Problemen in het concept: {count}"  # no values
    assert translator("xx")("Rules") == "Rules"


# -- the simulation's top 10 moves -------------------------------------------------------------------------


def render_simulation(simulation: Simulation, lang: str) -> str:
    engine = JinjaTemplateEngine(directory=TEMPLATES)
    install_translations(engine)
    return engine.get_template("simulation.html").render(
        simulation=simulation, names={}, took=0.1, lang=lang, _=translator(lang)
    )


def move_cells(page: str) -> list[str]:
    top = re.search(r'<table id="sim-top">(.*?)</table>', page, re.S)
    assert top
    return [
        html.unescape(cell) for cell in re.findall(r'<td class="[^"]*">([^<]*)</td></tr>', top[1])
    ]


def test_the_moves_of_the_top_read_as_the_engine_labels_them() -> None:
    published = Counter(A=50, B=40, C=30, D=20, E=15, X=10, Z=8)
    draft = Counter(A=60, C=55, B=50, X=45, N=44, E=1)
    simulation = Simulation(
        events=0,
        published=SideTotals(by_employee=published),
        draft=SideTotals(by_employee=draft),
        top_n=5,
    )
    moves = simulation.top_diff()
    assert {m.move for m in moves} == {"same", "up", "down", "new", "left"}
    assert {"new in top 5 (was 6)", "new in top 5 (no points)", "left the top 5 (now 6)"} <= {
        m.label for m in moves
    }
    assert "left the top 5 (no points)" in {m.label for m in moves}
    assert move_cells(render_simulation(simulation, "en")) == [m.label for m in moves]
    assert move_cells(render_simulation(simulation, "nl")) == [
        "gelijk",
        "1 omhoog",
        "1 omlaag",
        "nieuw in de top 5 (was 6)",
        "nieuw in de top 5 (had geen punten)",
        "uit de top 5 (geen punten meer)",
        "uit de top 5 (nu 6)",
    ]


# -- HR's pages in Dutch -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    url = prepared_database(tmp_path_factory.mktemp("prepared"))
    return Path(url.removeprefix("sqlite:///"))


def in_dutch(site: Site) -> Site:
    """HR signed in, Dutch picked in the footer."""
    site.sign_in("hr-admin", "hr")
    r = site.client.get("/lang/nl", params={"next": "/hr/rules/"}, follow_redirects=False)
    assert r.cookies["plaudit_lang"] == "nl"
    return site


@pytest.fixture(scope="module")
def dutch(prepared: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One site for the tests that only look."""
    with running_site(prepared, tmp_path_factory.mktemp("dutch")) as site:
        yield in_dutch(site)


@pytest.fixture
def dutch_site(prepared: Path, tmp_path: Path) -> Iterator[Site]:
    """A site of the test's own, for tests that change something."""
    with running_site(prepared, tmp_path) as site:
        yield in_dutch(site)


def test_the_rules_editor_in_dutch(dutch: Site) -> None:
    r = dutch.client.get("/hr/rules/")
    assert r.status_code == 200
    assert '<html lang="nl">' in r.text
    assert '<h1>Regels <span class="muted">· gepubliceerde versie 2026.11</span></h1>' in r.text
    assert "<h1>Rules" not in r.text
    assert "<h2>Gepubliceerde versies</h2>" in r.text
    for button in ("Controleren", "Simuleren", "Publiceren"):
        assert f">{button}</button>" in r.text
    assert ">Validate<" not in r.text
    assert "Alle versies met hun wijzigingen" in r.text


def test_the_problems_of_a_draft_keep_the_compilers_english(dutch: Site) -> None:
    broken = RULES.replace(
        "    event: share\n    points: 10\n", "    event: share\n    points: ten\n"
    )
    r = dutch.post("/hr/rules/?action=validate", {"text": broken})
    assert r.status_code == 422
    assert "<strong>Problemen in het concept: 1</strong>" in r.text
    assert 'rule share: points: expected a number, got string "ten"' in html.unescape(r.text)
    fine = dutch.post("/hr/rules/?action=validate", {"text": RAISED})
    assert 'id="valid">Geen problemen: het concept is geldig en de tests slagen.</p>' in fine.text


def test_the_simulation_in_dutch(dutch: Site) -> None:
    r = dutch.post("/hr/rules/?action=simulate", {"text": RAISED, "days": "7"})
    assert r.status_code == 200
    sim = re.search(r'<section aria-labelledby="sim" id="simulation">(.*?)</section>', r.text, re.S)
    assert sim
    assert '<h2 id="sim">Simulatie</h2>' in sim[1]
    assert re.search(r"<p>9 gebeurtenissen\s", sim[1])
    assert "punten: 95 → <strong>114</strong>" in sim[1]
    assert re.findall(r"<h3>([^<]*)</h3>", sim[1]) == [
        "Per regel",
        "Grootste verschillen per medewerker",
        "Top 10",
        "Verschillen in badges",
        "Verschillen in onderscheidingen",
    ]
    assert '<th scope="col">Medewerker</th>' in sim[1]
    assert "Aan beide kanten dezelfde badges." in sim[1]
    assert move_cells(sim[1]) and set(move_cells(sim[1])) == {"gelijk"}  # 10 → 12 for everyone


def test_the_rules_history_in_dutch(dutch: Site) -> None:
    r = dutch.client.get("/hr/rules/history")
    assert r.status_code == 200
    assert "<h1>Gepubliceerde versies</h1>" in r.text
    assert "Terug naar de editor" in r.text
    assert "Published versions" not in r.text
    assert "published 2026.11 (first ruleset)" in r.text  # the audit entry's summary is data


def test_the_kpis_in_dutch(dutch: Site) -> None:
    r = dutch.client.get("/hr/kpis?periods=2")
    assert r.status_code == 200
    assert '<h1>KPI&#39;s <span class="muted">· 2026-11</span></h1>' in r.text  # autoescaped
    assert "<h1>KPIs" not in r.text
    assert "<h2>Actieve deelname (%)</h2>" in r.text
    assert "Active participation" not in r.text
    assert '<div class="muted">9 keer gedeeld</div>' in r.text
    assert 'aria-label="actieve deelname (%)"' in r.text  # the charts, drawn by the handler
    assert "<h2>Topbijdragers · 2026-11</h2>" in r.text
    assert "CSV downloaden" in r.text


def test_month_close_in_dutch(dutch: Site) -> None:
    r = dutch.client.get("/hr/month-close/?period=2026-10")
    assert r.status_code == 200
    assert "<h1>Maandafsluiting</h1>" in r.text
    assert "Month close" not in r.text
    assert "· oktober 2026</h2>" in r.text
    assert "October" not in r.text
    assert "Nog niet afgesloten; sluit automatisch op " in r.text
    assert ">Nu afsluiten en shortlist opstellen</button>" in r.text


def test_closing_and_approving_in_dutch(dutch_site: Site) -> None:
    site = dutch_site
    score_october(site)
    r = site.post("/hr/month-close/close", {"award": "employee-of-the-month", "period": "2026-10"})
    page = site.client.get(r.headers["location"]).text
    assert "Afgesloten op " in page and "· hr:hr-admin" in page
    assert "Wacht op je goedkeuring" in page
    assert '<th scope="col">Niveau</th>' in page and "<td>Bedrijf</td>" in page
    approve = re.findall(r'value="(\d+)">\s*<button type="submit" aria-label="([^"]*)">', page)
    assert approve[0][1] == "Anna de Vries goedkeuren"
    assert ">Goedkeuren</button>" in page
    r = site.post("/hr/month-close/approve", {"result": approve[0][0]})
    after = site.client.get(r.headers["location"]).text
    assert "<strong>Winnaar, bekendgemaakt</strong>" in after
    assert ">kaart</a>" in after
    assert "<td>niet gekozen</td>" in after
    missing = site.client.get("/hr/month-close/card/999999")
    assert missing.status_code == 404
    assert "geen uitslag met nummer 999999" in missing.text


def test_the_review_queue_in_dutch(dutch_site: Site) -> None:
    site = dutch_site
    item = held_case(site)
    r = site.client.get("/hr/review/")
    assert r.status_code == 200
    assert "<h1>Beoordelen</h1>" in r.text and ">Beoordelen</a>" in r.text
    assert '<th class="num" scope="col">Vastgehouden punten</th>' in r.text
    assert cases(r.text)[item].startswith(f"{item} vastgehouden share-burst Anna de Vries E1 ")
    assert f'aria-label="Geval {item} goedkeuren">Goedkeuren</button>' in r.text
    assert f'aria-label="Geval {item} afwijzen">Afwijzen</button>' in r.text
    assert ">goedgekeurd</a>" in r.text and ">vastgelegd</a>" in r.text
    done = site.post("/hr/review/decide", {"item": str(item), "decision": "approve"})
    assert f"Geval {item} goedgekeurd." in site.client.get(done.headers["location"]).text
    twice = site.post("/hr/review/decide", {"item": str(item), "decision": "approve"})
    assert twice.status_code == 409
    assert f"Over geval {item} is al besloten: goedgekeurd door hr-admin." in twice.text
    missing = site.post("/hr/review/decide", {"item": "999999", "decision": "reject"})
    assert missing.status_code == 404 and "Er is geen geval 999999." in missing.text
