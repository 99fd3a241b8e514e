"""What scoring, explaining and checking hand back to the engine, the CLI and HR."""

from __future__ import annotations

import msgspec

__all__ = ["Award", "CheckResult", "RuleExplanation"]


class Award(msgspec.Struct, gc=False):
    """Points one rule gives one event. Built on the hot path: a plain, untracked struct.

    Awards that came to 0 (cap reached, already counted, repeat factor 0) are returned too, so
    simulation can count cap hits; the engine stores only non-zero ones.
    """

    rule_id: str
    rule_version: str  # 12 hex of sha256 over the rule's canonical definition
    points: int  # final: rounded half up after all factors and cuts
    reasons: list[str]  # human reasons, in the order they were applied
    capped: bool  # a cap cut this award (fully or partly)
    base_points: float  # before repeat / once / cap cuts


class RuleExplanation(msgspec.Struct):
    """Why one rule did or did not give points to one event (slow path, for humans)."""

    rule_id: str
    matched: bool
    why: str
    award: Award | None = None


class CheckResult(msgspec.Struct):
    """Outcome of one example in the rules file's `tests:` section."""

    name: str
    ok: bool
    message: str
    line: int
