"""BudgetAlerts synthesizes a monthly cost budget alerting at 80% actual and 100% forecast."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import Validations
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from cdk_constructs.budget_alerts import BudgetAlerts

RECIPIENTS = ["oncall@example.com", "finance@example.com"]


@pytest.fixture(scope="module")
def template() -> Template:
    stack = cdk.Stack(cdk.App(), "BudgetTest")
    BudgetAlerts(
        stack,
        "Budget",
        monthly_limit_usd=75,
        recipient_emails=RECIPIENTS,
        cost_filter_tags={"stage": "dev"},
    )
    return Template.from_stack(stack)


def subscribers() -> list[dict[str, str]]:
    return [{"SubscriptionType": "EMAIL", "Address": address} for address in RECIPIENTS]


def test_monthly_cost_budget_for_the_stage_tag(template: Template) -> None:
    template.resource_count_is("AWS::Budgets::Budget", 1)
    template.has_resource_properties(
        "AWS::Budgets::Budget",
        {
            "Budget": {
                "BudgetType": "COST",
                "TimeUnit": "MONTHLY",
                "BudgetLimit": {"Amount": 75, "Unit": "USD"},
                "CostFilters": {"TagKeyValue": ["user:stage$dev"]},
            }
        },
    )


def test_alerts_at_80_percent_actual_and_100_percent_forecast(template: Template) -> None:
    template.has_resource_properties(
        "AWS::Budgets::Budget",
        {
            "NotificationsWithSubscribers": [
                {
                    "Notification": {
                        "NotificationType": "ACTUAL",
                        "ComparisonOperator": "GREATER_THAN",
                        "Threshold": 80,
                        "ThresholdType": "PERCENTAGE",
                    },
                    "Subscribers": subscribers(),
                },
                {
                    "Notification": {
                        "NotificationType": "FORECASTED",
                        "ComparisonOperator": "GREATER_THAN",
                        "Threshold": 100,
                        "ThresholdType": "PERCENTAGE",
                    },
                    "Subscribers": subscribers(),
                },
            ]
        },
    )


def test_without_tags_the_budget_covers_the_account() -> None:
    stack = cdk.Stack(cdk.App(), "AccountBudget")

    BudgetAlerts(stack, "Budget", monthly_limit_usd=400, recipient_emails=["a@example.com"])

    [budget] = Template.from_stack(stack).find_resources("AWS::Budgets::Budget").values()
    assert "CostFilters" not in budget["Properties"]["Budget"]


@pytest.mark.parametrize(
    ("limit", "recipients", "message"),
    [
        (0, ["a@example.com"], "monthly_limit_usd must be > 0"),
        (-10, ["a@example.com"], "monthly_limit_usd must be > 0"),
        (float("nan"), ["a@example.com"], "monthly_limit_usd must be > 0"),
        (75, [], "at least one address"),
        (75, ["not-an-email"], "is not an email address"),
        (75, [f"p{n}@example.com" for n in range(11)], "at most 10"),
    ],
)
def test_bad_arguments_fail_at_synth(limit: float, recipients: list[str], message: str) -> None:
    stack = cdk.Stack(cdk.App(), "BadBudget")

    with pytest.raises(ValueError, match=message):
        BudgetAlerts(stack, "Budget", monthly_limit_usd=limit, recipient_emails=recipients)


def test_passes_the_cdk_nag_packs_the_app_uses(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "NagCheck")
    BudgetAlerts(stack, "Budget", monthly_limit_usd=75, recipient_emails=["a@example.com"])
    Validations.of(app).add_plugins(AwsSolutionsChecks(), ServerlessChecks())

    app.synth()  # raises ValidationFailed on any unacknowledged finding

    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert all(plugin["conclusion"] == "success" for plugin in report["pluginReports"])
