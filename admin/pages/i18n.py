"""The pages' languages: English and Dutch, picked per person.

A message catalog in code rather than gettext ``.po``/``.mo`` files: two languages and a few hundred words do
not pay for a compile step in the build, and a missing Dutch string falls back to the English one. The choice:
the language the person picked (a cookie), else the roster's locale, else the browser's Accept-Language.

A message may hold keyword placeholders, filled in after translating, so a Dutch sentence keeps its own word
order: ``_("Approve {name}", name=...)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine

__all__ = [
    "LANGUAGES",
    "LANGUAGE_COOKIE",
    "install_translations",
    "language_of",
    "translator",
]

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
    "Review": "Beoordelen",
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
    "You: 0 points, not ranked yet — your first share counts.": (
        "Jij: 0 punten, nog niet gerangschikt — je eerste gedeelde bericht telt."
    ),
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
    "There is no page at this address.": "Op dit adres staat geen pagina.",
    # HR: rules editor
    "published {version}": "gepubliceerde versie {version}",
    "Published version {version}.": "Versie {version} is gepubliceerd.",
    "Version {version} is already published with this content; nothing changed.": (
        "Versie {version} is al gepubliceerd met precies deze inhoud; er is niets gewijzigd."
    ),
    "No problems: the draft is valid and its tests pass.": (
        "Geen problemen: het concept is geldig en de tests slagen."
    ),
    "{count} problem(s) in the draft": "Problemen in het concept: {count}",
    "Validate": "Controleren",
    "Simulate on the last": "Simuleren over de laatste",
    "days": "dagen",
    "Simulate": "Simuleren",
    "Publish": "Publiceren",
    "Published versions": "Gepubliceerde versies",
    "All versions with their changes": "Alle versies met hun wijzigingen",
    "No publishing recorded yet.": "Er is nog niets gepubliceerd.",
    # HR: rules history
    "Back to the editor": "Terug naar de editor",
    # HR: simulation of a draft
    "Simulation": "Simulatie",
    "events": "gebeurtenissen",
    "points": "punten",
    "Per rule": "Per regel",
    "Rule": "Regel",
    "Published": "Gepubliceerd",
    "Draft": "Concept",
    "Change": "Verschil",
    "Cap hits": "Limiet bereikt",
    "Biggest changes per employee": "Grootste verschillen per medewerker",
    "Employee": "Medewerker",
    "Nobody's points change.": "Bij niemand veranderen de punten.",
    "Top 10": "Top 10",
    "Move": "Verschuiving",
    "new in top {n} (was {rank})": "nieuw in de top {n} (was {rank})",
    "new in top {n} (no points)": "nieuw in de top {n} (had geen punten)",
    "left the top {n} (now {rank})": "uit de top {n} (nu {rank})",
    "left the top {n} (no points)": "uit de top {n} (geen punten meer)",
    "up {by}": "{by} omhoog",
    "down {by}": "{by} omlaag",
    "same": "gelijk",
    "Badge changes": "Verschillen in badges",
    "Badge": "Badge",
    "Gain": "Erbij",
    "Lose": "Kwijt",
    "The same badges on both sides.": "Aan beide kanten dezelfde badges.",
    "Award changes": "Verschillen in onderscheidingen",
    "part of the period": "deel van de periode",
    "The same award winners on both sides.": "Aan beide kanten dezelfde winnaars.",
    # HR: KPIs
    "Download CSV": "CSV downloaden",
    "Adoption": "Adoptie",
    "invited": "uitgenodigd",
    "accounts": "accounts",
    "active": "actief",
    "Active participation": "Actieve deelname",
    "Organic reach": "Organisch bereik",
    "shares": "keer gedeeld",
    "Engagement per share": "Engagement per gedeeld bericht",
    "reactions": "reacties",
    "clicks": "klikken",
    "Referrals": "Aanbevelingen",
    "hired": "aangenomen",
    "givers": "gevers",
    "receivers": "ontvangers",
    "Top contributors": "Topbijdragers",
    "Per period": "Per periode",
    "active participation rate (%)": "actieve deelname (%)",
    "organic reach": "organisch bereik",
    "engagement per share": "engagement per gedeeld bericht",
    "shoutouts given": "gegeven shoutouts",
    # HR: month close
    "Not closed yet; closes by itself at {due} (late events included until then).": (
        "Nog niet afgesloten; sluit automatisch op {due} (late gebeurtenissen tellen tot dan mee)."
    ),
    "Close and shortlist now": "Nu afsluiten en shortlist opstellen",
    "Closed {when}": "Afgesloten op {when}",
    "Waiting for your approval: pick the employee of the month from the shortlist.": (
        "Wacht op je goedkeuring: kies de medewerker van de maand uit de shortlist."
    ),
    "Scope": "Niveau",
    "Active days": "Actieve dagen",
    "Status": "Status",
    "Approve": "Goedkeuren",
    "Approve {name}": "{name} goedkeuren",
    "Winner, announced": "Winnaar, bekendgemaakt",
    "card": "kaart",
    "not selected": "niet gekozen",
    "Nobody was eligible in this period.": "Niemand kwam in deze periode in aanmerking.",
    "This program has no awards (awards: in rules.yaml).": (
        "Dit programma heeft geen onderscheidingen (awards: in rules.yaml)."
    ),
    "no award result {result}": "geen uitslag met nummer {result}",
    "Open flags": "Open signalen",
    "{n} open flag(s) of {name} in the review queue": (
        "{n} open signaal/signalen van {name} in de beoordelingswachtrij"
    ),
    "Some candidates have open integrity flags: look at them in the review queue before approving.": (
        "Sommige kandidaten hebben open integriteitssignalen: bekijk ze in de beoordelingswachtrij "
        "voordat je goedkeurt."
    ),
    "{n} employee(s) with an open hold in the review queue: not eligible if it closes before HR decides.": (
        "{n} medewerker(s) met vastgehouden punten in de beoordelingswachtrij: komen niet in aanmerking "
        "als de periode sluit voordat HR besluit."
    ),
    # HR: the review queue
    "What the cases are": "Wat de gevallen betekenen",
    "late": "te laat",
    "flag": "signaal",
    "hold": "vastgehouden",
    "zero": "nul",
    "An event for a closed month: approve scores it into that month (the award stays), reject drops it.": (
        "Een gebeurtenis voor een afgesloten maand: goedkeuren telt haar mee in die maand (de "
        "onderscheiding blijft), afwijzen laat haar vallen."
    ),
    "An integrity signal; the points count: approve keeps them, reject takes them back.": (
        "Een integriteitssignaal; de punten tellen: goedkeuren houdt ze, afwijzen neemt ze terug."
    ),
    "An integrity signal; the points wait, and no award for that month: approve writes them, reject drops them.": (
        "Een integriteitssignaal; de punten wachten, en geen onderscheiding voor die maand: goedkeuren "
        "schrijft ze bij, afwijzen laat ze vallen."
    ),
    "An integrity signal that gave no points; kept as the record, nothing to decide.": (
        "Een integriteitssignaal dat geen punten gaf; bewaard als vastlegging, er valt niets te besluiten."
    ),
    "open": "open",
    "approved": "goedgekeurd",
    "rejected": "afgewezen",
    "noted": "vastgelegd",
    "all": "alle",
    "Case": "Geval",
    "Kind": "Soort",
    "Reason": "Reden",
    "Points held": "Vastgehouden punten",
    "Evidence (event ids)": "Bewijs (gebeurtenis-id's)",
    "Created": "Aangemaakt",
    "Decision": "Besluit",
    "and {n} more": "en nog {n}",
    "Note (optional)": "Notitie (optioneel)",
    "Note on case {id}": "Notitie bij geval {id}",
    "Approve case {id}": "Geval {id} goedkeuren",
    "Reject case {id}": "Geval {id} afwijzen",
    "Reject": "Afwijzen",
    "No cases here.": "Hier zijn geen gevallen.",
    "Case {id} approved.": "Geval {id} goedgekeurd.",
    "Case {id} rejected.": "Geval {id} afgewezen.",
    "Choose approve or reject.": "Kies goedkeuren of afwijzen.",
    "no filter {status}": "geen filter {status}",
    "There is no case {id}.": "Er is geen geval {id}.",
    "Case {id} was decided already: {status} by {who}.": (
        "Over geval {id} is al besloten: {status} door {who}."
    ),
    "Case {id} was decided already.": "Over geval {id} is al besloten.",
    # month names, in period labels ("October 2026"): the ``months`` filter
    "January": "januari",
    "February": "februari",
    "March": "maart",
    "April": "april",
    "May": "mei",
    "June": "juni",
    "July": "juli",
    "August": "augustus",
    "September": "september",
    "October": "oktober",
    "November": "november",
    "December": "december",
}

CATALOG: dict[str, dict[str, str]] = {"en": {}, "nl": NL}


#: English month names, as ``rules.periods.period_label`` writes them.
_MONTH = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\b"
)


def translator(lang: str) -> Callable[..., str]:
    """``_(message, **values)``: the message in ``lang`` (else as it is), its ``{placeholders}`` filled."""
    table = CATALOG.get(lang, {})

    def translate(message: str, /, **values: Any) -> str:
        text = table.get(message, message)
        return text.format(**values) if values else text

    return translate


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


def _months(text: str, lang: str = "en") -> str:
    """Month names in a period label in ``lang``: "October 2026" → "oktober 2026"."""
    table = CATALOG.get(lang, {})
    return _MONTH.sub(lambda m: table.get(m[1], m[1]), text)


def install_translations(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters["months"] = _months
    engine.engine.filters["names"] = _names
    engine.engine.filters["number"] = _number
    engine.engine.filters["when"] = _when
    engine.engine.globals["LANGUAGES"] = LANGUAGES
