"""The audit log of rules publishing: one entry per new version with its diff, none for a no-op or a failure.

Expected summaries and diffs are written by hand from the two small programs below (17 lines; version 2
changes the version line and the share points: 2 lines added, 2 removed).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from admin.cli import main
from engine.scoring.rulesets import PublishError, publish
from engine.storage.audit import RULES_PUBLISHED, diff_counts, recent, record, rules_diff
from engine.storage.database import Database
from rules import load_rules_text

V1 = """\
program:
  id: audit
  version: "1"
  effective: "2026-01-01"
  timezone: UTC
event_types:
  share:
    fields:
      content_id: string
rules:
  - id: share
    event: share
    points: 10
  - id: share_bonus
    event: share
    when: {content_id: launch}
    points: 5
"""
V2 = V1.replace('version: "1"', 'version: "2"').replace("points: 10", "points: 20")

V2_DIFF = """\
--- ruleset 1
+++ ruleset 2
@@ -1,6 +1,6 @@
 program:
   id: audit
-  version: "1"
+  version: "2"
   effective: "2026-01-01"
   timezone: UTC
 event_types:
@@ -10,7 +10,7 @@
 rules:
   - id: share
     event: share
-    points: 10
+    points: 20
   - id: share_bonus
     event: share
     when: {content_id: launch}
"""


def entries(db: Database) -> list[tuple[str, str, str]]:
    return [(e.actor, e.subject, e.summary) for e in recent(db, action=RULES_PUBLISHED)]


def test_publish_twice_writes_one_entry_each_with_its_diff(db: Database) -> None:
    assert publish(db, load_rules_text(V1, run_tests=False), actor="hr:anna")[1] is True
    assert publish(db, load_rules_text(V2, run_tests=False), actor="hr:bo")[1] is True

    # Newest first.
    assert entries(db) == [
        ("hr:bo", "2", "published 2 (was 1): +2 −2 lines"),
        ("hr:anna", "1", "published 1 (first ruleset): +17 −0 lines"),
    ]
    second, first = recent(db, action=RULES_PUBLISHED)
    assert second.detail == V2_DIFF
    # The first diff adds every line of the file.
    added = "".join(f"+{line}" for line in V1.splitlines(keepends=True))
    assert first.detail == "--- (no ruleset)\n+++ ruleset 1\n@@ -0,0 +1,17 @@\n" + added
    assert second.action == RULES_PUBLISHED
    assert second.at >= first.at and second.at.tzinfo is not None


def test_same_content_again_writes_nothing(db: Database) -> None:
    rules = load_rules_text(V1, run_tests=False)
    publish(db, rules, actor="hr:anna")
    assert publish(db, rules, actor="hr:bo")[1] is False
    assert entries(db) == [("hr:anna", "1", "published 1 (first ruleset): +17 −0 lines")]


def test_a_failing_publish_leaves_no_entry(db: Database) -> None:
    publish(db, load_rules_text(V1, run_tests=False), actor="hr:anna")
    clash = V1.replace("points: 10", "points: 99")  # version "1" again with other content
    with pytest.raises(PublishError):
        publish(db, load_rules_text(clash, run_tests=False), actor="hr:bo")
    with pytest.raises(ValueError, match="actor"):
        publish(db, load_rules_text(V2, run_tests=False), actor="  ")
    assert len(entries(db)) == 1
    assert db.query('SELECT COUNT(*) FROM "ruleset"')[0][0] == 1


def test_an_entry_rolls_back_with_its_transaction(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction():
        record(db, "hr:anna", "test.thing", "x", "did a thing")
        raise RuntimeError("the change failed")
    assert recent(db) == []
    record(db, "hr:anna", "test.thing", "x", "did a thing", at=datetime(2026, 11, 1, tzinfo=UTC))
    record(db, "hr:bo", "other.thing", "y", "did another")
    assert [(e.actor, e.action) for e in recent(db)] == [
        ("hr:bo", "other.thing"),
        ("hr:anna", "test.thing"),
    ]
    assert [e.subject for e in recent(db, action="test.thing")] == ["x"]
    assert len(recent(db, limit=1)) == 1
    with pytest.raises(ValueError):
        record(db, "", "test.thing")


def test_rules_diff_and_counts() -> None:
    assert rules_diff("a\nb\n", "a\nb\n", "old", "new") == ""
    diff = rules_diff("a\nb", "a\nc\nd", "old", "new")  # no newline at the end: still one line each
    assert diff == "--- old\n+++ new\n@@ -1,2 +1,3 @@\n a\n-b\n+c\n+d\n"
    assert diff_counts(diff) == (2, 1)
    # A removed line that itself starts with "--" is a line, not a header.
    assert diff_counts(rules_diff("-- x\n", "", "old", "new")) == (0, 1)


def test_cli_publish_shows_the_audit_line_and_history_lists_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    v1, v2 = tmp_path / "v1.yaml", tmp_path / "v2.yaml"
    v1.write_text(V1, encoding="utf-8")
    v2.write_text(V2, encoding="utf-8")
    runner = CliRunner()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(main, ["--db", url, *args], catch_exceptions=False)

    result = run("rules", "publish", str(v1), "--actor", "hr:anna")
    assert result.exit_code == 0, result.output
    assert "audit: published 1 (first ruleset): +17 −0 lines by hr:anna" in result.output
    result = run("rules", "publish", str(v2))  # the default actor: cli:<os user>
    assert result.exit_code == 0, result.output
    assert "audit: published 2 (was 1): +2 −2 lines by cli:" in result.output
    result = run("rules", "publish", str(v2))
    assert "already published" in result.output and "audit:" not in result.output

    result = run("rules", "history")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    two = next(i for i, line in enumerate(lines) if "│ 2 " in line)
    one = next(i for i, line in enumerate(lines) if "│ 1 " in line)
    assert two < one  # newest first
    assert "hr:anna" in lines[one]

    result = run("rules", "history", "--diff", "2")
    assert result.exit_code == 0, result.output
    assert V2_DIFF in result.output

    result = run("rules", "history", "--diff", "3")
    assert result.exit_code == 1
    assert "no published version '3'" in result.output
