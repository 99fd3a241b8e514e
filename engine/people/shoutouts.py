"""Shoutouts: peer recognition with a company value, a monthly allowance per giver, and points for recipients.

A shoutout is stored and, in the same transaction, one event per recipient enters the inbox (type from
``shoutouts.event`` in rules.yaml), so recipients earn points through the rules like any other activity
(caps included) and the ledger explains them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec

from engine import clock
from engine.errors import PlauditError
from engine.storage.database import Database
from rules import CompiledRules, ShoutoutSpec

__all__ = [
    "SHOUTOUT_SOURCE",
    "Allowance",
    "ShoutoutError",
    "ShoutoutView",
    "allowance",
    "feed",
    "give_shoutout",
]

#: The inbox source of the events shoutouts create.
SHOUTOUT_SOURCE = "plaudit-shoutouts"


class ShoutoutError(PlauditError):
    """A shoutout that cannot be given; ``kind`` is ``invalid``, ``forbidden`` or ``allowance``."""


@dataclass(frozen=True)
class Allowance:
    period: str
    used: int
    max: int

    @property
    def left(self) -> int:
        return max(self.max - self.used, 0)


@dataclass(frozen=True)
class ShoutoutView:
    id: int
    giver: str
    giver_name: str
    recipients: list[dict[str, str]]
    value: str
    message: str
    created_at: datetime


def _spec(rules: CompiledRules) -> ShoutoutSpec:
    spec = rules.shoutouts
    if spec is None:
        raise ShoutoutError(
            "shoutouts",
            "shoutouts are not part of this program (no shoutouts: in rules.yaml)",
            "forbidden",
        )
    return spec


def _period(rules: CompiledRules, at: datetime) -> str:
    return rules.periods(at).of(_spec(rules).allowance_per)


def allowance(
    db: Database, rules: CompiledRules, giver_id: int, at: datetime | None = None
) -> Allowance:
    period = _period(rules, at or clock.now())
    used = db.query(
        'SELECT COUNT(*) FROM "shoutout" WHERE giver = ? AND period = ?', [giver_id, period]
    )[0][0]
    return Allowance(period, used, _spec(rules).allowance_max)


def give_shoutout(
    db: Database,
    rules: CompiledRules,
    giver: str,
    recipients: list[str],
    value: str,
    message: str,
    at: datetime | None = None,
) -> ShoutoutView:
    """Check everything, then store the shoutout and its recipients' events in one transaction."""
    spec = _spec(rules)
    at = (at or clock.now()).astimezone(UTC)
    message = message.strip()
    if value not in {v.id for v in spec.values}:
        raise ShoutoutError(
            "value",
            f"{value!r} is not a company value; expected one of {', '.join(v.id for v in spec.values)}",
        )
    if not message:
        raise ShoutoutError("message", "say what they did")
    if len(message) > spec.max_message:
        raise ShoutoutError("message", f"at most {spec.max_message} characters, got {len(message)}")
    if not recipients:
        raise ShoutoutError("recipients", "name at least one colleague")
    if len(recipients) > spec.max_recipients:
        raise ShoutoutError(
            "recipients", f"at most {spec.max_recipients} recipients, got {len(recipients)}"
        )
    if len(set(recipients)) != len(recipients):
        raise ShoutoutError("recipients", "a colleague is named twice")
    with db.transaction():
        # Named by external id or by email, as the form and the API say.
        people = {
            ref: (eid, ext, name, bool(active))
            for column in ("external_id", "email")
            for eid, ext, email, name, active in db.query_in(
                f'SELECT id, external_id, email, name, active FROM "employee" WHERE {column} IN ({{in}})',
                [giver, *recipients],
            )
            for ref in (ext, email)
        }
        if giver not in people or not people[giver][3]:
            raise ShoutoutError("giver", f"{giver!r} is not an active employee", "forbidden")
        giver_id, giver_ext, giver_name, _ = people[giver]
        for i, ref in enumerate(recipients):
            if ref not in people or not people[ref][3]:
                raise ShoutoutError(f"recipients[{i}]", f"{ref!r} is not an active employee")
            if people[ref][0] == giver_id:
                raise ShoutoutError(
                    f"recipients[{i}]", "a shoutout is for someone else, not yourself"
                )
        left = allowance(db, rules, giver_id, at)
        if left.left <= 0:
            raise ShoutoutError(
                "giver",
                f"all {left.max} shoutouts of {left.period} are given; more next {spec.allowance_per}",
                "allowance",
            )
        db.execute(
            'INSERT INTO "shoutout" (giver, value, message, period, created_at) VALUES (?, ?, ?, ?, ?)',
            [giver_id, value, message, left.period, db.ts(at)],
        )
        shoutout_id = db.query('SELECT MAX(id) FROM "shoutout" WHERE giver = ?', [giver_id])[0][0]
        db.executemany(
            'INSERT INTO "shoutout_recipient" (shoutout, employee) VALUES (?, ?)',
            [(shoutout_id, people[r][0]) for r in recipients],
        )
        attributes = msgspec.json.encode({"giver": giver_ext, "value": value}).decode()
        db.executemany(
            'INSERT INTO "event" (source, external_id, type, employee_ref, occurred_at, received_at, attributes, status) '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    SHOUTOUT_SOURCE,
                    f"{shoutout_id}:{people[r][1]}",
                    spec.event,
                    people[r][1],
                    db.ts(at),
                    db.ts(at),
                    attributes,
                    "pending",
                )
                for r in recipients
            ],
        )
    return ShoutoutView(
        shoutout_id,
        giver_ext,
        giver_name,
        [{"employee": people[r][1], "name": people[r][2]} for r in recipients],
        value,
        message,
        at,
    )


def feed(
    db: Database, team: str | None = None, before: int | None = None, limit: int = 20
) -> list[ShoutoutView]:
    """Newest first; ``before`` is the cursor (the id of the last shoutout already shown).

    Recognitions from the company (no giver) show the company as the giver, with an empty ``giver`` id.
    """
    where = ["1 = 1"]
    params: list[object] = []
    if before is not None:
        where.append("s.id < ?")
        params.append(before)
    if team is not None:
        where.append(
            '(g.team = ? OR EXISTS (SELECT 1 FROM "shoutout_recipient" r JOIN "employee" e ON e.id = r.employee '
            "WHERE r.shoutout = s.id AND e.team = ?))"
        )
        params += [team, team]
    # A shoutout without a giver is the company's (an award's winner): named by the program as it was at close.
    company = (
        'SELECT c.company FROM "award_result" a JOIN "award_closing" c ON c.id = a.closing '
        "WHERE a.shoutout = s.id LIMIT 1"
    )
    rows = db.query(
        "SELECT s.id, COALESCE(g.external_id, ''), "
        f"COALESCE(g.name, ({company}), ''), s.value, s.message, s.created_at FROM \"shoutout\" s "
        f'LEFT JOIN "employee" g ON g.id = s.giver WHERE {" AND ".join(where)} ORDER BY s.id DESC LIMIT ?',
        [*params, limit],
    )
    recipients: dict[int, list[dict[str, str]]] = {}
    if rows:
        for sid, ext, name in db.query_in(
            'SELECT r.shoutout, e.external_id, e.name FROM "shoutout_recipient" r JOIN "employee" e ON e.id = r.employee '
            "WHERE r.shoutout IN ({in}) ORDER BY r.id",
            [r[0] for r in rows],
        ):
            recipients.setdefault(sid, []).append({"employee": ext, "name": name})
    return [
        ShoutoutView(sid, ext, name, recipients.get(sid, []), value, message, db.read_ts(created))
        for sid, ext, name, value, message, created in rows
    ]
