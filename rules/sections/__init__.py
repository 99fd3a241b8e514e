"""The sections of rules.yaml, walked in dependency order into one ProgramSpec.

The walk never stops at the first problem: each section is checked as far as it can be and every
issue is reported at the node it concerns (the key for unknown keys, the value for bad values).
Each section is read by a ``walk_<name>`` function of one module here; adding a section is such a
function plus its entry in ``_SECTIONS``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Final

import msgspec

from rules._report import Issues
from rules._walker import ProgramDraft, Walker
from rules._yaml import YNode
from rules.model import CampaignSpec, CapSpec, ProgramSpec, RuleSpec
from rules.sections.awards import walk_awards
from rules.sections.badges import walk_badges
from rules.sections.integrity import walk_integrity
from rules.sections.point_rules import walk_campaigns, walk_caps, walk_rules
from rules.sections.program import walk_event_types, walk_program
from rules.sections.rewards import walk_connectors, walk_rewards
from rules.sections.social import walk_leaderboards, walk_shoutouts
from rules.sections.sources import walk_sources
from rules.sections.tests import walk_tests

__all__ = ["build_program"]

SectionWalk = Callable[[Walker, ProgramDraft, YNode], None]

# name -> (required, walk); walked in this order because later sections refer to earlier ones.
_SECTIONS: Final[dict[str, tuple[bool, SectionWalk]]] = {
    "program": (True, walk_program),
    "event_types": (True, walk_event_types),
    "caps": (False, walk_caps),
    "rules": (True, walk_rules),
    "campaigns": (False, walk_campaigns),
    "leaderboards": (False, walk_leaderboards),
    "shoutouts": (False, walk_shoutouts),
    "sources": (False, walk_sources),
    "badges": (False, walk_badges),  # after rules: a badge may name any event type
    "awards": (False, walk_awards),  # after rules and badges: an award names both
    "connectors": (False, walk_connectors),
    "rewards": (False, walk_rewards),  # after badges, awards and connectors: a reward names them
    "integrity": (False, walk_integrity),
    "tests": (False, walk_tests),
}
_REQUIRED: Final = {name: required for name, (required, _) in _SECTIONS.items()}


def _walk_document(walker: Walker, draft: ProgramDraft, root: YNode) -> None:
    if root.kind != "map":
        walker.issues.at(
            root,
            "a rules file must be a mapping with the sections "
            f"{', '.join(k for k, req in _REQUIRED.items() if req)}",
        )
        return
    sections = walker.keys(root, _REQUIRED, "the rules file")
    if sections is None:
        return
    for name, (_, walk) in _SECTIONS.items():
        if name in sections:
            walk(walker, draft, sections[name])


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
    if definition["rule"].get("after") is None:  # rules without a prerequisite keep their versions
        definition["rule"].pop("after", None)
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def build_program(root: YNode, issues: Issues) -> ProgramSpec | None:
    """Walk the YAML tree; the program if the file is valid, else None (issues collected)."""
    draft = ProgramDraft()
    _walk_document(Walker(issues), draft, root)
    if len(issues) or draft.program is None:
        return None
    p = draft.program
    return ProgramSpec(
        id=p["id"],
        name=p["name"],
        version=p["version"],
        effective=p["effective"],
        timezone=p["timezone"],
        week_start=p["week_start"],
        max_future_minutes=p["max_future_minutes"],
        event_types=draft.event_types,
        caps=draft.caps,
        campaigns=tuple(draft.campaigns),
        rules=tuple(draft.rules.values()),
        tests=tuple(draft.tests),
        leaderboards=draft.leaderboards,
        shoutouts=draft.shoutouts,
        sources=draft.sources,
        badges=tuple(draft.badges),
        awards=tuple(draft.awards),
        connectors=draft.connectors,
        rewards=tuple(draft.rewards),
        integrity=tuple(draft.integrity),
        rule_versions={
            r.id: _rule_version(r, draft.caps, draft.campaigns) for r in draft.rules.values()
        },
    )
