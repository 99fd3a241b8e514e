"""Benchmark: the attack table of issue 16 replayed against the default program, and scoring's cost of integrity.

Over 30 days of November 2026, an honest employee shares 2 personalized posts, likes 3 and comments 1 a day.
Each attacker runs one attack of the table through intake and scoring as a tool's key would. Printed per
attack: what was sent, what intake refused or took as a duplicate, the points that count, what waits for HR
(held or late) and whether the attacker is flagged. The verdict: at most 1.1× the honest total, or caught
(flagged, held, late). Then the same demo stream is scored with rules.yaml as it is and without its
`integrity:` section, in the same run: events/s of both and the ratio.

    .venv/bin/python bench/fair_play.py [--events 200000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import clock  # noqa: E402
from engine.demo.events import the_first_events  # noqa: E402
from engine.demo.roster import generate_roster  # noqa: E402
from engine.people.roster import RosterRow, import_roster  # noqa: E402
from engine.rewards.awards import close_award  # noqa: E402
from engine.scoring.intake import accept_events, import_events  # noqa: E402
from engine.scoring.rulesets import load_rulebook, publish  # noqa: E402
from engine.scoring.score import process_pending  # noqa: E402
from engine.storage.database import Database, DatabaseConfig, open_database  # noqa: E402

DAYS = [date(2026, 11, 1) + timedelta(days=d) for d in range(30)]
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ROSTER = "external_id,email,given_name,family_name,team,visibility\n" + "".join(
    f"E{i},e{i}@acme.com,Person,{i},Sales,public\n" for i in range(1, 21)
)


def at(day: date, hour: int, minute: int = 0) -> str:
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00Z"


def ev(eid: str, etype: str, when: str, employee: str, **attributes: Any) -> dict[str, Any]:
    return {"source": "bench", "id": eid, "type": etype, "employee": employee, "occurred_at": when,
            "attributes": attributes}  # fmt: skip


def honest(who: str) -> Iterator[dict[str, Any]]:
    for d in DAYS:
        for n in range(2):
            yield ev(f"{who}-share-{d}-{n}", "share", at(d, 8 + n), who, content_id=f"{who}-{d}-{n}",
                     content_kind="curated", personalized=True)  # fmt: skip
        for n in range(3):
            yield ev(f"{who}-like-{d}-{n}", "reaction_given", at(d, 12, n), who, content_id=f"c{d}{n}",
                     reaction="like", owner="colleague")  # fmt: skip
        yield ev(f"{who}-comment-{d}", "reaction_given", at(d, 13), who, content_id=f"c{d}",
                 reaction="comment", owner="company")  # fmt: skip


def negative_count(who: str) -> Iterator[dict[str, Any]]:
    """Drain a colleague (E11) with −1,000 a day, and free one's own cap with −1,000 before +10."""
    for d in DAYS:
        yield ev(f"{who}-drain-{d}", "reaction_received", at(d, 9), "E11", content_id="p",
                 reaction="like", count=-1000)  # fmt: skip
        yield ev(f"{who}-free-{d}", "reaction_received", at(d, 9, 30), who, content_id="p",
                 reaction="like", count=-1000)  # fmt: skip
        yield ev(f"{who}-fill-{d}", "reaction_received", at(d, 10), who, content_id="p",
                 reaction="like", count=10)  # fmt: skip


def self_referral(who: str) -> Iterator[dict[str, Any]]:
    email = f"e{who[1:]}@acme.com"
    for n, spelled in enumerate([email, email.upper(), f" {email} "]):
        for stage in ("submitted", "interviewed", "hired"):
            yield ev(f"{who}-ref-{n}-{stage}", "referral", at(DAYS[5 + n], 9), who,
                     candidate_id=spelled, job_id="j1", stage=stage)  # fmt: skip


def future(who: str) -> Iterator[dict[str, Any]]:
    for n, when in enumerate(["2027-06-01T09:00:00Z", "9999-12-31T09:00:00Z"] * 10):
        yield ev(f"{who}-future-{n}", "share", when, who, content_id=f"f{n}", content_kind="owned",
                 personalized=True)  # fmt: skip


def backdated(who: str) -> Iterator[dict[str, Any]]:
    for n in range(1, 31):
        day = date(2026, 10, n)
        for k in range(4):
            yield ev(f"{who}-oct-{n}-{k}", "share", at(day, 8 + k), who, content_id=f"o{n}-{k}",
                     content_kind="owned", personalized=True)  # fmt: skip


def trivial_posts(who: str) -> Iterator[dict[str, Any]]:
    for d in DAYS:
        for n in range(100):
            yield ev(f"{who}-post-{d}-{n}", "share", at(d, 7 + n // 10, (n % 10) * 5), who,
                     content_id=f"{who}-{d}-{n}", content_kind="curated", personalized=True)  # fmt: skip


def rotating_visitors(who: str) -> Iterator[dict[str, Any]]:
    for d in DAYS:
        for n in range(1000):
            yield ev(f"{who}-click-{d}-{n}", "click", at(d, 6 + n // 60, n % 60), who,
                     content_id=f"{who}-own", visitor=f"{d}-{n}")  # fmt: skip


def resent_share(who: str) -> Iterator[dict[str, Any]]:
    for d in DAYS:
        for n in range(20):
            yield ev(f"{who}-again-{d}-{n}", "share", at(d, 9, n), who, content_id=f"{who}-{d}",
                     content_kind="curated", personalized=True, network="linkedin")  # fmt: skip


def tool_shoutouts(who: str) -> Iterator[dict[str, Any]]:
    for n, d in enumerate(DAYS):
        yield ev(f"{who}-self-{n}", "shoutout_received", at(d, 9), who, giver=f"e{who[1:]}@acme.com",
                 value="teamwork")  # fmt: skip
        yield ev(f"{who}-bogus-{n}", "shoutout_received", at(d, 10), who, giver="E1",
                 value="being-awesome")  # fmt: skip


def audience(who: str) -> Iterator[dict[str, Any]]:
    for n, size in enumerate([10**18, -5] * 15):
        yield ev(f"{who}-aud-{n}", "share", at(DAYS[n], 9), who, content_id=f"a{n}",
                 content_kind="curated", audience=size)  # fmt: skip


def shoutout_ring(who: str) -> Iterator[dict[str, Any]]:
    a, b, c = who, "E18", "E19"
    for n, d in enumerate(DAYS[::3]):
        for giver, receiver in ((a, b), (b, c), (c, a)):
            yield ev(f"ring-{n}-{giver}-{receiver}", "shoutout_received", at(d, 9), receiver,
                     giver=giver, value="teamwork")  # fmt: skip


ATTACKS: list[tuple[str, str, Callable[[str], Iterator[dict[str, Any]]]]] = [
    (
        "a negative count (−1,000) on a colleague's and one's own reactions, then +10",
        "E2",
        negative_count,
    ),
    ("self-referral: own email, upper case, padded", "E3", self_referral),
    ("events dated next year and 9999-12-31", "E4", future),
    ("events backdated into October after October's award closed", "E5", backdated),
    ("100 different trivial posts shared a day", "E6", trivial_posts),
    ("1,000 rotating visitor ids clicking one's own posts a day", "E7", rotating_visitors),
    ("the same share re-sent 20×/day under new ids", "E8", resent_share),
    ("tool-sent shoutouts: giver = recipient, an unknown value", "E9", tool_shoutouts),
    ("audience 1e18 or −5", "E10", audience),
    ("a shoutout ring A→B→C→A every 3 days", "E17", shoutout_ring),
]


def points(db: Database, who: str) -> int:
    rows = db.query(
        'SELECT COALESCE(SUM(l.points), 0) FROM "ledger_entry" l JOIN "employee" e ON e.id = l.employee '
        "WHERE e.external_id = ?",
        [who],
    )
    return int(rows[0][0])


def cases(db: Database, who: str) -> Counter[str]:
    rows = db.query(
        'SELECT r.kind, r.entries FROM "review_item" r JOIN "employee" e ON e.id = r.employee '
        "WHERE e.external_id = ?",
        [who],
    )
    return Counter(kind for kind, _ in rows)


def held_points(db: Database, who: str) -> int:
    rows = db.query(
        'SELECT r.entries FROM "review_item" r JOIN "employee" e ON e.id = r.employee '
        "WHERE e.external_id = ? AND r.kind = 'hold'",
        [who],
    )
    return sum(int(row[1]) for (raw,) in rows for row in msgspec.json.decode(raw))


def attack_table() -> bool:
    db = open_database(
        DatabaseConfig(url=f"sqlite:///{tempfile.mkdtemp(prefix='plaudit-fair-')}/f.sqlite")
    )
    publish(db, ROOT / "rules.yaml")
    book = load_rulebook(db)
    rules = book.current
    assert rules is not None
    import_roster(db, ROSTER)
    with clock.pinned(NOW - timedelta(days=40), ticking=True):
        # E5 shared once in October, in time: that share stays scored.
        in_time = ev(
            "E5-oct", "share", "2026-10-05T09:00:00Z", "E5", content_id="x", content_kind="curated"
        )
        accept_events(db, [in_time], rules)
        process_pending(db, book)
    with clock.pinned(NOW - timedelta(days=28), ticking=True):
        close_award(db, rules, rules.program.awards[0], "2026-10", None, "bench")
    sent: dict[str, Counter[str]] = {}
    with clock.pinned(NOW, ticking=True):
        for who, stream in [("E1", honest), *((w, s) for _, w, s in ATTACKS)]:
            events = list(stream(who))
            outcomes = []
            for i in range(0, len(events), 1000):
                outcomes += accept_events(db, events[i : i + 1000], rules)
            sent[who] = Counter(o.status for o in outcomes)
        process_pending(db, book)
    baseline = points(db, "E1")
    print(
        f"honest baseline (30 days): {baseline} points; flagged: {sum(cases(db, 'E1').values())} case(s)"
    )
    print()
    print("| attack | sent | refused / duplicate | points that count | waiting for HR | verdict |")
    print("|---|---|---|---|---|---|")
    ok = not cases(db, "E1")
    for label, who, _ in ATTACKS:
        got = points(db, who) - (
            10 if who == "E5" else 0
        )  # E5's one October share before the close
        found = cases(db, who)
        waiting = []
        if found["hold"]:
            waiting.append(f"{held_points(db, who)} pts held ({found['hold']} case(s))")
        if found["late"]:
            waiting.append(f"{found['late']} late event(s)")
        if found["flag"]:
            waiting.append(f"flagged ({found['flag']} case(s))")
        caught = bool(found)
        fine = got <= 1.1 * baseline or caught
        ok &= fine
        s = sent[who]
        total = sum(s.values())
        print(
            f"| {label} | {total} | {s['rejected']} / {s['duplicate']} | {got} ({got / baseline:.2f}×) | "
            f"{'; '.join(waiting) or '-'} | {'ok' if fine else 'NOT OK'} |"
        )
    print()
    return ok


def without_integrity(text: str) -> str:
    """rules.yaml with its `integrity:` section (and the comment block above it) left out, nothing else."""
    lines = text.splitlines(keepends=True)
    section = next(i for i, line in enumerate(lines) if line.startswith("integrity:"))
    start, end = section, section + 1
    while start > 0 and lines[start - 1].startswith("#"):
        start -= 1
    while end < len(lines) and not lines[end].startswith("#") and not lines[end][:1].isalpha():
        end += 1
    return "".join(lines[:start] + lines[end:])


def throughput(events: int) -> None:
    roster = generate_roster(2000, seed=5)
    stream = list(the_first_events(roster, events, datetime(2026, 11, 1, tzinfo=UTC), 28, 5))
    base = (ROOT / "rules.yaml").read_text()
    plain = without_integrity(base)
    assert "integrity:" not in plain and plain != base
    rates = {}
    for name, text in (("without integrity", plain), ("with integrity", base)):
        folder = Path(tempfile.mkdtemp(prefix="plaudit-fair-"))
        (folder / "rules.yaml").write_text(text)
        db = open_database(DatabaseConfig(url=f"sqlite:///{folder}/t.sqlite"))
        publish(db, folder / "rules.yaml")
        book = load_rulebook(db)
        import_roster(db, [RosterRow.from_record(r) for r in roster])
        with clock.pinned(NOW, ticking=True):
            import_events(db, enumerate(stream, 1), book.current)
            t0 = time.perf_counter()
            result = process_pending(db, book)
            rates[name] = result.events / (time.perf_counter() - t0)
        print(
            f"scoring {name}: {result.events} events, {rates[name]:,.0f} events/s, {result.held} held"
        )
    print(f"with / without: {rates['with integrity'] / rates['without integrity']:.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="events for the throughput run")
    args = parser.parse_args()
    ok = attack_table()
    throughput(args.events)
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if not ok:
        sys.exit("an attack earned more than 1.1× the honest baseline without being caught")


if __name__ == "__main__":
    main()
