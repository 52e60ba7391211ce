"""A monthly AWS Budget for one stage that emails at 80% of actual and 100% of forecast spend."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from aws_cdk import Token
from aws_cdk import aws_budgets as budgets
from constructs import Construct

from cdk_constructs._emails import checked_recipients

# AWS Budgets accepts at most ten email subscribers per notification.
MAX_EMAIL_RECIPIENTS = 10


class BudgetAlerts(Construct):
    """A monthly cost budget of ``monthly_limit_usd`` with two email notifications.

    * ACTUAL spend above ``ACTUAL_THRESHOLD_PERCENT`` of the limit: money already spent;
    * FORECASTED spend above ``FORECAST_THRESHOLD_PERCENT``: AWS projects the month will end
      over the limit, which usually arrives days earlier than the actual alert.

    A budget covers the whole account unless ``cost_filter_tags`` narrows it, e.g.
    ``{"stage": "dev"}`` when several stages share one account. Tag filters only see tags that
    are activated as cost allocation tags in the billing console (a one-time, per-account step).
    """

    ACTUAL_THRESHOLD_PERCENT = 80
    FORECAST_THRESHOLD_PERCENT = 100

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        monthly_limit_usd: float,
        recipient_emails: Sequence[str],
        cost_filter_tags: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        # isfinite first: jsii cannot serialise NaN, so Token.is_unresolved(nan) would crash.
        if not math.isfinite(monthly_limit_usd) or (
            not Token.is_unresolved(monthly_limit_usd) and monthly_limit_usd <= 0
        ):
            raise ValueError(f"BudgetAlerts monthly_limit_usd must be > 0, got {monthly_limit_usd}")
        recipients = checked_recipients(
            recipient_emails,
            what="BudgetAlerts recipient_emails",
            maximum=MAX_EMAIL_RECIPIENTS,
        )
        if not recipients:
            raise ValueError("BudgetAlerts recipient_emails: at least one address is required")

        subscribers = [
            budgets.CfnBudget.SubscriberProperty(subscription_type="EMAIL", address=address)
            for address in recipients
        ]
        # No BudgetName: CloudFormation replaces a budget when its subscribers change, and
        # the replacement fails while the old one holds a fixed name
        # (aws-cloudformation/cloudformation-coverage-roadmap#365).
        self.budget = budgets.CfnBudget(
            self,
            "Budget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=monthly_limit_usd, unit="USD"),
                cost_filters=(
                    {
                        "TagKeyValue": [
                            f"user:{key}${value}" for key, value in sorted(cost_filter_tags.items())
                        ]
                    }
                    if cost_filter_tags
                    else None
                ),
            ),
            notifications_with_subscribers=[
                self._notification("ACTUAL", self.ACTUAL_THRESHOLD_PERCENT, subscribers),
                self._notification("FORECASTED", self.FORECAST_THRESHOLD_PERCENT, subscribers),
            ],
        )

    @staticmethod
    def _notification(
        kind: str, percent: int, subscribers: list[budgets.CfnBudget.SubscriberProperty]
    ) -> budgets.CfnBudget.NotificationWithSubscribersProperty:
        return budgets.CfnBudget.NotificationWithSubscribersProperty(
            notification=budgets.CfnBudget.NotificationProperty(
                notification_type=kind,
                comparison_operator="GREATER_THAN",
                threshold=percent,
                threshold_type="PERCENTAGE",
            ),
            subscribers=subscribers,
        )
