"""`connectors:` and `rewards:` in rules.yaml: the structs they build, and every mistake at its position."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rules_support import BASE, issues_of

from rules import ConnectorSpec, PayoutRate, RewardSpec, load_rules_text

HEAD = (
    BASE
    + "rules:\n  - {id: share, event: share, points: 10}\n"
    + """\
badges:
  - id: first-share
    name: First share
    criteria: {kind: first, event: share}
awards:
  - id: eotm
    name: Employee of the month
"""
)
CONNECTORS = """\
connectors:
  - id: hr-events
    kind: webhook
    url: https://hr.example.com/hooks/plaudit
    secret_env: PLAUDIT_HR_EVENTS_SECRET
  - id: payroll
    kind: csv_payroll
    directory: payroll
  - id: bonusly
    kind: bonusly
    url: https://bonus.ly/api/v1/bonuses
    token_env: PLAUDIT_BONUSLY_TOKEN
    timeout_seconds: 5
  - id: tango
    kind: tango
    url: https://integration-api.tangocard.com/raas/v2/orders
    token_env: PLAUDIT_TANGO_TOKEN
    account: acme-rewards
    customer: acme
"""
REWARDS = """\
rewards:
  - id: badge-to-hr
    trigger: badge_awarded
    badges: [first-share]
    connector: hr-events
    payload: {employee: "{employee.id}", badge: "{badge.id}", tier: "{badge.tier}"}
  - id: eotm-bonus
    trigger: award_won
    awards: [eotm]
    connector: bonusly
    amount: 50
    giver: hr@example.com
    reason: "+{amount} for {award.name}, {award.period} #recognition"
  - id: gift-1000
    trigger: points_milestone
    points: 1000
    connector: tango
    amount: 10.50
    currency: USD
    utid: U561593
    message: "Thank you for {milestone.points} points, {employee.name}!"
    idempotency_key: "gift-{employee.internal_id}-{milestone.points}"
  - id: payout
    trigger: monthly_payout
    connector: payroll
    rate: {points: 10, amount: 1}
    budget: {default: 500, Sales: 800.50}
"""


def load(text: str):  # type: ignore[no-untyped-def]
    return load_rules_text(text, "rules.yaml")


def test_every_connector_and_trigger_builds_its_struct() -> None:
    rules = load(HEAD + CONNECTORS + REWARDS)
    assert rules.connectors["hr-events"] == ConnectorSpec(
        id="hr-events",
        kind="webhook",
        url="https://hr.example.com/hooks/plaudit",
        secret_env="PLAUDIT_HR_EVENTS_SECRET",
        line=rules.connectors["hr-events"].line,
    )
    assert rules.connectors["bonusly"].timeout_seconds == 5
    assert rules.connectors["tango"].account == "acme-rewards"
    by_id = {r.id: r for r in rules.rewards}
    badge = by_id["badge-to-hr"]
    assert badge.badges == ("first-share",)
    assert badge.payload == {
        "employee": "{employee.id}",
        "badge": "{badge.id}",
        "tier": "{badge.tier}",
    }
    assert badge.idempotency_key.startswith("{reward.id}:{employee.internal_id}:{badge.id}")
    bonus = by_id["eotm-bonus"]
    assert (bonus.amount, bonus.currency, bonus.giver) == (Decimal(50), "EUR", "hr@example.com")
    gift = by_id["gift-1000"]
    assert (gift.points, gift.amount, gift.currency) == (1000, Decimal("10.50"), "USD")
    assert gift.idempotency_key == "gift-{employee.internal_id}-{milestone.points}"
    payout = by_id["payout"]
    assert payout.rate == PayoutRate(10, Decimal(1))
    assert payout.budget == {"default": Decimal(500), "Sales": Decimal("800.50")}
    assert payout.idempotency_key == "{reward.id}:{period}"  # one payroll file per period
    assert isinstance(payout, RewardSpec)


def test_no_sections_means_nothing_goes_out() -> None:
    rules = load(HEAD)
    assert (rules.connectors, rules.rewards) == ({}, ())


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "secret_env: PLAUDIT_HR_EVENTS_SECRET",
            "secret_env: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "secret_env: expected the NAME of an environment variable",
        ),
        ("secret_env: PLAUDIT_HR_EVENTS_SECRET", "secret: x", 'did you mean "secret_env"'),
        ("kind: webhook", "kind: slack", "connector: kind: expected one of webhook"),
        ("url: https://bonus.ly/api/v1/bonuses", "url: bonus.ly", "url: expected http(s)://"),
        ("timeout_seconds: 5", "timeout_seconds: 600", "timeout_seconds: at most 120"),
        ("    account: acme-rewards\n", "", 'missing key "account" in connector (tango)'),
        ("connector: hr-events", "connector: hr-event", 'did you mean "hr-events"'),
        ("trigger: award_won", "trigger: award", "trigger: expected one of badge_awarded"),
        ("badges: [first-share]", "badges: [first-shar]", 'unknown badge "first-shar"'),
        ('"{badge.tier}"}', '"{badge.teir}"}', 'unknown variable "badge.teir"'),
        ("{award.period} #recognition", "{award.period #recognition", "reason: "),
        ('reason: "+{amount}', 'reason: "+{points}', 'unknown variable "points"'),
        # A YAML trap is reported where it stands, and no reward is built without its reason (not a TypeError).
        (
            'reason: "+{amount} for {award.name}, {award.period} #recognition"',
            "reason: yes",
            "read by YAML as the boolean true",
        ),
        ("    giver: hr@example.com\n", "", 'missing key "giver"'),
        ("    utid: U561593\n", "", 'missing key "utid"'),
        ("amount: 10.50", "amount: 10.505", "at most two decimals"),
        ("currency: USD", "currency: dollars", "ISO 4217"),
        ("rate: {points: 10, amount: 1}", "rate: {points: 0, amount: 1}", "greater than 0"),
        ("budget: {default: 500, Sales: 800.50}", "budget: 500", "a mapping of department"),
        ("    points: 1000\n", "", 'missing key "points"'),
        (
            "trigger: monthly_payout\n    connector: payroll",
            "trigger: badge_awarded\n    connector: payroll",
            "only a monthly_payout reward can use it",
        ),
        (
            "    budget: {default: 500, Sales: 800.50}\n",
            '    idempotency_key: "{employee.id}-{period}"\n',
            'unknown variable "employee.id"',  # a payroll file is per period, not per person
        ),
        (
            "    badges: [first-share]\n",
            "    badges: [first-share]\n    amount: 5\n    giver: x@example.com\n",
            "giver: not used by a badge_awarded reward sent by webhook",
        ),
    ],
)
def test_reward_mistakes(old: str, new: str, message: str) -> None:
    text = HEAD + CONNECTORS + REWARDS
    assert old in text
    found = issues_of(text.replace(old, new, 1))
    assert any(message in issue for issue in found), found
    assert all(issue.startswith("rules.yaml:") for issue in found)


def test_a_mistake_names_its_line() -> None:
    text = HEAD + CONNECTORS + REWARDS.replace("connector: tango", "connector: tangoo")
    line = text.splitlines().index("    connector: tangoo") + 1
    (issue,) = issues_of(text)
    assert issue.startswith(f"rules.yaml:{line}:")


def test_every_mistake_at_once() -> None:
    text = (
        HEAD
        + CONNECTORS.replace("kind: csv_payroll", "kind: sftp")
        + REWARDS.replace("trigger: award_won", "trigger: award").replace(
            "points: 1000", "points: -1"
        )
    )
    found = issues_of(text)
    assert len(found) >= 3, found
