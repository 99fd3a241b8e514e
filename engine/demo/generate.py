"""A seeded generator of a realistic employee-advocacy program: a roster and a stream of events.

Why it exists: `plaudit demo` needs a believable company and a month of activity so a newcomer sees populated
leaderboards, badges and KPIs at once, and the benchmarks need up to 100,000 employees and millions of events
that stress the engine the way a real program does (a few enthusiasts doing most of the work, bursts in office
hours, re-shares of the same post, retried and late deliveries).

Why it looks the way it does:
- Standard library only and nothing from the rest of the repo, so benchmarks and the demo can use it without
  pulling in the engine, and it can never drift with the code under test.
- Deterministic: every random draw comes from a `random.Random` seeded from the `seed` argument; no global random
  state, no clock. Same arguments, byte-identical output.
- Fast and streaming (the benchmarks need hundreds of thousands of events a second): events are produced one hour
  of simulated time at a time; per-employee weights are computed once and sampled with alias tables, small
  categorical choices with lookup tables, timestamps are integer epochs formatted from per-minute prefixes.
  Memory is bounded by the roster and by the events held back for late or duplicate delivery (a few days' worth
  of `late_rate`), never by the length of the stream.
"""

from __future__ import annotations

import heapq
import math
import random
import unicodedata
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate

__all__ = ["ROSTER_COLUMNS", "generate_events", "generate_roster"]

#: The columns of a roster CSV, in order (those of shared/data/roster-sample.csv).
ROSTER_COLUMNS: tuple[str, ...] = (
    "external_id",
    "email",
    "given_name",
    "family_name",
    "team",
    "department",
    "manager_external_id",
    "locale",
    "pilot_group",
)

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
_TEAMS: tuple[tuple[str, str, float, float], ...] = (
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
_TEAM_AFFINITY = {t[0]: t[3] for t in _TEAMS}

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


def _allocate(total: int, weights: list[float], minimum: int) -> list[int]:
    """Split `total` into integer parts proportional to `weights`, each at least `minimum` (largest remainder)."""
    parts = [minimum] * len(weights)
    rest = total - minimum * len(weights)
    wsum = sum(weights)
    shares = [rest * w / wsum for w in weights]
    for i, s in enumerate(shares):
        parts[i] += int(s)
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: shares[i] - int(shares[i]), reverse=True)
    for i in order[:left]:
        parts[i] += 1
    return parts


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

    # Teams and their sizes.
    wanted = min(rng.randint(8, 15), max(1, n // 3))
    extra = list(_TEAMS[_CORE_TEAMS:])
    rng.shuffle(extra)
    teams = list(_TEAMS[:_CORE_TEAMS]) + extra
    teams = teams[:wanted]
    weights = [t[2] * rng.lognormvariate(0.0, 0.3) for t in teams]
    sizes = _allocate(n, weights, 1)

    # Each team has a home office: most of its people share a locale, as in the sample.
    homes = [rng.choices(_LOCALES, cum_weights=_LOCALE_CUM)[0] for _ in teams]

    # Members (internal indices), people are created team by team.
    members: list[list[int]] = []
    team_of: list[int] = []
    for ti, size in enumerate(sizes):
        members.append(list(range(len(team_of), len(team_of) + size)))
        team_of.extend([ti] * size)

    # Management tree: team lead -> department head -> top; big teams get nested groups of about eight.
    manager: list[int] = [-1] * n
    dept_teams: dict[str, list[int]] = {}
    for ti, t in enumerate(teams):
        dept_teams.setdefault(t[1], []).append(ti)
    dept_head: dict[str, int] = {}
    for dept, tis in dept_teams.items():
        biggest = max(tis, key=lambda ti: sizes[ti])
        dept_head[dept] = members[biggest][0]
    top_dept = max(dept_teams, key=lambda d: sum(sizes[ti] for ti in dept_teams[d]))
    top = dept_head[top_dept]
    for head in dept_head.values():
        if head != top:
            manager[head] = top
    for ti, t in enumerate(teams):
        lead = members[ti][0]
        head = dept_head[t[1]]
        if lead != head:
            manager[lead] = head
        _attach(members[ti][1:], lead, manager, rng)

    # Ids in breadth-first order: a manager's row always precedes the rows of their reports.
    children: list[list[int]] = [[] for _ in range(n)]
    for i, m in enumerate(manager):
        if m >= 0:
            children[m].append(i)
    order = [top]
    for i in order:  # grows while iterating: a breadth-first walk
        kids = children[i]
        rng.shuffle(kids)
        order.extend(kids)
    width = max(4, len(str(n)))
    ext = [""] * n
    for pos, i in enumerate(order):
        ext[i] = f"E{pos + 1:0{width}d}"

    used: dict[str, int] = {}
    rows_by_internal: list[dict[str, str]] = [{} for _ in range(n)]
    for i in range(n):
        ti = team_of[i]
        team, dept = teams[ti][0], teams[ti][1]
        locale = (
            homes[ti] if rng.random() < 0.55 else rng.choices(_LOCALES, cum_weights=_LOCALE_CUM)[0]
        )
        female = rng.random() < 0.5
        international = locale == "nl-NL" and rng.random() < 0.12
        pool = _INTERNATIONAL if international else _NAMES[locale]
        given = rng.choice(pool[0] if female else pool[1])
        family = rng.choice(pool[2])
        if female and locale == "ru-RU":
            family = _russian_female(family)
        local = f"{_ascii_slug(given) or 'emp'}.{_ascii_slug(family) or 'emp'}"
        count = used.get(local, 0) + 1
        used[local] = count
        email = f"{local}@example.com" if count == 1 else f"{local}{count}@example.com"
        rows_by_internal[i] = {
            "external_id": ext[i],
            "email": email,
            "given_name": given,
            "family_name": family,
            "team": team,
            "department": dept,
            "manager_external_id": ext[manager[i]] if manager[i] >= 0 else "",
            "locale": locale,
            "pilot_group": "yes" if team in _PILOT_TEAMS else "no",
        }
    if not any(r["pilot_group"] == "yes" for r in rows_by_internal):
        # A tiny company without a commercial team still pilots somewhere: the biggest team.
        for i in members[0]:
            rows_by_internal[i]["pilot_group"] = "yes"
    return [rows_by_internal[i] for i in order]


def _attach(group: list[int], boss: int, manager: list[int], rng: random.Random) -> None:
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


# --------------------------------------------------------------------------------------------------------------
# Events.
# --------------------------------------------------------------------------------------------------------------

# Relative activity by local hour (Europe/Amsterdam), Monday-Friday and weekend: office hours, a lunch dip,
# a small evening scroll; weekends are quiet.
_WEEKDAY_HOURS = (
    0.02, 0.01, 0.01, 0.01, 0.01, 0.03, 0.10, 0.35, 0.80, 1.00, 0.95, 0.85,
    0.90, 0.85, 0.80, 0.75, 0.70, 0.55, 0.35, 0.30, 0.35, 0.30, 0.15, 0.06,
)  # fmt: skip
_WEEKEND_HOURS = (
    0.02, 0.01, 0.01, 0.01, 0.01, 0.01, 0.02, 0.04, 0.07, 0.09, 0.11, 0.11,
    0.10, 0.09, 0.09, 0.09, 0.09, 0.09, 0.09, 0.10, 0.11, 0.10, 0.06, 0.03,
)  # fmt: skip

# Event type codes. The first three follow a recent share (tested with one `<`), then by frequency.
_REACT_RECV, _CLICK, _LEAD, _SHARE, _REACT_GIVEN, _SHOUTOUT, _REFERRAL, _ONBOARDING = range(8)
_TYPE_CODES = (_REACT_RECV, _CLICK, _LEAD, _SHARE, _REACT_GIVEN, _SHOUTOUT, _REFERRAL)
_TYPE_WEIGHTS = (0.28, 0.25, 0.005, 0.22, 0.20, 0.02, 0.004)
_INTERVIEWED, _HIRED = 102, 103  # scheduled referral follow-ups
_ONBOARDING_PER_EMPLOYEE = 1.6  # trainings and profiles over a program's first weeks

_KINDS = ("curated", "owned", "promotional")
_KIND_CUM = (6, 9, 10)  # the 6-3-1 content mix
_NETWORKS = ("linkedin", "x", "facebook", "instagram")
_NETWORK_REACH = {"linkedin": 1.0, "x": 0.6, "facebook": 0.5, "instagram": 0.8}
_CAMPAIGNS = ("careers", "autumn-hiring", None)
_CAMPAIGN_CUM = tuple(accumulate((0.15, 0.10, 0.75)))
_VALUES = ("customer-first", "ownership", "teamwork", "curiosity")
_COURSES = (
    "advocacy-101",
    "linkedin-profile-basics",
    "personal-branding",
    "social-media-policy",
    "writing-in-your-own-voice",
)
_JOBS = tuple(f"job-{100 + j}" for j in range(1, 31))

_PERSONALIZED = 0.40  # share of posts with the employee's own words
_PERSONALIZED_LIFT = 1.64  # personalized posts get ~64% more engagement
_EMAIL_REF = 0.20  # tools often only know the e-mail address
_RESHARE = 0.10  # an employee shares the same post again
_RING = 4096  # recent shares that reactions, clicks and leads can follow
_SECONDS = tuple(f"{s:02d}+00:00" for s in range(60))
_DAY = 86400
_NEVER = 1 << 62
_LOGISTIC_SCALE = math.sqrt(3) / math.pi  # logistic with unit variance


def _last_sunday(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


_DST_CACHE: dict[int, tuple[int, int]] = {}


def _amsterdam_offset(epoch: int) -> int:
    """UTC offset of Europe/Amsterdam in seconds (EU rule: summer time from the last Sunday of March to the last
    Sunday of October, 01:00 UTC). Computed, not looked up, so the output does not depend on installed tzdata."""
    year = datetime.fromtimestamp(epoch, UTC).year
    bounds = _DST_CACHE.get(year)
    if bounds is None:
        begin = datetime.combine(_last_sunday(year, 3), datetime.min.time(), UTC)
        end = datetime.combine(_last_sunday(year, 10), datetime.min.time(), UTC)
        bounds = (int(begin.timestamp()) + 3600, int(end.timestamp()) + 3600)
        _DST_CACHE[year] = bounds
    return 7200 if bounds[0] <= epoch < bounds[1] else 3600


def _hour_prefix(epoch_hour: int) -> str:
    return datetime.fromtimestamp(epoch_hour, UTC).strftime("%Y-%m-%dT%H:")


def generate_events(
    roster: list[dict[str, str]],
    start: datetime,
    days: int,
    seed: int = 7,
    events_per_employee_per_day: float = 1.0,
    duplicate_rate: float = 0.01,
    late_rate: float = 0.02,
    source: str = "demo",
) -> Iterator[dict]:
    """Yield canonical events for `roster` over `days` days from `start`, as an advocacy tool would send them.

    Each event is ``{"source", "id", "type", "employee", "occurred_at", "attributes"}`` with the types and
    attribute fields of the default rules.yaml. Exactly ``round(len(roster) * days * events_per_employee_per_day)``
    distinct events are produced (ids unique for the source and seed), plus the re-sent copies.

    Why the stream looks like this: the engine's promises are tested against what real tools do. Activity is
    heavy-tailed (about 5% enthusiasts, a large majority of occasional sharers, about 30% who almost never act),
    follows office hours in Amsterdam, and re-shares the same posts (diminishing returns). About
    `duplicate_rate` of the events are sent again later with the same id (a retrying tool: exactly-once intake),
    and `late_rate` arrive a few hours to three days after their place in time (periods and per-employee order
    by `occurred_at`, not arrival). Everything else comes in `occurred_at` order. About 20% of events name the
    employee by e-mail, because many tools know nothing else.

    The argument checks run at call time; the events are produced lazily with memory bounded by the roster.
    """
    if not isinstance(start, datetime):
        raise TypeError("start must be a datetime")
    if not isinstance(days, int) or days < 0:
        raise ValueError(f"days must be a non-negative int, got {days!r}")
    if events_per_employee_per_day < 0:
        raise ValueError("events_per_employee_per_day must be >= 0")
    if not (0 <= duplicate_rate < 1 and 0 <= late_rate < 1 and duplicate_rate + late_rate < 1):
        raise ValueError("duplicate_rate and late_rate must be in [0, 1) and sum below 1")
    for row in roster:
        if not row.get("external_id"):
            raise ValueError("every roster row needs an external_id")
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    total = round(len(roster) * days * events_per_employee_per_day)
    return _events(
        roster, int(start.timestamp()), days, seed, total, duplicate_rate, late_rate, source
    )


def _table(values: tuple, weights: tuple[float, ...], size: int = 100) -> tuple:
    """A lookup table of `size` entries in proportion to `weights`: one index per draw, no bisection."""
    counts = _allocate(size, list(weights), 0)
    return tuple(v for v, c in zip(values, counts, strict=True) for _ in range(c))


_NETWORK_TABLE = _table(_NETWORKS, (0.62, 0.16, 0.12, 0.10))
_REACH_TABLE = tuple(_NETWORK_REACH[net] for net in _NETWORK_TABLE)
_VALUE_TABLE = _table(_VALUES, (0.25, 0.22, 0.38, 0.15))
_TYPE_TABLES: dict[int, tuple[int, ...]] = {}


def _type_table(onboarding_percent: int) -> tuple[int, ...]:
    """1000 event-type codes for an hour where `onboarding_percent` of events are trainings/profiles."""
    table = _TYPE_TABLES.get(onboarding_percent)
    if table is None:
        share = onboarding_percent / 100
        weights = (*(w * (1 - share) / sum(_TYPE_WEIGHTS) for w in _TYPE_WEIGHTS), share)
        table = _TYPE_TABLES[onboarding_percent] = _table(
            (*_TYPE_CODES, _ONBOARDING), weights, 1000
        )
    return table


def _alias(weights: list[float]) -> tuple[array, array]:
    """Walker/Vose alias tables: one uniform draw picks an employee in O(1) by weight.

    Why not bisect on cumulative weights: with 100,000 employees a bisection chases pointers through a list
    of 100,000 floats and costs more than the rest of an event; the alias lookup reads two flat arrays.
    """
    n = len(weights)
    total = sum(weights)
    scaled = [w * n / total for w in weights]
    prob = array("d", [1.0]) * n
    alias = array("l", range(n))
    small = [i for i, p in enumerate(scaled) if p < 1.0]
    large = [i for i, p in enumerate(scaled) if p >= 1.0]
    while small and large:
        lo = small.pop()
        hi = large.pop()
        prob[lo] = scaled[lo]
        alias[lo] = hi
        scaled[hi] += scaled[lo] - 1.0
        (small if scaled[hi] < 1.0 else large).append(hi)
    return prob, alias


def _events(
    roster: list[dict[str, str]],
    start_epoch: int,
    days: int,
    seed: int,
    total: int,
    duplicate_rate: float,
    late_rate: float,
    source: str,
) -> Iterator[dict]:
    n = len(roster)
    if n == 0 or total == 0:
        return
    rng = random.Random(f"plaudit-events-{seed}")
    rand = rng.random
    getrandbits = rng.getrandbits
    log = math.log
    exp = math.exp

    def gauss() -> float:
        """About a standard normal (logistic quantile, slightly heavier tails), at a third of the cost."""
        u = rand() + 1e-12
        return _LOGISTIC_SCALE * log(u / (1.0 - u + 1e-12))

    hours = days * 24
    end_epoch = start_epoch + hours * 3600

    # ---- employees: who they are, how active they are -------------------------------------------------------
    ids = [r["external_id"] for r in roster]
    emails = [r.get("email") or r["external_id"] for r in roster]
    index_of = {e: i for i, e in enumerate(ids)}
    manager_idx = [index_of.get(r.get("manager_external_id") or "", -1) for r in roster]
    del index_of
    affinity = _TEAM_AFFINITY
    activity: list[float] = []
    for r in roster:
        u = rand()
        if u < 0.30:  # skeptics: almost never act
            w = 0.01 * exp(0.5 * gauss())
        elif u < 0.95:  # the majority: now and then
            w = exp(0.8 * gauss())
        else:  # enthusiasts: a large share of everything
            w = 6.0 * rng.paretovariate(1.8)
        w *= affinity.get(r.get("team", ""), 1.0)
        if r.get("pilot_group") == "yes":
            w *= 1.3
        activity.append(w)
    act_prob, act_alias = _alias(activity)
    recv_cum = list(accumulate(0.05 + w**0.3 for w in activity))  # recognition reaches most people
    recv_tot = recv_cum[-1]
    del activity
    mu = math.log(350)
    audience = [exp(mu + 1.1 * gauss()) + 20.0 for _ in range(n)]  # followers: lognormal
    last_share = [-1] * n
    done = [0] * n  # onboarding steps done, as bits: courses, then profile networks
    hi_emp = n - 1

    # ---- the clock: weight of each hour of the window -------------------------------------------------------
    slot_weights = []
    for d in range(days):
        factor = rng.lognormvariate(0.0, 0.25)  # some days are busier than others
        for h in range(24):
            epoch = start_epoch + (d * 24 + h) * 3600
            local_dt = datetime.fromtimestamp(epoch + _amsterdam_offset(epoch), UTC)
            table = _WEEKEND_HOURS if local_dt.weekday() >= 5 else _WEEKDAY_HOURS
            slot_weights.append(table[local_dt.hour] * factor)
    slot_range = range(hours)

    # Onboarding (trainings, profiles) happens mostly in the first days; the rest is everyday activity.
    onb_weights = [w * (exp(-(s // 24) / 1.5) + 0.03) for s, w in enumerate(slot_weights)]
    onb_total = min(int(n * _ONBOARDING_PER_EMPLOYEE), total // 4)
    onb_counts = _allocate(onb_total, onb_weights, 0)
    counts = [
        c + o
        for c, o in zip(_allocate(total - onb_total, slot_weights, 0), onb_counts, strict=True)
    ]
    del onb_weights

    # ---- content: the pool of company posts ----------------------------------------------------------------
    n_posts = 30 + int(days * 7)
    pre = 30  # already published before the window opens
    post_time = [start_epoch - int(rand() * 14 * _DAY) for _ in range(pre)]
    post_slots = rng.choices(slot_range, weights=slot_weights, k=n_posts - pre)
    post_time += [start_epoch + s * 3600 + int(rand() * 3600) for s in post_slots]
    post_time.sort()
    post_pop = [rng.paretovariate(1.2) for _ in range(n_posts)]  # a few posts go viral internally
    post_id = [f"post-{j + 1:04d}" for j in range(n_posts)]
    post_kind = [rng.choices(_KINDS, cum_weights=_KIND_CUM)[0] for _ in range(n_posts)]
    post_campaign = [rng.choices(_CAMPAIGNS, cum_weights=_CAMPAIGN_CUM)[0] for _ in range(n_posts)]
    posts = list(zip(post_id, post_kind, post_campaign, strict=True))
    post_lo = 0
    post_hi = 0

    # ---- recent shares (ring buffer) that reactions, clicks and leads follow ------------------------------
    # Seeded with shares made before the window, so the first reactions have something to follow.
    # An entry is (how the tool names the sharer, content id): the tool that reports a share's reactions and
    # clicks names the employee the same way. Personalized shares are entered ~1.64 times (64% more engagement).
    ring_size = _RING
    ring_mask = _RING - 1  # a power of two
    ring = []
    for _ in range(ring_size):
        i = act_alias[int(rand() * n)]
        ring.append((emails[i] if rand() < _EMAIL_REF else ids[i], post_id[int(rand() * pre)]))
    shares = ring_size
    extra_entry = _PERSONALIZED_LIFT - 1
    # (reaction, count, from a colleague): likes >> comments >> reshares, counts with a long tail.
    reactions = []
    for _ in range(1024):
        x = rand()
        if x < 0.82:
            reaction, count = "like", 1 + int(-4.0 * log(1.0 - rand()))
        elif x < 0.96:
            reaction, count = "comment", 1 + int(-0.67 * log(1.0 - rand()))
        else:
            reaction, count = "reshare", 1
        reactions.append((reaction, count, rand() < 0.25))
    visitors = [getrandbits(64).to_bytes(8).hex() for _ in range(2000 + n // 10)]
    n_visitors = len(visitors)

    # ---- output state --------------------------------------------------------------------------------------
    id_prefix = f"{source}-{seed}-"
    seq = 0
    cand_seq = 0
    lead_seq = 0
    # referral follow-ups: (t, tiebreak, code, employee, candidate, job)
    followups: list[tuple[int, int, int, int, str, str]] = []
    # events waiting for their delivery time (follow-ups, late, retried): (deliver at, tiebreak, event)
    held: list[tuple[int, int, dict]] = []
    tiebreak = 0
    late_cut = late_rate
    dup_cut = late_rate + duplicate_rate
    heappush = heapq.heappush
    heappop = heapq.heappop
    log_keep = log(1.0 - dup_cut) if dup_cut > 0 else -1.0
    countdown = 1 + int(log(1.0 - rand()) / log_keep) if dup_cut > 0 else -1
    hour_prefixes: dict[int, str] = {}
    seconds = _SECONDS
    # (network, reach factor with some jitter): followers reached differ by network and from share to share.
    network_reach = [
        (net, reach * (0.7 + 0.6 * rand()))
        for net, reach in zip(_NETWORK_TABLE * 10, _REACH_TABLE * 10, strict=True)
    ]
    value_table = _VALUE_TABLE
    courses = _COURSES
    n_courses = len(courses)
    networks = _NETWORKS
    jobs = _JOBS
    n_jobs = len(jobs)
    email_ref = _EMAIL_REF
    personalized_p = _PERSONALIZED
    reshare_p = _RESHARE
    share_code, recv_code, given_code, shout_code, lead_code, onb_code = (
        _SHARE, _REACT_RECV, _REACT_GIVEN, _SHOUTOUT, _LEAD, _ONBOARDING
    )  # fmt: skip
    visitor_new = 1 - 0.25  # a quarter of clicks come from returning visitors
    visitor_scale = n_visitors / 0.25
    one_person = n == 1

    for slot in slot_range:
        slot_start = start_epoch + slot * 3600
        slot_end = slot_start + 3600

        # Posts live for about three weeks; fresh ones are shared most (half-life two days).
        while post_hi < n_posts and post_time[post_hi] <= slot_start:
            post_hi += 1
        while post_lo < post_hi - 1 and post_time[post_lo] < slot_start - 21 * _DAY:
            post_lo += 1
        post_cum = list(
            accumulate(
                post_pop[j] * (0.5 ** ((slot_start - post_time[j]) / (2 * _DAY)) + 0.02)
                for j in range(post_lo, post_hi)
            )
        )
        post_tot = post_cum[-1]
        post_top = len(post_cum) - 1

        # Minute prefixes "YYYY-MM-DDTHH:MM:" for this hour (the slot may start mid-minute).
        m0 = slot_start // 60
        minutes = []
        for m in range(m0, (slot_end - 1) // 60 + 1):
            hour = m // 60 * 3600
            hp = hour_prefixes.get(hour)
            if hp is None:
                if len(hour_prefixes) > 4:
                    hour_prefixes.clear()
                hp = hour_prefixes[hour] = _hour_prefix(hour)
            minutes.append(f"{hp}{m % 60:02d}:")

        # Referral follow-ups due this hour (interviews, hires) wait in `held` for their time.
        n_follow = 0
        while followups and followups[0][0] < slot_end:
            t, _, code, i, cand, job = heappop(followups)
            n_follow += 1
            seq += 1
            stage = "hired"
            if code == _INTERVIEWED:
                stage = "interviewed"
                if rand() < 0.35:
                    due = t + (7 + int(rand() * 18)) * _DAY
                    if due < end_epoch:
                        tiebreak += 1
                        heappush(followups, (due, tiebreak, _HIRED, i, cand, job))
            event = {
                "source": source,
                "id": f"{id_prefix}{seq}",
                "type": "referral",
                "employee": emails[i] if rand() < email_ref else ids[i],
                "occurred_at": minutes[t // 60 - m0] + seconds[t % 60],
                "attributes": {"candidate_id": cand, "job_id": job, "stage": stage},
            }
            tiebreak += 1
            heappush(held, (t, tiebreak, event))

        k = counts[slot] - n_follow
        if k < 0:
            k = 0
        type_table = _type_table(round(100 * onb_counts[slot] / counts[slot]) if k else 0)
        next_due = held[0][0] if held else _NEVER
        # One uniform per event: its integer part (x 3600) is the second, its fraction picks the type.
        draws = [rand() for _ in range(k)]
        draws.sort()

        for v in draws:
            v *= 3600.0
            s = int(v)
            code = type_table[int((v - s) * 1000.0)]
            t = slot_start + s
            if t >= next_due:  # deliver what was held back until now
                while held and held[0][0] <= t:
                    yield heappop(held)[2]
                next_due = held[0][0] if held else _NEVER
            seq += 1
            if code < lead_code:  # follows a recent share, favouring the latest ones
                ref, cid = ring[(shares - 1 - int(ring_size * rand() * rand())) & ring_mask]
                if code == recv_code:
                    reaction, count, colleague = reactions[int(rand() * 1024.0)]
                    attrs = {
                        "content_id": cid,
                        "reaction": reaction,
                        "count": count,
                        "from_colleague": colleague,
                    }
                    etype = "reaction_received"
                else:
                    x = rand()
                    attrs = {
                        "content_id": cid,
                        "visitor": getrandbits(64).to_bytes(8).hex()
                        if x < visitor_new
                        else visitors[int((x - visitor_new) * visitor_scale)],
                        "suspected_bot": rand() < 0.03,
                    }
                    etype = "click"
            elif code == share_code:
                u = rand() * n
                i = int(u)
                if u - i >= act_prob[i]:
                    i = act_alias[i]
                j = last_share[i]
                if j < post_lo or rand() >= reshare_p:
                    j = post_lo + bisect_right(post_cum, rand() * post_tot, 0, post_top)
                    last_share[i] = j
                cid, kind, campaign = posts[j]
                network, reach = network_reach[int(rand() * 1000.0)]
                ref = emails[i] if rand() < email_ref else ids[i]
                entry = (ref, cid)
                ring[shares & ring_mask] = entry
                shares += 1
                if rand() < personalized_p:
                    personalized = True
                    if rand() < extra_entry:
                        ring[shares & ring_mask] = entry
                        shares += 1
                else:
                    personalized = False
                attrs = {
                    "content_id": cid,
                    "content_kind": kind,
                    "personalized": personalized,
                    "network": network,
                    "audience": int(audience[i] * reach),
                }
                if campaign is not None:
                    attrs["campaign"] = campaign
                etype = "share"
            elif code == given_code:
                u = rand() * n
                i = int(u)
                f = u - i
                if (
                    f >= act_prob[i] and f < 0.9
                ):  # ~1 in 10 picks is uniform: lighter forms spread wider
                    i = act_alias[i]
                ref = emails[i] if rand() < email_ref else ids[i]
                x = rand()
                if x < 0.55:
                    owner = "company"
                    cid = post_id[post_lo + bisect_right(post_cum, rand() * post_tot, 0, post_top)]
                elif x < 0.9:
                    owner = "colleague"
                    cid = ring[(shares - 1 - int(ring_size * rand())) & ring_mask][1]
                else:
                    owner = "other"
                    cid = f"ext-{getrandbits(32):08x}"
                attrs = {
                    "content_id": cid,
                    "reaction": "like" if rand() < 0.8 else "comment",
                    "owner": owner,
                }
                etype = "reaction_given"
            elif code == lead_code:
                ref, cid = ring[(shares - 1 - int(ring_size * rand() * rand())) & ring_mask]
                lead_seq += 1
                attrs = {
                    "lead_id": f"lead-{lead_seq:06d}",
                    "content_id": cid,
                    "qualified": rand() < 0.3,
                }
                etype = "lead"
            elif code == onb_code:
                # Trainings and profiles: engaged people first, but HR gets most people to do some.
                u = rand() * n
                i = int(u)
                if rand() < 0.6 and u - i >= act_prob[i]:
                    i = act_alias[i]
                ref = emails[i] if rand() < email_ref else ids[i]
                bits = done[i]
                if rand() < 0.3 and bits & 0x1E0 != 0x1E0:  # profile: LinkedIn first
                    b = 5
                    while bits & (1 << b):
                        b += 1
                    etype = "profile_completed"
                    attrs = {"network": networks[b - 5]}
                else:
                    c = int(rand() * n_courses)
                    for _ in range(n_courses):
                        if not bits & (1 << c):
                            break
                        c = (c + 1) % n_courses
                    b = c  # all done: a re-take of a course
                    etype = "training_completed"
                    attrs = {"course_id": courses[c]}
                done[i] = bits | (1 << b)
            elif code == shout_code and not one_person:
                i = bisect_right(recv_cum, rand() * recv_tot, 0, hi_emp)
                ref = emails[i] if rand() < email_ref else ids[i]
                g = manager_idx[i]
                if g < 0 or rand() >= 0.3:  # often the manager, otherwise an active colleague
                    u = rand() * n
                    g = int(u)
                    if u - g >= act_prob[g]:
                        g = act_alias[g]
                    if g == i:
                        g = (i + 1 + int(rand() * (n - 1))) % n
                attrs = {"giver": ids[g], "value": value_table[int(rand() * 100)]}
                etype = "shoutout_received"
            else:  # a referral is submitted; some candidates are interviewed later, a few hired
                u = rand() * n
                i = int(u)
                if u - i >= act_prob[i]:
                    i = act_alias[i]
                ref = emails[i] if rand() < email_ref else ids[i]
                cand_seq += 1
                cand = f"cand-{cand_seq:06d}"
                job = jobs[int(rand() * n_jobs)]
                attrs = {"candidate_id": cand, "job_id": job, "stage": "submitted"}
                etype = "referral"
                if rand() < 0.45:
                    due = t + (2 + int(rand() * 10)) * _DAY + int(rand() * 4 * 3600) - 7200
                    if due < end_epoch:
                        tiebreak += 1
                        heappush(followups, (due, tiebreak, _INTERVIEWED, i, cand, job))
            event = {
                "source": source,
                "id": f"{id_prefix}{seq}",
                "type": etype,
                "employee": ref,
                "occurred_at": minutes[t // 60 - m0] + seconds[t % 60],
                "attributes": attrs,
            }
            # Delivery: some events are held back (late), some are sent again later (a retrying tool).
            # A geometric countdown picks them: one draw per special event, not one per event.
            countdown -= 1
            if countdown == 0:
                countdown = 1 + int(log(1.0 - rand()) / log_keep)
                tiebreak += 1
                if rand() * dup_cut < late_cut:
                    heappush(held, (t + 7200 + int(rand() * rand() * 252000), tiebreak, event))
                    next_due = held[0][0]
                    continue
                copy = {**event, "attributes": {**event["attributes"]}}
                heappush(held, (t + 5 + int(rand() ** 3 * 43200), tiebreak, copy))
                next_due = held[0][0]
            yield event

    while held:
        yield heappop(held)[2]
