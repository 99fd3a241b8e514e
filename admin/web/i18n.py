"""The pages' languages: English and Dutch, picked per person.

A message catalog in code rather than gettext ``.po``/``.mo`` files: two languages and a few hundred words do
not pay for a compile step in the build, and a missing Dutch string falls back to the English one. The choice:
the language the person picked (a cookie), else the roster's locale, else the browser's Accept-Language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from litestar import Request
from litestar.contrib.jinja import JinjaTemplateEngine

__all__ = ["LANGUAGES", "LANGUAGE_COOKIE", "install_translations", "language_of", "translator"]

#: Code → its own name, for the switch in the page footer.
LANGUAGES = {"en": "English", "nl": "Nederlands"}
LANGUAGE_COOKIE = "plaudit_lang"

NL: dict[str, str] = {
    # layout
    "Leaderboard": "Ranglijst",
    "My profile": "Mijn profiel",
    "Shoutouts": "Shoutouts",
    "Rules": "Regels",
    "KPIs": "KPI's",
    "Month close": "Maandafsluiting",
    "Data (admin)": "Gegevens (admin)",
    "Sign out": "Afmelden",
    "Sign in": "Aanmelden",
    "Main navigation": "Hoofdnavigatie",
    "Language": "Taal",
    "Skip to content": "Naar de inhoud",
    # login
    "HR sign-in": "Aanmelden voor HR",
    "Username": "Gebruikersnaam",
    "Password": "Wachtwoord",
    "Wrong username or password.": "Onjuiste gebruikersnaam of wachtwoord.",
    "Employees sign in with the link from the advocacy tool or the company portal.": (
        "Medewerkers melden zich aan via de link in de advocacy-tool of het bedrijfsportaal."
    ),
    # board
    "Week": "Week",
    "Month": "Maand",
    "Quarter": "Kwartaal",
    "All time": "Altijd",
    "Period": "Periode",
    "Company": "Bedrijf",
    "My team": "Mijn team",
    "Rank": "Positie",
    "Name": "Naam",
    "Team": "Team",
    "Points": "Punten",
    "Badges": "Badges",
    "You": "Jij",
    "Around you": "Rondom jou",
    "Your rank": "Jouw positie",
    "Nobody has points in this period yet.": "Nog niemand heeft punten in deze periode.",
    "You are hidden from public boards; only you see your rank.": (
        "Je bent verborgen op openbare ranglijsten; alleen jij ziet je positie."
    ),
    # profile
    "Points over time": "Punten door de tijd",
    "Points per week, last 12 weeks": "Punten per week, laatste 12 weken",
    "This week": "Deze week",
    "This month": "Deze maand",
    "This quarter": "Dit kwartaal",
    "rank": "positie",
    "Badges and progress": "Badges en voortgang",
    "earned": "behaald",
    "next": "volgende",
    "No badges yet.": "Nog geen badges.",
    "Why did I get these points?": "Waarom kreeg ik deze punten?",
    "When": "Wanneer",
    "Why": "Waarom",
    "Older entries": "Oudere regels",
    "No points yet.": "Nog geen punten.",
    "Visibility on leaderboards": "Zichtbaarheid op ranglijsten",
    "public: everyone sees me": "openbaar: iedereen ziet mij",
    "team: only my team's board": "team: alleen de ranglijst van mijn team",
    "hidden: only I see my rank": "verborgen: alleen ik zie mijn positie",
    "Save": "Opslaan",
    "Saved.": "Opgeslagen.",
    "Caps reached this period": "Bereikte limieten deze periode",
    # shoutouts
    "Give a shoutout": "Geef een shoutout",
    "Colleague (employee id or email)": "Collega (personeelsnummer of e-mail)",
    "Company value": "Bedrijfswaarde",
    "Message": "Bericht",
    "What did they do?": "Wat hebben ze gedaan?",
    "Send": "Versturen",
    "left this period": "over deze periode",
    "Sent. Thank you for recognising a colleague!": "Verstuurd. Bedankt voor het waarderen van een collega!",
    "Recent shoutouts": "Recente shoutouts",
    "No shoutouts yet.": "Nog geen shoutouts.",
    "to": "aan",
    "Whole company": "Hele bedrijf",
    "More": "Meer",
    "You have no shoutouts left this period.": "Je hebt deze periode geen shoutouts meer.",
    # errors
    "Something is not right": "Er klopt iets niet",
    "Back to the leaderboard": "Terug naar de ranglijst",
}

CATALOG: dict[str, dict[str, str]] = {"en": {}, "nl": NL}


def translator(lang: str) -> Callable[[str], str]:
    table = CATALOG.get(lang, {})
    return lambda message: table.get(message, message)


def _base(code: str | None) -> str | None:
    base = (code or "").strip().split(";")[0].split("-")[0].split("_")[0].lower()
    return base if base in LANGUAGES else None


def language_of(request: Request, person_locale: str | None = None) -> str:
    chosen = _base(request.cookies.get(LANGUAGE_COOKIE)) or _base(person_locale)
    if chosen:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        if found := _base(part):
            return found
    return "en"


def _number(value: Any, lang: str = "en") -> str:
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:,.2f}"
    else:
        text = f"{int(value):,}"
    # Dutch swaps the separators: 1.234,56
    return text.translate(str.maketrans(",.", ".,")) if lang == "nl" else text


def _when(value: datetime, lang: str = "en") -> str:
    return value.strftime("%d-%m-%Y %H:%M" if lang == "nl" else "%Y-%m-%d %H:%M")


def _names(ids: Iterable[str], names: dict[str, str]) -> str:
    """Employee ids as the names people know them by."""
    return ", ".join(names.get(i, i) for i in ids)


def install_translations(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters["names"] = _names
    engine.engine.filters["number"] = _number
    engine.engine.filters["when"] = _when
    engine.engine.globals["LANGUAGES"] = LANGUAGES
