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
from stacks.config import ConfigError, OpsConfig, apply_overrides, stage_config
from tests.synth import SynthesizedStage
from tools.ops.cost.assembly import load_assembly
from tools.ops.cost.estimate import estimate_stage
from tools.ops.cost.pricebook import DEFAULT_PRICE_FILE, load_price_book


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


# What enabling the Migration stack takes (prod already has the Secrets Manager endpoint).
MIGRATION_ON: dict[str, object] = {
    "migration.enabled": "true",
    "migration.source_host": "legacy-mongodb.taskly.example.com",
    "migration.source_cidr": "10.99.0.0/24",
    "migration.source_ca_file": "tests/fixtures/legacy-mongodb-ca.pem",
}


def test_prod_connection_budget_fits_its_minimum_capacity() -> None:
    """Per instance: tasks 100 and profile 50 environments x (pool 1 + 1 monitor) and 4 legacy
    processes x (pool 10 + 2 monitors), within 80% of the 500 connections of a 1-DCU instance."""
    budget = stage_config("prod", account=None, region=None).docdb_connection_budget()

    assert (budget.capacity, budget.limit, budget.allowed) == (1, 500, 400)
    assert dict(budget.demand) == {
        "tasks: 100 environments x 2": 200,
        "profile: 50 environments x 2": 100,
        "legacy: 4 processes x 12": 48,
    }
    assert budget.total <= budget.allowed


def test_a_budget_that_does_not_fit_the_minimum_capacity_is_refused() -> None:
    prod = stage_config("prod", account=None, region=None)
    # the former 200 tasks environments: 548 per instance, above 80% of 500 at 1 DCU
    with pytest.raises(
        ConfigError,
        match=r"^prod\.data\.docdb_serverless_min_capacity: 1 is invalid; expected a minimum "
        r"capacity whose limit fits the connection budget: 548 connections per instance "
        r"\(tasks: 200 environments x 2 = 400 \+ profile: 50 environments x 2 = 100 \+ "
        r"legacy: 4 processes x 12 = 48\) exceed 80% "
        r"of the 500 an instance allows at 1 DCU \(400\)",
    ):
        apply_overrides(prod, {"compute.tasks.reserved_concurrency": "200"})
    # and fits again at 2 DCU (1,000 connections, 800 below the alarm)
    fits = apply_overrides(
        prod,
        {"compute.tasks.reserved_concurrency": "200", "data.docdb_serverless_min_capacity": "2"},
    )
    assert fits.docdb_connection_budget().allowed == 800


@pytest.mark.parametrize(
    ("overrides", "total"),
    [
        # as configured: tasks 200 + profile 100 + legacy 48
        ({}, 348),
        # bigger pools count per environment (profile's 50 reserved environments x 3)
        ({"compute.profile.docdb_max_pool_size": "2"}, 398),
        # the legacy backend's processes and pools come from the same config
        ({"data.docdb_legacy_processes": "5"}, 360),
        ({"data.docdb_legacy_max_pool_size": "20"}, 388),
        # DMS while the Migration stack is enabled
        (MIGRATION_ON, 364),
    ],
)
def test_every_database_client_counts_in_the_budget(
    overrides: dict[str, object], total: int
) -> None:
    prod = apply_overrides(stage_config("prod", account=None, region=None), overrides)
    assert prod.docdb_connection_budget().total == total


def test_what_does_not_fit_is_refused_whoever_adds_it() -> None:
    prod = stage_config("prod", account=None, region=None)
    too_much: list[dict[str, object]] = [
        {"compute.profile.docdb_max_pool_size": "4"},  # 248 + 50 x 5 = 498
        {"data.docdb_legacy_processes": "20"},  # 300 + 20 x 12 = 540
        {"compute.tasks.docdb_max_pool_size": "3"},  # 100 x 4 + 148 = 548
    ]
    for overrides in too_much:
        with pytest.raises(ConfigError, match=r"fits the connection budget"):
            apply_overrides(prod, overrides)
    # all of them at their planned sizes fit: both functions, legacy and DMS
    everything = apply_overrides(prod, MIGRATION_ON)
    assert everything.docdb_connection_budget().total == 364
    # without a reservation the budget counts docdb_unreserved_environments
    dev = stage_config("dev", account=None, region=None)
    assert dict(dev.docdb_connection_budget().demand) == {
        "tasks: 10 environments x 2": 20,
        "profile: 10 environments x 2": 20,
    }
    # on the legacy database instead of DocumentDB, both database functions leave the budget
    on_legacy = apply_overrides(
        dev,
        {
            "compute.tasks_db_secret_arn": "arn:aws:secretsmanager:eu-west-1:123456789012:"
            "secret:legacy/mongodb-AbCdEf",
            "compute.tasks_db_cidr": "10.200.0.10/32",
        },
    )
    assert on_legacy.docdb_connection_budget().demand == ()


def test_the_tasks_function_needs_a_pool_size() -> None:
    with pytest.raises(ConfigError, match=r"^dev\.compute\.tasks\.docdb_max_pool_size: None"):
        apply_overrides(
            stage_config("dev", account=None, region=None),
            {"compute.tasks.docdb_max_pool_size": None},
        )


def test_budget_can_be_narrowed_to_the_stage_tag() -> None:
    stack = AlertsStack(
        cdk.App(),
        "Taskly-dev-Alerts",
        settings=OpsConfig(
            alarm_emails=("oncall@example.com",),
            monthly_budget_usd=75,
            budget_filter_by_stage_tag=True,
        ),
        stage="dev",
        protect_data=False,
    )

    Template.from_stack(stack).has_resource_properties(
        "AWS::Budgets::Budget",
        {"Budget": {"CostFilters": {"TagKeyValue": ["user:stage$dev"]}}},
    )


def _topic(stack: cdk.Stack) -> sns.ITopic:
    return sns.Topic.from_topic_arn(stack, "Topic", "arn:aws:sns:eu-west-1:123456789012:alarms")


@pytest.mark.parametrize(
    ("cpu", "connections", "instances", "message"),
    [
        (0, 80, ["i-1"], "docdb_cpu_percent must be between 0 and 100"),
        (80, 100, ["i-1"], "docdb_connections_percent must be between 0 and 100"),
        (80, 80, [], "needs the DocumentDB instances"),
    ],
)
def test_resource_alarms_reject_thresholds_that_never_or_always_fire(
    cpu: float, connections: float, instances: list[str], message: str
) -> None:
    stack = cdk.Stack(cdk.App(), "Alarms")

    with pytest.raises(ValueError, match=message):
        ResourceAlarms(
            stack,
            "Alarms",
            alarm_topic=_topic(stack),
            docdb_cluster_identifier="taskly-docs",
            docdb_instance_identifiers=instances,
            docdb_cpu_percent=cpu,
            docdb_connections_percent=connections,
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
