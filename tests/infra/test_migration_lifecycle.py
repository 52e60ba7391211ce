"""The Migration stack over its life: switched on and off, replicating for weeks, first deploy.

Each test evaluates the synthesized templates the way CloudFormation, Secrets Manager or
CloudWatch would, and raises on a template form the model does not know (so a construct
change that the model cannot judge fails instead of passing silently):

- exports: CloudFormation refuses to remove an export another stack still imports, and
  `cdk deploy --all` never deletes a stack that left the app (aws/aws-cdk-cli#787), so the
  Network and Data exports must be the same with and without the Migration stack.
- rotation: a secret with a ``RotationSchedule`` changes its password on schedule; DMS reads
  the endpoint secret when a replication (re)connects, so a rotated secret can break a running
  replication. The model follows ``Ref``, ``Fn::ImportValue`` and secret attachments across
  the stage's templates to the secret each endpoint and each schedule really names.
- alarms: every metric an alarm reads must be one the AWS documentation lists for DMS
  Serverless, with only documented dimensions; an alarm on a metric that never arrives is
  silent (or, treating missing data as breaching, loud) forever.
- account roles: ``dms-vpc-role`` must have propagated before DMS accepts a replication subnet
  group (aws/aws-cdk#7632, hashicorp/terraform-provider-aws#11025), which no ordering inside
  one deploy guarantees.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import App

from app import compose_dms_account_roles
from cdk_constructs.dms_account_roles import DMS_LOGS_ROLE_NAME, DMS_VPC_ROLE_NAME
from stacks.config import stage_config
from stacks.dms_account_roles_stack import STACK_NAME as DMS_ROLES_STACK
from tests.synth import CDK_JSON_CONTEXT, TEST_ACCOUNT, TEST_REGION, SynthesizedStage
from tools.ops.preflight import checks

Templates = dict[str, dict[str, Any]]
SecretRef = tuple[str, str]  # (stack name, logical id of an AWS::SecretsManager::Secret)

# CloudWatch metrics AWS documents for DMS Serverless replications, in namespace AWS/DMS:
# DMS User Guide, "AWS DMS Serverless components" > "Monitoring AWS DMS serverless
# replications" > "AWS DMS serverless replication metrics"
# (https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Serverless.Components.html). The page
# names the metrics, "grouped by each serverless replication", and no dimension: so a
# documented query names the metric alone, and no dimension name is documented.
DOCUMENTED_SERVERLESS_METRICS = frozenset(
    {
        "CapacityUtilization",
        "CDCIncomingChanges",
        "CDCLatencySource",
        "CDCLatencyTarget",
        "CDCThroughputBandwidthTarget",
        "CDCThroughputRowsSource",
        "CDCThroughputRowsTarget",
        "CPUUtilization",
        "FullLoadThroughputBandwidthTarget",
        "FullLoadThroughputRowsTarget",
    }
)
DOCUMENTED_SERVERLESS_DIMENSIONS: frozenset[str] = frozenset()
DMS_NAMESPACE = "AWS/DMS"
# CloudWatch Metrics Insights: SELECT FUNC(metric) FROM "namespace" | SCHEMA("namespace"[, dims])
_INSIGHTS = re.compile(
    r"^SELECT\s+(?P<function>AVG|MAX|MIN|SUM|COUNT)\((?P<metric>\w+)\)\s+FROM\s+"
    r'(?:"(?P<namespace>[^"]+)"|SCHEMA\("(?P<schema>[^"]+)"(?P<dimensions>(?:\s*,\s*\w+)*)\))$'
)


class UnsupportedTemplateError(ValueError):
    """The template uses a form the model does not evaluate."""


# --- 3. switching the Migration stack off ---------------------------------------------------


def _exports(stage: SynthesizedStage, component: str) -> dict[str, Any]:
    return {
        output["Export"]["Name"]: output["Value"]
        for output in stage.json(component).get("Outputs", {}).values()
        if "Export" in output
    }


def test_network_and_data_exports_do_not_change_when_the_switch_flips(
    stage: Callable[[str], SynthesizedStage], migration: SynthesizedStage
) -> None:
    """staging (off) and the staging-migration variant (on) export the same names and values:
    switching it off removes nothing the still-deployed Migration stack imports."""
    off = stage("staging")
    for component in ("Network", "Data"):
        assert _exports(off, component) == _exports(migration, component), component
    # Everything the Migration stack imports from them is among those exports.
    imported = _imports(migration.json("Migration"))
    produced = {name for c in ("Network", "Data") for name in _exports(off, c)}
    from_them = {name for name in imported if name.split(":")[0].endswith(("-Network", "-Data"))}
    assert from_them and from_them <= produced


def _imports(node: Any) -> set[str]:
    if isinstance(node, dict):
        if "Fn::ImportValue" in node:
            name = node["Fn::ImportValue"]
            if not isinstance(name, str):
                raise UnsupportedTemplateError(f"computed import name: {name!r}")
            return {name}
        return set().union(*(_imports(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_imports(value) for value in node))
    return set()


# --- 4. credentials a rotation cannot pull away --------------------------------------------


def _export_map(templates: Templates) -> dict[str, tuple[str, Any]]:
    return {
        output["Export"]["Name"]: (stack, output["Value"])
        for stack, template in templates.items()
        for output in template.get("Outputs", {}).values()
        if "Export" in output
    }


def _secret(templates: Templates, stack: str, value: Any) -> SecretRef:
    """The secret resource a SecretId/SecretArn value names, as Secrets Manager would see it."""
    if isinstance(value, dict) and set(value) == {"Fn::ImportValue"}:
        producer, exported = _export_map(templates)[value["Fn::ImportValue"]]
        return _secret(templates, producer, exported)
    if isinstance(value, dict) and set(value) == {"Ref"}:
        resource = templates[stack]["Resources"].get(value["Ref"])
        if resource is None:
            raise UnsupportedTemplateError(f"Ref to a parameter or pseudo value: {value}")
        if resource["Type"] == "AWS::SecretsManager::Secret":
            return stack, value["Ref"]
        if resource["Type"] == "AWS::SecretsManager::SecretTargetAttachment":
            # The attachment's Ref is the ARN of the secret it attaches.
            return _secret(templates, stack, resource["Properties"]["SecretId"])
    raise UnsupportedTemplateError(f"cannot tell which secret {value!r} in {stack} names")


def _rotated_secrets(templates: Templates) -> set[SecretRef]:
    return {
        _secret(templates, stack, resource["Properties"]["SecretId"])
        for stack, template in templates.items()
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::SecretsManager::RotationSchedule"
    }


def _endpoint_secrets(templates: Templates, stack: str) -> dict[str, SecretRef]:
    found = {}
    for logical_id, resource in templates[stack]["Resources"].items():
        if resource["Type"] != "AWS::DMS::Endpoint":
            continue
        props = resource["Properties"]
        settings = [props[key] for key in props if key.endswith("Settings")]
        if len(settings) != 1 or "SecretsManagerSecretId" not in settings[0]:
            raise UnsupportedTemplateError(f"{logical_id}: credentials not from one secret")
        found[logical_id] = _secret(templates, stack, settings[0]["SecretsManagerSecretId"])
    return found


def test_no_dms_endpoint_reads_a_rotated_secret(migration: SynthesizedStage) -> None:
    templates = migration.templates
    endpoints = _endpoint_secrets(templates, "Taskly-staging-Migration")
    assert len(endpoints) == 2
    rotated = _rotated_secrets(templates)
    assert rotated, "the model found no rotation at all: it no longer sees DocumentDB's"
    assert {name: secret for name, secret in endpoints.items() if secret in rotated} == {}


def test_the_rotation_model_follows_imports_and_attachments() -> None:
    """The model itself, on a probe: an import of an attachment's Ref is the attached secret,
    and a literal ARN (a secret outside the app) is refused rather than assumed unrotated."""
    probe: Templates = {
        "Data": {
            "Resources": {
                "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {}},
                "Attachment": {
                    "Type": "AWS::SecretsManager::SecretTargetAttachment",
                    "Properties": {"SecretId": {"Ref": "Secret"}},
                },
                "Schedule": {
                    "Type": "AWS::SecretsManager::RotationSchedule",
                    "Properties": {"SecretId": {"Ref": "Attachment"}},
                },
            },
            "Outputs": {"S": {"Value": {"Ref": "Attachment"}, "Export": {"Name": "Data:S"}}},
        },
        "Migration": {
            "Resources": {
                "Target": {
                    "Type": "AWS::DMS::Endpoint",
                    "Properties": {
                        "DocDbSettings": {"SecretsManagerSecretId": {"Fn::ImportValue": "Data:S"}}
                    },
                }
            }
        },
    }
    assert _endpoint_secrets(probe, "Migration") == {"Target": ("Data", "Secret")}
    assert _rotated_secrets(probe) == {("Data", "Secret")}
    probe["Migration"]["Resources"]["Target"]["Properties"]["DocDbSettings"] = {
        "SecretsManagerSecretId": "arn:aws:secretsmanager:eu-west-1:1:secret:x"
    }
    with pytest.raises(UnsupportedTemplateError):
        _endpoint_secrets(probe, "Migration")


# --- 6. alarms on metrics that exist ---------------------------------------------------------


def _alarm_metrics(alarm: dict[str, Any]) -> list[tuple[str, str, frozenset[str]]]:
    """(namespace, metric, dimension names) of every metric the alarm reads."""
    if "MetricName" in alarm:
        names = frozenset(d["Name"] for d in alarm.get("Dimensions", []))
        return [(alarm["Namespace"], alarm["MetricName"], names)]
    metrics = alarm.get("Metrics")
    if not metrics:
        raise UnsupportedTemplateError(f"alarm without a metric: {alarm}")
    read = []
    for query in metrics:
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            names = frozenset(d["Name"] for d in metric.get("Dimensions", []))
            read.append((metric["Namespace"], metric["MetricName"], names))
            continue
        match = _INSIGHTS.match(" ".join(str(query.get("Expression", "")).split()))
        if match is None:
            raise UnsupportedTemplateError(f"expression not modelled: {query}")
        extra = match["dimensions"] or ""
        names = frozenset(name.strip() for name in extra.split(",") if name.strip())
        read.append((match["namespace"] or match["schema"], match["metric"], names))
    return read


def test_every_dms_alarm_reads_a_documented_serverless_metric(
    migration: SynthesizedStage,
) -> None:
    alarms = [
        resource["Properties"]
        for resource in migration.json("Migration")["Resources"].values()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    ]
    dms_reads = [
        read for alarm in alarms for read in _alarm_metrics(alarm) if read[0] == DMS_NAMESPACE
    ]
    assert {metric for _, metric, _ in dms_reads} >= {"CDCLatencySource", "CDCLatencyTarget"}
    for namespace, metric, dimensions in dms_reads:
        assert metric in DOCUMENTED_SERVERLESS_METRICS, (namespace, metric)
        assert dimensions <= DOCUMENTED_SERVERLESS_DIMENSIONS, (metric, sorted(dimensions))


def test_the_metric_model_reads_plain_and_insights_alarms() -> None:
    plain = {
        "Namespace": "AWS/DMS",
        "MetricName": "CDCLatencySource",
        "Dimensions": [{"Name": "ReplicationConfigId", "Value": "x"}],
    }
    assert _alarm_metrics(plain) == [
        ("AWS/DMS", "CDCLatencySource", frozenset({"ReplicationConfigId"}))
    ]
    insights = {
        "Metrics": [{"Id": "q", "Expression": 'SELECT MAX(CDCLatencyTarget) FROM "AWS/DMS"'}]
    }
    assert _alarm_metrics(insights) == [("AWS/DMS", "CDCLatencyTarget", frozenset())]
    with pytest.raises(UnsupportedTemplateError):
        _alarm_metrics({"Metrics": [{"Id": "e", "Expression": "m1 + m2"}]})


# --- 5. the account roles propagate before the subnet group is created ---------------------


def test_no_stage_deploy_creates_the_dms_account_roles(all_stages: list[SynthesizedStage]) -> None:
    """`cdk deploy --all` of a stage creates neither fixed-name DMS role: they come from the
    separate, earlier account-roles deploy, which preflight checks for."""
    for synthesized in all_stages:
        for name, template in synthesized.templates.items():
            named = {
                resource["Properties"].get("RoleName")
                for resource in template["Resources"].values()
                if resource["Type"] == "AWS::IAM::Role"
            }
            assert not named & {"dms-vpc-role", "dms-cloudwatch-logs-role"}, name


def test_the_roles_app_builds_both_roles_for_dms_alone() -> None:
    """`-c dms_account_roles=true` (make deploy-dms-roles): only Taskly-DmsAccountRoles, both
    roles with their AWS managed policies, assumable by DMS only; cdk-nag passes (synth)."""
    app = App(context=CDK_JSON_CONTEXT)
    compose_dms_account_roles(
        app, stage_config("staging", account=TEST_ACCOUNT, region=TEST_REGION)
    )
    stacks = app.synth().stacks
    assert [stack.stack_name for stack in stacks] == [DMS_ROLES_STACK]
    roles = {
        resource["Properties"]["RoleName"]: resource["Properties"]
        for resource in stacks[0].template["Resources"].values()
        if resource["Type"] == "AWS::IAM::Role"
    }
    assert set(roles) == {DMS_VPC_ROLE_NAME, DMS_LOGS_ROLE_NAME}
    for role in roles.values():
        (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": "dms.amazonaws.com"}
        assert len(role["ManagedPolicyArns"]) == 1


def test_preflight_looks_for_the_names_the_app_creates() -> None:
    """Preflight keeps its own copies (it does not import aws_cdk)."""
    assert (checks.DMS_VPC_ROLE_NAME, checks.DMS_LOGS_ROLE_NAME, checks.DMS_ROLES_STACK) == (
        DMS_VPC_ROLE_NAME,
        DMS_LOGS_ROLE_NAME,
        DMS_ROLES_STACK,
    )
