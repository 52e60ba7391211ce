"""The cost estimate of small hand-written templates matches totals worked out by hand.

Prices come from tests/ops/fixtures/prices.toml (round numbers, 720 hours = 30 days a month);
each expected figure below is written as the arithmetic a reader can check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.ops.conftest import WriteAssembly, resource
from tools.ops.cost.assembly import load_assembly
from tools.ops.cost.estimate import StageEstimate, estimate_stage
from tools.ops.cost.pricebook import PriceBook

GB = 1024**3


def estimate(
    directory: Path, book: PriceBook, *, stage: str = "dev", requests_per_day: float = 0
) -> StageEstimate:
    return estimate_stage(load_assembly(directory), stage, book, requests_per_day=requests_per_day)


def line(result: StageEstimate, resource_label: str, charge: str, *, variable: bool = False) -> Any:
    items = result.variable if variable else result.fixed
    matches = [i for i in items if i.resource == resource_label and i.charge == charge]
    assert len(matches) == 1, f"expected one {resource_label}/{charge} line, got {matches}"
    return matches[0]


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


NETWORK = {
    "Nat": resource("AWS::EC2::NatGateway", AllocationId={"Fn::GetAtt": ["Eip", "AllocationId"]}),
    "Eip": resource("AWS::EC2::EIP", Domain="vpc"),
    "S3Endpoint": resource("AWS::EC2::VPCEndpoint", ServiceName="com.amazonaws.x.s3"),
    "SecretsEndpoint": resource(
        "AWS::EC2::VPCEndpoint",
        VpcEndpointType="Interface",
        ServiceName="com.amazonaws.x.secretsmanager",
        SubnetIds=[ref("SubnetA"), ref("SubnetB")],
    ),
    "SqsEndpoint": resource(
        "AWS::EC2::VPCEndpoint",
        VpcEndpointType="Interface",
        ServiceName="com.amazonaws.x.sqs",
        SubnetIds=[ref("SubnetA"), ref("SubnetB"), ref("SubnetC")],
    ),
    "SubnetA": resource("AWS::EC2::Subnet"),
    "FlowLogRole": resource("AWS::IAM::Role"),
    "FlowLogGroup": resource("AWS::Logs::LogGroup", RetentionInDays=60),
    "FlowLog": resource(
        "AWS::EC2::FlowLog",
        LogDestinationType="cloud-watch-logs",
        LogGroupName=ref("FlowLogGroup"),
    ),
    "Mystery": resource("AWS::Foo::Bar"),
}


def test_network_fixed_cost_is_the_sum_of_its_lines(
    write_assembly: WriteAssembly, book: PriceBook
) -> None:
    # Given a network stack with a NAT gateway, its address, two interface endpoints and a flow log
    cdk_out = write_assembly({"Taskly-dev-Network": NETWORK})

    # When it is estimated
    result = estimate(cdk_out, book)

    # Then every charge is there, computed from the round test prices
    assert line(result, "Nat", "hours").monthly_usd == pytest.approx(720 * 0.05)  # 36.00
    assert line(result, "Eip", "hours").monthly_usd == pytest.approx(720 * 0.01)  # 7.20
    assert line(result, "SecretsEndpoint", "az-hours").monthly_usd == pytest.approx(2 * 720 * 0.01)
    assert line(result, "SqsEndpoint", "az-hours").monthly_usd == pytest.approx(3 * 720 * 0.01)
    assert line(result, "FlowLog", "delivery").monthly_usd == pytest.approx(1 * 0.5)
    # 1 GB a month kept 60 days = 2 GB stored in steady state
    assert line(result, "FlowLog", "storage").monthly_usd == pytest.approx(1 * 60 / 30 * 0.03)
    assert line(result, "FlowLogGroup", "storage").monthly_usd == pytest.approx(0.5 * 0.03)
    expected = 36 + 7.2 + 14.4 + 21.6 + 0.5 + 0.06 + 0.015
    assert result.fixed_total == pytest.approx(expected)  # 79.775
    # and the gateway endpoint (free) adds no line
    assert not [i for i in result.fixed if i.resource == "S3Endpoint"]


def test_unknown_types_are_listed_not_dropped(
    write_assembly: WriteAssembly, book: PriceBook
) -> None:
    cdk_out = write_assembly({"Taskly-dev-Network": NETWORK})

    result = estimate(cdk_out, book)

    assert [(u.resource, u.resource_type) for u in result.unpriced] == [
        ("Mystery", "AWS::Foo::Bar")
    ]
    # Free types (Subnet, IAM role) are neither priced nor listed as unknown
    listed = {u.resource for u in result.unpriced} | {i.resource for i in result.fixed}
    assert "SubnetA" not in listed
    assert "FlowLogRole" not in listed


def test_documentdb_instances_serverless_capacity_and_unknown_classes(
    write_assembly: WriteAssembly, book: PriceBook
) -> None:
    # Given a provisioned cluster with two priced instances and one of a class with no price,
    # and a serverless cluster with one db.serverless instance at a minimum of 1.5 DCU
    data = {
        "Cluster": resource("AWS::DocDB::DBCluster"),
        "InstanceA": resource(
            "AWS::DocDB::DBInstance",
            DBInstanceClass="db.t4g.medium",
            DBClusterIdentifier=ref("Cluster"),
        ),
        "InstanceB": resource(
            "AWS::DocDB::DBInstance",
            DBInstanceClass="db.t4g.medium",
            DBClusterIdentifier=ref("Cluster"),
        ),
        "InstanceHuge": resource(
            "AWS::DocDB::DBInstance",
            DBInstanceClass="db.x9.huge",
            DBClusterIdentifier=ref("Cluster"),
        ),
        "Serverless": resource(
            "AWS::DocDB::DBCluster",
            ServerlessV2ScalingConfiguration={"MinCapacity": 1.5, "MaxCapacity": 4},
        ),
        "ServerlessInstance": resource(
            "AWS::DocDB::DBInstance",
            DBInstanceClass="db.serverless",
            DBClusterIdentifier=ref("Serverless"),
        ),
        "Secret": resource("AWS::SecretsManager::Secret"),
    }
    cdk_out = write_assembly({"Taskly-dev-Data": data})

    result = estimate(cdk_out, book)

    assert line(result, "InstanceA", "hours").monthly_usd == pytest.approx(720 * 0.1)
    assert line(result, "ServerlessInstance", "dcu-hours").monthly_usd == pytest.approx(
        1.5 * 720 * 0.1
    )
    assert line(result, "Cluster", "storage").monthly_usd == pytest.approx(10 * 0.1)
    expected = (
        2 * 72 + 108 + 2 * 1.0 + 0.5
    )  # two instances, serverless floor, two clusters' storage, secret
    assert result.fixed_total == pytest.approx(expected)  # 254.50
    [unpriced] = result.unpriced
    assert unpriced.resource == "InstanceHuge"
    assert "db.x9.huge" in unpriced.reason


def test_a_nat_instance_costs_its_hours_volume_and_public_address(
    write_assembly: WriteAssembly, book: PriceBook
) -> None:
    root = {"DeviceName": "/dev/xvda", "Ebs": {"VolumeType": "gp3", "VolumeSize": 8}}
    network = {
        "Public": resource("AWS::EC2::Subnet", MapPublicIpOnLaunch=True),
        "Private": resource("AWS::EC2::Subnet", MapPublicIpOnLaunch=False),
        "Nat": resource(
            "AWS::EC2::Instance",
            InstanceType="t4g.nano",
            SubnetId=ref("Public"),
            BlockDeviceMappings=[root],
        ),
        "Inside": resource(
            "AWS::EC2::Instance",
            InstanceType="t4g.nano",
            SubnetId=ref("Private"),
            BlockDeviceMappings=[root],
        ),
        "Big": resource("AWS::EC2::Instance", InstanceType="m7g.large", BlockDeviceMappings=[root]),
        "FromAmi": resource("AWS::EC2::Instance", InstanceType="t4g.nano"),
    }
    cdk_out = write_assembly({"Taskly-dev-Network": network})

    result = estimate(cdk_out, book)

    assert line(result, "Nat", "hours").monthly_usd == pytest.approx(720 * 0.01)
    assert line(result, "Nat", "volume /dev/xvda").monthly_usd == pytest.approx(8 * 0.1)
    assert line(result, "Nat", "public-ipv4").monthly_usd == pytest.approx(720 * 0.01)
    # a private instance gets no public address
    assert {i.charge for i in result.fixed if i.resource == "Inside"} == {
        "hours",
        "volume /dev/xvda",
    }
    unpriced = {u.resource: u.reason for u in result.unpriced}
    assert "m7g.large has no price" in unpriced["Big"]
    assert "come from the AMI" in unpriced["FromAmi"]


def test_a_cluster_without_instances_is_flagged(
    write_assembly: WriteAssembly, book: PriceBook
) -> None:
    # CDK's DatabaseCluster adds no instance to a serverless cluster: it cannot serve queries
    data = {
        "Cluster": resource(
            "AWS::DocDB::DBCluster",
            ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2},
        )
    }
    cdk_out = write_assembly({"Taskly-dev-Data": data})

    result = estimate(cdk_out, book)

    [finding] = result.findings
    assert finding.resource == "Cluster"
    assert "without instances" in finding.message


def test_tables_alarms_keys_dashboards_and_user_pools(
    write_assembly: WriteAssembly, book: PriceBook
) -> None:
    ops = {
        "OnDemand": resource(
            "AWS::DynamoDB::Table",
            BillingMode="PAY_PER_REQUEST",
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        ),
        "Provisioned": resource(
            "AWS::DynamoDB::Table",
            ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 2},
        ),
        "Errors": resource("AWS::CloudWatch::Alarm", Period=60),
        "Fast": resource("AWS::CloudWatch::Alarm", Period=10),
        "Ratio": resource(
            "AWS::CloudWatch::Alarm",
            Metrics=[
                {"Id": "e", "MetricStat": {"Period": 300}},
                {"Id": "r", "MetricStat": {"Period": 300}},
                {"Id": "rate", "Expression": "e / r"},
            ],
        ),
        "Board": resource("AWS::CloudWatch::Dashboard"),
        "Key": resource("AWS::KMS::Key"),
        "Users": resource("AWS::Cognito::UserPool"),
    }
    cdk_out = write_assembly({"Taskly-dev-Ops": ops})

    result = estimate(cdk_out, book)

    assert line(result, "OnDemand", "storage").monthly_usd == pytest.approx(1 * 0.25)
    assert line(result, "OnDemand", "pitr").monthly_usd == pytest.approx(1 * 0.2)
    assert line(result, "Provisioned", "rcu").monthly_usd == pytest.approx(5 * 720 * 0.0001)
    assert line(result, "Provisioned", "wcu").monthly_usd == pytest.approx(2 * 720 * 0.001)
    assert line(result, "Errors", "metrics").monthly_usd == pytest.approx(0.1)
    assert line(result, "Fast", "metrics").monthly_usd == pytest.approx(0.3)  # high resolution
    assert line(result, "Ratio", "metrics").monthly_usd == pytest.approx(2 * 0.1)  # two metrics
    # 1,000 MAU assumed, 100 free, Essentials by default
    assert line(result, "Users", "mau").monthly_usd == pytest.approx((1000 - 100) * 0.01)
    expected = 0.25 + 0.2 + 0.25 + 0.36 + 1.44 + 0.1 + 0.3 + 0.2 + 3 + 1 + 9
    assert result.fixed_total == pytest.approx(expected)  # 16.10
    assert result.unpriced == ()


def test_detailed_route_metrics_cost_six_metrics_per_route(
    write_assembly: WriteAssembly, book: PriceBook
) -> None:
    # Given three HTTP API stages: per-route metrics on one route, on every route, on none
    api = {"ApiId": ref("Api")}
    compute = {
        "Api": resource("AWS::ApiGatewayV2::Api", ProtocolType="HTTP"),
        **{
            f"Route{key}": resource("AWS::ApiGatewayV2::Route", RouteKey=f"GET /{key}", **api)
            for key in ("a", "b", "c")
        },
        "OneRoute": resource(
            "AWS::ApiGatewayV2::Stage",
            RouteSettings={
                "ANY /api/{proxy+}": {"DetailedMetricsEnabled": True},
                "GET /a": {"ThrottlingBurstLimit": 5},
            },
            **api,
        ),
        "EveryRoute": resource(
            "AWS::ApiGatewayV2::Stage", DefaultRouteSettings={"DetailedMetricsEnabled": True}, **api
        ),
        "Plain": resource("AWS::ApiGatewayV2::Stage", **api),
    }
    cdk_out = write_assembly({"Taskly-dev-Compute": compute})

    # When it is estimated
    result = estimate(cdk_out, book)

    # Then each route with detailed metrics costs its 6 metrics (4xx, 5xx, Count, two
    # latencies, DataProcessed), and a stage without them costs nothing and is not "unpriced"
    assert line(result, "OneRoute", "route-metrics").monthly_usd == pytest.approx(6 * 0.3)
    assert line(result, "EveryRoute", "route-metrics").monthly_usd == pytest.approx(3 * 6 * 0.3)
    assert not [item for item in result.fixed if item.resource == "Plain"]
    assert not [u for u in result.unpriced if u.resource_type == "AWS::ApiGatewayV2::Stage"]


def test_a_dms_serverless_replication_costs_its_minimum_capacity(
    write_assembly: WriteAssembly, book: PriceBook
) -> None:
    migration = {
        "Replication": resource(
            "AWS::DMS::ReplicationConfig",
            ComputeConfig={"MinCapacityUnits": 2, "MaxCapacityUnits": 8, "MultiAZ": False},
        ),
        "Standby": resource(
            "AWS::DMS::ReplicationConfig",
            ComputeConfig={"MinCapacityUnits": 1, "MaxCapacityUnits": 4, "MultiAZ": True},
        ),
        "Unsized": resource("AWS::DMS::ReplicationConfig", ComputeConfig={"MaxCapacityUnits": 4}),
        "Source": resource("AWS::DMS::Endpoint"),
        "Key": resource("AWS::KMS::Key"),
    }
    cdk_out = write_assembly({"Taskly-dev-Migration": migration})

    result = estimate(cdk_out, book)

    assert line(result, "Replication", "capacity").monthly_usd == pytest.approx(2 * 720 * 0.2)
    assert line(result, "Standby", "capacity").monthly_usd == pytest.approx(1 * 2 * 720 * 0.2)
    assert result.fixed_total == pytest.approx(288 + 288 + 1)  # endpoints are not charged
    # Without a minimum the cost is unknown, and the report says so instead of pricing 0.
    assert [(u.resource, u.reason) for u in result.unpriced] == [
        ("Unsized", "no MinCapacityUnits: DMS picks the minimum at start")
    ]


def test_a_metrics_insights_alarm_is_priced_per_metric_it_queries(
    write_assembly: WriteAssembly, book: PriceBook
) -> None:
    """The DMS alarms are Metrics Insights queries (no MetricStat): one metric each."""
    query = {"Id": "q", "Expression": 'SELECT MAX(CDCLatencySource) FROM "AWS/DMS"', "Period": 300}
    cdk_out = write_assembly(
        {"Taskly-dev-Migration": {"Latency": resource("AWS::CloudWatch::Alarm", Metrics=[query])}}
    )

    result = estimate(cdk_out, book)

    assert line(result, "Latency", "metrics").monthly_usd == pytest.approx(
        book.prices.alarm_standard_metric_month.usd
    )


COMPUTE = {
    "ApiFunction": resource(
        "AWS::Lambda::Function",
        MemorySize=512,
        Architectures=["arm64"],
        TracingConfig={"Mode": "Active"},
        LoggingConfig={"LogGroup": ref("ApiLogs")},
    ),
    "ApiLogs": resource("AWS::Logs::LogGroup", RetentionInDays=15),
    "ApiAlias": resource(
        "AWS::Lambda::Alias",
        FunctionName=ref("ApiFunction"),
        ProvisionedConcurrencyConfig={"ProvisionedConcurrentExecutions": 2},
    ),
    "Api": resource("AWS::ApiGatewayV2::Api", ProtocolType="HTTP"),
    "ApiIntegration": resource(
        "AWS::ApiGatewayV2::Integration",
        IntegrationType="AWS_PROXY",
        IntegrationUri=ref("ApiAlias"),
    ),
    "LegacyIntegration": resource(
        "AWS::ApiGatewayV2::Integration",
        IntegrationType="HTTP_PROXY",
        IntegrationUri="https://legacy",
    ),
    "Queue": resource("AWS::SQS::Queue"),
    "Worker": resource("AWS::Lambda::Function", MemorySize=256),
    "WorkerMapping": resource(
        "AWS::Lambda::EventSourceMapping",
        EventSourceArn={"Fn::GetAtt": ["Queue", "Arn"]},
        FunctionName=ref("Worker"),
    ),
    "Table": resource("AWS::DynamoDB::Table", BillingMode="PAY_PER_REQUEST"),
}


def test_variable_cost_of_the_api_path(write_assembly: WriteAssembly, book: PriceBook) -> None:
    # Given an Arm API function (512 MB, traced) behind an HTTP API, and an x86 queue worker
    cdk_out = write_assembly({"Taskly-dev-Compute": COMPUTE})

    # When 10,000 requests a day arrive: 300,000 in the 30-day test month
    result = estimate(cdk_out, book, requests_per_day=10_000)

    requests = 300_000
    billed_seconds = (100 + 0.1 * 1000) / 1000  # duration + cold-start share of INIT
    log_gb = requests * 1024 / GB
    emails = requests * 0.1
    expected = {
        ("Api", "requests"): 0.3 * 1.0,
        ("ApiFunction", "requests"): 0.3 * 0.2,
        ("ApiFunction", "duration"): requests * 0.5 * billed_seconds * 0.00001,
        ("ApiFunction", "log-ingest"): log_gb * 0.5,
        ("ApiFunction", "log-storage"): log_gb * (15 / 30) * 0.03,
        ("WorkerMapping", "messages"): emails * 3 / 1e6 * 0.4,
        ("Worker", "requests"): emails / 1e6 * 0.2,
        ("Worker", "duration"): emails * 0.25 * (200 + 100) / 1000 * 0.00002,
        ("Worker", "log-ingest"): emails * 1024 / GB * 0.5,
        # no retention on the worker's logs: the test book keeps them 360 days = 12 months
        ("Worker", "log-storage"): emails * 1024 / GB * 12 * 0.03,
        # 10,000/day is 0.116 req/s: below the 1/s reservoir, so every request is traced
        ("ApiFunction", "traces"): requests / 1e6 * 5,
        ("Table", "reads"): 0.3 * 1 * 0.1,
        ("Table", "writes"): 0.3 * 0.5 * 0.6,
    }
    got = {(i.resource, i.charge): i.monthly_usd for i in result.variable}
    assert got == pytest.approx(expected)
    assert result.variable_total == pytest.approx(sum(expected.values()))
    assert result.per_million_requests == pytest.approx(sum(expected.values()) / 0.3)

    # and the fixed side holds provisioned concurrency and the worker's idle polling
    provisioned = 2 * 0.5 * 720 * 3600 * 0.000004  # environments x GB x seconds x price
    assert line(result, "ApiAlias", "provisioned").monthly_usd == pytest.approx(provisioned)
    polls = 5 * (3600 / 20) * 720  # five pollers, a 20-second long poll each, all month
    assert line(result, "WorkerMapping", "polling").monthly_usd == pytest.approx(polls / 1e6 * 0.4)


def test_snap_start_caches_each_live_version_and_charges_each_restore(
    write_assembly: WriteAssembly, book: PriceBook
) -> None:
    # Given the API path with SnapStart on the API function (its alias serves the live version)
    snap_start = {"SnapStart": {"ApplyOn": "PublishedVersions"}}
    api = COMPUTE["ApiFunction"]
    compute = {
        **COMPUTE,
        "ApiFunction": {**api, "Properties": {**api["Properties"], **snap_start}},
        "ApiAlias": resource("AWS::Lambda::Alias", FunctionName=ref("ApiFunction")),
    }
    cdk_out = write_assembly({"Taskly-dev-Compute": compute})

    # When 10,000 requests a day arrive: 300,000 in the 30-day test month
    result = estimate(cdk_out, book, requests_per_day=10_000)

    # Then the fixed side caches the 512 MB snapshot all month (GB x seconds x price)
    cache = line(result, "ApiAlias", "snapstart-cache")
    assert cache.monthly_usd == pytest.approx(0.5 * 720 * 3600 * 0.000002)
    # and every cold start (10 % in the test book) restores 0.5 GB
    restore = line(result, "ApiFunction", "snapstart-restore", variable=True)
    assert restore.monthly_usd == pytest.approx(300_000 * 0.1 * 0.5 * 0.0002)
    # while the worker, without SnapStart, has neither charge
    charges = {(i.resource, i.charge) for i in (*result.fixed, *result.variable)}
    assert ("Worker", "snapstart-restore") not in charges
    assert not [c for c in charges if c[0] == "ApiAlias" and c[1] == "provisioned"]


def _routes(integration: str, count: int) -> dict[str, Any]:
    target = {"Fn::Join": ["", ["integrations/", ref(integration)]]}
    return {
        f"{integration}Route{index}": resource("AWS::ApiGatewayV2::Route", Target=target)
        for index in range(count)
    }


def test_each_api_request_invokes_one_function_split_by_migrated_routes(
    write_assembly: WriteAssembly, book: PriceBook
) -> None:
    # Given two functions behind the HTTP API: tasks serves 3 migrated routes, profile 1, and
    # the legacy proxy route invokes no function at all
    compute = {
        "Api": resource("AWS::ApiGatewayV2::Api", ProtocolType="HTTP"),
        "Tasks": resource("AWS::Lambda::Function", MemorySize=1024, Architectures=["arm64"]),
        "Profile": resource("AWS::Lambda::Function", MemorySize=512, Architectures=["arm64"]),
        "TasksIntegration": resource(
            "AWS::ApiGatewayV2::Integration",
            IntegrationType="AWS_PROXY",
            IntegrationUri=ref("Tasks"),
        ),
        "ProfileIntegration": resource(
            "AWS::ApiGatewayV2::Integration",
            IntegrationType="AWS_PROXY",
            IntegrationUri=ref("Profile"),
        ),
        "LegacyIntegration": resource(
            "AWS::ApiGatewayV2::Integration",
            IntegrationType="HTTP_PROXY",
            IntegrationUri="https://x",
        ),
        **_routes("TasksIntegration", 3),
        **_routes("ProfileIntegration", 1),
        **_routes("LegacyIntegration", 1),
    }
    cdk_out = write_assembly({"Taskly-dev-Compute": compute})

    # When 10,000 requests a day arrive (300,000 a month)
    result = estimate(cdk_out, book, requests_per_day=10_000)

    # Then tasks gets 3/4 of them and profile 1/4: 300,000 Lambda requests, not 600,000
    tasks = line(result, "Tasks", "requests", variable=True)
    profile = line(result, "Profile", "requests", variable=True)
    assert tasks.quantity == pytest.approx(0.3 * 3 / 4)
    assert profile.quantity == pytest.approx(0.3 * 1 / 4)
    assert "75% of API requests" in tasks.description
    billed_seconds = (100 + 0.1 * 1000) / 1000
    duration = line(result, "Tasks", "duration", variable=True)
    assert duration.quantity == pytest.approx(300_000 * 3 / 4 * 1.0 * billed_seconds)


@pytest.mark.parametrize(
    ("requests_per_day", "share"),
    [
        (86_400, 1.0),  # 1 request/s: the reservoir records all of them
        (864_000, (1 + 0.05 * 9) / 10),  # 10/s: 1 from the reservoir + 5% of the other 9
    ],
)
def test_xray_follows_lambdas_fixed_sampling_rate(
    write_assembly: WriteAssembly, book: PriceBook, requests_per_day: int, share: float
) -> None:
    cdk_out = write_assembly({"Taskly-dev-Compute": COMPUTE})

    result = estimate(cdk_out, book, requests_per_day=requests_per_day)

    traces = line(result, "ApiFunction", "traces", variable=True)
    assert traces.quantity == pytest.approx(requests_per_day * 30 * share / 1e6)


@pytest.mark.parametrize(
    ("logging", "bytes_per_invocation"),
    [
        # text format: Lambda filters nothing, application and platform lines all count
        ({}, 768 + 256),
        # JSON: Lambda drops application lines below ApplicationLogLevel and
        # platform.start/report below SystemLogLevel (both INFO by default)
        ({"LogFormat": "JSON"}, 768 + 256),
        ({"LogFormat": "JSON", "ApplicationLogLevel": "WARN"}, 256),
        ({"LogFormat": "JSON", "SystemLogLevel": "WARN"}, 768),
        ({"LogFormat": "JSON", "ApplicationLogLevel": "ERROR", "SystemLogLevel": "WARN"}, 0),
    ],
)
def test_function_logs_follow_the_functions_log_levels(
    write_assembly: WriteAssembly,
    book: PriceBook,
    logging: dict[str, str],
    bytes_per_invocation: int,
) -> None:
    # Given the API function with these LoggingConfig levels
    api = {**COMPUTE["ApiFunction"]}
    api["Properties"] = {
        **api["Properties"],
        "LoggingConfig": {"LogGroup": ref("ApiLogs"), **logging},
    }
    cdk_out = write_assembly({"Taskly-dev-Compute": {**COMPUTE, "ApiFunction": api}})

    # When 10,000 requests a day arrive (300,000 in the test month)
    result = estimate(cdk_out, book, requests_per_day=10_000)

    # Then its logs are priced on what Lambda lets through
    ingested = line(result, "ApiFunction", "log-ingest", variable=True)
    assert ingested.quantity == pytest.approx(300_000 * bytes_per_invocation / GB)


@pytest.mark.parametrize("levels", [{"ApplicationLogLevel": "DEBUG"}, {"SystemLogLevel": "DEBUG"}])
def test_debug_log_volumes_are_not_guessed(
    write_assembly: WriteAssembly, book: PriceBook, levels: dict[str, str]
) -> None:
    api = {**COMPUTE["ApiFunction"]}
    api["Properties"] = {
        **api["Properties"],
        "LoggingConfig": {"LogGroup": ref("ApiLogs"), "LogFormat": "JSON", **levels},
    }
    cdk_out = write_assembly({"Taskly-dev-Compute": {**COMPUTE, "ApiFunction": api}})

    result = estimate(cdk_out, book, requests_per_day=10_000)

    # no variable cost is better than one priced as if DEBUG logged what INFO does
    assert result.variable == ()
    assert [f.message for f in result.findings if "DEBUG volumes are not modelled" in f.message]


def test_edge_functions_key_value_store_and_waf(
    write_assembly: WriteAssembly, book: PriceBook
) -> None:
    # Given a distribution whose /api/* behavior runs a router reading a KeyValueStore; the
    # default (SPA) behavior's function does not run for API requests
    edge = {
        "Distribution": resource(
            "AWS::CloudFront::Distribution",
            DistributionConfig={
                "DefaultCacheBehavior": {
                    "FunctionAssociations": [
                        {"FunctionARN": {"Fn::GetAtt": ["SpaRewrite", "FunctionARN"]}}
                    ]
                },
                "CacheBehaviors": [
                    {
                        "PathPattern": "/api/*",
                        "FunctionAssociations": [
                            {"FunctionARN": {"Fn::GetAtt": ["Router", "FunctionARN"]}}
                        ],
                    }
                ],
            },
        ),
        "Router": resource(
            "AWS::CloudFront::Function",
            FunctionConfig={
                "KeyValueStoreAssociations": [
                    {"KeyValueStoreARN": {"Fn::GetAtt": ["Weights", "Arn"]}}
                ]
            },
        ),
        "SpaRewrite": resource("AWS::CloudFront::Function", FunctionConfig={}),
        "Weights": resource("AWS::CloudFront::KeyValueStore"),
        "Acl": resource("AWS::WAFv2::WebACL", Scope="CLOUDFRONT", Rules=[{}, {}]),
    }
    cdk_out = write_assembly({"Taskly-dev-Edge": edge})

    result = estimate(cdk_out, book, requests_per_day=10_000)

    expected = {
        ("Distribution", "requests"): 300_000 / 10_000 * 0.01,
        ("Distribution", "transfer-out"): 300_000 * 2 * 1024 / GB * 0.1,
        ("Distribution", "transfer-origin"): 300_000 * 1 * 1024 / GB * 0.02,
        ("Router", "invocations"): 0.3 * 0.1,
        ("Weights", "reads"): 0.3 * 0.03,
        ("Acl", "requests"): 0.3 * 0.6,
    }
    assert {(i.resource, i.charge): i.monthly_usd for i in result.variable} == pytest.approx(
        expected
    )
    assert result.fixed_total == pytest.approx(5 + 2 * 1)  # web ACL + two rules


def test_no_traffic_means_no_variable_cost(write_assembly: WriteAssembly, book: PriceBook) -> None:
    cdk_out = write_assembly({"Taskly-dev-Compute": COMPUTE})

    result = estimate(cdk_out, book, requests_per_day=0)

    assert result.variable_total == 0
    assert result.per_million_requests is None


def test_stages_come_from_stack_names(write_assembly: WriteAssembly, book: PriceBook) -> None:
    cdk_out = write_assembly(
        {
            "Taskly-dev-Network": {"Nat": NETWORK["Nat"]},
            "Taskly-prod-Network": {"Nat": NETWORK["Nat"], "Nat2": NETWORK["Nat"]},
        }
    )

    assembly = load_assembly(cdk_out)

    assert assembly.stages() == ["dev", "prod"]
    assert estimate(cdk_out, book, stage="dev").fixed_total == pytest.approx(36)
    assert estimate(cdk_out, book, stage="prod").fixed_total == pytest.approx(72)


def test_an_intrinsic_where_a_number_is_expected_is_not_priced(
    write_assembly: WriteAssembly, book: PriceBook
) -> None:
    # A parameter reference cannot be priced; it must show up, not count as zero
    ops = {
        "Alarm": resource("AWS::CloudWatch::Alarm", Period=ref("PeriodParameter")),
        "Api": resource("AWS::ApiGatewayV2::Api", ProtocolType="HTTP"),
        "Function": resource("AWS::Lambda::Function", MemorySize=ref("MemoryParameter")),
        "Integration": resource(
            "AWS::ApiGatewayV2::Integration",
            IntegrationType="AWS_PROXY",
            IntegrationUri=ref("Function"),
        ),
    }
    cdk_out = write_assembly({"Taskly-dev-Ops": ops})

    result = estimate(cdk_out, book, requests_per_day=1000)

    [unpriced] = result.unpriced
    assert unpriced.resource == "Alarm"
    assert "unexpected property value" in unpriced.reason
    [finding] = result.findings
    assert "variable cost could not be computed" in finding.message
    assert result.variable == ()
