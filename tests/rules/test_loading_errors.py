"""Strict loading: every kind of mistake is reported at its exact file:line:col."""

from __future__ import annotations

import textwrap

import pytest
from rules_support import BASE, DATA, issues_of

from rules import RulesError, load_rules, load_rules_text

RULE = """\
rules:
  - id: share
    event: share
    points: 10
"""


def one_issue(text: str) -> str:
    issues = issues_of(text)
    assert len(issues) == 1, issues
    return issues[0]


def with_rules(rules: str, extra: str = "") -> str:
    return (
        BASE
        + "rules:\n"
        + textwrap.indent(textwrap.dedent(rules).strip("\n"), "  ")
        + "\n"
        + textwrap.dedent(extra)
    )


# The `rules:` line comes right after BASE; its first item is on the next line.
RULES_LINE = BASE.count("\n") + 1


def test_base_line_count_assumption():
    assert BASE.splitlines()[RULES_LINE - 2].startswith("  weekly")


def test_unknown_key_with_suggestion():
    issue = one_issue(
        with_rules("""
        - id: share
          event: share
          pionts: 10
    """)
    )
    assert issue.startswith(
        f'rules.yaml:{RULES_LINE + 3}:5: unknown key "pionts" in rule; '
        "expected one of: after, cap, description, event, id, multipliers, once, "
    )
    assert issue.endswith('did you mean "points"?')


def test_missing_required_key_points_at_the_mapping():
    issue = one_issue(with_rules("- {id: share, event: share}"))
    assert issue == f'rules.yaml:{RULES_LINE + 1}:5: missing key "points" in rule'


def test_wrong_type():
    issue = one_issue(
        with_rules("""
        - id: share
          event: share
          points: ten
    """)
    )
    assert issue == (
        f'rules.yaml:{RULES_LINE + 3}:13: rule share: points: expected a number, got string "ten"'
    )


def test_yaml_boolean_trap_in_a_value():
    text = BASE.replace("default: false}\n      audience", "default: no}\n      audience")
    issue = one_issue(text + RULE)
    assert issue == (
        "rules.yaml:11:43: `no` is read by YAML as the boolean false; quote it "
        '("no") or use true/false'
    )


def test_yaml_boolean_trap_in_a_key():
    text = BASE.replace("      network: string\n", "      on: string\n")
    issue = one_issue(text + RULE)
    assert issue == (
        "rules.yaml:14:7: `on` is read by YAML as the boolean true; quote it "
        '("on") or use true/false'
    )


@pytest.mark.parametrize("spelled", ["FALSE", "False", "TRUE", "True"])
def test_true_and_false_in_any_case_are_booleans(spelled: str):
    text = BASE.replace("default: false}\n      audience", f"default: {spelled}}}\n      audience")
    assert text != BASE
    default = load_rules_text(text + RULE).normalize("share", {})["personalized"]
    assert default is (spelled.lower() == "true")


def test_unquoted_date():
    text = BASE.replace('effective: "2026-01-01"', "effective: 2026-01-01")
    issue = one_issue(text + RULE)
    assert issue == (
        "rules.yaml:4:14: unquoted date 2026-01-01 is read by YAML as a date; "
        'quote it: "2026-01-01"'
    )


def test_duplicate_key():
    issue = one_issue(
        with_rules("""
        - id: share
          event: share
          points: 10
          points: 12
    """)
    )
    assert issue.startswith(
        f'rules.yaml:{RULES_LINE + 4}:5: duplicate key "points" (first at line {RULES_LINE + 3})'
    )


def test_tab_is_a_syntax_error_at_its_position():
    issue = one_issue(BASE + "rules:\n\t- id: share\n")
    assert issue.startswith(
        f"rules.yaml:{RULES_LINE + 1}:1: YAML syntax error: found character '\\t'"
    )
    assert issue.endswith("use spaces, not tabs, to indent")


def test_syntax_error():
    issue = one_issue(BASE + "rules: [\n  - id: share\n")
    assert issue.startswith("rules.yaml:")
    assert "YAML syntax error" in issue


def test_empty_file_and_not_a_mapping():
    assert one_issue("") == (
        "rules.yaml:1:1: the rules file is empty; expected a mapping with "
        "the sections program, event_types and rules"
    )
    assert one_issue("# only a comment\n").startswith("rules.yaml:1:1: the rules file is empty")
    assert one_issue("- a\n- b\n") == (
        "rules.yaml:1:1: a rules file must be a mapping with the "
        "sections program, event_types, rules"
    )


def test_unknown_top_level_section():
    issue = one_issue(BASE + RULE + "badgez: {}\n")
    assert issue.startswith(
        f'rules.yaml:{RULES_LINE + 4}:1: unknown key "badgez" in the rules '
        "file; expected one of: awards, badges, campaigns, caps, connectors, event_types, integrity, "
        "leaderboards, "
        "program, rewards, "
    )


def test_unknown_event_type_and_cap():
    issues = issues_of(
        with_rules("""
        - id: share
          event: sharing
          points: 10
        - id: click
          event: click
          points: 1
          cap: dayly
    """)
    )
    assert issues == [
        f'rules.yaml:{RULES_LINE + 2}:12: unknown event type "sharing"; expected one of: click, '
        'reaction, referral, share; did you mean "share"?',
        f'rules.yaml:{RULES_LINE + 7}:10: unknown cap "dayly"; expected one of: daily, weekly; '
        'did you mean "daily"?',
    ]


def test_duplicate_rule_id():
    issue = one_issue(
        with_rules("""
        - {id: share, event: share, points: 1}
        - {id: share, event: click, points: 1}
    """)
    )
    assert issue == f'rules.yaml:{RULES_LINE + 2}:10: duplicate rule id "share"'


def test_campaign_naming_an_unknown_rule():
    issue = one_issue(
        with_rules(
            "- {id: share, event: share, points: 1}",
            """
        campaigns:
          - {id: c1, from: "2026-11-01", until: "2026-11-30", rules: [shares], multiplier: 2}
    """,
        )
    )
    assert issue.startswith(f'rules.yaml:{RULES_LINE + 4}:63: unknown rule "shares"')


def test_campaign_condition_must_fit_every_event_type():
    issue = one_issue(
        with_rules(
            """
        - {id: share, event: share, points: 1}
        - {id: click, event: click, points: 1}
    """,
            """
        campaigns:
          - id: c1
            from: "2026-11-01"
            until: "2026-11-30"
            rules: [share, click]
            when: {network: linkedin}
            multiplier: 2
    """,
        )
    )
    assert issue.startswith(
        f'rules.yaml:{RULES_LINE + 9}:12: unknown field "network" for event type click'
    )


def test_campaign_dates_must_be_quoted_dates_in_order():
    issues = issues_of(
        with_rules(
            "- {id: share, event: share, points: 1}",
            """
        campaigns:
          - {id: c1, from: "2026-11-30", until: "2026-11-01", rules: [share], multiplier: 2}
          - {id: c2, from: "1 Nov", until: "2026-11-31", rules: [share], multiplier: 0}
    """,
        )
    )
    line = RULES_LINE + 4
    assert issues == [
        f"rules.yaml:{line}:41: campaign c1: until 2026-11-01 is before from 2026-11-30",
        f'rules.yaml:{line + 1}:20: campaign c2: from: expected a date "YYYY-MM-DD", got "1 Nov"',
        f'rules.yaml:{line + 1}:36: campaign c2: until: expected a date "YYYY-MM-DD", got '
        '"2026-11-31"',
        f"rules.yaml:{line + 1}:78: campaign c2: multiplier: must be greater than 0, got 0",
    ]


def test_unknown_field_in_when_mapping_and_expression():
    issues = issues_of(
        with_rules("""
        - id: share
          event: share
          when: {netwrok: linkedin}
          points: 1
        - id: share2
          event: share
          when: "audience > 5 and netwrok == 'x'"
          points: 1
    """)
    )
    assert issues[0].startswith(
        f'rules.yaml:{RULES_LINE + 3}:12: unknown field "netwrok" for '
        "event type share; expected one of: audience, campaign, "
    )
    assert issues[0].endswith('did you mean "network"?')
    # the column points inside the quoted expression, at the field name
    assert issues[1].startswith(f'rules.yaml:{RULES_LINE + 7}:29: unknown field "netwrok"')


def test_comparing_a_number_field_with_a_string():
    issue = one_issue(
        with_rules("""
        - id: share
          event: share
          when: {audience: {gte: "100"}}
          points: 1
    """)
    )
    assert issue == (
        f'rules.yaml:{RULES_LINE + 3}:28: audience is an int; cannot compare with string "100"'
    )


def test_type_errors_in_expressions():
    issues = issues_of(
        with_rules("""
        - {id: a, event: share, points: 1, when: "network > 'a'"}
        - {id: b, event: share, points: 1, when: "content_kind == 'viral'"}
        - {id: c, event: share, points: 1, when: "audience"}
        - {id: d, event: share, points: 1, when: "network in ['x', 3]"}
    """)
    )
    line = RULES_LINE + 1
    assert issues == [
        f"rules.yaml:{line}:55: network is string; > needs a number field",
        f'rules.yaml:{line + 1}:61: "viral" is not a value of content_kind; expected one of: '
        "curated, owned, promotional",
        f"rules.yaml:{line + 2}:45: audience is an int; a bare field name means audience == true "
        "and needs a bool field",
        f"rules.yaml:{line + 3}:56: network is string; cannot compare with number 3",
    ]


def test_enum_members_in_weights_and_points():
    issue = one_issue(
        with_rules("""
        - id: share
          event: share
          points: 10
          weight: {by: content_kind, values: {curated: 1, owend: 1.2}}
    """)
    )
    assert issue == (
        f'rules.yaml:{RULES_LINE + 4}:53: rule share: weight.values: "owend" is not '
        "a value of content_kind; expected one of: curated, owned, promotional"
    )


def test_bad_event_type_declarations():
    text = BASE.replace(
        "      campaign: string\n",
        '      campaign: text\n      all: string\n      reach2: {type: int, default: "x"}\n',
    )
    issues = issues_of(text + RULE)
    assert issues == [
        'rules.yaml:15:17: unknown type "text" for share.campaign; expected one of: bool, '
        "datetime, int, number, string",
        'rules.yaml:16:7: field name "all" is not allowed: use letters, digits and _ (not a '
        "keyword nor all, any, not, expr)",
        'rules.yaml:17:36: share.reach2.default: expected int, got str "x"',
    ]


def test_bad_program_section():
    text = BASE.replace(
        "timezone: Europe/Amsterdam", "timezone: Europe/Amsterdum\n  week_start: saturday"
    )
    issues = issues_of(text + RULE)
    assert issues == [
        'rules.yaml:5:13: program.timezone: unknown time zone "Europe/Amsterdum"; use an IANA '
        'name such as "Europe/Amsterdam" or "UTC"',
        'rules.yaml:6:15: program.week_start: expected one of monday, sunday, got "saturday"',
    ]


def test_all_errors_at_once():
    text = BASE.replace('effective: "2026-01-01"', "effective: 2026-01-01") + textwrap.dedent("""\
        rules:
          - id: share
            event: share
            pionts: 10
          - id: click
            event: click
            points: ten
            when: "suspected_bot == yes"
          - id: referral
            event: referral
            points: {by: stage, values: {hired: 500}}
            cap: monthly
    """)
    issues = issues_of(text)
    assert len(issues) == 5, issues
    assert [i.split(": ", 1)[1].split(";")[0] for i in issues] == [
        "unquoted date 2026-01-01 is read by YAML as a date",
        'unknown key "pionts" in rule',
        'rule click: points: expected a number, got string "ten"',
        "`yes` is not a value in a condition",
        'unknown cap "monthly"',
    ]


def test_a_failing_hr_test_is_an_issue_at_the_test():
    text = (
        BASE
        + RULE
        + textwrap.dedent("""\
        tests:
          - name: "a share earns 12"
            events:
              - {type: share, occurred_at: "2026-10-05T09:00:00+02:00"}
            expect: {points: 12, rules: [share], reasons: ["bonus"]}
    """)
    )
    issue = one_issue(text)
    line = RULES_LINE + 5
    assert issue == (
        f'rules.yaml:{line}:5: test "a share earns 12": expected 12 points, got 10; '
        'no reason contains "bonus" (reasons: share: 10)'
    )
    compiled = load_rules_text(text, run_tests=False)
    [result] = compiled.run_checks()
    assert (result.ok, result.line) == (False, line)


def test_bad_test_events_are_reported_like_any_other_mistake():
    text = (
        BASE
        + RULE
        + textwrap.dedent("""\
        tests:
          - name: "bad"
            events:
              - {type: share, occurred_at: "2026-10-05T09:00:00", attributes: {audience: "12"}}
              - {type: shares, occurred_at: "2026-10-05T09:00:00Z"}
            expect: {points: 1, rules: [sharing]}
    """)
    )
    line = RULES_LINE + 7
    assert issues_of(text) == [
        f'rules.yaml:{line}:36: test "bad": occurred_at: expected an ISO datetime with offset '
        'such as "2026-11-03T09:00:00+01:00", got "2026-10-05T09:00:00"',
        f'rules.yaml:{line}:82: attributes.audience: expected int, got str "12"',
        f'rules.yaml:{line + 1}:16: unknown event type "shares"; expected one of: click, '
        'reaction, referral, share; did you mean "share"?',
        f'rules.yaml:{line + 2}:33: unknown rule "sharing"; expected one of: share; did you mean '
        '"share"?',
    ]


def test_load_rules_names_the_file(tmp_path):
    path = tmp_path / "program.yaml"
    path.write_text(with_rules("- {id: share, event: share, points: x}"))
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    [issue] = caught.value.issues
    assert (issue.file, issue.line) == (str(path), RULES_LINE + 1)
    assert str(caught.value) == str(issue)


def test_five_mistakes_in_a_file_give_five_issues():
    path = DATA / "five_mistakes.yaml"
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    where = [(i.line, i.col) for i in caught.value.issues]
    assert where == [(5, 14), (11, 43), (15, 5), (16, 9), (19, 29)]
    assert all(i.file == str(path) for i in caught.value.issues)
    assert caught.value.issues[4].message.startswith("calling len() is not allowed")
