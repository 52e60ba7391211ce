"""The stage's dashboard, alarms and budget, asserted in the synthesized templates of the app.

Uses the session synth of tests/synth.py (``dev`` and ``prod`` fixtures). Cross-stack values
are followed back to the resource that exports them, so "the dashboard graphs the tasks
function" means the exact resource, not a similar-looking name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from aws_cdk import CfnResource, Stack
from constructs import IConstruct

from stacks.config import stage_config
from tests.metric_math import alarm_state
from tests.synth import SynthesizedStage

Json = Any


def logical_id(construct: IConstruct) -> str:
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    assert isinstance(resource, CfnResource)
    return Stack.of(resource).get_logical_id(resource)


def _exports(stage: SynthesizedStage) -> dict[str, tuple[str, str]]:
    """Export name -> (stack name, logical id of the resource the exported value comes from)."""
    found = {}
    for stack_name, template in stage.templates.items():
        for output in template.get("Outputs", {}).values():
            if "Export" not in output:
                continue
            value = output["Value"]
            target = value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0]
            found[output["Export"]["Name"]] = (stack_name, target)
    return found


def resolve(stage: SynthesizedStage, value: Json, *, stack: str) -> Json:
    """``value`` (from ``stack``'s template) with every Fn::ImportValue, Ref and Fn::GetAtt
    replaced by ``<stack/logical id>`` of the resource it names, so dashboard bodies and alarm
    properties can be compared with the constructs that should be behind them."""
    exports = _exports(stage)

    def walk(node: Json) -> Json:
        if isinstance(node, dict):
            if set(node) == {"Fn::ImportValue"}:
                producer, target = exports[node["Fn::ImportValue"]]
                return f"<{producer}/{target}>"
            if set(node) == {"Ref"}:
                pseudo = node["Ref"].startswith("AWS::")  # AWS::Region and friends
                return f"<{node['Ref']}>" if pseudo else f"<{stack}/{node['Ref']}>"
            if set(node) == {"Fn::GetAtt"}:
                return f"<{stack}/{node['Fn::GetAtt'][0]}>"
            return {key: walk(inner) for key, inner in node.items()}
        if isinstance(node, list):
            return [walk(inner) for inner in node]
        return node

    return walk(value)


def only_resource(stage: SynthesizedStage, component: str, resource_type: str) -> str:
    """``<stack/logical id>`` of the one resource of ``resource_type`` in a stack."""
    [found] = [
        resource_id
        for resource_id, resource in stage.json(component)["Resources"].items()
        if resource["Type"] == resource_type
    ]
    return f"<Taskly-{stage.name}-{component}/{found}>"


def dashboard_widgets(stage: SynthesizedStage) -> list[dict[str, Any]]:
    [dashboard] = [
        resource
        for resource in stage.json("Monitoring")["Resources"].values()
        if resource["Type"] == "AWS::CloudWatch::Dashboard"
    ]
    body = dashboard["Properties"]["DashboardBody"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    stack = f"Taskly-{stage.name}-Monitoring"
    text = "".join(
        part if isinstance(part, str) else resolve(stage, part, stack=stack) for part in parts
    )
    widgets: list[dict[str, Any]] = json.loads(text)["widgets"]
    return widgets


def metric_lines(
    widgets: list[dict[str, Any]],
) -> Iterator[tuple[str, str, dict[str, str], dict[str, Any]]]:
    """(namespace, metric name, dimensions, options) of every metric on the dashboard."""
    for widget in widgets:
        for line in widget["properties"].get("metrics", []):
            options = line[-1] if isinstance(line[-1], dict) else {}
            names = [item for item in line if not isinstance(item, dict)]
            if not names:
                continue  # a math expression line; the metrics it uses are lines of their own
            namespace, metric = names[0], names[1]
            dimensions = dict(zip(names[2::2], names[3::2], strict=True))
            yield namespace, metric, dimensions, options


def graphed(
    stage: SynthesizedStage, namespace: str, metric: str
) -> list[tuple[dict[str, str], dict[str, Any]]]:
    return [
        (dimensions, options)
        for ns, name, dimensions, options in metric_lines(dashboard_widgets(stage))
        if (ns, name) == (namespace, metric)
    ]


def ref_in(stage: SynthesizedStage, component: str, construct: IConstruct) -> str:
    return f"<Taskly-{stage.name}-{component}/{logical_id(construct)}>"


def alarms(stage: SynthesizedStage) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for stack_name, template in stage.templates.items():
        for alarm_id, resource in template["Resources"].items():
            if resource["Type"] == "AWS::CloudWatch::Alarm":
                yield stack_name, alarm_id, resource["Properties"]


def alarm_topic(stage: SynthesizedStage) -> str:
    return ref_in(stage, "Alerts", stage.stacks.alerts.alarm_topic)


# --- dashboard -----------------------------------------------------------------------------


def test_every_stage_has_an_alerts_and_a_monitoring_stack(
    dev: SynthesizedStage, prod: SynthesizedStage
) -> None:
    for stage in (dev, prod):
        assert {f"Taskly-{stage.name}-Alerts", f"Taskly-{stage.name}-Monitoring"} <= set(
            stage.templates
        )
        stage.template("Monitoring").resource_count_is("AWS::CloudWatch::Dashboard", 1)


def test_dashboard_is_named_after_the_stage_and_region(dev: SynthesizedStage) -> None:
    [dashboard] = [
        r
        for r in dev.json("Monitoring")["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Dashboard"
    ]
    assert dashboard["Properties"]["DashboardName"] == "Taskly-dev-eu-west-1"


def test_api_requests_errors_and_latency_percentiles(dev: SynthesizedStage) -> None:
    api = {"ApiId": ref_in(dev, "Compute", dev.stacks.compute.http_api)}
    for metric in ("Count", "4xx", "5xx"):
        stats = {
            options["stat"]
            for dims, options in graphed(dev, "AWS/ApiGateway", metric)
            if dims == api
        }
        assert stats == {"Sum"}, metric
    latency = {
        options["stat"]
        for dims, options in graphed(dev, "AWS/ApiGateway", "Latency")
        if dims == api
    }
    assert latency == {"p50", "p90", "p99"}


@pytest.mark.parametrize("service", ["tasks", "profile", "email_worker"])
def test_each_function_row(dev: SynthesizedStage, service: str) -> None:
    function = dev.stacks.compute.functions[service]
    name = ref_in(dev, "Compute", function.function)
    by_function = {"FunctionName": name}

    def stats(metric: str) -> set[str]:
        return {
            options["stat"]
            for dims, options in graphed(dev, "AWS/Lambda", metric)
            if dims == by_function
        }

    assert stats("Invocations") == {"Sum"}
    assert stats("Errors") == {"Sum"}
    assert stats("Throttles") == {"Sum"}
    assert "p99" in stats("Duration")
    assert stats("ConcurrentExecutions") == {"Maximum"}
    # Powertools' cold-start count, under the dimensions log_metrics(capture_cold_start_metric)
    # publishes it with: the function name and the service
    assert {"function_name": name, "service": service} in [
        dims for dims, _ in graphed(dev, "Taskly", "ColdStart")
    ]
    # what caps the function is drawn on the concurrency graph: the worker's SQS maximum
    # concurrency; dev reserves nothing for the API functions, so they have no line
    compute = stage_config("dev", account=None, region=None).compute
    expected = (
        [("SQS maximum concurrency", compute.worker("email_worker").max_concurrency)]
        if service == "email_worker"
        else []
    )
    assert concurrency_lines(dev, service) == expected


def concurrency_lines(stage: SynthesizedStage, service: str) -> list[tuple[str, int]]:
    [concurrency] = [
        w
        for w in dashboard_widgets(stage)
        if w["properties"].get("title") == f"{service}: concurrency and cold starts"
    ]
    lines = concurrency["properties"].get("annotations", {}).get("horizontal", [])
    return [(line["label"], line["value"]) for line in lines]


@pytest.mark.parametrize("service", ["tasks", "profile"])
def test_prod_draws_each_api_functions_reservation(prod: SynthesizedStage, service: str) -> None:
    reserved = (
        stage_config("prod", account=None, region=None).compute.function(service)
    ).reserved_concurrency
    assert reserved is not None
    assert concurrency_lines(prod, service) == [("reserved concurrency", reserved)]


@pytest.mark.parametrize("service", ["tasks", "profile", "email_worker"])
def test_init_duration_comes_from_the_report_lines_of_the_functions_log_group(
    dev: SynthesizedStage, service: str
) -> None:
    function = dev.stacks.compute.functions[service]
    [widget] = [
        w
        for w in dashboard_widgets(dev)
        if w["type"] == "log" and w["properties"]["title"].startswith(f"{service}:")
    ]
    query = widget["properties"]["query"]
    assert f"SOURCE '{ref_in(dev, 'Compute', function.log_group)}'" in query
    assert 'type = "platform.report"' in query
    assert "pct(record.metrics.initDurationMs, 99)" in query
    # Lambda writes the report line only at system log level INFO or DEBUG
    [cfn] = [
        r
        for r in dev.json("Compute")["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
        and r["Properties"].get("LoggingConfig", {}).get("LogGroup")
        == {"Ref": logical_id(function.log_group)}
    ]
    assert cfn["Properties"]["LoggingConfig"]["SystemLogLevel"] == "INFO"


def test_dynamodb_throttles_and_latency_of_both_tables(dev: SynthesizedStage) -> None:
    for table in (dev.stacks.data.app_state_table, dev.stacks.data.idempotency_table):
        name = ref_in(dev, "Data", table)
        for metric in ("ReadThrottleEvents", "WriteThrottleEvents"):
            assert {"TableName": name} in [dims for dims, _ in graphed(dev, "AWS/DynamoDB", metric)]
        latency = [dims for dims, _ in graphed(dev, "AWS/DynamoDB", "SuccessfulRequestLatency")]
        assert {"TableName": name, "Operation": "GetItem"} in latency


def test_email_queue_age_and_dead_letter_depth(dev: SynthesizedStage) -> None:
    queues = dev.stacks.compute.email_queue
    age = graphed(dev, "AWS/SQS", "ApproximateAgeOfOldestMessage")
    depth = graphed(dev, "AWS/SQS", "ApproximateNumberOfMessagesVisible")
    # SQS metrics are dimensioned by queue name (GetAtt QueueName of the queue)
    assert [dims["QueueName"] for dims, _ in age] == [ref_in(dev, "Compute", queues.queue)]
    assert [dims["QueueName"] for dims, _ in depth] == [
        ref_in(dev, "Compute", queues.dead_letter_queue)
    ]


def test_documentdb_cpu_connections_and_freeable_memory(dev: SynthesizedStage) -> None:
    cluster = {"DBClusterIdentifier": only_resource(dev, "Data", "AWS::DocDB::DBCluster")}
    for metric, stat in (
        ("CPUUtilization", "Maximum"),
        ("DatabaseConnections", "Maximum"),
        ("FreeableMemory", "Minimum"),
    ):
        assert [
            options["stat"]
            for dims, options in graphed(dev, "AWS/DocDB", metric)
            if dims == cluster
        ] == [stat]


def test_cloudfront_5xx_rate_is_read_where_cloudfront_publishes_it(dev: SynthesizedStage) -> None:
    distribution = ref_in(dev, "Edge", dev.stacks.edge.distribution)
    [(dims, options)] = graphed(dev, "AWS/CloudFront", "5xxErrorRate")
    assert dims == {"DistributionId": distribution, "Region": "Global"}
    assert options["region"] == "us-east-1"
    assert options.get("stat", "Average") == "Average"  # CloudWatch's default, left out by CDK


def test_the_cutover_weight_is_pointed_to_not_faked(
    dev: SynthesizedStage, prod: SynthesizedStage
) -> None:
    for stage in (dev, prod):
        texts = [
            w["properties"]["markdown"] for w in dashboard_widgets(stage) if w["type"] == "text"
        ]
        assert any(f'make cutover ARGS="status --stage {stage.name}"' in text for text in texts)
    # nothing on the dashboard claims to be a weight metric
    assert not [m for _, m, _, _ in metric_lines(dashboard_widgets(dev)) if "weight" in m.lower()]
    # CDK names a CloudFront Function at synth time, so the name is a literal here
    function = dev.stacks.edge.cutover.function.function_name
    assert {"FunctionName": function, "Region": "Global"} in [
        dims for dims, _ in graphed(dev, "AWS/CloudFront", "FunctionExecutionErrors")
    ]


def test_alarm_status_widget_lists_every_alarm_of_the_stage(dev: SynthesizedStage) -> None:
    [widget] = [w for w in dashboard_widgets(dev) if w["type"] == "alarm"]
    every_alarm = {f"<{stack}/{alarm_id}>" for stack, alarm_id, _ in alarms(dev)}
    assert len(every_alarm) == 12
    assert set(widget["properties"]["alarms"]) == every_alarm


# --- alarms --------------------------------------------------------------------------------


def test_no_alarm_in_the_stage_is_silent(dev: SynthesizedStage, prod: SynthesizedStage) -> None:
    """Every alarm sends ALARM to the topic; all but the rollback failure alarm also send OK."""
    for stage in (dev, prod):
        topic = alarm_topic(stage)
        failure = logical_id(stage.stacks.edge.rollback.failure_alarm)
        found = list(alarms(stage))
        # eleven, and one connections alarm per DocumentDB instance
        instances = stage_config(stage.name, account=None, region=None).data.docdb_instance_count
        assert len(found) == 11 + instances
        for stack, alarm_id, properties in found:
            resolved = resolve(stage, properties, stack=stack)
            assert topic in resolved.get("AlarmActions", []), (stack, alarm_id)
            if alarm_id != failure:
                assert topic in resolved.get("OKActions", []), (stack, alarm_id)


def test_the_rollback_alarm_still_rolls_back(dev: SynthesizedStage) -> None:
    rollback = logical_id(dev.stacks.edge.rollback.alarm)
    actions = dev.json("Edge")["Resources"][rollback]["Properties"]["AlarmActions"]
    assert len(actions) == 2  # the rollback function and the alarm topic


def own_alarms(stage: SynthesizedStage) -> dict[str, dict[str, Any]]:
    return {
        alarm_id: resolve(stage, properties, stack=stack)
        for stack, alarm_id, properties in alarms(stage)
        if stack == f"Taskly-{stage.name}-Monitoring"
    }


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_documentdb_cpu_alarm(stage: Any, name: str) -> None:
    synthesized = stage(name)
    cluster = [
        {
            "Name": "DBClusterIdentifier",
            "Value": only_resource(synthesized, "Data", "AWS::DocDB::DBCluster"),
        }
    ]
    [cpu] = [p for p in own_alarms(synthesized).values() if p.get("MetricName") == "CPUUtilization"]
    assert (cpu["Threshold"], cpu["EvaluationPeriods"], cpu["Period"], cpu["Statistic"]) == (
        80,
        3,
        300,
        "Maximum",
    )
    assert cpu["Dimensions"] == cluster


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_documentdb_connections_alarm_follows_each_instances_limit(stage: Any, name: str) -> None:
    """Evaluated as CloudWatch would: each instance's alarm stays OK at the stage's connection
    budget on an instance at minimum capacity, and fires at the alarm share of whatever limit
    the instance's current capacity gives (a fixed number cannot follow a serverless limit)."""
    synthesized = stage(name)
    budget = stage_config(name, account=None, region=None).docdb_connection_budget()
    instances = [
        f"<Taskly-{name}-Data/{logical}>"
        for logical, resource in synthesized.json("Data")["Resources"].items()
        if resource["Type"] == "AWS::DocDB::DBInstance"
    ]
    connection_alarms = {
        query["MetricStat"]["Metric"]["Dimensions"][0]["Value"]: properties
        for properties in own_alarms(synthesized).values()
        for query in properties.get("Metrics", [])
        if query.get("MetricStat", {}).get("Metric", {}).get("MetricName")
        == "DatabaseConnectionsMax"
    }
    assert sorted(connection_alarms) == sorted(instances)
    assert len(instances) == stage_config(name, account=None, region=None).data.docdb_instance_count

    def state(instance: str, connections: float, limit: float) -> bool:
        dims = frozenset({("DBInstanceIdentifier", instance)})
        period = {
            ("AWS/DocDB", "DatabaseConnectionsMax", dims, "Maximum"): connections,
            ("AWS/DocDB", "DatabaseConnectionsLimit", dims, "Minimum"): limit,
        }
        return alarm_state(connection_alarms[instance], [period]) == "ALARM"

    for instance in instances:
        # the budgeted peak at minimum capacity is not a page
        assert not state(instance, budget.total, budget.limit)
        # the alarm share of the limit is, at minimum capacity and after scaling up
        assert state(instance, budget.allowed, budget.limit)
        assert state(instance, budget.allowed * 4, budget.limit * 4)
        assert not state(instance, budget.allowed, budget.limit * 4)


def network_alarms(stage: SynthesizedStage) -> dict[str, dict[str, Any]]:
    """The NAT alarms: in the network stack, next to the NAT they watch."""
    stack = f"Taskly-{stage.name}-Network"
    return {
        alarm_id: resolve(stage, properties, stack=stack)
        for stack_name, alarm_id, properties in alarms(stage)
        if stack_name == stack
    }


def test_nat_gateway_error_alarm(prod: SynthesizedStage) -> None:
    [nat] = [p for p in network_alarms(prod).values() if p.get("Namespace") == "AWS/NATGateway"]
    gateway = only_resource(prod, "Network", "AWS::EC2::NatGateway")
    assert nat["MetricName"] == "ErrorPortAllocation"
    assert nat["Dimensions"] == [{"Name": "NatGatewayId", "Value": gateway}]
    assert (nat["Threshold"], nat["Statistic"], nat["TreatMissingData"]) == (
        0,
        "Sum",
        "notBreaching",
    )
    assert nat["AlarmActions"] == nat["OKActions"] == [alarm_topic(prod)]


def test_nat_instance_status_alarm_treats_silence_as_failure(dev: SynthesizedStage) -> None:
    [nat] = [p for p in network_alarms(dev).values() if p.get("Namespace") == "AWS/EC2"]
    instance = only_resource(dev, "Network", "AWS::EC2::Instance")
    assert nat["MetricName"] == "StatusCheckFailed"
    assert nat["Dimensions"] == [{"Name": "InstanceId", "Value": instance}]
    assert (nat["Threshold"], nat["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    assert nat["TreatMissingData"] == "breaching"  # a stopped NAT reports nothing
    assert nat["AlarmActions"] == nat["OKActions"] == [alarm_topic(dev)]
    assert not [p for p in own_alarms(dev).values() if p.get("Namespace") == "AWS/EC2"]


def test_the_dashboard_shows_the_nat_the_stage_has(
    dev: SynthesizedStage, prod: SynthesizedStage
) -> None:
    # Dev's NAT instance is shown through its alarm (the instance id never leaves the
    # network stack); prod's gateway is graphed by id.
    [status_alarm] = [
        alarm_id for alarm_id, p in network_alarms(dev).items() if p.get("Namespace") == "AWS/EC2"
    ]
    shown = [
        widget["properties"]["annotations"]["alarms"]
        for widget in dashboard_widgets(dev)
        if "alarms" in widget["properties"].get("annotations", {})
    ]
    assert [f"<Taskly-dev-Network/{status_alarm}>"] in shown
    assert not graphed(dev, "AWS/EC2", "NetworkOut")
    assert not graphed(dev, "AWS/NATGateway", "BytesOutToDestination")
    gateway = only_resource(prod, "Network", "AWS::EC2::NatGateway")
    assert {"NatGatewayId": gateway} in [
        dims for dims, _ in graphed(prod, "AWS/NATGateway", "BytesOutToDestination")
    ]


# --- alerts: topic and budget ----------------------------------------------------------------


def test_topic_is_encrypted_and_mails_the_configured_recipients(dev: SynthesizedStage) -> None:
    alerts = dev.template("Alerts")
    alerts.resource_count_is("AWS::KMS::Key", 1)
    emails = stage_config("dev", account=None, region=None).ops.alarm_emails
    for email in emails:
        alerts.has_resource_properties(
            "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": email}
        )
    [topic] = alerts.find_resources("AWS::SNS::Topic").values()
    assert "KmsMasterKeyId" in topic["Properties"]


@pytest.mark.parametrize(("name", "policy"), [("dev", "Delete"), ("prod", "RetainExceptOnCreate")])
def test_the_alarm_key_is_kept_where_data_is(stage: Any, name: str, policy: str) -> None:
    [key] = stage(name).template("Alerts").find_resources("AWS::KMS::Key").values()
    assert key["DeletionPolicy"] == policy


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_budget_amount_thresholds_and_recipients_come_from_the_stage(stage: Any, name: str) -> None:
    ops = stage_config(name, account=None, region=None).ops
    [budget] = stage(name).template("Alerts").find_resources("AWS::Budgets::Budget").values()
    properties = budget["Properties"]
    assert properties["Budget"]["BudgetLimit"] == {"Amount": ops.monthly_budget_usd, "Unit": "USD"}
    assert "CostFilters" not in properties["Budget"]  # account-wide unless the tag filter is on
    notifications = {
        (n["Notification"]["NotificationType"], n["Notification"]["Threshold"]): [
            s["Address"] for s in n["Subscribers"]
        ]
        for n in properties["NotificationsWithSubscribers"]
    }
    assert notifications == {
        ("ACTUAL", 80): list(ops.alarm_emails),
        ("FORECASTED", 100): list(ops.alarm_emails),
    }


def test_dashboard_metrics_exist_where_the_alarms_look(dev: SynthesizedStage) -> None:
    """Every alarm of the monitoring stack has its metric on the dashboard too."""
    on_dashboard = {(ns, m) for ns, m, _, _ in metric_lines(dashboard_widgets(dev))}
    for properties in own_alarms(dev).values():
        metrics = [
            query["MetricStat"]["Metric"]
            for query in properties.get("Metrics", [])
            if "MetricStat" in query
        ] or [properties]
        for metric in metrics:
            assert (metric["Namespace"], metric["MetricName"]) in on_dashboard


def test_dashboard_body_has_no_unresolved_tokens(dev: SynthesizedStage) -> None:
    text = json.dumps(dashboard_widgets(dev))
    assert not re.search(r"\$\{Token\[", text)
