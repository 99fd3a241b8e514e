"""Erasing an employee (GDPR): their personal data goes, their points stay.

Why pseudonymize instead of delete: the ledger, standings, badges and awards are other people's history too (a
team's total, a month's ranking, an award someone else lost by a point). So the person row stays under a
pseudonym and every total stays consistent, while what identifies them is removed:

* name, email, external id, manager and locale: replaced by ``erased-<id>`` or emptied;
* the events' employee reference (the tool's email or id for them): the pseudonym;
* shoutout messages they wrote: replaced (a message is theirs to take back);
* their badge assertions: revoked (an Open Badges assertion is a statement about a person, hashed email and
  all);
* reward messages about them (outbox): emptied; the ones not sent yet are cancelled.

The employee is also deactivated (from now: their earlier points stay theirs, a replay included) and
hidden: they stop earning and leave every public board.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine import clock
from engine.errors import PlauditError
from engine.people.directory import set_active
from engine.storage.database import Database

__all__ = ["ERASED_MESSAGE", "ErasureError", "ErasureResult", "erase_employee"]

ERASED_MESSAGE = "(removed at the author's request)"


class ErasureError(PlauditError):
    """No such employee."""


@dataclass(frozen=True)
class ErasureResult:
    employee_id: int
    pseudonym: str
    events: int
    shoutouts: int
    badges: int
    #: Outbox messages about them, emptied (and cancelled if not sent yet).
    messages: int = 0


def erase_employee(db: Database, ref: str) -> ErasureResult:
    """Pseudonymize the employee named by external id or email, in one transaction; idempotent."""
    with db.transaction():
        found = db.query(
            'SELECT id, external_id, email FROM "employee" WHERE external_id = ? OR email = ?',
            (ref, ref.strip().lower()),
        )
        if not found:
            raise ErasureError("", f"no employee {ref!r}", "not_found")
        employee_id, external_id, email = found[0]
        pseudonym = f"erased-{employee_id}"
        refs = [r for r in (external_id, email) if r and r != pseudonym]
        events = (
            db.execute_in(
                'UPDATE "event" SET employee_ref = ? WHERE employee_ref IN ({in})',
                refs,
                [pseudonym],
            )
            if refs
            else 0
        )
        set_active(db, [employee_id], False, clock.now())
        db.execute(
            'UPDATE "employee" SET external_id = ?, email = NULL, name = ?, manager_external_id = NULL, '
            "locale = '', visibility = 'hidden', user_name = NULL, scim_external_id = NULL, "
            "given_name = '', family_name = '' WHERE id = ?",
            (pseudonym, "Erased employee", employee_id),
        )
        shoutouts = db.execute(
            'UPDATE "shoutout" SET message = ? WHERE giver = ? AND message <> ?',
            (ERASED_MESSAGE, employee_id, ERASED_MESSAGE),
        ).rowcount
        # Messages for HR systems carry the name and email: kept as a record that they were sent, but emptied;
        # those not sent yet are cancelled (they could only send what is now erased).
        outbox = db.execute(
            "UPDATE \"outbox_message\" SET payload = ?, status = CASE WHEN status = 'delivered' "
            "THEN status ELSE 'cancelled' END, last_error = CASE WHEN status = 'delivered' THEN last_error "
            "ELSE ? END WHERE employee = ?",
            ('{"erased": true}', "cancelled: the employee's data was erased", employee_id),
        ).rowcount
        badges = db.execute(
            'UPDATE "badge_award" SET revoked = ?, revocation_reason = ? '
            "WHERE employee = ? AND revoked = ?",
            (True, "the recipient's data was erased", employee_id, False),
        ).rowcount
    return ErasureResult(
        employee_id, pseudonym, events, max(shoutouts, 0), max(badges, 0), max(outbox, 0)
    )
