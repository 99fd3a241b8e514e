"""A seeded generator of a demo roster: multilingual names, teams of very different sizes, one manager tree.

Why it exists: `plaudit demo` and the benchmarks need a believable company of any size, from one person to
100,000, whose rows import like a real roster CSV (the columns of shared/data/roster-sample.csv).

Why it looks the way it does: standard library only and nothing from the rest of the repo outside engine.demo,
so benchmarks and the demo can use it without pulling in the engine. Deterministic: every draw comes from a
`random.Random` seeded from the `seed` argument, so the same arguments give the same rows.
"""

from __future__ import annotations

import math
import random
import unicodedata
from itertools import accumulate

from engine.demo.sampling import allocate
from engine.people.roster import KNOWN_COLUMNS

__all__ = ["ROSTER_COLUMNS", "TEAM_AFFINITY", "generate_roster"]

#: The columns of a roster CSV, in order (those of shared/data/roster-sample.csv): all the roster knows but the
#: optional ones a sample leaves out.
ROSTER_COLUMNS: tuple[str, ...] = tuple(
    c for c in KNOWN_COLUMNS if c not in ("name", "visibility", "active", "joined_on")
)

_Team = tuple[str, str, float, float]  # team, department, relative typical size, advocacy affinity

# --------------------------------------------------------------------------------------------------------------
# Names. Real programs run in multilingual companies; the engine, the boards and the badge renderer must cope
# with tussenvoegsels, æøå, Cyrillic and apostrophes, so the demo data has all of them.
# --------------------------------------------------------------------------------------------------------------

# fmt: off
_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # locale: (female given names, male given names, family names)
    "nl-NL": (
        (
            "Sanne", "Eva", "Lotte", "Fleur", "Noor", "Emma", "Julia", "Sophie", "Anouk", "Femke",
            "Maud", "Iris", "Lieke", "Roos", "Sara", "Tess", "Mila", "Fenna", "Ilse", "Marloes",
        ),
        (
            "Daan", "Bram", "Thijs", "Ruben", "Sem", "Lucas", "Jesse", "Milan", "Lars", "Stijn",
            "Joost", "Pieter", "Maarten", "Sven", "Teun", "Wouter", "Niels", "Jeroen", "Koen", "Gijs",
        ),
        (
            "de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
            "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker",
            "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "van der Linden",
            "Kok", "Jacobs", "de Haan", "Vermeulen", "van den Heuvel", "van der Veen", "van den Broek",
            "de Bruijn", "de Jong", "van Dijk", "Janssen", "van Beek", "ter Horst", "van 't Hof",
            "in 't Veld", "Verhoeven", "Kuijpers",
        ),
    ),
    "nb-NO": (
        (
            "Ingrid", "Kari", "Sølvi", "Åse", "Marit", "Frøya", "Ingeborg", "Sigrid", "Solveig",
            "Astrid", "Ragnhild", "Tone", "Kristin", "Synnøve", "Bodil", "Nora", "Mari",
        ),
        (
            "Ole", "Håkon", "Bjørn", "Øystein", "Eirik", "Søren", "Lars", "Magnus", "Sindre",
            "Torbjørn", "Jørgen", "Ørjan", "Knut", "Arne", "Espen", "Henrik", "Åsmund",
        ),
        (
            "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen",
            "Jensen", "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen",
            "Johannessen", "Andreassen", "Jacobsen", "Dahl", "Jørgensen", "Halvorsen", "Henriksen",
            "Lund", "Sørensen", "Løkken", "Strøm", "Bråten", "Sæther", "Aasen", "Ødegård", "Åsheim",
        ),
    ),
    "ru-RU": (
        (
            "Анна", "Екатерина", "Ольга", "Мария", "Наталья", "Елена", "Татьяна", "Ирина",
            "Светлана", "Юлия", "Дарья", "Ксения", "Алёна", "Ёлка",
        ),
        (
            "Дмитрий", "Сергей", "Алексей", "Иван", "Юрий", "Андрей", "Михаил", "Николай",
            "Владимир", "Пётр", "Артём", "Григорий", "Фёдор",
        ),
        # Male forms; the female form is derived (Иванов -> Иванова, Чайковский -> Чайковская).
        (
            "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
            "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
            "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
            "Захаров", "Зайцев", "Соловьёв", "Белов", "Ёжиков", "Чайковский", "Толстой",
        ),
    ),
    "de-DE": (
        (
            "Sophie", "Marie", "Hannah", "Lea", "Anna", "Lena", "Leonie", "Katharina", "Jana",
            "Lisa", "Charlotte", "Greta", "Ute", "Jutta", "Männi", "Bärbel",
        ),
        (
            "Lukas", "Jonas", "Leon", "Finn", "Maximilian", "Felix", "Jürgen", "Jörg", "Matthias",
            "Tobias", "Sebastian", "Florian", "Moritz", "Bernd", "Uwe", "Günther",
        ),
        (
            "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
            "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder",
            "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hartmann", "Lange", "Weiß",
            "Groß", "Köhler", "Jäger", "Böhm", "von Braun", "von der Heide",
        ),
    ),
    "en-GB": (
        (
            "Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophie", "Grace", "Chloe", "Siobhan",
            "Niamh", "Charlotte", "Harriet", "Imogen",
        ),
        (
            "Oliver", "George", "Harry", "Jack", "Charlie", "Thomas", "James", "William", "Seán",
            "Rhys", "Callum", "Alfie", "Declan",
        ),
        (
            "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
            "Johnson", "Roberts", "Walker", "Wright", "Robinson", "Thompson", "O'Neill", "O'Brien",
            "O'Connor", "O'Sullivan", "D'Arcy", "McDonald", "Fitzgerald", "Ashby-Clarke", "Hughes",
        ),
    ),
}

# Colleagues from elsewhere working in the Dutch office (the sample's Zoë, Chloé, José, Łukasz, Ayşe, Mei).
_INTERNATIONAL: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = (
    ("Zoë", "Chloé", "Ayşe", "Mei", "Fatima", "Priya", "Léa", "Zeynep", "Ngozi", "Małgorzata", "Inês"),
    ("José", "Łukasz", "Mohammed", "Raj", "Karim", "Yusuf", "François", "Iñigo", "Wei", "Tomáš"),
    (
        "Dubois", "García", "Wójcik", "Yılmaz", "El Amrani", "Bouzid", "Patel", "Sharma", "Nguyễn",
        "Öztürk", "Kowalski", "Lefèvre", "Núñez", "Okafor", "Chen", "Thị Lan", "O'Neill", "Dvořák",
    ),
)

# fmt: on

_LOCALES = ("nl-NL", "nb-NO", "de-DE", "en-GB", "ru-RU")
_LOCALE_CUM = tuple(accumulate((0.46, 0.14, 0.14, 0.14, 0.12)))

# team, department, relative typical size, advocacy affinity (marketing and sales share far more than legal).
_TEAMS: tuple[_Team, ...] = (
    ("Engineering", "Product", 20.0, 0.7),
    ("Sales", "Commercial", 20.0, 1.6),
    ("Customer Success", "Commercial", 14.0, 1.1),
    ("Marketing", "Marketing", 8.0, 2.0),
    ("Recruitment", "HR", 4.0, 1.8),
    ("Product Management", "Product", 5.0, 0.9),
    ("Operations", "Operations", 12.0, 0.6),
    ("Brand & Content", "Marketing", 3.0, 2.2),
    ("Data", "Product", 6.0, 0.8),
    ("Design", "Product", 4.0, 1.0),
    ("Finance", "Operations", 5.0, 0.5),
    ("People Operations", "HR", 3.0, 1.2),
    ("IT Support", "Operations", 4.0, 0.5),
    ("Partnerships", "Commercial", 2.0, 1.4),
    ("Legal", "Operations", 1.5, 0.4),
)
_CORE_TEAMS = 5  # the first five are in every company of any size (the sample's teams)
_PILOT_TEAMS = frozenset({"Sales", "Marketing", "Brand & Content"})
#: How much more (or less) than average each team shares: marketing and sales far more than legal.
TEAM_AFFINITY: dict[str, float] = {t[0]: t[3] for t in _TEAMS}

_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    "æ": "ae", "ø": "o", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ł": "l",
    "ı": "i", "đ": "d", "œ": "oe",
}  # fmt: skip


def _ascii_slug(text: str) -> str:
    """Lowercase ascii letters only: mailbox names must survive every mail system and CSV tool."""
    out = []
    for ch in text.lower():
        mapped = _TRANSLIT.get(ch)
        if mapped is None:
            mapped = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
        out.append(mapped)
    return "".join(c for c in "".join(out) if "a" <= c <= "z" or "0" <= c <= "9")


def _russian_female(family: str) -> str:
    """Russian family names agree with gender (Иванов / Иванова); the demo should not get that wrong."""
    if family.endswith("ский"):
        return family[:-2] + "ая"
    if family.endswith("ой"):
        return family[:-2] + "ая"
    if family.endswith(("ов", "ев", "ёв", "ин")):
        return family + "а"
    return family


def generate_roster(n: int, seed: int = 7) -> list[dict[str, str]]:
    """Return `n` employees as roster rows with exactly the columns of `ROSTER_COLUMNS`.

    Why the shape: per-capita team boards only mean something when teams differ a lot in size, so there are
    about 8-15 teams (fewer for tiny rosters) from a handful of people to a third of the company, grouped in
    departments; managers form one tree (a single top with an empty manager) whose rows come before their
    reports, so a simple importer can resolve managers in one pass. Names are multilingual, e-mails unique
    lowercase ascii. The pilot group is the commercial and marketing teams, as a program usually starts there.
    """
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    if n == 0:
        return []
    rng = random.Random(f"plaudit-roster-{seed}")
    teams, sizes = _teams(n, rng)
    homes = [_random_locale(rng) for _ in teams]
    members = _members(sizes)
    manager, top = _management_tree(teams, sizes, members)
    order = _breadth_first(manager, top, rng)
    rows = _rows(rng, teams, homes, members, manager, _external_ids(order, n))
    return [rows[i] for i in order]


def _teams(n: int, rng: random.Random) -> tuple[list[_Team], list[int]]:
    """The company's teams and their sizes: the core teams first, then a random few of the others.

    Sizes follow each team's typical size with some spread, at least one person each, adding up to `n`.
    """
    wanted = min(rng.randint(8, 15), max(1, n // 3))
    extra = list(_TEAMS[_CORE_TEAMS:])
    rng.shuffle(extra)
    teams = (list(_TEAMS[:_CORE_TEAMS]) + extra)[:wanted]
    weights = [t[2] * rng.lognormvariate(0.0, 0.3) for t in teams]
    return teams, allocate(n, weights, 1)


def _random_locale(rng: random.Random) -> str:
    """A locale in the proportions of the sample: about half Dutch, the rest Norwegian, German, British, Russian.

    Each team's home office is drawn like this, and so is the locale of someone working away from it.
    """
    return rng.choices(_LOCALES, cum_weights=_LOCALE_CUM)[0]


def _members(sizes: list[int]) -> list[list[int]]:
    """The internal indices of each team's people: people are created team by team, the lead first."""
    starts = accumulate(sizes, initial=0)
    return [list(range(start, start + size)) for start, size in zip(starts, sizes, strict=False)]


def _management_tree(
    teams: list[_Team], sizes: list[int], members: list[list[int]]
) -> tuple[list[int], int]:
    """Everyone's manager (an internal index, -1 for the top) and the top of the one tree.

    Team lead -> department head -> top, so team and department boards have a natural owner; big teams get
    nested groups of about eight so nobody has a hundred reports.
    """
    manager = [-1] * sum(sizes)
    heads, top = _department_heads(teams, sizes, members)
    for head in heads.values():
        if head != top:
            manager[head] = top
    for ti, team in enumerate(teams):
        lead = members[ti][0]
        head = heads[team[1]]
        if lead != head:
            manager[lead] = head
        _attach(members[ti][1:], lead, manager)
    return manager, top


def _department_heads(
    teams: list[_Team], sizes: list[int], members: list[list[int]]
) -> tuple[dict[str, int], int]:
    """Each department's head (the lead of its biggest team) and the top (the head of the biggest department)."""
    dept_teams: dict[str, list[int]] = {}
    for ti, t in enumerate(teams):
        dept_teams.setdefault(t[1], []).append(ti)
    heads: dict[str, int] = {}
    for dept, tis in dept_teams.items():
        biggest = max(tis, key=lambda ti: sizes[ti])
        heads[dept] = members[biggest][0]
    top_dept = max(dept_teams, key=lambda d: sum(sizes[ti] for ti in dept_teams[d]))
    return heads, heads[top_dept]


def _attach(group: list[int], boss: int, manager: list[int]) -> None:
    """Hang `group` under `boss`: directly when small, else as up to eight sub-groups with their own leads."""
    stack = [(group, boss)]
    while stack:
        grp, b = stack.pop()
        if len(grp) <= 10:
            for i in grp:
                manager[i] = b
            continue
        k = min(8, math.ceil(len(grp) / 9))
        step = math.ceil(len(grp) / k)
        for s in range(0, len(grp), step):
            chunk = grp[s : s + step]
            manager[chunk[0]] = b
            stack.append((chunk[1:], chunk[0]))


def _breadth_first(manager: list[int], top: int, rng: random.Random) -> list[int]:
    """Everyone in breadth-first order from the top, siblings shuffled: a manager's row precedes their reports'."""
    children: list[list[int]] = [[] for _ in manager]
    for i, m in enumerate(manager):
        if m >= 0:
            children[m].append(i)
    order = [top]
    for i in order:  # grows while iterating: a breadth-first walk
        kids = children[i]
        rng.shuffle(kids)
        order.extend(kids)
    return order


def _external_ids(order: list[int], n: int) -> list[str]:
    """Ids E0001, E0002, ... in row order (wider for big rosters), indexed by internal index."""
    width = max(4, len(str(n)))
    ext = [""] * n
    for pos, i in enumerate(order):
        ext[i] = f"E{pos + 1:0{width}d}"
    return ext


def _rows(
    rng: random.Random,
    teams: list[_Team],
    homes: list[str],
    members: list[list[int]],
    manager: list[int],
    ext: list[str],
) -> list[dict[str, str]]:
    """The roster rows, indexed by internal index: a name, a unique e-mail and the team's facts for everyone.

    A company without a commercial or marketing team still pilots somewhere: then its first team does.
    """
    used: dict[str, int] = {}
    rows: list[dict[str, str]] = []
    for ti, (team, dept, _, _) in enumerate(teams):
        for i in members[ti]:
            locale, given, family = _person(rng, homes[ti])
            rows.append(
                {
                    "external_id": ext[i],
                    "email": _unique_email(given, family, used),
                    "given_name": given,
                    "family_name": family,
                    "team": team,
                    "department": dept,
                    "manager_external_id": ext[manager[i]] if manager[i] >= 0 else "",
                    "locale": locale,
                    "pilot_group": "yes" if team in _PILOT_TEAMS else "no",
                }
            )
    if not any(r["pilot_group"] == "yes" for r in rows):
        for i in members[0]:
            rows[i]["pilot_group"] = "yes"
    return rows


def _person(rng: random.Random, home: str) -> tuple[str, str, str]:
    """A locale, given name and family name: most people share their team's home locale, some are from abroad.

    About one in eight people in the Dutch office come from elsewhere (the sample's Zoë, José, Łukasz).
    """
    locale = home if rng.random() < 0.55 else _random_locale(rng)
    female = rng.random() < 0.5
    international = locale == "nl-NL" and rng.random() < 0.12
    pool = _INTERNATIONAL if international else _NAMES[locale]
    given = rng.choice(pool[0] if female else pool[1])
    family = rng.choice(pool[2])
    if female and locale == "ru-RU":
        family = _russian_female(family)
    return locale, given, family


def _unique_email(given: str, family: str, used: dict[str, int]) -> str:
    """given.family@example.com in ascii; namesakes get a number (jan.jansen2@...), counted in `used`."""
    local = f"{_ascii_slug(given) or 'emp'}.{_ascii_slug(family) or 'emp'}"
    count = used.get(local, 0) + 1
    used[local] = count
    return f"{local}@example.com" if count == 1 else f"{local}{count}@example.com"
