"""Alerts stack: where alarms and the budget reach a person.

Deployed before the stacks that own alarms (compute, edge, monitoring), which receive its
``alarm_topic`` as a constructor argument: the topic cannot live in the monitoring stack,
which imports from those stacks and would close a dependency cycle.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk_constructs.alarm_topic import AlarmTopic
from cdk_constructs.budget_alerts import BudgetAlerts
from cdk_constructs.retention import removal_policy
from stacks.config import OpsConfig


class AlertsStack(Stack):
    """The encrypted alarm topic (``alarm_topic``) and the stage's monthly budget (``budget``).

    ``settings.budget_filter_by_stage_tag`` narrows the budget to costs tagged ``stage=<stage>``
    (otherwise: the whole account). ``protect_data`` retains the topic's key.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: OpsConfig,
        stage: str,
        protect_data: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        topic = AlarmTopic(
            self,
            "AlarmTopic",
            email_recipients=settings.alarm_emails,
            key_removal_policy=removal_policy(keep=protect_data),
        )
        self.alarm_topic: sns.ITopic = topic.topic
        self.budget = BudgetAlerts(
            self,
            "Budget",
            monthly_limit_usd=settings.monthly_budget_usd,
            recipient_emails=settings.alarm_emails,
            cost_filter_tags={"stage": stage} if settings.budget_filter_by_stage_tag else None,
        )
