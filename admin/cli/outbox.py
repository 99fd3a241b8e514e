"""``plaudit outbox``: the reward messages for HR systems (list, re-send, deliver now) and ``plaudit payouts``
(close a month's payout)."""

from __future__ import annotations

import click

from admin.cli._common import console, ensure_rulebook, fail, open_db
from engine import clock
from engine.rewards.outbox import Connectors, deliver_due, list_messages, retry_messages
from engine.rewards.payouts import PayoutError, close_payout

__all__ = ["outbox", "payouts"]

STATUSES = ("pending", "sending", "delivered", "dead", "cancelled")


@click.group()
def outbox() -> None:
    """Reward messages for HR systems: what was sent, what waits, what failed."""


@outbox.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only messages in this state.")
@click.option("--connector", help="Only messages to this connector.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.pass_context
def list_command(ctx: click.Context, status: str | None, connector: str | None, limit: int) -> None:
    """Newest first: state, attempts, the last error, when the next attempt is due."""
    lines = list_messages(open_db(ctx), status, connector, limit)
    if not lines:
        console.print("no messages")
        return
    for m in lines:
        state = f"{m.status} (connector disabled)" if m.held and m.status == "pending" else m.status
        due = f" next {m.next_attempt_at:%Y-%m-%d %H:%M:%S}Z" if m.next_attempt_at else ""
        error = f"  {m.last_error}" if m.last_error else ""
        console.print(
            f"{m.id}\t{state}\t{m.attempts} attempt(s){due}\t{m.reward} → {m.connector}\t"
            f"{m.employee or '-'}\t{m.idempotency_key}{error}",
            markup=False,
        )


@outbox.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option(
    "--all-dead", is_flag=True, help="Every dead message (of --connector only, if given)."
)
@click.option(
    "--connector", help="Only this connector's messages; enables it again if it was disabled."
)
@click.pass_context
def retry_command(
    ctx: click.Context, ids: tuple[int, ...], all_dead: bool, connector: str | None
) -> None:
    """Send dead messages again, with a fresh retry schedule (delivered ones are never sent twice)."""
    if not ids and not all_dead and connector is None:
        fail("name message ids, or use --all-dead or --connector")
    count, enabled = retry_messages(
        open_db(ctx),
        ids,
        all_dead=all_dead,
        connector=connector,
    )
    console.print(f"{count} message(s) due again now")
    for name in enabled:
        console.print(f"connector {name} enabled again")


@outbox.command("deliver")
@click.pass_context
def deliver_command(ctx: click.Context) -> None:
    """Send what is due now, once, and report (the API's worker and `plaudit worker` do this on their own)."""
    db = open_db(ctx)
    rules = ensure_rulebook(db).current
    assert rules is not None
    connectors = Connectors()
    try:
        result = deliver_due(db, rules, connectors)
    finally:
        connectors.close()
    console.print(
        f"{result.claimed} sent: {result.delivered} delivered, {result.retried} to retry, {result.dead} dead"
    )
    for name in result.disabled:
        console.print(
            f"connector {name} answered 410 Gone and is disabled; `plaudit outbox retry --connector {name}`"
        )


@click.group()
def payouts() -> None:
    """Monthly payouts of points (rewards with trigger monthly_payout)."""


@payouts.command("close")
@click.option("--period", required=True, help="The month, e.g. 2026-11.")
@click.option(
    "--reward", "reward_id", help="The payout reward's id (default: every monthly payout)."
)
@click.option("--force", is_flag=True, help="Close before the month's end plus the grace hours.")
@click.option("--actor", default="plaudit payouts close", show_default=True)
@click.pass_context
def close_command(
    ctx: click.Context, period: str, reward_id: str | None, force: bool, actor: str
) -> None:
    """Compute a month's payout (rate, department budgets) and queue its messages; once per month."""
    db = open_db(ctx)
    rules = ensure_rulebook(db).current
    assert rules is not None
    chosen = [r for r in rules.rewards if r.trigger == "monthly_payout"]
    if reward_id is not None:
        chosen = [r for r in chosen if r.id == reward_id]
        if not chosen:
            fail(f"reward: no monthly_payout reward {reward_id!r} in the published rules")
    if not chosen:
        fail("reward: this program has no monthly_payout reward (rewards: in rules.yaml)")
    for reward in chosen:
        try:
            result = close_payout(db, rules, reward, period, clock.now(), actor, force=force)
        except PayoutError as exc:
            fail(str(exc))
        if not result.created:
            console.print(f"{reward.id} {period}: closed before; nothing queued again")
            continue
        console.print(
            f"{reward.id} {period}: {len(result.lines)} people, {result.total:.2f} {result.currency} "
            f"queued for {reward.connector}"
        )
