"""Each service is a CanaryFunction: ARM64 Python 3.13, alias ``live``, CodeDeploy with alarms."""

from __future__ import annotations

import ast
import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from cdk_constructs.origin_verify_secret import ORIGIN_VERIFY_HEADER
from stacks.compute_stack import CA_BUNDLE_PATH
from stacks.route_table import LAMBDA_SRC
from stacks.services import service as service_entry
from tests.compute.conftest import SynthesizedStage, by_path, resources

SERVICES = {"tasks": "Tasks", "profile": "Profile", "email_worker": "EmailWorker"}
DEPLOYMENT_CONFIG_NAMES = {
    "ALL_AT_ONCE": "CodeDeployDefault.LambdaAllAtOnce",
    "CANARY_10_PERCENT_5_MINUTES": "CodeDeployDefault.LambdaCanary10Percent5Minutes",
}


def function(stage: SynthesizedStage, service: str) -> tuple[str, dict[str, Any]]:
    return by_path(stage.compute, f"Compute/{SERVICES[service]}/Function/Resource")


def alias(stage: SynthesizedStage, service: str) -> tuple[str, dict[str, Any]]:
    return by_path(stage.compute, f"Compute/{SERVICES[service]}/LiveAlias/Resource")


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_function_runs_python_3_13_on_arm64_with_tracing_json_logs_and_stage_sizing(
    stage: SynthesizedStage, service: str
) -> None:
    # Given the stage's settings for the service
    settings = stage.config.compute.functions[service]
    # When the compute stack is synthesized
    _, resource = function(stage, service)
    properties = resource["Properties"]
    # Then the function is sized by StageConfig and runs the handler from the route table
    assert properties["Runtime"] == "python3.13"
    assert properties["Architectures"] == ["arm64"]
    assert properties["TracingConfig"] == {"Mode": "Active"}
    assert properties["MemorySize"] == settings.memory_mb
    assert properties["Timeout"] == settings.timeout_seconds
    assert properties.get("ReservedConcurrentExecutions") == getattr(
        settings, "reserved_concurrency", None
    )
    assert properties["Handler"] == service_entry(service).handler
    assert properties["LoggingConfig"]["LogFormat"] == "JSON"
    # with the stage's application and system (platform) levels
    compute = stage.config.compute
    assert properties["LoggingConfig"]["ApplicationLogLevel"] == (
        "WARN" if compute.log_level == "WARNING" else compute.log_level
    )
    assert properties["LoggingConfig"]["SystemLogLevel"] == compute.system_log_level
    # And it logs to its own log group kept 14 days
    log_group_id = properties["LoggingConfig"]["LogGroup"]["Ref"]
    log_group = stage.compute["Resources"][log_group_id]
    assert log_group["Properties"]["RetentionInDays"] == 14


def test_environment_names_every_variable_the_runtime_reads(stage: SynthesizedStage) -> None:
    environments = {
        service: function(stage, service)[1]["Properties"]["Environment"]["Variables"]
        for service in SERVICES
    }
    common = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}
    database = {
        "ORIGIN_VERIFY_SECRET_ARN",
        "DOCDB_SECRET_ARN",
        "DOCDB_DATABASE",
        "DOCDB_CA_FILE",
        "DOCDB_MAX_POOL_SIZE",
    }
    assert set(environments["tasks"]) == common | database | {
        "IDEMPOTENCY_TABLE_NAME",
        "EMAIL_QUEUE_URL",
    }
    # Preferences live in legacy's collection of the shared database, not in DynamoDB.
    assert set(environments["profile"]) == common | database
    for name in database - {"DOCDB_MAX_POOL_SIZE"}:
        assert environments["profile"][name] == environments["tasks"][name]
    assert set(environments["email_worker"]) == common | {"SENDER_EMAIL", "IDEMPOTENCY_TABLE_NAME"}
    assert environments["tasks"]["DOCDB_CA_FILE"] == CA_BUNDLE_PATH
    # the pool the stage's DocumentDB connection budget counts
    for service in ("tasks", "profile"):
        pool = stage.config.compute.function(service).docdb_max_pool_size
        assert environments[service]["DOCDB_MAX_POOL_SIZE"] == str(pool)
    assert environments["email_worker"]["SENDER_EMAIL"] == stage.config.compute.sender_email
    for service, variables in environments.items():
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Taskly"
        assert variables["POWERTOOLS_SERVICE_NAME"] == service


def origin_verify_secret_ref(stage: SynthesizedStage) -> dict[str, str]:
    secret_id, secret = by_path(stage.compute, "Compute/OriginVerify/Secret/Resource")
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    return {"Ref": secret_id}


def test_api_functions_are_told_which_secret_cloudfront_sends(stage: SynthesizedStage) -> None:
    # The functions behind the HTTP API check x-origin-verify against this secret; the worker,
    # which has no HTTP callers, is not given it.
    expected = origin_verify_secret_ref(stage)
    for service in ("tasks", "profile"):
        variables = function(stage, service)[1]["Properties"]["Environment"]["Variables"]
        assert variables["ORIGIN_VERIFY_SECRET_ARN"] == expected
    worker = function(stage, "email_worker")[1]["Properties"]["Environment"]["Variables"]
    assert "ORIGIN_VERIFY_SECRET_ARN" not in worker


def test_the_construct_names_the_header_the_runtime_checks() -> None:
    # Read from the source, as the CDK app reads the route table: no runtime imports here.
    source = ast.parse((LAMBDA_SRC / "taskly" / "api" / "origin.py").read_text())
    (checked,) = [
        ast.literal_eval(node.value)
        for node in source.body
        if isinstance(node, ast.Assign)
        and [getattr(target, "id", None) for target in node.targets] == ["ORIGIN_VERIFY_HEADER"]
    ]
    assert checked == ORIGIN_VERIFY_HEADER == "x-origin-verify"


def test_the_database_functions_run_in_the_vpc_in_private_subnets_with_the_lambda_sg(
    stage: SynthesizedStage,
) -> None:
    for service in ("tasks", "profile"):  # both reach the shared database
        vpc_config = function(stage, service)[1]["Properties"]["VpcConfig"]
        assert len(vpc_config["SubnetIds"]) == 2
        assert all("PrivateSubnet" in json.dumps(subnet) for subnet in vpc_config["SubnetIds"])
        assert "LambdaSecurityGroup" in json.dumps(vpc_config["SecurityGroupIds"])
    assert "VpcConfig" not in function(stage, "email_worker")[1]["Properties"]


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_alias_live_points_at_the_current_version_and_hands_updates_to_codedeploy(
    stage: SynthesizedStage, service: str
) -> None:
    function_id, _ = function(stage, service)
    _, resource = alias(stage, service)
    version_id = resource["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
    version = stage.compute["Resources"][version_id]
    assert resource["Properties"]["Name"] == "live"
    assert resource["Properties"]["FunctionName"] == {"Ref": function_id}
    assert version["Type"] == "AWS::Lambda::Version"
    assert version["Properties"]["FunctionName"] == {"Ref": function_id}
    # The alias update is a CodeDeploy deployment of this service's own group
    update = resource["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    group_id = update["DeploymentGroupName"]["Ref"]
    group = stage.compute["Resources"][group_id]
    assert group["Type"] == "AWS::CodeDeploy::DeploymentGroup"
    assert update["ApplicationName"] == group["Properties"]["ApplicationName"]
    assert by_path(stage.compute, f"{SERVICES[service]}/Deployment/Resource")[0] == group_id


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_deployment_group_uses_the_stage_config_and_rolls_back_on_failure_and_alarms(
    stage: SynthesizedStage, service: str
) -> None:
    _, group = by_path(stage.compute, f"{SERVICES[service]}/Deployment/Resource")
    properties = group["Properties"]
    expected_config = DEPLOYMENT_CONFIG_NAMES[stage.config.compute.deployment_config]
    assert properties["DeploymentConfigName"] == expected_config
    assert properties["DeploymentStyle"] == {
        "DeploymentOption": "WITH_TRAFFIC_CONTROL",
        "DeploymentType": "BLUE_GREEN",
    }
    assert properties["AutoRollbackConfiguration"]["Enabled"] is True
    assert set(properties["AutoRollbackConfiguration"]["Events"]) == {
        "DEPLOYMENT_FAILURE",
        "DEPLOYMENT_STOP_ON_ALARM",
        "DEPLOYMENT_STOP_ON_REQUEST",
    }
    alarm_ids = {alarm["Name"]["Ref"] for alarm in properties["AlarmConfiguration"]["Alarms"]}
    assert properties["AlarmConfiguration"]["Enabled"] is True
    assert alarm_ids == {
        by_path(stage.compute, f"{SERVICES[service]}/ErrorRateAlarm/Resource")[0],
        by_path(stage.compute, f"{SERVICES[service]}/ThrottleAlarm/Resource")[0],
    }


def test_prod_shifts_ten_percent_for_five_minutes_and_dev_all_at_once(
    stages: dict[str, SynthesizedStage],
) -> None:
    def config_of(name: str) -> str:
        _, group = by_path(stages[name].compute, "Tasks/Deployment/Resource")
        return str(group["Properties"]["DeploymentConfigName"])

    assert config_of("prod") == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    assert config_of("dev") == "CodeDeployDefault.LambdaAllAtOnce"


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_error_rate_alarm_divides_alias_errors_by_invocations_over_five_minutes(
    stage: SynthesizedStage, service: str
) -> None:
    alias_id, _ = alias(stage, service)
    function_id, _ = function(stage, service)
    _, alarm = by_path(stage.compute, f"{SERVICES[service]}/ErrorRateAlarm/Resource")
    properties = alarm["Properties"]
    assert properties["ComparisonOperator"] == "GreaterThanThreshold"
    assert properties["Threshold"] == 2
    assert properties["EvaluationPeriods"] == 1
    assert properties["TreatMissingData"] == "notBreaching"
    metrics = {metric["Id"]: metric for metric in properties["Metrics"]}
    expression = next(metric for metric in metrics.values() if "Expression" in metric)
    assert expression["Expression"] == "100 * FILL(errors, 0) / invocations"
    assert expression["ReturnData"] is True
    for metric_id, name in (("errors", "Errors"), ("invocations", "Invocations")):
        stat = metrics[metric_id]["MetricStat"]
        assert stat["Metric"]["MetricName"] == name
        assert stat["Period"] == 300
        assert stat["Stat"] == "Sum"
        # Measured on the alias (Resource = function:live), not on the function as a whole
        dimensions = {d["Name"]: d["Value"] for d in stat["Metric"]["Dimensions"]}
        assert dimensions["FunctionName"] == {"Ref": function_id}
        assert dimensions["Resource"] == {"Fn::Join": ["", [{"Ref": function_id}, ":live"]]}
    assert alias_id  # the alias the metrics name exists


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_throttle_alarm_fires_on_any_throttle_of_the_alias(
    stage: SynthesizedStage, service: str
) -> None:
    _, alarm = by_path(stage.compute, f"{SERVICES[service]}/ThrottleAlarm/Resource")
    properties = alarm["Properties"]
    assert properties["MetricName"] == "Throttles"
    assert properties["Statistic"] == "Sum"
    assert properties["Period"] == 300
    assert properties["Threshold"] == 0
    assert properties["ComparisonOperator"] == "GreaterThanThreshold"
    assert {d["Name"] for d in properties["Dimensions"]} == {"FunctionName", "Resource"}


def test_pre_traffic_hook_smoke_tests_the_new_version_of_http_services_where_configured(
    stage: SynthesizedStage,
) -> None:
    for service in ("tasks", "profile"):
        _, alias_resource = alias(stage, service)
        update = alias_resource["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
        if not stage.config.compute.pre_traffic_hook:
            assert "BeforeAllowTrafficHook" not in update
            continue
        hook_id = update["BeforeAllowTrafficHook"]["Ref"]
        hook = stage.compute["Resources"][hook_id]["Properties"]
        version_id = alias_resource["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
        # The hook tests exactly the version the alias is about to point at
        assert hook["Environment"]["Variables"]["TARGET_VERSION_ARN"] == {"Ref": version_id}
        event = json.loads(hook["Environment"]["Variables"]["SMOKE_EVENT"])
        assert event["version"] == "2.0"
        # It sends CloudFront's header, read from the secret at run time (never in the template)
        assert hook["Environment"]["Variables"]["SMOKE_HEADER_NAME"] == "x-origin-verify"
        assert hook["Environment"]["Variables"]["SMOKE_HEADER_SECRET_ARN"] == (
            origin_verify_secret_ref(stage)
        )
        assert "x-origin-verify" not in event["headers"]
        assert event["requestContext"]["http"]["method"] == "GET"
        assert hook["Handler"] == "hook.handler"
        assert hook["Runtime"] == "python3.13"
    # The worker has no smoke test: no batch is harmless to it (see ComputeStack)
    _, worker_alias = alias(stage, "email_worker")
    assert (
        "BeforeAllowTrafficHook" not in worker_alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    )


def test_pre_traffic_hook_may_invoke_only_its_version_and_report_only_to_its_group(
    stages: dict[str, SynthesizedStage],
) -> None:
    stage = stages["prod"]
    _, alias_resource = alias(stage, "tasks")
    version_id = alias_resource["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
    group_id = alias_resource["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]["DeploymentGroupName"]
    _, policy = by_path(stage.compute, "Tasks/PreTrafficHookRole/DefaultPolicy/Resource")
    statements = {
        json.dumps(statement["Action"]): statement
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    }
    assert statements['"lambda:InvokeFunction"']["Resource"] == {"Ref": version_id}
    report = statements['"codedeploy:PutLifecycleEventHookExecutionStatus"']["Resource"]
    assert group_id in report["Fn::Join"][1]
    secret = statements['"secretsmanager:GetSecretValue"']["Resource"]
    assert secret == origin_verify_secret_ref(stage)


def test_smoke_events_reach_the_data_store_as_a_signed_in_user(
    stages: dict[str, SynthesizedStage],
) -> None:
    stage = stages["prod"]
    paths = {}
    for service in ("tasks", "profile"):
        _, alias_resource = alias(stage, service)
        hook_id = alias_resource["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"][
            "BeforeAllowTrafficHook"
        ]
        variables = stage.compute["Resources"][hook_id["Ref"]]["Properties"]["Environment"]
        event = json.loads(variables["Variables"]["SMOKE_EVENT"])
        paths[service] = event["rawPath"]
        claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
        assert claims["scope"] == "taskly/api"
        assert claims["sub"] == "codedeploy-smoke-test"
    # Not the public health check: a route that reads the service's store
    assert paths == {"tasks": "/api/tasks", "profile": "/api/me/preferences"}


def test_every_lambda_integration_targets_an_alias_never_latest(stage: SynthesizedStage) -> None:
    aliases = set(resources(stage.compute, "AWS::Lambda::Alias"))
    integrations = resources(stage.compute, "AWS::ApiGatewayV2::Integration")
    lambda_integrations = [
        integration["Properties"]
        for integration in integrations.values()
        if integration["Properties"]["IntegrationType"] == "AWS_PROXY"
    ]
    assert lambda_integrations
    for integration in lambda_integrations:
        assert integration["IntegrationUri"]["Ref"] in aliases
    # and the API's invoke permissions are on the aliases too
    for permission in resources(stage.compute, "AWS::Lambda::Permission").values():
        assert permission["Properties"]["FunctionName"]["Ref"] in aliases


def test_template_helpers_match_cdk_assertions(stage: SynthesizedStage) -> None:
    # A cross-check of the hand-rolled lookups above with CDK's own matcher.
    stage.compute_template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": "python3.13",
            "Architectures": ["arm64"],
            "Handler": Match.string_like_regexp(r"^taskly\.handlers\.tasks\.handler$"),
        },
    )


# A new account's Lambda concurrency quota can be as low as 10, and AWS keeps a minimum
# unreserved, so any reservation can fail the first deploy there.
NO_RESERVATIONS = ("dev", "staging")


def test_stages_for_new_accounts_reserve_no_concurrency(
    stages: dict[str, SynthesizedStage],
) -> None:
    """Reservations are opt-in: dev and staging reserve nothing, hooks included."""
    for name in NO_RESERVATIONS:
        reserved = {
            logical_id: properties["ReservedConcurrentExecutions"]
            for logical_id, resource in resources(
                stages[name].compute, "AWS::Lambda::Function"
            ).items()
            if "ReservedConcurrentExecutions" in (properties := resource["Properties"])
        }
        assert reserved == {}, name
        assert stages[name].config.total_reserved_concurrency() == 0


def test_prod_reserves_for_the_api_functions_and_counts_them(
    stages: dict[str, SynthesizedStage],
) -> None:
    prod = stages["prod"]
    reserved = sum(
        resource["Properties"].get("ReservedConcurrentExecutions", 0)
        for resource in resources(prod.compute, "AWS::Lambda::Function").values()
    )
    assert reserved == prod.config.total_reserved_concurrency() == 150


def test_the_email_worker_is_capped_by_its_event_source_not_a_reservation(
    stage: SynthesizedStage,
) -> None:
    """An SQS source ignores reserved concurrency and its throttles would page and roll back."""
    _, worker = function(stage, "email_worker")
    assert "ReservedConcurrentExecutions" not in worker["Properties"]
    (mapping,) = resources(stage.compute, "AWS::Lambda::EventSourceMapping").values()
    assert mapping["Properties"]["ScalingConfig"] == {
        "MaximumConcurrency": stage.config.compute.worker("email_worker").max_concurrency
    }


SNAP_START_STAGES = {"dev": False, "staging": True, "prod": True}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_snap_start_is_on_where_latency_matters_and_the_alias_points_at_a_version(
    stage: SynthesizedStage, service: str
) -> None:
    """SnapStart applies to published versions only; $LATEST never restores from a snapshot."""
    _, resource = function(stage, service)
    _, live = alias(stage, service)
    snap_start = resource["Properties"].get("SnapStart")
    assert stage.config.compute.snap_start is SNAP_START_STAGES[stage.config.name]
    if SNAP_START_STAGES[stage.config.name]:
        assert snap_start == {"ApplyOn": "PublishedVersions"}
    else:
        assert snap_start is None
    version_id = live["Properties"]["FunctionVersion"]["Fn::GetAtt"]
    assert version_id[1] == "Version"
    assert stage.compute["Resources"][version_id[0]]["Type"] == "AWS::Lambda::Version"


def test_the_pre_traffic_hooks_never_snap_start(stage: SynthesizedStage) -> None:
    """A hook runs once per deployment: a snapshot would only add its cache and the wait."""
    hooks = [
        resource
        for logical_id, resource in resources(stage.compute, "AWS::Lambda::Function").items()
        if "PreTrafficHook" in logical_id
    ]
    assert len(hooks) == (2 if stage.config.compute.pre_traffic_hook else 0)
    assert all("SnapStart" not in hook["Properties"] for hook in hooks)
