"""Operations settings in StageConfig, the monitoring constructs' argument checks, and the cost
report run on the real app's templates (every resource priced, monitoring included)."""

from __future__ import annotations

from collections.abc import Callable

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from cdk_constructs.nat_alarms import NatAlarms
from cdk_constructs.resource_alarms import ResourceAlarms
from stacks.alerts_stack import AlertsStack
from stacks.config import ConfigError, apply_overrides, stage_config
from tests.synth import SynthesizedStage
from tools.cost.assembly import load_assembly
from tools.cost.estimate import estimate_stage
from tools.cost.pricebook import DEFAULT_PRICE_FILE, load_price_book


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("ops.alarm_emails", [], r"dev\.ops\.alarm_emails: .*1 to 10 addresses"),
        ("ops.alarm_emails", [f"a{i}@example.com" for i in range(11)], r"1 to 10 addresses"),
        ("ops.alarm_emails", ["a@example.com", "A@example.com"], r"no duplicates"),
        ("ops.docdb_cpu_alarm_percent", 100, r"dev\.ops\.docdb_cpu_alarm_percent: 100 .*1 to 99"),
        (
            "ops.budget_filter_by_stage_tag",
            "yes",
            r"budget_filter_by_stage_tag: 'yes' .*true or false",
        ),
    ],
)
def test_bad_operations_settings_name_the_field(key: str, value: object, message: str) -> None:
    config = stage_config("dev", account=None, region=None)

    with pytest.raises(ConfigError, match=message):
        apply_overrides(config, {key: value})


def test_connections_threshold_follows_reserved_concurrency() -> None:
    config = stage_config("prod", account=None, region=None)
    # prod: 200 environments x 4 connections = 800 at peak, and the alarm sits above it
    assert config.ops.docdb_connections_alarm_threshold > 200 * 4
    with pytest.raises(
        ConfigError,
        match=r"prod\.ops\.docdb_connections_alarm_threshold: 800 .*more than 800 \(tasks "
        r"reserved concurrency 200 x 4 .*alarm fires at a legitimate peak",
    ):
        apply_overrides(config, {"ops.docdb_connections_alarm_threshold": 800})
    # a stage that opts into a reservation gets the same check
    dev = stage_config("dev", account=None, region=None)
    with pytest.raises(ConfigError, match=r"dev\.ops\.docdb_connections_alarm_threshold: 40"):
        apply_overrides(dev, {"compute.tasks.reserved_concurrency": "10"})


def test_budget_can_be_narrowed_to_the_stage_tag() -> None:
    stack = AlertsStack(
        cdk.App(),
        "Taskly-dev-Alerts",
        email_recipients=["oncall@example.com"],
        monthly_budget_usd=75,
        stage_tag="dev",
        retain_key=False,
    )

    Template.from_stack(stack).has_resource_properties(
        "AWS::Budgets::Budget",
        {"Budget": {"CostFilters": {"TagKeyValue": ["user:stage$dev"]}}},
    )


def _topic(stack: cdk.Stack) -> sns.ITopic:
    return sns.Topic.from_topic_arn(stack, "Topic", "arn:aws:sns:eu-west-1:123456789012:alarms")


@pytest.mark.parametrize(
    ("cpu", "connections", "message"),
    [(0, 10, "docdb_cpu_percent must be between 0 and 100"), (80, 0, "at least 1")],
)
def test_resource_alarms_reject_thresholds_that_never_or_always_fire(
    cpu: float, connections: int, message: str
) -> None:
    stack = cdk.Stack(cdk.App(), "Alarms")

    with pytest.raises(ValueError, match=message):
        ResourceAlarms(
            stack,
            "Alarms",
            alarm_topic=_topic(stack),
            docdb_cluster_identifier="taskly-docs",
            docdb_cpu_percent=cpu,
            docdb_connections=connections,
        )


def test_one_nat_alarm_per_gateway() -> None:
    stack = cdk.Stack(cdk.App(), "Alarms")

    alarms = NatAlarms(
        stack, "NatAlarms", alarm_topic=_topic(stack), nat_gateway_ids=["nat-a", "nat-b"]
    )

    assert len(alarms.gateway_alarms) == len(alarms.alarms) == 2
    template = Template.from_stack(stack)
    for gateway in ("nat-a", "nat-b"):
        template.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {"Dimensions": [{"Name": "NatGatewayId", "Value": gateway}]},
        )


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_the_cost_report_prices_every_resource_of_the_app(
    stage: Callable[[str], SynthesizedStage], name: str
) -> None:
    """The real templates, monitoring included, leave nothing "not priced"."""
    synthesized = stage(name)
    report = estimate_stage(
        load_assembly(synthesized.outdir),
        name,
        load_price_book(DEFAULT_PRICE_FILE),
        requests_per_day=100_000,
    )

    assert report.unpriced == ()
    assert report.findings == ()
    charges = {(item.stack, item.resource_type, item.charge) for item in report.fixed}
    assert (f"Taskly-{name}-Monitoring", "AWS::CloudWatch::Dashboard", "dashboard") in charges
    assert (f"Taskly-{name}-Alerts", "AWS::KMS::Key", "key") in charges
    # each API request reaches one function: the API functions' requests add up to the volume
    api_requests = sum(
        item.quantity
        for item in report.variable
        if item.charge == "requests" and "API function" in item.description
    )
    assert api_requests * 1e6 == pytest.approx(report.requests_per_month)
