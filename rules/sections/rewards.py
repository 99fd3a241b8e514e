"""The `connectors:` and `rewards:` sections: where rewards go, and what is sent when.

A connector is an HR system Plaudit hands rewards to (a signed webhook, a payroll CSV file, a Bonusly-style
recognition API, a Tango-style rewards catalog). Its secrets are never in the file: the file names the
environment variable that holds them (``secret_env``, ``token_env``), so rules.yaml can be shared and versioned.

A reward says when a message is sent (its ``trigger``), to which connector, and what it says: texts are
templates such as ``"{award.name}, {award.period}"`` whose variables are checked here, against the trigger's
list, so a typo is a ``rules.yaml:LINE:COL`` error and not a message with a hole in it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any, Final, TypeVar

from rules._report import unknown_name
from rules._walker import NAME_PATTERN, ProgramDraft, Walker
from rules._yaml import YNode
from rules.model import (
    CONNECTOR_KINDS,
    REWARD_TRIGGERS,
    TEMPLATE_VARIABLES,
    ConnectorSpec,
    PayoutRate,
    RewardSpec,
)

__all__ = ["template_fields", "walk_connectors", "walk_rewards"]

_Value = TypeVar("_Value")

_DEFAULT_KEYS: Final = {
    "badge_awarded": "{reward.id}:{employee.internal_id}:{badge.id}:{badge.tier}:{badge.window}",
    "award_won": "{reward.id}:{employee.internal_id}:{award.id}:{award.period}",
    "points_milestone": "{reward.id}:{employee.internal_id}:{milestone.points}",
    "monthly_payout": "{reward.id}:{period}:{employee.internal_id}",
}
_DEFAULT_REASONS: Final = {
    "badge_awarded": "Badge earned: {badge.name}",
    "award_won": "{award.name}, {award.period}",
    "points_milestone": "{milestone.points} points reached",
    "monthly_payout": "Advocacy points, {period}: {points}",
}

_ENV_NAME: Final = re.compile(r"[A-Z_][A-Z0-9_]*\Z")
_CURRENCY: Final = re.compile(r"[A-Z]{3}\Z")
_URL: Final = re.compile(r"https?://[^\s/]+(/\S*)?\Z")
_MAX_TIMEOUT: Final = 120

# kind -> key -> required
_CONNECTOR_KEYS: Final = {
    "webhook": {"url": True, "secret_env": True},
    "csv_payroll": {"directory": True},
    "bonusly": {"url": True, "token_env": True},
    "tango": {"url": True, "token_env": True, "account": True, "customer": True},
}
_CONNECTOR_COMMON: Final = {"id": True, "kind": True, "timeout_seconds": False}
_CONNECTOR_TEXTS: Final = ("url", "secret_env", "token_env", "directory", "account", "customer")
_REWARD_KEYS: Final = {
    "id": True,
    "trigger": True,
    "connector": True,
    "badges": False,
    "awards": False,
    "points": False,
    "amount": False,
    "currency": False,
    "rate": False,
    "budget": False,
    "reason": False,
    "giver": False,
    "utid": False,
    "message": False,
    "payload": False,
    "idempotency_key": False,
}


def template_fields(template: str) -> list[str]:
    """The variable names of a template; ValueError for a malformed one (an unclosed brace)."""
    names = []
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if spec or conversion:
            raise ValueError(f"{{{name}}}: formats and conversions are not supported")
        names.append(name)
    return names


# -- connectors ------------------------------------------------------------------------------


def walk_connectors(walker: Walker, draft: ProgramDraft, node: YNode) -> None:
    # One at a time: each connector's id is checked against those read before it.
    for connector in walker.each(node, "connectors", partial(_connector, walker, draft)):
        draft.connectors[connector.id] = connector


def _connector(walker: Walker, draft: ProgramDraft, node: YNode) -> ConnectorSpec | None:
    if node.kind != "map":
        walker.wrong(node, "a mapping (connector)", "connector")
        return None
    kind_node = node.value.get("kind", (None, None))[1]
    kind = walker.choice(kind_node, CONNECTOR_KINDS, "connector: kind") if kind_node else None
    allowed = dict(_CONNECTOR_COMMON)
    allowed.update(_CONNECTOR_KEYS.get(kind or "", {}))
    if kind is None:  # kind unknown: don't report the kind-specific keys as unknown as well
        allowed.update({k: False for keys in _CONNECTOR_KEYS.values() for k in keys})
    entries = walker.keys(node, allowed, f"connector ({kind})" if kind else "connector")
    if entries is None:
        return None
    connector_id = _item_id(walker, entries["id"], "connector id") if "id" in entries else None
    if "id" in entries and entries["id"].kind == "scalar":
        draft.connector_ids_seen.add(str(entries["id"].value))
    if connector_id is not None and connector_id in draft.connectors:
        walker.issues.at(entries["id"], f'duplicate connector id "{connector_id}"')
        connector_id = None
    label = f"connector {connector_id}" if connector_id else "connector"
    texts: dict[str, str] = {}
    ok = connector_id is not None and kind is not None
    for key in _CONNECTOR_TEXTS:
        if key not in entries:
            continue
        value = walker.text(entries[key], f"{label}: {key}")
        if value is not None and key == "url" and not _URL.match(value):
            walker.issues.at(
                entries[key], f'{label}: url: expected http(s)://host/path, got "{value}"'
            )
            value = None
        if value is not None and key.endswith("_env") and not _ENV_NAME.match(value):
            walker.issues.at(
                entries[key],
                f"{label}: {key}: expected the NAME of an environment variable (such as "
                f"PLAUDIT_{connector_id.upper().replace('-', '_') if connector_id else 'X'}_SECRET), "
                f'got "{value[:4]}…": secrets never go in rules.yaml',
            )
            value = None
        if value is None:
            ok = False
        else:
            texts[key] = value
    timeout: int | None = 10
    if "timeout_seconds" in entries:
        timeout = walker.integer(
            entries["timeout_seconds"], f"{label}: timeout_seconds", positive=True
        )
        if timeout is not None and timeout > _MAX_TIMEOUT:
            walker.issues.at(
                entries["timeout_seconds"],
                f"{label}: timeout_seconds: at most {_MAX_TIMEOUT}, got {timeout}",
            )
            timeout = None
    if not ok or connector_id is None or kind is None or timeout is None:
        return None
    return ConnectorSpec(
        id=connector_id, kind=kind, timeout_seconds=timeout, line=node.line, **texts
    )


# -- rewards ---------------------------------------------------------------------------------


def walk_rewards(walker: Walker, draft: ProgramDraft, node: YNode) -> None:
    ids_seen: set[str] = set()
    draft.rewards.extend(walker.each(node, "rewards", partial(_reward, walker, draft, ids_seen)))


def _reward(walker: Walker, draft: ProgramDraft, seen: set[str], node: YNode) -> RewardSpec | None:
    entries = walker.keys(node, _REWARD_KEYS, "reward")
    if entries is None:
        return None
    reward_id = walker.unique_id(entries, partial(_item_id, walker), seen, "reward")
    label = f"reward {reward_id}" if reward_id else "reward"
    trigger = (
        walker.choice(entries["trigger"], REWARD_TRIGGERS, f"{label}: trigger")
        if "trigger" in entries
        else None
    )
    connector = (
        _connector_ref(walker, draft, entries["connector"], label)
        if "connector" in entries
        else None
    )
    problems_before = len(walker.issues)
    fields: dict[str, Any] = {}
    if trigger is not None and connector is not None:
        fields = _reward_fields(walker, draft, entries, trigger, connector, label, node)
    if reward_id is None or trigger is None or connector is None:
        return None
    # A value reported already (a YAML trap such as `reason: yes` is reported at parsing) is left out of
    # ``fields``: no reward is built from what is missing.
    if len(walker.issues) > problems_before or not {"reason", "idempotency_key"} <= fields.keys():
        return None
    return RewardSpec(
        id=reward_id, trigger=trigger, connector=connector.id, line=node.line, **fields
    )


def _reward_fields(
    walker: Walker,
    draft: ProgramDraft,
    entries: dict[str, YNode],
    trigger: str,
    connector: ConnectorSpec,
    label: str,
    node: YNode,
) -> dict[str, Any]:
    """The RewardSpec keywords from the trigger's and the connector's keys: what each needs, and
    nothing that would be ignored. A value that does not fit is reported and left out."""
    fields: dict[str, Any] = {}
    wanted = {
        "badges": trigger == "badge_awarded",
        "awards": trigger == "award_won",
        "points": trigger == "points_milestone",
        "rate": trigger == "monthly_payout",
        "budget": trigger == "monthly_payout",
        "amount": trigger != "monthly_payout",
        "currency": connector.kind != "webhook"
        or trigger == "monthly_payout"
        or "amount" in entries,
        "giver": connector.kind == "bonusly",
        "utid": connector.kind == "tango",
        "message": connector.kind == "tango",
        "payload": connector.kind == "webhook",
    }
    for key, fits in wanted.items():
        if key in entries and not fits:
            walker.issues.at(
                entries[key],
                f"{label}: {key}: not used by a {trigger} reward sent by {connector.kind}",
            )
    if connector.kind == "csv_payroll" and trigger != "monthly_payout":
        walker.issues.at(
            entries["connector"],
            f"{label}: connector {connector.id} writes a payroll file per period: "
            "only a monthly_payout reward can use it",
        )
    required = {
        "points": trigger == "points_milestone",
        "rate": trigger == "monthly_payout",
        "amount": connector.kind in ("bonusly", "tango") and trigger != "monthly_payout",
        "giver": connector.kind == "bonusly",
        "utid": connector.kind == "tango",
    }
    for key, needed in required.items():
        if needed and key not in entries:
            walker.issues.at(
                node,
                f'{label}: missing key "{key}" (a {trigger} reward sent by {connector.kind})',
            )
    names = TEMPLATE_VARIABLES[trigger]
    if connector.kind == "csv_payroll":  # one message, one file, per period: no employee in its key
        names = tuple(n for n in names if not n.startswith("employee.") and n != "points")
    if "badges" in entries and wanted["badges"]:
        fields["badges"] = _badge_refs(walker, draft, entries["badges"], label)
    if "awards" in entries and wanted["awards"]:
        items = walker.seq(entries["awards"], f"{label}: awards", non_empty=True) or []
        fields["awards"] = tuple(v for i in items if (v := walker.text(i, f"{label}: awards")))
    if "points" in entries and wanted["points"]:
        fields["points"] = walker.integer(entries["points"], f"{label}: points", positive=True)
    if "amount" in entries and wanted["amount"]:
        fields["amount"] = _money(walker, entries["amount"], f"{label}: amount")
    if "currency" in entries:
        currency = walker.text(entries["currency"], f"{label}: currency")
        if currency is not None and not _CURRENCY.match(currency):
            walker.issues.at(
                entries["currency"],
                f'{label}: currency: expected an ISO 4217 code such as EUR, got "{currency}"',
            )
        fields["currency"] = currency
    if "rate" in entries and wanted["rate"]:
        fields["rate"] = _rate(walker, entries["rate"], label)
    if "budget" in entries and wanted["budget"]:
        fields["budget"] = _budget(walker, entries["budget"], label)
    for key in ("giver", "utid"):
        if key in entries and wanted[key]:
            fields[key] = walker.text(entries[key], f"{label}: {key}")
    reason_names = names if connector.kind != "csv_payroll" else TEMPLATE_VARIABLES[trigger]
    fields["reason"] = (
        _template(walker, entries["reason"], reason_names, f"{label}: reason")
        if "reason" in entries
        else _DEFAULT_REASONS[trigger]
    )
    if "message" in entries and wanted["message"]:
        fields["message"] = _template(walker, entries["message"], names, f"{label}: message")
    if "payload" in entries and wanted["payload"]:
        fields["payload"] = _payload(walker, entries["payload"], names, label)
    default_key = (
        "{reward.id}:{period}" if connector.kind == "csv_payroll" else _DEFAULT_KEYS[trigger]
    )
    fields["idempotency_key"] = (
        _template(walker, entries["idempotency_key"], names, f"{label}: idempotency_key")
        if "idempotency_key" in entries
        else default_key
    )
    return {k: v for k, v in fields.items() if v is not None}


def _item_id(walker: Walker, node: YNode, what: str) -> str | None:
    """A connector's or reward's id; a reward's goes into idempotency keys and file names."""
    return walker.matching_id(node, what, NAME_PATTERN, "letters, digits, _ and -")


def _connector_ref(
    walker: Walker, draft: ProgramDraft, node: YNode, label: str
) -> ConnectorSpec | None:
    name = walker.text(node, f"{label}: connector")
    if name is None:
        return None
    found = draft.connectors.get(name)
    if found is None and name not in draft.connector_ids_seen:  # an invalid one is reported already
        walker.issues.at(node, unknown_name("connector", name, draft.connectors, "in connectors:"))
    return found


def _badge_refs(
    walker: Walker, draft: ProgramDraft, node: YNode, label: str
) -> tuple[str, ...] | None:
    items = walker.seq(node, f"{label}: badges", non_empty=True)
    if items is None:
        return None
    names = []
    for item in items:
        name = walker.text(item, f"{label}: badges")
        if name is not None and name not in draft.badge_ids_seen:
            walker.issues.at(item, unknown_name("badge", name, draft.badge_ids_seen))
            name = None
        if name is None:
            return None
        names.append(name)
    return tuple(names)


def _money(walker: Walker, node: YNode, what: str) -> Decimal | None:
    value = walker.number(node, what, positive=True)
    if value is None:
        return None
    amount = Decimal(node.raw)
    if amount != amount.quantize(Decimal("0.01")):
        walker.issues.at(node, f"{what}: at most two decimals (cents), got {node.raw}")
        return None
    return amount


def _rate(walker: Walker, node: YNode, label: str) -> PayoutRate | None:
    what = f"{label}: rate"
    entries = walker.keys(node, {"points": True, "amount": True}, what)
    if entries is None or len(entries) < 2:
        return None
    points = walker.integer(entries["points"], f"{what}.points", positive=True)
    amount = _money(walker, entries["amount"], f"{what}.amount")
    if points is None or amount is None:
        return None
    return PayoutRate(points, amount)


def _budget(walker: Walker, node: YNode, label: str) -> dict[str, Decimal] | None:
    return _mapping_of(
        walker,
        node,
        "a mapping of department to amount per month (and default:)",
        f"{label}: budget",
        lambda value, what: _money(walker, value, what),
    )


def _template(walker: Walker, node: YNode, names: tuple[str, ...], what: str) -> str | None:
    value = walker.text(node, what)
    if value is None:
        return None
    try:
        used = template_fields(value)
    except ValueError as exc:
        walker.issues.at(node, f"{what}: {exc}")
        return None
    for name in used:
        if name not in names:
            walker.issues.at(node, f"{what}: " + unknown_name("variable", name, names, "here"))
            return None
    return value


def _payload(
    walker: Walker, node: YNode, names: tuple[str, ...], label: str
) -> dict[str, str] | None:
    return _mapping_of(
        walker,
        node,
        "a mapping of field to text (templates)",
        f"{label}: payload",
        lambda value, what: _template(walker, value, names, what),
    )


def _mapping_of(
    walker: Walker,
    node: YNode,
    expected: str,
    what: str,
    read: Callable[[YNode, str], _Value | None],
) -> dict[str, _Value] | None:
    """A non-empty mapping whose every value ``read`` accepts; None at the first it does not."""
    if node.kind != "map" or not node.value:
        walker.wrong(node, expected, what)
        return None
    result: dict[str, _Value] = {}
    for key, (_, value) in node.value.items():
        item = read(value, f"{what}.{key}")
        if item is None:
            return None
        result[str(key)] = item
    return result
