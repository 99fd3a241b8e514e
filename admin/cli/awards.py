"""``plaudit awards``: close an award period (employee of the month) by hand, and approve a shortlisted winner."""

from __future__ import annotations

from datetime import datetime

import click

from admin.cli._common import MOMENT, console, ensure_rulebook, fail, open_db
from engine import clock
from engine.rewards.awards import (
    AwardError,
    AwardOutcome,
    approve_award,
    close_award,
    find_award_spec,
)
from rules.periods import period_kind

__all__ = ["awards"]


def _print(outcome: AwardOutcome, name: str) -> None:
    """One line per result (not a table: names and values stay whole in any terminal width)."""
    shortlist = any(r.status != "winner" for r in outcome.results)
    title = f"{name}, {outcome.period}: {'shortlist' if shortlist else 'winners'}"
    if not outcome.created:
        title += f" (closed before, at {outcome.closed_at.isoformat()}; unchanged)"
    console.print(title, markup=False)
    for r in outcome.results:
        scope = "company" if r.scope == "company" else f"team {r.team}"
        console.print(
            f"  {scope}  #{r.rank}  {r.employee} {r.name}  metric {r.metric}  "
            f"shoutouts {r.shoutouts_received}  active days {r.active_days}  "
            f"events {r.scored_events}  {r.status}  (result {r.id})",
            markup=False,
        )
    if not outcome.results:
        console.print("  (nobody was eligible)")


@click.group()
def awards() -> None:
    """Awards (employee of the month): close a period, approve a winner."""


@awards.command("close")
@click.option("--period", required=True, help="The period's key, e.g. 2026-11 (month) or 2026-Q4.")
@click.option(
    "--award", "award_id", help="The award's id (default: every award of that period kind)."
)
@click.option(
    "--now", "at", type=MOMENT, help="The close moment (ISO 8601 with offset; default now)."
)
@click.option("--force", is_flag=True, help="Close before the period's end plus grace hours.")
@click.option("--actor", default="plaudit awards close", show_default=True)
@click.pass_context
def close(
    ctx: click.Context,
    period: str,
    award_id: str | None,
    at: datetime | None,
    force: bool,
    actor: str,
) -> None:
    """Close an award for a period: winners per scope (or the shortlist), frozen from then on."""
    db = open_db(ctx)
    rules = ensure_rulebook(db).current
    assert rules is not None
    now = at or clock.now()
    try:
        if award_id is not None:
            chosen = [find_award_spec(rules, award_id)]
        else:
            chosen = list(rules.awards)
            if not chosen:
                fail("award: this program has no awards (awards: in rules.yaml)")
            if len(chosen) > 1:
                try:
                    kind = period_kind(period)
                except ValueError:
                    kind = ""
                # Every award of the key's kind; none of that kind: the first, whose check names the field.
                chosen = [a for a in chosen if a.period == kind] or chosen[:1]
        for award in chosen:
            outcome = close_award(db, rules, award, period, now, actor, force=force)
            _print(outcome, award.name)
    except AwardError as exc:
        fail(str(exc))


@awards.command("approve")
@click.argument("result_id", type=int)
@click.option("--actor", default="plaudit awards approve", show_default=True)
@click.pass_context
def approve(ctx: click.Context, result_id: int, actor: str) -> None:
    """Approve a shortlisted candidate (by the result id the close printed) as a winner."""
    db = open_db(ctx)
    rules = ensure_rulebook(db).current
    assert rules is not None
    try:
        outcome = approve_award(db, rules, result_id, actor)
    except AwardError as exc:
        fail(str(exc))
    award = next((a.name for a in rules.awards if a.id == outcome.award), outcome.award)
    _print(outcome, award)
