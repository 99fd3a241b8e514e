"""The schema walker's core: reads YAML nodes as ids, numbers, choices and lists.

Every reader reports a problem at the node it concerns (``rules.yaml:LINE:COL``) and returns None;
none raises, so a section reads on past a mistake and one validation shows every problem.
``ProgramDraft`` is what the walk has read so far: later sections check their references against it.
The sections themselves are walked by the functions of ``rules.sections``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, TypeVar

from rules._fields import EventTypeSpec, describe_value, is_number
from rules._report import Issues, unknown_name
from rules._yaml import INVALID, YNode
from rules.integrity import IntegritySpec
from rules.model import (
    AwardSpec,
    BadgeSpec,
    CampaignSpec,
    CapSpec,
    ConnectorSpec,
    LeaderboardSpec,
    RewardSpec,
    RuleSpec,
    ShoutoutSpec,
    TestSpec,
)
from rules.sources import SourceSpec

__all__ = ["ID_PATTERN", "NAME_PATTERN", "ProgramDraft", "Walker"]

# Ids end up in counter keys ("cap:<id>:<period>") and messages: no colons, no spaces.
ID_PATTERN: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
# Ids that travel in URLs (/webhooks/{source}) and API bodies: no dots either.
NAME_PATTERN: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_DATE_PATTERN: Final = re.compile(r"\d{4}-\d{2}-\d{2}\Z")

_Item = TypeVar("_Item")


@dataclass
class ProgramDraft:
    """The sections walked so far; a struct is here only if it is valid.

    The ``*_ids_seen`` sets hold every id written, valid or not: a reference to an invalid item
    was reported at the item already, so it is not reported again as unknown.
    """

    program: dict[str, Any] | None = None  # the `program:` header, complete or None
    event_types: dict[str, EventTypeSpec] = field(default_factory=dict)
    caps: dict[str, CapSpec] = field(default_factory=dict)
    rules: dict[str, RuleSpec] = field(default_factory=dict)
    rule_ids_seen: set[str] = field(default_factory=set)
    campaigns: list[CampaignSpec] = field(default_factory=list)
    leaderboards: LeaderboardSpec = field(default_factory=LeaderboardSpec)
    shoutouts: ShoutoutSpec | None = None
    sources: dict[str, SourceSpec] = field(default_factory=dict)
    badges: list[BadgeSpec] = field(default_factory=list)
    badge_ids_seen: set[str] = field(default_factory=set)
    awards: list[AwardSpec] = field(default_factory=list)
    connectors: dict[str, ConnectorSpec] = field(default_factory=dict)
    connector_ids_seen: set[str] = field(default_factory=set)
    rewards: list[RewardSpec] = field(default_factory=list)
    tests: list[TestSpec] = field(default_factory=list)
    integrity: list[IntegritySpec] = field(default_factory=list)


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


class Walker:
    """Reads single nodes against the schema; ``what`` names the node in every message."""

    def __init__(self, issues: Issues) -> None:
        self.issues = issues

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
        """An id that may appear in counter keys and messages: letters, digits, _ . and -."""
        return self.matching_id(
            node, what, ID_PATTERN, "letters, digits, _ . -; starting with a letter"
        )

    def name_id(self, node: YNode, what: str) -> str | None:
        """An id that may appear in a URL or a JSON body: letters, digits, _ and -."""
        return self.matching_id(
            node, what, NAME_PATTERN, "letters, digits, _ and -; starting with a letter or _"
        )

    def matching_id(
        self, node: YNode, what: str, pattern: re.Pattern[str], rule: str
    ) -> str | None:
        """Text that ``pattern`` matches; ``rule`` says in words what it allows."""
        value = self.text(node, what)
        if value is not None and not pattern.match(value):
            self.issues.at(node, f'{what}: "{value}" is not a valid id ({rule})')
            return None
        return value

    def unique_id(
        self,
        entries: dict[str, YNode],
        read: Callable[[YNode, str], str | None],
        seen: set[str],
        kind: str,
    ) -> str | None:
        """The `id:` of a list item as ``read`` reads it, added to ``seen``; None if it is
        missing, invalid, or the id of an earlier item."""
        if "id" not in entries:
            return None
        value = read(entries["id"], f"{kind} id")
        if value is not None:
            if value in seen:
                self.issues.at(entries["id"], f'duplicate {kind} id "{value}"')
                return None
            seen.add(value)
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

    def count(self, node: YNode, what: str) -> int | None:
        """A whole number, 0 or more (bonus points, minimums)."""
        value = self.integer(node, what)
        if value is not None and value < 0:
            self.issues.at(node, f"{what}: must not be negative, got {value}")
            return None
        return value

    def bounded(self, node: YNode, low: int, high: int, what: str) -> int | None:
        value = self.integer(node, what)
        if value is not None and not low <= value <= high:
            self.issues.at(node, f"{what}: expected {low} to {high}, got {value}")
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

    def names(self, node: YNode, options: tuple[str, ...], what: str) -> tuple[str, ...] | None:
        """A non-empty list of distinct names from ``options``, in the order written."""
        items = self.seq(node, what, non_empty=True)
        if items is None:
            return None
        chosen: list[str] = []
        ok = True
        for item in items:
            value = self.choice(item, options, what)
            if value is not None and value in chosen:
                self.issues.at(item, f'{what}: "{value}" is listed twice')
                value = None
            ok &= value is not None
            if value is not None:
                chosen.append(value)
        return tuple(chosen) if ok else None

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

    def each(
        self,
        node: YNode,
        what: str,
        read: Callable[[YNode], _Item | None],
        *,
        non_empty: bool = False,
    ) -> Iterator[_Item]:
        """What ``read`` makes of each item of a list, in file order; rejected items are skipped."""
        for item in self.seq(node, what, non_empty=non_empty) or ():
            value = read(item)
            if value is not None:
                yield value
