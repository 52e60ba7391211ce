"""Fixed monthly cost: one rule per resource type, what the stage costs with no traffic."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tools.ops.cost.assembly import Resource
from tools.ops.cost.model import MILLION, LineItem, NotPricedError
from tools.ops.cost.pricebook import PriceBook
from tools.ops.cost.stage import StageResources, is_arm, line_item, memory_gb, snap_starts

# --- fixed monthly cost, one rule per resource type ---------------------------------------------

Rule = Callable[[Resource, StageResources, PriceBook], list[LineItem]]


def _nat_gateway(res: Resource, _: StageResources, book: PriceBook) -> list[LineItem]:
    return [
        line_item(res, "hours", "NAT gateway", book.hours_per_month, book.prices.nat_gateway_hour)
    ]


def _elastic_ip(res: Resource, _: StageResources, book: PriceBook) -> list[LineItem]:
    price = book.prices.public_ipv4_hour
    return [line_item(res, "hours", "public IPv4 address", book.hours_per_month, price)]


def _vpc_endpoint(res: Resource, _: StageResources, book: PriceBook) -> list[LineItem]:
    if res.properties.get("VpcEndpointType", "Gateway") == "Gateway":
        return []  # S3 and DynamoDB gateway endpoints are free
    if res.properties.get("VpcEndpointType") != "Interface":
        raise NotPricedError(f"endpoint type {res.properties['VpcEndpointType']} has no price")
    subnets = res.properties.get("SubnetIds")
    azs = (
        len(subnets) if isinstance(subnets, list) else book.assumptions.az_count_when_unknown.value
    )
    service = _service_name(res.properties.get("ServiceName"))
    return [
        line_item(
            res,
            "az-hours",
            f"interface endpoint {service} in {azs:g} AZs",
            azs * book.hours_per_month,
            book.prices.interface_endpoint_az_hour,
        )
    ]


def _service_name(value: Any) -> str:
    """The last label of an endpoint service name, even when CDK builds it with Fn::Join."""
    if isinstance(value, str):
        return value.rsplit(".", 1)[-1]
    parts = value.get("Fn::Join", ["", []])[1] if isinstance(value, dict) else []
    text = "".join(part for part in parts if isinstance(part, str))
    return text.rsplit(".", 1)[-1] or "(service)"


def _docdb_cluster(res: Resource, _: StageResources, book: PriceBook) -> list[LineItem]:
    if res.properties.get("StorageType") == "iopt1":
        raise NotPricedError("I/O-Optimized storage prices are not in the data file")
    gigabytes = book.assumptions.docdb_storage_gb.value
    return [
        line_item(
            res,
            "storage",
            "cluster storage (assumed size)",
            gigabytes,
            book.prices.docdb_storage_gb_month,
        )
    ]


def _docdb_instance(res: Resource, stage: StageResources, book: PriceBook) -> list[LineItem]:
    clusters = stage.referenced(
        res, res.properties.get("DBClusterIdentifier"), "AWS::DocDB::DBCluster"
    )
    if clusters and clusters[0].properties.get("StorageType") == "iopt1":
        raise NotPricedError("I/O-Optimized instance prices are not in the data file")
    instance_class = res.properties.get("DBInstanceClass", "")
    if instance_class == "db.serverless":
        scaling = (
            clusters[0].properties.get("ServerlessV2ScalingConfiguration", {}) if clusters else {}
        )
        if "MinCapacity" not in scaling:
            raise NotPricedError(
                "serverless instance whose cluster has no ServerlessV2ScalingConfiguration"
            )
        dcus = float(scaling["MinCapacity"])
        return [
            line_item(
                res,
                "dcu-hours",
                f"serverless instance at its minimum of {dcus:g} DCU",
                dcus * book.hours_per_month,
                book.prices.docdb_serverless_dcu_hour,
            )
        ]
    price = book.docdb_instance_hour.get(instance_class)
    if price is None:
        raise NotPricedError(
            f"instance class {instance_class or '(none)'} has no price in the data file"
        )
    return [line_item(res, "hours", f"instance {instance_class}", book.hours_per_month, price)]


def _ec2_instance(res: Resource, stage: StageResources, book: PriceBook) -> list[LineItem]:
    """Instance hours, its EBS volumes, and the public IPv4 address it gets in a public subnet."""
    instance_type = res.properties.get("InstanceType", "")
    price = book.ec2_instance_hour.get(instance_type)
    if price is None:
        raise NotPricedError(
            f"instance type {instance_type or '(none)'} has no price in the data file"
        )
    volumes = [m for m in res.properties.get("BlockDeviceMappings", []) if "Ebs" in m]
    if not volumes:
        raise NotPricedError(
            "the root volume's size and type come from the AMI; set BlockDeviceMappings"
        )
    items = [line_item(res, "hours", f"instance {instance_type}", book.hours_per_month, price)]
    for mapping in volumes:
        ebs = mapping["Ebs"]
        if ebs.get("VolumeType") != "gp3" or "VolumeSize" not in ebs:
            raise NotPricedError("only gp3 volumes with an explicit VolumeSize are priced")
        size = float(ebs["VolumeSize"])
        device = mapping.get("DeviceName", "(device)")
        items.append(
            line_item(
                res,
                f"volume {device}",
                f"{size:g} GB gp3 volume {device}",
                size,
                book.prices.ebs_gp3_gb_month,
            )
        )
    subnets = stage.referenced(res, res.properties.get("SubnetId"), "AWS::EC2::Subnet")
    interfaces = res.properties.get("NetworkInterfaces", [])
    if any(subnet.properties.get("MapPublicIpOnLaunch") is True for subnet in subnets) or any(
        interface.get("AssociatePublicIpAddress") is True for interface in interfaces
    ):
        items.append(
            line_item(
                res,
                "public-ipv4",
                "public IPv4 address",
                book.hours_per_month,
                book.prices.public_ipv4_hour,
            )
        )
    return items


def _dms_replication(res: Resource, _: StageResources, book: PriceBook) -> list[LineItem]:
    """DMS Serverless bills the DCUs it holds while the replication runs, never fewer than its
    minimum; priced at the minimum for a whole month (a full load scales up for its hours)."""
    compute = res.properties["ComputeConfig"]
    if "MinCapacityUnits" not in compute:
        raise NotPricedError("no MinCapacityUnits: DMS picks the minimum at start")
    units = float(compute["MinCapacityUnits"])
    copies = 2 if compute.get("MultiAZ") is True else 1  # a Multi-AZ standby holds as many
    what = f"DMS Serverless at its minimum {units:g} DCU" + (
        " x 2 (Multi-AZ)" if copies > 1 else ""
    )
    return [
        line_item(
            res,
            "capacity",
            what + " while replicating",
            units * copies * book.hours_per_month,
            book.prices.dms_serverless_dcu_hour,
        )
    ]


def _secret(res: Resource, _: StageResources, book: PriceBook) -> list[LineItem]:
    return [line_item(res, "secret", "secret", 1, book.prices.secret_month)]


def _kms_key(res: Resource, _: StageResources, book: PriceBook) -> list[LineItem]:
    return [line_item(res, "key", "customer managed key", 1, book.prices.kms_key_month)]


def _alarm(res: Resource, _: StageResources, book: PriceBook) -> list[LineItem]:
    metrics = res.properties.get("Metrics")
    if metrics:
        stats = [query["MetricStat"] for query in metrics if "MetricStat" in query]
        # A Metrics Insights query (the DMS alarms) is billed per metric it analyzes: one here.
        insights = [
            q for q in metrics if str(q.get("Expression", "")).lstrip().startswith("SELECT")
        ]
        periods = [float(stat.get("Period", 60)) for stat in stats]
        periods += [float(query.get("Period", 60)) for query in insights]
        count = len(stats) + len(insights)
    else:
        periods = [float(res.properties.get("Period", 60))]
        count = 1
    high_resolution = any(period < 60 for period in periods)
    price = (
        book.prices.alarm_high_resolution_metric_month
        if high_resolution
        else book.prices.alarm_standard_metric_month
    )
    what = "high-resolution alarm" if high_resolution else "alarm"
    return [line_item(res, "metrics", f"{what} on {count} metric(s)", count, price)]


# What an HTTP API publishes per route once detailed metrics are on for it (one custom metric
# each for dimensions ApiId, Stage, Route).
HTTP_API_ROUTE_METRICS = ("4xx", "5xx", "Count", "Latency", "IntegrationLatency", "DataProcessed")


def _http_api_stage(res: Resource, stage: StageResources, book: PriceBook) -> list[LineItem]:
    """A stage is free (HTTP APIs charge per request); its detailed route metrics are not."""
    if res.properties.get("DefaultRouteSettings", {}).get("DetailedMetricsEnabled") is True:
        api = res.properties["ApiId"]
        routes = [
            route
            for route in stage.of_type("AWS::ApiGatewayV2::Route")
            if route.stack == res.stack and route.properties.get("ApiId") == api
        ]
    else:
        routes = [
            key
            for key, settings in res.properties.get("RouteSettings", {}).items()
            if settings.get("DetailedMetricsEnabled") is True
        ]
    if not routes:
        return []
    count = len(routes) * len(HTTP_API_ROUTE_METRICS)
    what = f"detailed metrics of {len(routes)} route(s), {len(HTTP_API_ROUTE_METRICS)} each"
    return [line_item(res, "route-metrics", what, count, book.prices.cloudwatch_metric_month)]


def _composite_alarm(res: Resource, _: StageResources, book: PriceBook) -> list[LineItem]:
    return [line_item(res, "alarm", "composite alarm", 1, book.prices.composite_alarm_month)]


def _dashboard(res: Resource, _: StageResources, book: PriceBook) -> list[LineItem]:
    return [line_item(res, "dashboard", "dashboard", 1, book.prices.dashboard_month)]


def _log_group(res: Resource, _: StageResources, book: PriceBook) -> list[LineItem]:
    gigabytes = book.assumptions.log_group_baseline_gb_stored.value
    price = book.prices.logs_storage_gb_month
    return [line_item(res, "storage", "log storage at rest (assumed)", gigabytes, price)]


def _flow_log(res: Resource, stage: StageResources, book: PriceBook) -> list[LineItem]:
    gigabytes = book.assumptions.flow_log_gb_per_month.value
    if res.properties.get("LogDestinationType", "cloud-watch-logs") == "s3":
        return [
            line_item(
                res,
                "delivery",
                "flow-log delivery to S3 (assumed volume)",
                gigabytes,
                book.prices.logs_vended_s3_gb,
            )
        ]
    retention_months = stage.log_retention_days(res, book) / book.days_per_month
    return [
        line_item(
            res,
            "delivery",
            "flow-log delivery (assumed volume)",
            gigabytes,
            book.prices.logs_vended_cwl_gb,
        ),
        line_item(
            res,
            "storage",
            f"flow-log storage over {retention_months:.1f} months of retention",
            gigabytes * retention_months,
            book.prices.logs_storage_gb_month,
        ),
    ]


def _dynamodb_table(res: Resource, _: StageResources, book: PriceBook) -> list[LineItem]:
    gigabytes = book.assumptions.dynamodb_storage_gb_per_table.value
    items = [
        line_item(
            res,
            "storage",
            "table storage (assumed size)",
            gigabytes,
            book.prices.dynamodb_storage_gb_month,
        )
    ]
    pitr = res.properties.get("PointInTimeRecoverySpecification", {})
    if pitr.get("PointInTimeRecoveryEnabled") is True:
        items.append(
            line_item(
                res, "pitr", "point-in-time recovery", gigabytes, book.prices.dynamodb_pitr_gb_month
            )
        )
    if res.properties.get("BillingMode", "PROVISIONED") == "PROVISIONED":
        throughputs = [res.properties.get("ProvisionedThroughput", {})] + [
            index.get("ProvisionedThroughput", {})
            for index in res.properties.get("GlobalSecondaryIndexes", [])
        ]
        reads = sum(float(t.get("ReadCapacityUnits", 0)) for t in throughputs)
        writes = sum(float(t.get("WriteCapacityUnits", 0)) for t in throughputs)
        hours = book.hours_per_month
        items.append(
            line_item(
                res,
                "rcu",
                f"{reads:g} provisioned RCU",
                reads * hours,
                book.prices.dynamodb_rcu_hour,
            )
        )
        items.append(
            line_item(
                res,
                "wcu",
                f"{writes:g} provisioned WCU",
                writes * hours,
                book.prices.dynamodb_wcu_hour,
            )
        )
    return items


def _dynamodb_global_table(res: Resource, _: StageResources, book: PriceBook) -> list[LineItem]:
    """CDK's TableV2; every replica stores (and backs up) a full copy of the table."""
    if res.properties.get("BillingMode", "PROVISIONED") != "PAY_PER_REQUEST":
        raise NotPricedError(
            "provisioned global tables are not modelled; use on-demand or price it by hand"
        )
    replicas = res.properties.get("Replicas", [])
    gigabytes = book.assumptions.dynamodb_storage_gb_per_table.value
    items = [
        line_item(
            res,
            "storage",
            f"table storage in {len(replicas)} replica(s) (assumed size)",
            gigabytes * len(replicas),
            book.prices.dynamodb_storage_gb_month,
        )
    ]
    backed_up = [
        replica
        for replica in replicas
        if replica.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled")
        is True
    ]
    if backed_up:
        items.append(
            line_item(
                res,
                "pitr",
                f"point-in-time recovery in {len(backed_up)} replica(s)",
                gigabytes * len(backed_up),
                book.prices.dynamodb_pitr_gb_month,
            )
        )
    return items


def _s3_bucket(res: Resource, _: StageResources, book: PriceBook) -> list[LineItem]:
    gigabytes = book.assumptions.s3_storage_gb_per_bucket.value
    return [
        line_item(
            res,
            "storage",
            "bucket storage (assumed size)",
            gigabytes,
            book.prices.s3_storage_gb_month,
        )
    ]


def _web_acl(res: Resource, _: StageResources, book: PriceBook) -> list[LineItem]:
    rules = len(res.properties.get("Rules", []))
    return [
        line_item(res, "acl", "web ACL", 1, book.prices.waf_web_acl_month),
        line_item(res, "rules", f"{rules} rule(s)", rules, book.prices.waf_rule_month),
    ]


def _user_pool(res: Resource, _: StageResources, book: PriceBook) -> list[LineItem]:
    tier = res.properties.get("UserPoolTier", "ESSENTIALS")
    prices = {
        "LITE": book.prices.cognito_lite_mau,
        "ESSENTIALS": book.prices.cognito_essentials_mau,
        "PLUS": book.prices.cognito_plus_mau,
    }
    if tier not in prices:
        raise NotPricedError(f"user pool tier {tier} has no price in the data file")
    users = book.assumptions.monthly_active_users.value
    free = book.allowances.cognito_free_mau.quantity if tier != "PLUS" else 0
    billable = max(0.0, users - free)
    return [
        line_item(
            res,
            "mau",
            f"{tier.lower()} plan: {users:,.0f} MAU assumed, {billable:,.0f} billable",
            billable,
            prices[tier],
        )
    ]


def _alias(res: Resource, stage: StageResources, book: PriceBook) -> list[LineItem]:
    provisioned = res.properties.get("ProvisionedConcurrencyConfig", {})
    environments = float(provisioned.get("ProvisionedConcurrentExecutions", 0))
    functions = stage.function_behind(res, res.properties.get("FunctionName"))
    items = _snapshot_cache(res, functions, book)
    if environments == 0:
        return items
    if not functions:
        raise NotPricedError("provisioned concurrency on a function outside this stack")
    function = functions[0]
    price = (
        book.prices.lambda_arm_provisioned_gb_second
        if is_arm(function)
        else book.prices.lambda_x86_provisioned_gb_second
    )
    gb_seconds = environments * memory_gb(function) * book.seconds_per_month
    what = f"provisioned concurrency {environments:g} x {memory_gb(function) * 1024:g} MB"
    return [*items, line_item(res, "provisioned", what, gb_seconds, price)]


def _snapshot_cache(alias: Resource, functions: list[Resource], book: PriceBook) -> list[LineItem]:
    """The snapshot of the version the alias serves, cached all month. The version a deploy
    replaces is deleted once the traffic shift succeeded: its 3-hour minimum is cents."""
    if not functions or not snap_starts(functions[0]):
        return []
    memory = memory_gb(functions[0])
    what = f"SnapStart snapshot cache of the live version ({memory * 1024:g} MB)"
    return [
        line_item(
            alias,
            "snapstart-cache",
            what,
            memory * book.seconds_per_month,
            book.prices.lambda_snapstart_cache_gb_second,
        )
    ]


def _event_source_mapping(res: Resource, stage: StageResources, book: PriceBook) -> list[LineItem]:
    if not stage.referenced(res, res.properties.get("EventSourceArn"), "AWS::SQS::Queue"):
        return []
    polls_per_hour = 3600 / book.assumptions.sqs_long_poll_seconds.value
    receives = book.assumptions.sqs_poller_connections.value * polls_per_hour * book.hours_per_month
    return [
        line_item(
            res,
            "polling",
            "empty long polls by the Lambda event source (assumed pollers)",
            receives / MILLION,
            book.prices.sqs_million,
        )
    ]


FIXED_RULES: Mapping[str, Rule] = {
    "AWS::EC2::NatGateway": _nat_gateway,
    "AWS::EC2::EIP": _elastic_ip,
    "AWS::EC2::VPCEndpoint": _vpc_endpoint,
    "AWS::EC2::Instance": _ec2_instance,
    "AWS::DocDB::DBCluster": _docdb_cluster,
    "AWS::DocDB::DBInstance": _docdb_instance,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::DMS::ReplicationConfig": _dms_replication,
    "AWS::KMS::Key": _kms_key,
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::CloudWatch::CompositeAlarm": _composite_alarm,
    "AWS::ApiGatewayV2::Stage": _http_api_stage,
    "AWS::CloudWatch::Dashboard": _dashboard,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::EC2::FlowLog": _flow_log,
    "AWS::DynamoDB::Table": _dynamodb_table,
    "AWS::DynamoDB::GlobalTable": _dynamodb_global_table,
    "AWS::S3::Bucket": _s3_bucket,
    "AWS::WAFv2::WebACL": _web_acl,
    "AWS::Cognito::UserPool": _user_pool,
    "AWS::Lambda::Alias": _alias,
    "AWS::Lambda::EventSourceMapping": _event_source_mapping,
}

# No monthly charge of their own; what they cost per request is in the variable model.
PRICED_PER_REQUEST = frozenset(
    {
        "AWS::Lambda::Function",
        "AWS::ApiGatewayV2::Api",
        "AWS::CloudFront::Distribution",
        "AWS::CloudFront::Function",
        "AWS::CloudFront::KeyValueStore",
        "AWS::SQS::Queue",
    }
)
