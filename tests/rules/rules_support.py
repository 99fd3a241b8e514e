"""Shared helpers for the rules tests: a small base program and builders around it."""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path

from rules import CompiledRules, RulesError, load_rules_text

__all__ = ["BASE", "DATA", "ROOT", "at", "build", "issues_of"]

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"

# Europe/Amsterdam on purpose: day, week and campaign edges are local, not UTC.
BASE = """\
program:
  id: test
  version: "1"
  effective: "2026-01-01"
  timezone: Europe/Amsterdam
event_types:
  share:
    fields:
      content_id: string
      content_kind: {enum: [curated, owned, promotional]}
      personalized: {type: bool, default: false}
      audience: int
      reach: number
      network: string
      campaign: string
  click:
    fields:
      content_id: string
      visitor: string
      suspected_bot: {type: bool, default: false}
  referral:
    fields:
      candidate_id: string
      stage: {enum: [submitted, interviewed, hired]}
  reaction:
    fields:
      count: {type: int, default: 1}
      kind: {enum: [like, comment]}
caps:
  daily: {per: day, max: 20, description: "sharing, per day"}
  weekly: {per: week, max: 100}
"""


def build(rules: str, extra: str = "", *, run_tests: bool = True) -> CompiledRules:
    """BASE plus a `rules:` section (and any extra sections), compiled."""
    text = BASE + "rules:\n" + textwrap.indent(textwrap.dedent(rules).strip("\n"), "  ") + "\n"
    if extra:
        text += textwrap.dedent(extra)
    return load_rules_text(text, "rules.yaml", run_tests=run_tests)


def issues_of(text: str) -> list[str]:
    """The issues of a rules text as 'file:line:col: message' strings (fails if it loads)."""
    try:
        load_rules_text(textwrap.dedent(text), "rules.yaml")
    except RulesError as exc:
        return [str(issue) for issue in exc.issues]
    raise AssertionError("expected the rules to be rejected")


def at(text: str) -> datetime:
    """An aware datetime from ISO text with offset."""
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None
    return value
