"""rules: the rules.yaml program of Plaudit: strict loading, compiled matchers, scoring.

Knows nothing of databases, HTTP or the CLI; the engine and the CLI are written against the
names exported here.
"""

from __future__ import annotations

from rules._fields import EventTypeSpec, FieldSpec, person_ref
from rules.compiling import CompiledRules, compile_rules
from rules.errors import RuleIssue, RulesError
from rules.loading import failing_tests, load_rules, load_rules_text
from rules.model import (
    AWARD_METRICS,
    AWARD_PERIODS,
    AWARD_SCOPES,
    AWARD_TIE_BREAKERS,
    BADGE_ICONS,
    BADGE_KINDS,
    BADGE_SHAPES,
    BADGE_WINDOWS,
    CONNECTOR_KINDS,
    REWARD_TRIGGERS,
    AwardSpec,
    BadgeCriteria,
    BadgeSpec,
    BadgeTier,
    CapSpec,
    ConnectorSpec,
    LeaderboardSpec,
    PayoutRate,
    ProgramSpec,
    RewardSpec,
    RuleSpec,
    ShoutoutSpec,
    ValueSpec,
)
from rules.periods import PERIOD_KINDS, PeriodKeys, period_keys
from rules.results import Award, CheckResult, RuleExplanation
from rules.sources import (
    ConstValue,
    EventMapping,
    MappedEvent,
    PathValue,
    PresentValue,
    SourceSpec,
)

__all__ = [
    "AWARD_METRICS",
    "AWARD_PERIODS",
    "AWARD_SCOPES",
    "AWARD_TIE_BREAKERS",
    "BADGE_ICONS",
    "BADGE_KINDS",
    "BADGE_SHAPES",
    "BADGE_WINDOWS",
    "CONNECTOR_KINDS",
    "PERIOD_KINDS",
    "REWARD_TRIGGERS",
    "Award",
    "AwardSpec",
    "BadgeCriteria",
    "BadgeSpec",
    "BadgeTier",
    "CapSpec",
    "CheckResult",
    "CompiledRules",
    "ConnectorSpec",
    "ConstValue",
    "EventMapping",
    "EventTypeSpec",
    "FieldSpec",
    "LeaderboardSpec",
    "MappedEvent",
    "PathValue",
    "PayoutRate",
    "PeriodKeys",
    "PresentValue",
    "ProgramSpec",
    "RewardSpec",
    "RuleExplanation",
    "RuleIssue",
    "RuleSpec",
    "RulesError",
    "ShoutoutSpec",
    "SourceSpec",
    "ValueSpec",
    "compile_rules",
    "failing_tests",
    "load_rules",
    "load_rules_text",
    "period_keys",
    "person_ref",
]
