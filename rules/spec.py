"""The validated program, and the schema walker that builds it from YAML nodes.

The walker never stops at the first problem: each section is checked as far as it can be and every
issue is reported at the node it concerns (the key for unknown keys, the value for bad values).
Sections are listed in ``_SECTIONS`` in dependency order; adding one is a new entry there plus a
``_section_<name>`` method. `badges:` and `awards:` are walked in ``rules._badge_sections``
(mixed into the walker), which also defines their structs; they are re-exported here.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from datetime import date, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from rules._badge_sections import (
    AWARD_METRICS,
    AWARD_PERIODS,
    AWARD_SCOPES,
    AWARD_TIE_BREAKERS,
    BADGE_ICONS,
    BADGE_KINDS,
    BADGE_SHAPES,
    BADGE_WINDOWS,
    AwardSpec,
    BadgeCriteria,
    BadgeSections,
    BadgeSpec,
    BadgeTier,
)
from rules._fields import (
    FIELD_TYPES,
    EventTypeSpec,
    FieldSpec,
    check_field_value,
    describe_value,
    is_number,
)
from rules._report import Issues, unknown_name
from rules._reward_sections import (
    CONNECTOR_KINDS,
    REWARD_TRIGGERS,
    TEMPLATE_VARIABLES,
    ConnectorSpec,
    PayoutRate,
    RewardSections,
    RewardSpec,
    template_fields,
)
from rules._yaml import INVALID, YNode
from rules.conditions import Cond, parse_condition, render, valid_field_name
from rules.periods import WEEK_STARTS
from rules.sources import (
    SOURCE_FORMATS,
    AttributeValue,
    ConstValue,
    EventMapping,
    PathValue,
    PresentValue,
    SourceSpec,
    valid_path,
)

__all__ = [
    "ALLOWANCE_PERIODS",
    "AWARD_METRICS",
    "AWARD_PERIODS",
    "AWARD_SCOPES",
    "AWARD_TIE_BREAKERS",
    "BADGE_ICONS",
    "BADGE_KINDS",
    "BADGE_SHAPES",
    "BADGE_WINDOWS",
    "CAP_PERIODS",
    "CONNECTOR_KINDS",
    "ONCE_PERIODS",
    "REWARD_TRIGGERS",
    "TEMPLATE_VARIABLES",
    "TIE_POLICIES",
    "AwardSpec",
    "BadgeCriteria",
    "BadgeSpec",
    "BadgeTier",
    "CampaignSpec",
    "CapSpec",
    "ConnectorSpec",
    "EventTypeSpec",
    "FieldSpec",
    "FixedPoints",
    "LeaderboardSpec",
    "MultiplierSpec",
    "OnceSpec",
    "PayoutRate",
    "Points",
    "PointsByValue",
    "PointsFromField",
    "ProgramSpec",
    "RepeatSpec",
    "RewardSpec",
    "RuleSpec",
    "ShoutoutSpec",
    "TestEventSpec",
    "TestSpec",
    "ValueSpec",
    "WeightSpec",
    "build_program",
    "template_fields",
]

CAP_PERIODS: Final = ("day", "week", "month")
ONCE_PERIODS: Final = ("day", "week", "month", "ever")
# Ids end up in counter keys ("cap:<id>:<period>") and messages: no colons, no spaces.
_ID_PATTERN: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
_DATE_PATTERN: Final = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
# Source and company-value ids travel in URLs (/webhooks/{source}) and API bodies: no dots.
_NAME_PATTERN: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
# shared: standard competition ranking ("1224"); earliest: who reached the score first ranks higher.
TIE_POLICIES: Final = ("shared", "earliest")
ALLOWANCE_PERIODS: Final = ("week", "month")


class CapSpec(msgspec.Struct, frozen=True):
    id: str
    per: str
    max: int
    description: str = ""

    @property
    def label(self) -> str:
        """How a cap is named in reasons: its description, else its id and period."""
        return self.description or f"{self.id} (per {self.per})"


class CampaignSpec(msgspec.Struct, frozen=True):
    """A time-boxed boost; ``start``..``until`` are inclusive local dates."""

    id: str
    name: str
    start: date
    until: date
    rules: tuple[str, ...]
    multiplier: float
    when: Cond | None = None


class FixedPoints(msgspec.Struct, frozen=True):
    value: float


class PointsByValue(msgspec.Struct, frozen=True):
    field: str
    values: dict[str, float]
    default: float = 0.0


class PointsFromField(msgspec.Struct, frozen=True):
    field: str
    times: float = 1.0


Points = FixedPoints | PointsByValue | PointsFromField


class WeightSpec(msgspec.Struct, frozen=True):
    field: str
    values: dict[str, float]
    default: float = 1.0


class MultiplierSpec(msgspec.Struct, frozen=True):
    when: Cond
    factor: float
    reason: str


class RepeatSpec(msgspec.Struct, frozen=True):
    key: tuple[str, ...]
    factors: tuple[float, ...]


class OnceSpec(msgspec.Struct, frozen=True):
    key: tuple[str, ...]
    per: str = "ever"


class RuleSpec(msgspec.Struct, frozen=True):
    id: str
    description: str
    event: str
    points: Points
    when: Cond | None = None
    weight: WeightSpec | None = None
    multipliers: tuple[MultiplierSpec, ...] = ()
    repeat: RepeatSpec | None = None
    once: OnceSpec | None = None
    cap: str | None = None
    line: int = 0


class TestEventSpec(msgspec.Struct, frozen=True):
    type: str
    occurred_at: datetime
    attributes: dict[str, Any]


class TestSpec(msgspec.Struct, frozen=True):
    name: str
    events: tuple[TestEventSpec, ...]
    points: int
    rules: tuple[str, ...] | None = None
    reasons: tuple[str, ...] = ()
    line: int = 0
    col: int = 0


class LeaderboardSpec(msgspec.Struct, frozen=True):
    """How boards rank; the defaults are what an absent `leaderboards:` section means."""

    ties: str = "shared"
    team_boards: bool = True


class ValueSpec(msgspec.Struct, frozen=True):
    """A company value a shoutout names ("Ownership"): recognition tied to what we stand for."""

    id: str
    name: str
    description: str = ""


class ShoutoutSpec(msgspec.Struct, frozen=True):
    """Peer recognition: how much a giver may give, and the event each recipient earns through."""

    allowance_per: str
    allowance_max: int
    max_recipients: int
    max_message: int
    event: str
    values: tuple[ValueSpec, ...]


class ProgramSpec(msgspec.Struct, frozen=True):
    id: str
    name: str
    version: str
    effective: date
    timezone: str
    week_start: str
    event_types: dict[str, EventTypeSpec]
    caps: dict[str, CapSpec]
    campaigns: tuple[CampaignSpec, ...]
    rules: tuple[RuleSpec, ...]
    tests: tuple[TestSpec, ...]
    rule_versions: dict[str, str]
    leaderboards: LeaderboardSpec = LeaderboardSpec()
    shoutouts: ShoutoutSpec | None = None  # None: shoutouts are off
    sources: dict[str, SourceSpec] = msgspec.field(default_factory=dict)
    badges: tuple[BadgeSpec, ...] = ()
    awards: tuple[AwardSpec, ...] = ()
    connectors: dict[str, ConnectorSpec] = msgspec.field(default_factory=dict)
    rewards: tuple[RewardSpec, ...] = ()


# name -> required; walked in this order because later sections refer to earlier ones.
_SECTIONS: Final = {
    "program": True,
    "event_types": True,
    "caps": False,
    "rules": True,
    "campaigns": False,
    "leaderboards": False,
    "shoutouts": False,
    "sources": False,
    "badges": False,  # after rules: a badge may name any event type
    "awards": False,  # after rules and badges: an award names both
    "connectors": False,
    "rewards": False,  # after badges, awards and connectors: a reward names them
    "tests": False,
}

_PROGRAM_KEYS: Final = {
    "id": True,
    "name": False,
    "version": True,
    "effective": True,
    "timezone": True,
    "week_start": False,
}
_RULE_KEYS: Final = {
    "id": True,
    "description": False,
    "event": True,
    "when": False,
    "points": True,
    "weight": False,
    "multipliers": False,
    "repeat": False,
    "once": False,
    "cap": False,
}
_SHOUTOUT_KEYS: Final = {
    "allowance": True,
    "max_recipients": False,
    "max_message": False,
    "event": True,
    "values": True,
}
# Without these keys in the file, a shoutout may name 5 people in 500 characters.
_SHOUTOUT_DEFAULTS: Final = {"max_recipients": 5, "max_message": 500}
_ENVELOPE_KEYS: Final = {"format": True, "employee": True, "events": True}
_EVENT_MAPPING_KEYS: Final = {"type": True, "occurred_at": False, "attributes": False, "id": False}
_ATTRIBUTE_FORMS: Final = (
    "a path such as data.post.id, {path: ..., default: ..., map: {...}}, {present: path} or "
    "{const: value}"
)
_CAMPAIGN_KEYS: Final = {
    "id": True,
    "name": False,
    "from": True,
    "until": True,
    "rules": True,
    "when": False,
    "multiplier": True,
}


def _what(value: Any) -> str:
    """A wrong value as shown in 'expected X, got <this>'."""
    if isinstance(value, str):
        return f'string "{value}"'
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if is_number(value):
        return f"number {value}"
    return describe_value(value)


class _Walker(BadgeSections, RewardSections):
    """Checks one YAML tree against the schema; every method reports and returns None on error.

    The `badges:` and `awards:` sections are walked by the methods of ``BadgeSections``, `connectors:` and
    `rewards:` by those of ``RewardSections``.
    """

    def __init__(self, issues: Issues) -> None:
        self.issues = issues
        self.event_types: dict[str, EventTypeSpec] = {}
        self.caps: dict[str, CapSpec] = {}
        self.rules: dict[str, RuleSpec] = {}
        self.rule_nodes: dict[str, YNode] = {}
        self.campaigns: list[CampaignSpec] = []
        self.campaign_nodes: list[YNode] = []
        self.tests: list[TestSpec] = []
        self.leaderboards = LeaderboardSpec()
        self.shoutouts: ShoutoutSpec | None = None
        self.sources: dict[str, SourceSpec] = {}
        self.badges: list[BadgeSpec] = []
        self.badge_ids_seen: set[str] = set()  # ids of badges, valid or not (for references)
        self.awards: list[AwardSpec] = []
        self.connectors: dict[str, ConnectorSpec] = {}
        self.connector_ids_seen: set[str] = set()
        self.rewards: list[RewardSpec] = []
        self.program: dict[str, Any] | None = None
        self.rule_ids_seen: set[str] = set()  # ids of rules, valid or not (for references)

    # -- primitive checks --------------------------------------------------------------------

    def keys(self, node: YNode, allowed: dict[str, bool], what: str) -> dict[str, YNode] | None:
        """The entries of a mapping with known keys; unknown keys and missing ones reported."""
        if node.kind != "map":
            self.wrong(node, f"a mapping ({what})", what)
            return None
        result: dict[str, YNode] = {}
        unknown: list[str] = []
        for key, (key_node, value) in node.value.items():
            if key in allowed:
                result[key] = value
            else:
                unknown.append(key)
                self.issues.at(key_node, unknown_name("key", key, allowed, f"in {what}"))
        for key, required in allowed.items():
            # A misspelt required key is one mistake: its "did you mean" already says it all.
            if (
                required
                and key not in result
                and not difflib.get_close_matches(key, unknown, n=1, cutoff=0.6)
            ):
                self.issues.at(node, f'missing key "{key}" in {what}')
        return result

    def wrong(self, node: YNode, expected: str, what: str) -> None:
        if node.kind == "scalar" and node.value is INVALID:
            return  # a YAML trap: reported once already
        got = {"map": "a mapping", "seq": "a list"}.get(node.kind) or _what(node.value)
        self.issues.at(node, f"{what}: expected {expected}, got {got}")

    def text(self, node: YNode, what: str, *, allow_number: bool = False) -> str | None:
        if node.kind == "scalar" and isinstance(node.value, str):
            if not node.value.strip():
                self.issues.at(node, f"{what}: must not be empty")
                return None
            return node.value
        if allow_number and node.kind == "scalar" and is_number(node.value):
            return node.raw  # the digits as written: 2026.10 must not become "2026.1"
        self.wrong(node, "a string", what)
        return None

    def ident(self, node: YNode, what: str) -> str | None:
        value = self.text(node, what)
        if value is not None and not _ID_PATTERN.match(value):
            self.issues.at(
                node,
                f'{what}: "{value}" is not a valid id (letters, digits, _ . -; '
                "starting with a letter)",
            )
            return None
        return value

    def number(
        self, node: YNode, what: str, *, positive: bool = False, non_negative: bool = False
    ) -> float | None:
        if node.kind != "scalar" or not is_number(node.value):
            self.wrong(node, "a number", what)
            return None
        value = float(node.value)
        if positive and value <= 0:
            self.issues.at(node, f"{what}: must be greater than 0, got {node.raw}")
            return None
        if non_negative and value < 0:
            self.issues.at(node, f"{what}: must not be negative, got {node.raw}")
            return None
        return value

    def integer(self, node: YNode, what: str, *, positive: bool = False) -> int | None:
        value = node.value if node.kind == "scalar" else None
        if not isinstance(value, int) or isinstance(value, bool):
            self.wrong(node, "a whole number" if not positive else "a positive whole number", what)
            return None
        if positive and value <= 0:
            self.issues.at(node, f"{what}: must be greater than 0, got {value}")
            return None
        return value

    def boolean(self, node: YNode, what: str) -> bool | None:
        if node.kind == "scalar" and isinstance(node.value, bool):
            return node.value
        self.wrong(node, "true or false", what)
        return None

    def choice(self, node: YNode, options: tuple[str, ...], what: str) -> str | None:
        value = self.text(node, what)
        if value is not None and value not in options:
            self.issues.at(node, f'{what}: expected one of {", ".join(options)}, got "{value}"')
            return None
        return value

    def day(self, node: YNode, what: str) -> date | None:
        value = self.text(node, what)
        if value is None:
            return None
        if _DATE_PATTERN.match(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.issues.at(node, f'{what}: expected a date "YYYY-MM-DD", got "{value}"')
        return None

    def seq(self, node: YNode, what: str, *, non_empty: bool = False) -> list[YNode] | None:
        if node.kind != "seq":
            self.wrong(node, "a list", what)
            return None
        if non_empty and not node.value:
            self.issues.at(node, f"{what}: must not be empty")
            return None
        return node.value

    def field_ref(
        self, node: YNode, event_type: str | None, what: str, types: tuple[str, ...] | None = None
    ) -> FieldSpec | None:
        """A field name of ``event_type``, optionally restricted to some field types."""
        name = self.text(node, what)
        if name is None or event_type is None:
            return None
        fields = self.event_types[event_type].fields
        spec = fields.get(name)
        if spec is None:
            self.issues.at(
                node, unknown_name("field", name, fields, f"for event type {event_type}")
            )
            return None
        if types is not None and spec.type not in types:
            self.issues.at(
                node, f"{what}: {name} is {spec.type}; expected a {' or '.join(types)} field"
            )
            return None
        return spec

    def key_fields(self, node: YNode, event_type: str | None, what: str) -> tuple[str, ...] | None:
        items = self.seq(node, what, non_empty=True)
        if items is None:
            return None
        names = [self.field_ref(item, event_type, what) for item in items]
        if any(n is None for n in names):
            return None
        return tuple(n.name for n in names if n is not None)

    # -- top level ---------------------------------------------------------------------------

    def document(self, root: YNode) -> None:
        if root.kind != "map":
            self.issues.at(
                root,
                "a rules file must be a mapping with the sections "
                f"{', '.join(k for k, req in _SECTIONS.items() if req)}",
            )
            return
        sections = self.keys(root, _SECTIONS, "the rules file")
        if sections is None:
            return
        for name in _SECTIONS:
            if name in sections:
                getattr(self, f"_section_{name}")(sections[name])

    # -- program -----------------------------------------------------------------------------

    def _section_program(self, node: YNode) -> None:
        entries = self.keys(node, _PROGRAM_KEYS, "program")
        if entries is None:
            return
        get = entries.get
        program: dict[str, Any] = {
            "id": self.ident(get("id"), "program.id") if get("id") else None,
            "name": self.text(get("name"), "program.name") if get("name") else None,
            "version": (
                self.text(get("version"), "program.version", allow_number=True)
                if get("version")
                else None
            ),
            "effective": self.day(get("effective"), "program.effective")
            if get("effective")
            else None,
            "timezone": self.timezone(get("timezone")) if get("timezone") else None,
            "week_start": (
                self.choice(get("week_start"), WEEK_STARTS, "program.week_start")
                if get("week_start")
                else "monday"
            ),
        }
        program["name"] = program["name"] or program["id"]
        if all(program[k] is not None for k in program):
            self.program = program

    def timezone(self, node: YNode) -> str | None:
        name = self.text(node, "program.timezone")
        if name is None:
            return None
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.issues.at(
                node,
                f'program.timezone: unknown time zone "{name}"; use an IANA '
                'name such as "Europe/Amsterdam" or "UTC"',
            )
            return None
        return name

    # -- event types -------------------------------------------------------------------------

    def _section_event_types(self, node: YNode) -> None:
        if node.kind != "map":
            self.wrong(node, "a mapping of event types", "event_types")
            return
        if not node.value:
            self.issues.at(node, "event_types: at least one event type is needed")
            return
        for name, (key_node, value) in node.value.items():
            if not _ID_PATTERN.match(name):
                self.issues.at(key_node, f'event type "{name}" is not a valid name')
                continue
            entries = self.keys(value, {"fields": True}, f"event type {name}")
            if entries is None or "fields" not in entries:
                # still register it so rules naming it are not reported twice
                self.event_types[name] = EventTypeSpec(name, {})
                continue
            self.event_types[name] = EventTypeSpec(name, self.fields(entries["fields"], name))

    def fields(self, node: YNode, event_type: str) -> dict[str, FieldSpec]:
        result: dict[str, FieldSpec] = {}
        if node.kind == "scalar" and node.value is None:
            return result  # `fields:` with nothing: an event type without attributes
        if node.kind != "map":
            self.wrong(node, "a mapping of field names to types", f"{event_type}.fields")
            return result
        for name, (key_node, value) in node.value.items():
            if not valid_field_name(name):
                self.issues.at(
                    key_node,
                    f'field name "{name}" is not allowed: use letters, '
                    "digits and _ (not a keyword nor all, any, not, expr)",
                )
                continue
            spec = self.field_type(value, name, f"{event_type}.{name}")
            if spec is not None:
                result[name] = spec
        return result

    def field_type(self, node: YNode, name: str, what: str) -> FieldSpec | None:
        if node.kind == "scalar":
            kind = self.text(node, what)
            if kind is None:
                return None
            if kind not in FIELD_TYPES:
                self.issues.at(node, unknown_name("type", kind, FIELD_TYPES, f"for {what}"))
                return None
            return FieldSpec(name, kind)
        if node.kind != "map":
            self.wrong(node, "a type name or {type: ..., default: ...}", what)
            return None
        is_enum = "enum" in node.value
        allowed = {"enum" if is_enum else "type": True, "default": False, "required": False}
        entries = self.keys(node, allowed, what)
        if entries is None or len(entries) < sum(allowed.values()):
            return None
        if is_enum:
            members = self.seq(entries["enum"], f"{what}.enum", non_empty=True)
            if members is None:
                return None
            values = [self.text(m, f"{what}.enum") for m in members]
            if any(v is None for v in values):
                return None
            if len(set(values)) != len(values):
                self.issues.at(entries["enum"], f"{what}.enum: values must be unique")
            spec = FieldSpec(name, "enum", enum=tuple(v for v in values if v is not None))
        else:
            kind = self.text(entries["type"], f"{what}.type")
            if kind is None:
                return None
            if kind not in FIELD_TYPES:
                self.issues.at(
                    entries["type"], unknown_name("type", kind, FIELD_TYPES, f"for {what}")
                )
                return None
            spec = FieldSpec(name, kind)
        required = False
        if "required" in entries:
            required = bool(self.boolean(entries["required"], f"{what}.required"))
        default = None
        if "default" in entries:
            default_node = entries["default"]
            if default_node.kind != "scalar":
                self.wrong(default_node, "a single value", f"{what}.default")
            elif default_node.value is not INVALID:
                problem = check_field_value(spec, default_node.value)
                if problem:
                    self.issues.at(default_node, f"{what}.default: {problem}")
                else:
                    default = default_node.value
        return FieldSpec(name, spec.type, spec.enum, default, required)

    # -- caps --------------------------------------------------------------------------------

    def _section_caps(self, node: YNode) -> None:
        if node.kind != "map":
            self.wrong(node, "a mapping of cap ids to {per, max}", "caps")
            return
        for cap_id, (key_node, value) in node.value.items():
            if not _ID_PATTERN.match(cap_id):
                self.issues.at(key_node, f'cap id "{cap_id}" is not a valid id')
                continue
            entries = self.keys(
                value, {"per": True, "max": True, "description": False}, f"cap {cap_id}"
            )
            if entries is None or "per" not in entries or "max" not in entries:
                continue
            per = self.choice(entries["per"], CAP_PERIODS, f"caps.{cap_id}.per")
            maximum = self.integer(entries["max"], f"caps.{cap_id}.max", positive=True)
            description = ""
            if "description" in entries:
                description = self.text(entries["description"], f"caps.{cap_id}.description") or ""
            if per is not None and maximum is not None:
                self.caps[cap_id] = CapSpec(cap_id, per, maximum, description)

    # -- rules -------------------------------------------------------------------------------

    def _section_rules(self, node: YNode) -> None:
        items = self.seq(node, "rules", non_empty=True)
        for item in items or ():
            rule = self.rule(item)
            if rule is not None:
                self.rules[rule.id] = rule
                self.rule_nodes[rule.id] = item

    def rule(self, node: YNode) -> RuleSpec | None:
        entries = self.keys(node, _RULE_KEYS, "rule")
        if entries is None:
            return None
        ok = all(k in entries for k, req in _RULE_KEYS.items() if req)
        rule_id = self.ident(entries["id"], "rule id") if "id" in entries else None
        if rule_id is not None:
            if rule_id in self.rule_ids_seen:
                self.issues.at(entries["id"], f'duplicate rule id "{rule_id}"')
                rule_id = None
            else:
                self.rule_ids_seen.add(rule_id)
        label = f"rule {rule_id}" if rule_id else "rule"
        event = None
        if "event" in entries:
            event = self.text(entries["event"], f"{label}: event")
            if event is not None and event not in self.event_types:
                self.issues.at(
                    entries["event"], unknown_name("event type", event, self.event_types)
                )
                event = None
        fields = self.event_types[event].fields if event else {}

        def condition(cond_node: YNode) -> Cond | None:
            if event is None:
                return None
            return parse_condition(cond_node, fields, event, self.issues)

        description = rule_id or ""
        if "description" in entries:
            description = self.text(entries["description"], f"{label}: description") or ""
        when = condition(entries["when"]) if "when" in entries else None
        ok &= "when" not in entries or when is not None
        points = self.points(entries["points"], event, label) if "points" in entries else None
        weight = self.weight(entries["weight"], event, label) if "weight" in entries else None
        ok &= "weight" not in entries or weight is not None
        multipliers: list[MultiplierSpec] = []
        for mult_node in (
            self.seq(entries["multipliers"], f"{label}: multipliers") or ()
            if "multipliers" in entries
            else ()
        ):
            mult = self.multiplier(mult_node, label, condition)
            ok &= mult is not None
            if mult is not None:
                multipliers.append(mult)
        repeat = self.repeat(entries["repeat"], event, label) if "repeat" in entries else None
        ok &= "repeat" not in entries or repeat is not None
        once = self.once(entries["once"], event, label) if "once" in entries else None
        ok &= "once" not in entries or once is not None
        cap = None
        if "cap" in entries:
            cap = self.text(entries["cap"], f"{label}: cap")
            if cap is not None and cap not in self.caps:
                self.issues.at(entries["cap"], unknown_name("cap", cap, self.caps))
                cap = None
            ok &= cap is not None
        if not ok or rule_id is None or event is None or points is None:
            return None
        return RuleSpec(
            id=rule_id,
            description=description,
            event=event,
            points=points,
            when=when,
            weight=weight,
            multipliers=tuple(multipliers),
            repeat=repeat,
            once=once,
            cap=cap,
            line=node.line,
        )

    def value_table(self, node: YNode, spec: FieldSpec, what: str) -> dict[str, float] | None:
        if node.kind != "map":
            self.wrong(node, "a mapping of values to numbers", what)
            return None
        table: dict[str, float] = {}
        for key, (key_node, value) in node.value.items():
            if spec.type == "enum" and key not in spec.enum:
                self.issues.at(
                    key_node,
                    f'{what}: "{key}" is not a value of {spec.name}; '
                    f"expected one of: {', '.join(spec.enum)}",
                )
                continue
            number = self.number(value, f"{what}.{key}")
            if number is not None:
                table[key] = number
        return table if len(table) == len(node.value) else None

    def points(self, node: YNode, event: str | None, label: str) -> Points | None:
        what = f"{label}: points"
        if node.kind == "scalar":
            value = self.number(node, what)
            return FixedPoints(value) if value is not None else None
        if node.kind != "map":
            self.wrong(node, "a number, {by: field, values: ...} or {field: ..., times: ...}", what)
            return None
        if "by" in node.value:
            entries = self.keys(node, {"by": True, "values": True, "default": False}, what)
            if entries is None or "values" not in entries:
                return None
            spec = self.field_ref(entries["by"], event, f"{what}.by", ("enum", "string"))
            default = (
                self.number(entries["default"], f"{what}.default") if "default" in entries else 0.0
            )
            table = self.value_table(entries["values"], spec, f"{what}.values") if spec else None
            if spec is None or table is None or default is None:
                return None
            return PointsByValue(spec.name, table, default)
        if "field" in node.value:
            entries = self.keys(node, {"field": True, "times": False}, what)
            if entries is None:
                return None
            spec = self.field_ref(entries["field"], event, f"{what}.field", ("int", "number"))
            times = self.number(entries["times"], f"{what}.times") if "times" in entries else 1.0
            if spec is None or times is None:
                return None
            return PointsFromField(spec.name, times)
        self.issues.at(
            node,
            f"{what}: expected a number, {{by: field, values: ...}} or {{field: ..., times: ...}}",
        )
        return None

    def weight(self, node: YNode, event: str | None, label: str) -> WeightSpec | None:
        what = f"{label}: weight"
        entries = self.keys(node, {"by": True, "values": True, "default": False}, what)
        if entries is None or "by" not in entries or "values" not in entries:
            return None
        spec = self.field_ref(entries["by"], event, f"{what}.by", ("enum", "string"))
        default = (
            self.number(entries["default"], f"{what}.default", non_negative=True)
            if "default" in entries
            else 1.0
        )
        table = self.value_table(entries["values"], spec, f"{what}.values") if spec else None
        if spec is None or table is None or default is None:
            return None
        return WeightSpec(spec.name, table, default)

    def multiplier(self, node: YNode, label: str, condition: Any) -> MultiplierSpec | None:
        what = f"{label}: multiplier"
        entries = self.keys(node, {"when": True, "factor": True, "reason": False}, what)
        if entries is None or "when" not in entries or "factor" not in entries:
            return None
        when = condition(entries["when"])
        factor = self.number(entries["factor"], f"{what} factor", non_negative=True)
        reason = self.text(entries["reason"], f"{what} reason") if "reason" in entries else ""
        if when is None or factor is None or reason is None:
            return None
        return MultiplierSpec(when, factor, reason or render(when))

    def repeat(self, node: YNode, event: str | None, label: str) -> RepeatSpec | None:
        what = f"{label}: repeat"
        entries = self.keys(node, {"key": True, "factors": True}, what)
        if entries is None or "key" not in entries or "factors" not in entries:
            return None
        key = self.key_fields(entries["key"], event, f"{what}.key")
        factor_nodes = self.seq(entries["factors"], f"{what}.factors", non_empty=True)
        factors = [self.number(f, f"{what}.factors", non_negative=True) for f in factor_nodes or ()]
        if key is None or factor_nodes is None or any(f is None for f in factors):
            return None
        return RepeatSpec(key, tuple(f for f in factors if f is not None))

    def once(self, node: YNode, event: str | None, label: str) -> OnceSpec | None:
        what = f"{label}: once"
        entries = self.keys(node, {"key": True, "per": False}, what)
        if entries is None or "key" not in entries:
            return None
        key = self.key_fields(entries["key"], event, f"{what}.key")
        per = (
            self.choice(entries["per"], ONCE_PERIODS, f"{what}.per") if "per" in entries else "ever"
        )
        if key is None or per is None:
            return None
        return OnceSpec(key, per)

    # -- campaigns ---------------------------------------------------------------------------

    def _section_campaigns(self, node: YNode) -> None:
        seen: set[str] = set()
        for item in self.seq(node, "campaigns") or ():
            entries = self.keys(item, _CAMPAIGN_KEYS, "campaign")
            if entries is None:
                continue
            campaign_id = self.ident(entries["id"], "campaign id") if "id" in entries else None
            if campaign_id is not None and campaign_id in seen:
                self.issues.at(entries["id"], f'duplicate campaign id "{campaign_id}"')
                campaign_id = None
            seen.add(campaign_id or "")
            label = f"campaign {campaign_id}" if campaign_id else "campaign"
            name = (
                self.text(entries["name"], f"{label}: name") if "name" in entries else campaign_id
            )
            start = self.day(entries["from"], f"{label}: from") if "from" in entries else None
            until = self.day(entries["until"], f"{label}: until") if "until" in entries else None
            if start and until and until < start:
                self.issues.at(entries["until"], f"{label}: until {until} is before from {start}")
                until = None
            multiplier = (
                self.number(entries["multiplier"], f"{label}: multiplier", positive=True)
                if "multiplier" in entries
                else None
            )
            rule_ids = self.campaign_rules(entries.get("rules"), label)
            when = None
            when_ok = True
            if "when" in entries and rule_ids:
                # The condition must make sense for every event type the campaign touches.
                for event in dict.fromkeys(self.rules[r].event for r in rule_ids):
                    parsed = parse_condition(
                        entries["when"], self.event_types[event].fields, event, self.issues
                    )
                    when_ok &= parsed is not None
                    when = when or parsed
            if campaign_id and name and start and until and multiplier and rule_ids and when_ok:
                self.campaigns.append(
                    CampaignSpec(campaign_id, name, start, until, tuple(rule_ids), multiplier, when)
                )

    def campaign_rules(self, node: YNode | None, label: str) -> list[str] | None:
        if node is None:
            return None
        items = self.seq(node, f"{label}: rules", non_empty=True)
        if items is None:
            return None
        ids: list[str] = []
        ok = True
        for item in items:
            rule_id = self.text(item, f"{label}: rules")
            if rule_id is None:
                ok = False
            elif rule_id not in self.rules:
                if rule_id not in self.rule_ids_seen:  # an invalid rule is reported already
                    self.issues.at(item, unknown_name("rule", rule_id, self.rule_ids_seen))
                ok = False
            else:
                ids.append(rule_id)
        return ids if ok else None

    # -- leaderboards ------------------------------------------------------------------------

    def _section_leaderboards(self, node: YNode) -> None:
        entries = self.keys(node, {"ties": False, "team_boards": False}, "leaderboards")
        if entries is None:
            return
        ties = (
            self.choice(entries["ties"], TIE_POLICIES, "leaderboards.ties")
            if "ties" in entries
            else "shared"
        )
        team_boards = (
            self.boolean(entries["team_boards"], "leaderboards.team_boards")
            if "team_boards" in entries
            else True
        )
        if ties is not None and team_boards is not None:
            self.leaderboards = LeaderboardSpec(ties, team_boards)

    # -- shoutouts ---------------------------------------------------------------------------

    def _section_shoutouts(self, node: YNode) -> None:
        entries = self.keys(node, _SHOUTOUT_KEYS, "shoutouts")
        if entries is None:
            return
        allowance = self.allowance(entries["allowance"]) if "allowance" in entries else None
        limits: dict[str, int | None] = dict(_SHOUTOUT_DEFAULTS)
        for key in limits:
            if key in entries:
                limits[key] = self.integer(entries[key], f"shoutouts.{key}", positive=True)
        values = self.company_values(entries["values"]) if "values" in entries else None
        event = self.shoutout_event(entries["event"], values) if "event" in entries else None
        recipients, message = limits["max_recipients"], limits["max_message"]
        if allowance and recipients and message and event and values:
            self.shoutouts = ShoutoutSpec(
                allowance[0], allowance[1], recipients, message, event, tuple(values)
            )

    def allowance(self, node: YNode) -> tuple[str, int] | None:
        entries = self.keys(node, {"per": True, "max": True}, "shoutouts.allowance")
        if entries is None or "per" not in entries or "max" not in entries:
            return None
        per = self.choice(entries["per"], ALLOWANCE_PERIODS, "shoutouts.allowance.per")
        maximum = self.integer(entries["max"], "shoutouts.allowance.max", positive=True)
        if per is None or maximum is None:
            return None
        return per, maximum

    def company_values(self, node: YNode) -> list[ValueSpec] | None:
        items = self.seq(node, "shoutouts.values", non_empty=True)
        if items is None:
            return None
        values: list[ValueSpec] = []
        seen: set[str] = set()
        ok = True
        for item in items:
            entries = self.keys(item, {"id": True, "name": False, "description": False}, "value")
            if entries is None or "id" not in entries:
                ok = False
                continue
            value_id = self.name_id(entries["id"], "shoutouts.values: id")
            if value_id is not None and value_id in seen:
                self.issues.at(entries["id"], f'duplicate value id "{value_id}"')
                value_id = None
            label = f"shoutouts.values.{value_id}" if value_id else "shoutouts.values"
            name = self.text(entries["name"], f"{label}.name") if "name" in entries else value_id
            description = ""
            if "description" in entries:
                description = self.text(entries["description"], f"{label}.description") or ""
                ok &= bool(description)
            if value_id is None or name is None:
                ok = False
                continue
            seen.add(value_id)
            values.append(ValueSpec(value_id, name, description))
        return values if ok else None

    def shoutout_event(self, node: YNode, values: list[ValueSpec] | None) -> str | None:
        """The recipient's event type: it must carry who gave (`giver`) and which `value`."""
        event = self.text(node, "shoutouts.event")
        if event is None:
            return None
        if event not in self.event_types:
            self.issues.at(node, unknown_name("event type", event, self.event_types))
            return None
        fields = self.event_types[event].fields
        ok = True
        for name in ("giver", "value"):
            spec = fields.get(name)
            if spec is None:
                self.issues.at(
                    node, f'shoutouts.event: event type {event} needs a string field "{name}"'
                )
                ok = False
            elif spec.type == "enum" and name == "value" and values is not None:
                # An enum works too, as long as every company value is one of its members.
                missing = [v.id for v in values if v.id not in spec.enum]
                if missing:
                    self.issues.at(
                        node,
                        f"shoutouts.event: {event}.value is an enum without "
                        f"{', '.join(missing)}; add them or make it a string field",
                    )
                    ok = False
            elif spec.type != "string":
                self.issues.at(
                    node,
                    f"shoutouts.event: {event}.{name} is {spec.type}; expected a string field",
                )
                ok = False
        return event if ok else None

    def name_id(self, node: YNode, what: str) -> str | None:
        """An id that may appear in a URL or a JSON body: letters, digits, _ and -."""
        value = self.text(node, what)
        if value is not None and not _NAME_PATTERN.match(value):
            self.issues.at(
                node,
                f'{what}: "{value}" is not a valid id (letters, digits, _ and -; '
                "starting with a letter or _)",
            )
            return None
        return value

    # -- sources -----------------------------------------------------------------------------

    def _section_sources(self, node: YNode) -> None:
        if node.kind != "map":
            self.wrong(node, "a mapping of source ids to mappings", "sources")
            return
        for source_id, (key_node, value) in node.value.items():
            if not _NAME_PATTERN.match(source_id):
                self.issues.at(
                    key_node,
                    f'source id "{source_id}" is not a valid id (letters, digits, _ and -; '
                    "starting with a letter or _)",
                )
                continue
            source = self.source(source_id, value)
            if source is not None:
                self.sources[source_id] = source

    def source(self, source_id: str, node: YNode) -> SourceSpec | None:
        label = f"source {source_id}"
        fmt: str | None = None
        if node.kind == "map" and "format" in node.value:
            fmt = self.choice(node.value["format"][1], SOURCE_FORMATS, f"{label}: format")
        # A canonical body maps itself: employee and events would be silently ignored. With a
        # bad format, only unknown keys are worth a word: what is required depends on the format.
        allowed = {"format": True} if fmt == "canonical" else _ENVELOPE_KEYS
        if fmt is None:
            allowed = {key: key == "format" for key in _ENVELOPE_KEYS}
        entries = self.keys(node, allowed, label)
        if entries is None or fmt is None:
            return None
        if fmt == "canonical":
            return SourceSpec(source_id, fmt)
        employee = (
            self.employee_paths(entries["employee"], label) if "employee" in entries else None
        )
        events = self.source_events(entries["events"], label) if "events" in entries else None
        if employee is None or events is None:
            return None
        return SourceSpec(source_id, fmt, employee, events)

    def path(self, node: YNode, what: str) -> str | None:
        value = self.text(node, what)
        if value is not None and not valid_path(value):
            self.issues.at(
                node,
                f'{what}: "{value}" is not a path; expected keys joined by dots, '
                "such as data.user.email (list positions as numbers: items.0.id)",
            )
            return None
        return value

    def employee_paths(self, node: YNode, label: str) -> tuple[str, ...] | None:
        what = f"{label}: employee"
        if node.kind != "seq":
            self.wrong(node, "a list of paths, first with a value wins", what)
            return None
        items = self.seq(node, what, non_empty=True)
        if items is None:
            return None
        paths = [self.path(item, what) for item in items]
        if any(p is None for p in paths):
            return None
        return tuple(p for p in paths if p is not None)

    def source_events(self, node: YNode, label: str) -> dict[str, EventMapping] | None:
        what = f"{label}: events"
        if node.kind != "map":
            self.wrong(node, "a mapping of the sender's event types to mappings", what)
            return None
        if not node.value:
            self.issues.at(node, f"{what}: must not be empty")
            return None
        events: dict[str, EventMapping] = {}
        ok = True
        for name, (key_node, value) in node.value.items():
            if not name.strip():
                self.issues.at(key_node, f"{what}: an event type must not be empty")
                ok = False
                continue
            mapping = self.event_mapping(value, f"{label}, event {name}")
            if mapping is None:
                ok = False
            else:
                events[name] = mapping
        return events if ok else None

    def event_mapping(self, node: YNode, label: str) -> EventMapping | None:
        entries = self.keys(node, _EVENT_MAPPING_KEYS, label)
        if entries is None or "type" not in entries:
            return None
        event = self.text(entries["type"], f"{label}: type")
        if event is not None and event not in self.event_types:
            self.issues.at(entries["type"], unknown_name("event type", event, self.event_types))
            event = None
        occurred_at = (
            self.path(entries["occurred_at"], f"{label}: occurred_at")
            if "occurred_at" in entries
            else "timestamp"
        )
        event_id = self.path(entries["id"], f"{label}: id") if "id" in entries else None
        ok = occurred_at is not None and ("id" not in entries or event_id is not None)
        attributes: dict[str, AttributeValue] = {}
        attr_node = entries.get("attributes")
        if event is not None:
            fields = self.event_types[event].fields
            if attr_node is not None and attr_node.kind != "map":
                self.wrong(attr_node, "a mapping of field names to paths", f"{label}: attributes")
                ok = False
            elif attr_node is not None:
                for name, (key_node, value) in attr_node.value.items():
                    spec = fields.get(name)
                    if spec is None:
                        self.issues.at(
                            key_node, unknown_name("field", name, fields, f"for event type {event}")
                        )
                        ok = False
                        continue
                    mapped = self.attribute_value(value, spec, f"{label}: attributes.{name}")
                    if mapped is None:
                        ok = False
                    else:
                        attributes[name] = mapped
            for spec in fields.values():
                if spec.required and spec.default is None and spec.name not in attributes and ok:
                    self.issues.at(
                        attr_node or node,
                        f"{label}: attributes: required field {spec.name} of event type "
                        f"{event} is not mapped",
                    )
                    ok = False
        if event is None or not ok or occurred_at is None:
            return None
        return EventMapping(event, attributes, occurred_at, event_id)

    def attribute_value(self, node: YNode, spec: FieldSpec, what: str) -> AttributeValue | None:
        if node.kind == "scalar" and isinstance(node.value, str):
            path = self.path(node, what)
            return PathValue(path) if path is not None else None
        if node.kind != "map":
            self.wrong(node, _ATTRIBUTE_FORMS, what)
            return None
        if "const" in node.value:
            entries = self.keys(node, {"const": True}, what)
            if entries is None:
                return None
            value = self.field_value(entries["const"], spec, f"{what}.const")
            return ConstValue(value) if value is not None else None
        if "present" in node.value:
            entries = self.keys(node, {"present": True}, what)
            if entries is None:
                return None
            path = self.path(entries["present"], f"{what}.present")
            if spec.type != "bool":
                self.issues.at(
                    entries["present"],
                    f"{what}: present gives true or false, but {spec.name} is {spec.type}",
                )
                return None
            return PresentValue(path) if path is not None else None
        if "path" not in node.value:
            self.issues.at(node, f"{what}: expected {_ATTRIBUTE_FORMS}")
            return None
        entries = self.keys(node, {"path": True, "default": False, "map": False}, what)
        if entries is None:
            return None
        path = self.path(entries["path"], f"{what}.path")
        default = (
            self.field_value(entries["default"], spec, f"{what}.default")
            if "default" in entries
            else None
        )
        ok = path is not None and ("default" not in entries or default is not None)
        table: dict[str, Any] | None = None
        if "map" in entries:
            table = self.value_map(entries["map"], spec, f"{what}.map")
            ok &= table is not None
        if not ok or path is None:
            return None
        return PathValue(path, default, table)

    def value_map(self, node: YNode, spec: FieldSpec, what: str) -> dict[str, Any] | None:
        """The sender's values (keys, as text) to ours; each target must fit the field."""
        if node.kind != "map" or not node.value:
            if node.kind == "map":
                self.issues.at(node, f"{what}: must not be empty")
            else:
                self.wrong(node, "a mapping of the sender's values to ours", what)
            return None
        table: dict[str, Any] = {}
        for key, (_, value) in node.value.items():
            target = self.field_value(value, spec, f"{what}.{key}")
            if target is not None:
                table[key] = target
        return table if len(table) == len(node.value) else None

    def field_value(self, node: YNode, spec: FieldSpec, what: str) -> Any:
        """A constant for field ``spec`` (None after reporting why it does not fit)."""
        if node.kind != "scalar":
            self.wrong(node, "a single value", what)
            return None
        if node.value is INVALID:
            return None
        problem = check_field_value(spec, node.value)
        if problem:
            self.issues.at(node, f"{what}: {problem}")
            return None
        return node.value

    # -- tests -------------------------------------------------------------------------------

    def _section_tests(self, node: YNode) -> None:
        for item in self.seq(node, "tests") or ():
            test = self.test(item)
            if test is not None:
                self.tests.append(test)

    def test(self, node: YNode) -> TestSpec | None:
        entries = self.keys(node, {"name": True, "events": True, "expect": True}, "test")
        if entries is None:
            return None
        name = self.text(entries["name"], "test name") if "name" in entries else None
        label = f'test "{name}"' if name else "test"
        events: list[TestEventSpec | None] = []
        for event_node in (
            self.seq(entries["events"], f"{label}: events", non_empty=True) or ()
            if "events" in entries
            else ()
        ):
            events.append(self.test_event(event_node, label))
        expect = self.expect(entries["expect"], label) if "expect" in entries else None
        if name is None or not events or any(e is None for e in events) or expect is None:
            return None
        points, rule_ids, reasons = expect
        return TestSpec(
            name,
            tuple(e for e in events if e is not None),
            points,
            rule_ids,
            reasons,
            node.line,
            node.col,
        )

    def test_event(self, node: YNode, label: str) -> TestEventSpec | None:
        entries = self.keys(
            node, {"type": True, "occurred_at": True, "attributes": False}, f"{label} event"
        )
        if entries is None or "type" not in entries or "occurred_at" not in entries:
            return None
        event = self.text(entries["type"], f"{label}: type")
        if event is not None and event not in self.event_types:
            self.issues.at(entries["type"], unknown_name("event type", event, self.event_types))
            event = None
        occurred_at = None
        raw = self.text(entries["occurred_at"], f"{label}: occurred_at")
        if raw is not None:
            try:
                occurred_at = datetime.fromisoformat(raw)
            except ValueError:
                occurred_at = None
            if occurred_at is None or occurred_at.utcoffset() is None:
                self.issues.at(
                    entries["occurred_at"],
                    f"{label}: occurred_at: expected an ISO "
                    f'datetime with offset such as "2026-11-03T09:00:00+01:00", '
                    f'got "{raw}"',
                )
                occurred_at = None
        attributes: dict[str, Any] = {}
        ok = True
        attr_node = entries.get("attributes")
        if attr_node is not None and event is not None:
            if attr_node.kind != "map":
                self.wrong(attr_node, "a mapping of attributes", f"{label}: attributes")
                ok = False
            else:
                fields = self.event_types[event].fields
                for key, (key_node, value) in attr_node.value.items():
                    spec = fields.get(key)
                    if spec is None:
                        self.issues.at(
                            key_node, unknown_name("field", key, fields, f"for event type {event}")
                        )
                        ok = False
                    elif value.kind != "scalar" or value.value is INVALID:
                        if value.value is not INVALID:
                            self.wrong(value, "a single value", f"attributes.{key}")
                        ok = False
                    elif value.value is not None:
                        problem = check_field_value(spec, value.value)
                        if problem:
                            self.issues.at(value, f"attributes.{key}: {problem}")
                            ok = False
                        attributes[key] = value.value
                for field in fields.values():
                    if field.required and field.name not in attributes:
                        self.issues.at(
                            attr_node, f"attributes.{field.name}: required field missing"
                        )
                        ok = False
        if event is None or occurred_at is None or not ok:
            return None
        return TestEventSpec(event, occurred_at, attributes)

    def expect(
        self, node: YNode, label: str
    ) -> tuple[int, tuple[str, ...] | None, tuple[str, ...]] | None:
        entries = self.keys(
            node, {"points": True, "rules": False, "reasons": False}, f"{label}: expect"
        )
        if entries is None or "points" not in entries:
            return None
        points = self.integer(entries["points"], f"{label}: expect.points")
        rule_ids: tuple[str, ...] | None = None
        if "rules" in entries:
            items = self.seq(entries["rules"], f"{label}: expect.rules")
            ids = [self.text(i, f"{label}: expect.rules") for i in items or ()]
            for item, rule_id in zip(items or (), ids, strict=True):
                if rule_id is not None and rule_id not in self.rule_ids_seen:
                    self.issues.at(item, unknown_name("rule", rule_id, self.rule_ids_seen))
            if items is None or any(i is None for i in ids):
                return None
            rule_ids = tuple(i for i in ids if i is not None)
        reasons: list[str | None] = []
        if "reasons" in entries:
            reasons = [
                self.text(i, f"{label}: expect.reasons")
                for i in self.seq(entries["reasons"], f"{label}: expect.reasons") or ()
            ]
        if points is None or any(r is None for r in reasons):
            return None
        return points, rule_ids, tuple(r for r in reasons if r is not None)


def _rule_version(rule: RuleSpec, caps: dict[str, CapSpec], campaigns: list[CampaignSpec]) -> str:
    """First 12 hex of sha256 over what decides a rule's points: the rule, its cap, its campaigns.

    Built from the validated structs (not the YAML text), so layout, comments and key order do
    not change it, while any change to what the rule awards does.
    """
    definition = {
        "rule": msgspec.to_builtins(rule),
        "cap": msgspec.to_builtins(caps[rule.cap]) if rule.cap else None,
        "campaigns": [msgspec.to_builtins(c) for c in campaigns if rule.id in c.rules],
    }
    definition["rule"].pop("line", None)
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def build_program(root: YNode, issues: Issues) -> ProgramSpec | None:
    """Walk the YAML tree; the program if the file is valid, else None (issues collected)."""
    walker = _Walker(issues)
    walker.document(root)
    if len(issues) or walker.program is None:
        return None
    p = walker.program
    return ProgramSpec(
        id=p["id"],
        name=p["name"],
        version=p["version"],
        effective=p["effective"],
        timezone=p["timezone"],
        week_start=p["week_start"],
        event_types=walker.event_types,
        caps=walker.caps,
        campaigns=tuple(walker.campaigns),
        rules=tuple(walker.rules.values()),
        tests=tuple(walker.tests),
        leaderboards=walker.leaderboards,
        shoutouts=walker.shoutouts,
        sources=walker.sources,
        badges=tuple(walker.badges),
        awards=tuple(walker.awards),
        connectors=walker.connectors,
        rewards=tuple(walker.rewards),
        rule_versions={
            r.id: _rule_version(r, walker.caps, walker.campaigns) for r in walker.rules.values()
        },
    )
