"""The `connectors:` and `rewards:` sections of rules.yaml: where rewards go, and what sends them.

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
from decimal import Decimal
from typing import Final

import msgspec

from rules._report import Issues, unknown_name
from rules._yaml import YNode

__all__ = [
    "CONNECTOR_KINDS",
    "REWARD_TRIGGERS",
    "TEMPLATE_VARIABLES",
    "ConnectorSpec",
    "PayoutRate",
    "RewardSections",
    "RewardSpec",
    "template_fields",
]

CONNECTOR_KINDS: Final = ("webhook", "csv_payroll", "bonusly", "tango")
REWARD_TRIGGERS: Final = ("badge_awarded", "award_won", "points_milestone", "monthly_payout")

_EMPLOYEE_VARIABLES: Final = (
    "employee.id",
    "employee.internal_id",
    "employee.email",
    "employee.name",
    "employee.team",
    "employee.department",
)
_COMMON_VARIABLES: Final = ("reward.id", "program.name", "amount", "currency")
#: The variables a template may use, per trigger. ``employee.internal_id`` is Plaudit's own number for the
#: employee: it never changes (an erasure changes ``employee.id``), so default idempotency keys use it.
TEMPLATE_VARIABLES: Final[dict[str, tuple[str, ...]]] = {
    "badge_awarded": (
        *_EMPLOYEE_VARIABLES,
        *_COMMON_VARIABLES,
        "badge.id",
        "badge.name",
        "badge.tier",
        "badge.window",
    ),
    "award_won": (
        *_EMPLOYEE_VARIABLES,
        *_COMMON_VARIABLES,
        "award.id",
        "award.name",
        "award.period",
    ),
    "points_milestone": (*_EMPLOYEE_VARIABLES, *_COMMON_VARIABLES, "milestone.points", "points"),
    "monthly_payout": (*_EMPLOYEE_VARIABLES, *_COMMON_VARIABLES, "period", "points"),
}
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

_ID: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
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


class ConnectorSpec(msgspec.Struct, frozen=True):
    """An HR system rewards go to; the secret is read from ``secret_env``/``token_env`` when sending."""

    id: str
    kind: str  # one of CONNECTOR_KINDS
    url: str = ""  # webhook, bonusly, tango
    secret_env: str = ""  # webhook: the variable holding the whsec_… signing secret
    token_env: str = ""  # bonusly, tango: the variable holding the bearer token
    directory: str = ""  # csv_payroll: where payroll-<reward>-<period>.csv files go
    account: str = ""  # tango: accountIdentifier
    customer: str = ""  # tango: customerIdentifier
    timeout_seconds: int = 10
    line: int = 0


class PayoutRate(msgspec.Struct, frozen=True):
    """``points`` points are worth ``amount`` in the reward's currency (10 points = 1 EUR)."""

    points: int
    amount: Decimal


class RewardSpec(msgspec.Struct, frozen=True):
    """When a message goes to a connector, and what it says (templates; see TEMPLATE_VARIABLES)."""

    id: str
    trigger: str  # one of REWARD_TRIGGERS
    connector: str
    idempotency_key: str
    reason: str
    badges: tuple[str, ...] = ()  # badge_awarded: only these badges (empty: every badge)
    awards: tuple[str, ...] = ()  # award_won: only these awards (empty: every award)
    points: int = 0  # points_milestone: all-time points reached
    amount: Decimal | None = None  # a fixed amount (not monthly_payout)
    currency: str = "EUR"
    rate: PayoutRate | None = None  # monthly_payout
    #: monthly_payout: the most paid per department and month; ``default`` for departments not named.
    budget: dict[str, Decimal] = msgspec.field(default_factory=dict)
    giver: str = ""  # bonusly: the giver's email
    utid: str = ""  # tango: the catalog item
    message: str = ""  # tango: the message to the recipient (template)
    payload: dict[str, str] = msgspec.field(default_factory=dict)  # webhook: the data (templates)
    line: int = 0


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


class RewardSections:
    """Walker methods of `connectors:` and `rewards:`, mixed into ``rules.spec._Walker``: they use its
    primitives (keys, text, integer, number, choice, seq, wrong) and report through ``self.issues``."""

    issues: Issues
    badge_ids_seen: set[str]
    connectors: dict[str, ConnectorSpec]
    connector_ids_seen: set[str]  # ids of connectors, valid or not (for references)
    rewards: list[RewardSpec]

    # -- connectors --------------------------------------------------------------------------

    def _section_connectors(self, node: YNode) -> None:
        for item in self.seq(node, "connectors") or ():
            connector = self.connector(item)
            if connector is not None:
                self.connectors[connector.id] = connector

    def connector(self, node: YNode) -> ConnectorSpec | None:
        if node.kind != "map":
            self.wrong(node, "a mapping (connector)", "connector")
            return None
        kind_node = node.value.get("kind", (None, None))[1]
        kind = self.choice(kind_node, CONNECTOR_KINDS, "connector: kind") if kind_node else None
        allowed = dict(_CONNECTOR_COMMON)
        allowed.update(_CONNECTOR_KEYS.get(kind or "", {}))
        if kind is None:  # kind unknown: don't report the kind-specific keys as unknown as well
            allowed.update({k: False for keys in _CONNECTOR_KEYS.values() for k in keys})
        entries = self.keys(node, allowed, f"connector ({kind})" if kind else "connector")
        if entries is None:
            return None
        connector_id = self.reward_id(entries.get("id"), "connector id")
        if "id" in entries and entries["id"].kind == "scalar":
            self.connector_ids_seen.add(str(entries["id"].value))
        if connector_id is not None and connector_id in self.connectors:
            self.issues.at(entries["id"], f'duplicate connector id "{connector_id}"')
            connector_id = None
        label = f"connector {connector_id}" if connector_id else "connector"
        values: dict[str, object] = {}
        ok = connector_id is not None and kind is not None
        for key in ("url", "secret_env", "token_env", "directory", "account", "customer"):
            if key not in entries:
                continue
            value = self.text(entries[key], f"{label}: {key}")
            if value is not None and key == "url" and not _URL.match(value):
                self.issues.at(
                    entries[key], f'{label}: url: expected http(s)://host/path, got "{value}"'
                )
                value = None
            if value is not None and key.endswith("_env") and not _ENV_NAME.match(value):
                self.issues.at(
                    entries[key],
                    f"{label}: {key}: expected the NAME of an environment variable (such as "
                    f"PLAUDIT_{connector_id.upper().replace('-', '_') if connector_id else 'X'}_SECRET), "
                    f'got "{value[:4]}…": secrets never go in rules.yaml',
                )
                value = None
            ok &= value is not None
            values[key] = value
        if "timeout_seconds" in entries:
            timeout = self.integer(
                entries["timeout_seconds"], f"{label}: timeout_seconds", positive=True
            )
            if timeout is not None and timeout > _MAX_TIMEOUT:
                self.issues.at(
                    entries["timeout_seconds"],
                    f"{label}: timeout_seconds: at most {_MAX_TIMEOUT}, got {timeout}",
                )
                timeout = None
            ok &= timeout is not None
            values["timeout_seconds"] = timeout
        if not ok or connector_id is None or kind is None:
            return None
        return ConnectorSpec(id=connector_id, kind=kind, line=node.line, **values)  # type: ignore[arg-type]

    # -- rewards -----------------------------------------------------------------------------

    def _section_rewards(self, node: YNode) -> None:
        seen: set[str] = set()
        for item in self.seq(node, "rewards") or ():
            reward = self.reward_spec(item, seen)
            if reward is not None:
                self.rewards.append(reward)

    def reward_spec(self, node: YNode, seen: set[str]) -> RewardSpec | None:
        entries = self.keys(node, _REWARD_KEYS, "reward")
        if entries is None:
            return None
        reward_id = self.reward_id(entries.get("id"), "reward id")
        if reward_id is not None and reward_id in seen:
            self.issues.at(entries["id"], f'duplicate reward id "{reward_id}"')
            reward_id = None
        seen.add(reward_id or "")
        label = f"reward {reward_id}" if reward_id else "reward"
        get = entries.get
        trigger = (
            self.choice(get("trigger"), REWARD_TRIGGERS, f"{label}: trigger")
            if get("trigger")
            else None
        )
        connector = self.connector_ref(get("connector"), label) if get("connector") else None
        problems_before = len(self.issues)
        fields: dict[str, object] = {}
        if trigger is not None and connector is not None:
            fields = self.reward_fields(entries, trigger, connector, label, node)
        if reward_id is None or trigger is None or connector is None:
            return None
        if len(self.issues) > problems_before:
            return None
        return RewardSpec(
            id=reward_id,
            trigger=trigger,
            connector=connector.id,
            line=node.line,
            **fields,  # type: ignore[arg-type]
        )

    def reward_fields(
        self,
        entries: dict[str, YNode],
        trigger: str,
        connector: ConnectorSpec,
        label: str,
        node: YNode,
    ) -> dict[str, object]:
        """The trigger's and the connector's keys: what each needs, and nothing that would be ignored."""
        fields: dict[str, object] = {}
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
                self.issues.at(
                    entries[key],
                    f"{label}: {key}: not used by a {trigger} reward sent by {connector.kind}",
                )
        if connector.kind == "csv_payroll" and trigger != "monthly_payout":
            self.issues.at(
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
                self.issues.at(
                    node,
                    f'{label}: missing key "{key}" (a {trigger} reward sent by {connector.kind})',
                )
        names = TEMPLATE_VARIABLES[trigger]
        if (
            connector.kind == "csv_payroll"
        ):  # one message, one file, per period: no employee in its key
            names = tuple(n for n in names if not n.startswith("employee.") and n != "points")
        get = entries.get
        if "badges" in entries and wanted["badges"]:
            fields["badges"] = self.badge_refs(entries["badges"], label)
        if "awards" in entries and wanted["awards"]:
            items = self.seq(entries["awards"], f"{label}: awards", non_empty=True) or []
            fields["awards"] = tuple(v for i in items if (v := self.text(i, f"{label}: awards")))
        if "points" in entries and wanted["points"]:
            fields["points"] = self.integer(entries["points"], f"{label}: points", positive=True)
        if "amount" in entries and wanted["amount"]:
            fields["amount"] = self.money(entries["amount"], f"{label}: amount")
        if "currency" in entries:
            currency = self.text(entries["currency"], f"{label}: currency")
            if currency is not None and not _CURRENCY.match(currency):
                self.issues.at(
                    entries["currency"],
                    f'{label}: currency: expected an ISO 4217 code such as EUR, got "{currency}"',
                )
            fields["currency"] = currency
        if "rate" in entries and wanted["rate"]:
            fields["rate"] = self.rate(entries["rate"], label)
        if "budget" in entries and wanted["budget"]:
            fields["budget"] = self.budget(entries["budget"], label)
        for key in ("giver", "utid"):
            if key in entries and wanted[key]:
                fields[key] = self.text(entries[key], f"{label}: {key}")
        reason_names = names if connector.kind != "csv_payroll" else TEMPLATE_VARIABLES[trigger]
        fields["reason"] = (
            self.template(get("reason"), reason_names, f"{label}: reason")
            if get("reason")
            else _DEFAULT_REASONS[trigger]
        )
        if "message" in entries and wanted["message"]:
            fields["message"] = self.template(entries["message"], names, f"{label}: message")
        if "payload" in entries and wanted["payload"]:
            fields["payload"] = self.payload(entries["payload"], names, label)
        default_key = (
            "{reward.id}:{period}" if connector.kind == "csv_payroll" else _DEFAULT_KEYS[trigger]
        )
        fields["idempotency_key"] = (
            self.template(get("idempotency_key"), names, f"{label}: idempotency_key")
            if get("idempotency_key")
            else default_key
        )
        return {k: v for k, v in fields.items() if v is not None}

    # -- primitives of these sections --------------------------------------------------------

    def reward_id(self, node: YNode | None, what: str) -> str | None:
        if node is None:
            return None
        value = self.text(node, what)
        if value is not None and not _ID.match(value):
            self.issues.at(node, f'{what}: "{value}" is not a valid id (letters, digits, _ and -)')
            return None
        return value

    def connector_ref(self, node: YNode, label: str) -> ConnectorSpec | None:
        name = self.text(node, f"{label}: connector")
        if name is None:
            return None
        found = self.connectors.get(name)
        if (
            found is None and name not in self.connector_ids_seen
        ):  # an invalid one is reported already
            self.issues.at(node, unknown_name("connector", name, self.connectors, "in connectors:"))
        return found

    def badge_refs(self, node: YNode, label: str) -> tuple[str, ...] | None:
        items = self.seq(node, f"{label}: badges", non_empty=True)
        if items is None:
            return None
        names = []
        for item in items:
            name = self.text(item, f"{label}: badges")
            if name is not None and name not in self.badge_ids_seen:
                self.issues.at(item, unknown_name("badge", name, self.badge_ids_seen))
                name = None
            if name is None:
                return None
            names.append(name)
        return tuple(names)

    def money(self, node: YNode, what: str) -> Decimal | None:
        value = self.number(node, what, positive=True)
        if value is None:
            return None
        amount = Decimal(node.raw)
        if amount != amount.quantize(Decimal("0.01")):
            self.issues.at(node, f"{what}: at most two decimals (cents), got {node.raw}")
            return None
        return amount

    def rate(self, node: YNode, label: str) -> PayoutRate | None:
        what = f"{label}: rate"
        entries = self.keys(node, {"points": True, "amount": True}, what)
        if entries is None or len(entries) < 2:
            return None
        points = self.integer(entries["points"], f"{what}.points", positive=True)
        amount = self.money(entries["amount"], f"{what}.amount")
        if points is None or amount is None:
            return None
        return PayoutRate(points, amount)

    def budget(self, node: YNode, label: str) -> dict[str, Decimal] | None:
        what = f"{label}: budget"
        if node.kind != "map" or not node.value:
            self.wrong(node, "a mapping of department to amount per month (and default:)", what)
            return None
        budget = {}
        for department, (_, value) in node.value.items():
            amount = self.money(value, f"{what}.{department}")
            if amount is None:
                return None
            budget[str(department)] = amount
        return budget

    def template(self, node: YNode, names: tuple[str, ...], what: str) -> str | None:
        value = self.text(node, what)
        if value is None:
            return None
        try:
            used = template_fields(value)
        except ValueError as exc:
            self.issues.at(node, f"{what}: {exc}")
            return None
        for name in used:
            if name not in names:
                self.issues.at(node, f"{what}: " + unknown_name("variable", name, names, "here"))
                return None
        return value

    def payload(self, node: YNode, names: tuple[str, ...], label: str) -> dict[str, str] | None:
        what = f"{label}: payload"
        if node.kind != "map" or not node.value:
            self.wrong(node, "a mapping of field to text (templates)", what)
            return None
        payload = {}
        for key, (_, value) in node.value.items():
            text = self.template(value, names, f"{what}.{key}")
            if text is None:
                return None
            payload[str(key)] = text
        return payload
