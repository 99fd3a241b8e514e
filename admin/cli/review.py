"""``plaudit review``: the cases HR decides on (late events for closed months, integrity signals)."""

from __future__ import annotations

import getpass

import click

from admin.cli._common import console, ensure_rulebook, fail, open_db
from engine.errors import PlauditError
from engine.scoring.review import STATUSES, ReviewLine, decide, review_items

__all__ = ["review"]


@click.group()
def review() -> None:
    """Late events and integrity signals waiting for HR: list them, approve or reject them."""


def _show(line: ReviewLine) -> None:
    points = f"\t{line.points} point(s) held" if line.kind == "hold" else ""
    decided = f"\t{line.status} by {line.decided_by}" if line.decided_by else f"\t{line.status}"
    console.print(
        f"{line.id}\t{line.kind}\t{line.employee} ({line.name})\t{line.reason}{points}{decided}\t"
        f"events {', '.join(map(str, line.evidence[:10]))}"
        + (" …" if len(line.evidence) > 10 else ""),
        markup=False,
    )


@review.command("list")
@click.option(
    "--status",
    type=click.Choice([*STATUSES, "all"]),
    default="open",
    show_default=True,
)
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@click.pass_context
def list_command(ctx: click.Context, status: str, limit: int) -> None:
    """Oldest first: the case, who, why, the points held and the events that make it."""
    lines = review_items(open_db(ctx), None if status == "all" else status, limit)
    if not lines:
        console.print("nothing to review")
    for line in lines:
        _show(line)


def _decide(ctx: click.Context, item_id: int, approve: bool, note: str, actor: str | None) -> None:
    db = open_db(ctx)
    who = actor or f"cli:{getpass.getuser()}"
    try:
        decided = decide(db, ensure_rulebook(db), item_id, approve, who, note)
    except PlauditError as error:
        fail(f"{error.field}: {error.message}")
    _show(decided.item)


@review.command("approve")
@click.argument("item_id", type=click.IntRange(1))
@click.option("--note", default="", help="Why (kept in the audit log).")
@click.option("--actor", help="Who decides (default: cli:<your user name>).")
@click.pass_context
def approve(ctx: click.Context, item_id: int, note: str, actor: str | None) -> None:
    """Approve: a late event is scored into its closed month; held points count."""
    _decide(ctx, item_id, True, note, actor)


@review.command("reject")
@click.argument("item_id", type=click.IntRange(1))
@click.option("--note", default="", help="Why (kept in the audit log).")
@click.option("--actor", help="Who decides (default: cli:<your user name>).")
@click.pass_context
def reject(ctx: click.Context, item_id: int, note: str, actor: str | None) -> None:
    """Reject: a late event is dropped; held points never count; flagged points are taken back."""
    _decide(ctx, item_id, False, note, actor)
