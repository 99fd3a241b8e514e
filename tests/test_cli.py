"""The ``plaudit`` command line as HR and operators use it, on a temporary SQLite database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from admin.cli import main
from engine.demo.events import generate_events
from tests.machine import shared_data

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(ROOT)  # the default rules.yaml is found where a newcomer runs the commands
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


def test_validate_the_default_program(run) -> None:
    result = run("rules", "validate")
    assert result.exit_code == 0, result.output
    assert "6 tests passed" in result.output


def test_validate_reports_every_problem_with_its_line_and_exits_1(run, tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    text = (ROOT / "rules.yaml").read_text(encoding="utf-8")
    bad.write_text(
        text.replace('effective: "2026-01-01"', "effective: 2026-01-01").replace(
            "    points: 50\n", "    pionts: 50\n"
        ),
        encoding="utf-8",
    )
    result = run("rules", "validate", str(bad))
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith(str(bad))]
    assert any(":11:14: unquoted date" in line for line in lines), result.output
    assert any('did you mean "points"' in line for line in lines), result.output
    assert "problem(s)" in result.output


def test_explain_shows_matches_misses_and_points(run, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "type": "share",
                "occurred_at": "2026-10-03T09:00:00+02:00",
                "attributes": {"content_id": "p1", "content_kind": "owned", "personalized": True},
            }
        )
    )
    result = run("rules", "explain", str(event))
    assert result.exit_code == 0, result.output
    assert "own words added" in result.output
    assert "rule wants click" in result.output
    assert "total: 18 points" in result.output


def test_explain_names_a_bad_field(run, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "type": "share",
                "occurred_at": "2026-10-03T09:00:00Z",
                "attributes": {"audience": "lots"},
            }
        )
    )
    result = run("rules", "explain", str(event))
    assert result.exit_code == 1
    assert "audience" in result.output


def test_roster_events_process_leaderboard_replay_simulate(run, tmp_path: Path) -> None:
    result = run("roster", "import", str(shared_data("roster-sample.csv")))
    assert result.exit_code == 0, result.output
    assert "40 employees created" in result.output

    roster = [
        {"external_id": f"E{i:04d}", "email": f"emp{i:04d}@example.com", "team": "x"}
        for i in range(1, 41)
    ]
    from datetime import UTC, datetime

    events = tmp_path / "events.jsonl"
    with events.open("w", encoding="utf-8") as f:
        for ev in generate_events(
            roster, datetime(2026, 11, 2, tzinfo=UTC), 7, seed=4, events_per_employee_per_day=3
        ):
            f.write(json.dumps(ev) + "\n")
        f.write("{broken\n")
    result = run("import", "events", str(events))
    assert result.exit_code == 1  # one bad line, named; the others are stored
    assert f"{events}:" in result.output and "not valid JSON" in result.output

    result = run("process")
    assert result.exit_code == 0, result.output
    assert "events scored" in result.output

    result = run("leaderboard", "--period", "2026-11", "--team", "Sales")
    assert result.exit_code == 0, result.output
    assert "│ 1 " in result.output and "Sales" in result.output

    result = run("leaderboard", "--period", "week", "--at", "2026-11-04")
    assert "2026-W45" in result.output

    result = run("replay")
    assert result.exit_code == 0, result.output

    draft = tmp_path / "draft.yaml"
    draft.write_text(
        (ROOT / "rules.yaml")
        .read_text(encoding="utf-8")
        .replace("    points: 10\n", "    points: 40\n", 1)
    )
    result = run("simulate", "--rules", str(draft))
    assert result.exit_code == 0, result.output
    assert "Per rule" in result.output and "Top 10" in result.output

    result = run("simulate", "--rules", str(draft), "--events", str(events))
    assert result.exit_code == 1
    assert ":" in result.output


def test_bad_roster_changes_nothing_and_names_lines(run, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "external_id,email,given_name,family_name,team\nE1,a@example.com,A,B,Sales\nE2,not-an-email,C,D,Sales\n,c@example.com,E,F,Sales\n",
        encoding="utf-8",
    )
    result = run("roster", "import", str(roster))
    assert result.exit_code == 1
    assert "roster.csv:3: email" in result.output
    assert "roster.csv:4: external_id" in result.output
    assert "nothing was imported" in result.output


def test_demo_runs_and_shows_a_leaderboard(run) -> None:
    result = run("demo", "--employees", "40", "--days", "3")
    assert result.exit_code == 0, result.output
    assert "Leaderboard: company" in result.output
    assert "│ 1 " in result.output
    # A second run stores nothing new: the generator is seeded.
    again = run("demo", "--employees", "40", "--days", "3")
    assert " 0 events stored" in again.output or "duplicates ignored" in again.output


def test_serve_refuses_a_malformed_setting_by_name(run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAUDIT_DB_CONNECTIONS", "many")
    result = run("serve")
    assert result.exit_code == 1
    assert "PLAUDIT_DB_CONNECTIONS: expected a whole number, got 'many'" in result.output


def test_a_scaled_api_needs_a_shared_token_secret(run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.delenv("PLAUDIT_JWT_SECRET", raising=False)
    result = run("serve")
    assert result.exit_code == 1
    assert (
        "PLAUDIT_JWT_SECRET (or PLAUDIT_JWT_PUBLIC_KEY): required when REDIS_URL is set"
        in result.output
    )


def test_employees_erase_asks_then_pseudonymizes(run, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("external_id,email,name,team\nE1,anna@example.com,Anna,Sales\n")
    assert run("roster", "import", str(roster)).exit_code == 0
    unknown = run("employees", "erase", "E9", "--yes")
    assert unknown.exit_code == 1 and "no employee 'E9'" in unknown.output
    done = run("employees", "erase", "anna@example.com", "--yes")
    assert done.exit_code == 0, done.output
    assert "is now erased-" in done.output


def test_roster_dry_run_shows_the_diff_and_writes_nothing(run, tmp_path: Path) -> None:
    first = tmp_path / "roster.csv"
    first.write_text(
        "external_id,email,name,team\nE1,anna@example.com,Anna,Sales\nE2,bo@example.com,Bo,Sales\n"
    )
    assert run("roster", "import", str(first)).exit_code == 0
    second = tmp_path / "roster2.csv"
    second.write_text(
        "external_id,email,name,team,active\n"
        "E1,anna@example.com,Anna,Marketing,yes\n"  # moved team
        "E2,bo@example.com,Bo,Sales,no\n"  # left
        "E3,cy@example.com,Cy,Sales,yes\n"  # new
    )
    plan = run("roster", "import", str(second), "--dry-run")
    assert plan.exit_code == 0, plan.output
    assert "+ E3" in plan.output and "~ E1: team" in plan.output and "~ E2: active" in plan.output
    assert "1 to create, 2 to change, 0 unchanged; nothing was written" in plan.output
    again = run("roster", "import", str(second), "--dry-run")
    assert "1 to create, 2 to change" in again.output  # the dry run changed nothing
    assert run("roster", "import", str(second)).exit_code == 0
    after = run("roster", "import", str(second), "--dry-run")
    assert "0 to create, 0 to change, 3 unchanged" in after.output
