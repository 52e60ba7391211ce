"""Turn the resources of one stage into priced line items.

Two kinds of cost:

* fixed: what the stage costs per month with no traffic (NAT gateway hours, database instances,
  keys, alarms, ...), one line per resource and charge;
* variable: what ``requests_per_day`` API requests add per month (Lambda, HTTP API, CloudFront,
  DynamoDB, SQS, logs, X-Ray, DocumentDB I/O), using memory sizes and wiring from the templates
  and the stated assumptions for everything a template cannot tell.

A resource type that has neither a pricing rule here nor an entry in the data file's free list is
returned as "not priced" so the report never drops it silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tools.ops.cost.assembly import Assembly, Resource
from tools.ops.cost.pricebook import Price, PriceBook

MILLION = 1_000_000
GB = 1024**3
KB = 1024


@dataclass(frozen=True)
class LineItem:
    """``quantity`` units at ``unit_price`` per month; ``charge`` is a stable key for diffs."""

    stack: str
    resource: str
    resource_type: str
    charge: str
    description: str
    quantity: float
    unit: str
    unit_price: float

    @property
    def monthly_usd(self) -> float:
        return self.quantity * self.unit_price

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.stack, self.resource, self.charge)


@dataclass(frozen=True)
class Unpriced:
    stack: str
    resource: str
    resource_type: str
    reason: str


@dataclass(frozen=True)
class Finding:
    """Something in the templates that makes the estimate (or the stack) suspect."""

    stack: str
    resource: str
    message: str


@dataclass(frozen=True)
class StageEstimate:
    stage: str
    stacks: tuple[str, ...]
    requests_per_day: float
    requests_per_month: float
    fixed: tuple[LineItem, ...]
    variable: tuple[LineItem, ...]
    unpriced: tuple[Unpriced, ...]
    findings: tuple[Finding, ...] = ()

    @property
    def fixed_total(self) -> float:
        return sum(item.monthly_usd for item in self.fixed)

    @property
    def variable_total(self) -> float:
        return sum(item.monthly_usd for item in self.variable)

    @property
    def per_million_requests(self) -> float | None:
        if self.requests_per_month == 0:
            return None
        return self.variable_total / self.requests_per_month * MILLION


class NotPricedError(Exception):
    """Raised by a pricing rule when the resource's configuration has no price in the data file."""


def estimate_stage(
    assembly: Assembly, stage: str, book: PriceBook, *, requests_per_day: float
) -> StageEstimate:
    stage_resources = _StageResources(assembly.resources(stage))
    fixed: list[LineItem] = []
    unpriced: list[Unpriced] = []
    for resource in stage_resources.all:
        rule = _FIXED_RULES.get(resource.type)
        if rule is None:
            if resource.type not in _PRICED_PER_REQUEST and book.free_type(resource.type) is None:
                unpriced.append(
                    Unpriced(
                        resource.stack,
                        resource.label,
                        resource.type,
                        "no price for this resource type in the data file",
                    )
                )
            continue
        try:
            fixed.extend(rule(resource, stage_resources, book))
        except NotPricedError as not_priced:
            unpriced.append(
                Unpriced(resource.stack, resource.label, resource.type, str(not_priced))
            )
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as error:
            # e.g. a Ref to a parameter where a number is expected: unknown, not zero
            why = f"unexpected property value ({type(error).__name__}: {error})"
            unpriced.append(Unpriced(resource.stack, resource.label, resource.type, why))

    requests_per_month = requests_per_day * book.days_per_month
    traffic = _Traffic(stage_resources, book, requests=requests_per_month, per_day=requests_per_day)
    findings = list(_findings(stage_resources))
    try:
        variable = list(traffic.items())
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as error:
        variable = []
        findings.append(
            Finding(
                "",
                "",
                f"the variable cost could not be computed ({type(error).__name__}: {error}); "
                "a template property the tool expects to be a literal is not",
            )
        )
    return StageEstimate(
        stage=stage,
        stacks=tuple(assembly.stack_names(stage)),
        requests_per_day=requests_per_day,
        requests_per_month=requests_per_month,
        fixed=tuple(sorted(fixed, key=lambda item: (item.stack, -item.monthly_usd, item.resource))),
        variable=tuple(variable),
        unpriced=tuple(unpriced),
        findings=tuple(findings),
    )


def _findings(stage: _StageResources) -> Iterator[Finding]:
    instances = stage.of_type("AWS::DocDB::DBInstance")
    for cluster in stage.of_type("AWS::DocDB::DBCluster"):
        members = [
            instance
            for instance in instances
            if cluster
            in stage.referenced(
                instance, instance.properties.get("DBClusterIdentifier"), cluster.type
            )
        ]
        if not members:
            yield Finding(
                cluster.stack,
                cluster.label,
                "DocumentDB cluster without instances: no compute is counted, and the cluster "
                "cannot serve queries until an instance (db.serverless for a serverless "
                "cluster) is added",
            )


# --- template helpers ------------------------------------------------------------------------


def references(value: Any) -> set[str]:
    """Logical ids a property value points at through Ref or Fn::GetAtt, at any depth."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
                found.add(target)
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return found


class _StageResources:
    """The resources of a stage with lookups by (stack, logical id) and by type."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.all = list(resources)
        self._by_id = {(res.stack, res.logical_id): res for res in self.all}

    def of_type(self, *types: str) -> list[Resource]:
        return [res for res in self.all if res.type in types]

    def referenced(self, source: Resource, value: Any, *types: str) -> list[Resource]:
        """Resources of the given types in ``source``'s stack that ``value`` refers to."""
        targets = (self._by_id.get((source.stack, ref)) for ref in sorted(references(value)))
        return [res for res in targets if res is not None and res.type in types]

    def function_behind(self, source: Resource, value: Any) -> list[Resource]:
        """Lambda functions ``value`` refers to directly or through an alias or version."""
        functions = self.referenced(source, value, "AWS::Lambda::Function")
        for wrapper in self.referenced(source, value, "AWS::Lambda::Alias", "AWS::Lambda::Version"):
            functions += self.function_behind(wrapper, wrapper.properties.get("FunctionName"))
        return functions

    def log_retention_days(self, target: Resource, book: PriceBook) -> float:
        """Retention of the log group a function, stage or flow log writes to."""
        logging = target.properties.get("LoggingConfig", {})
        destination = (
            logging.get("LogGroup")
            or target.properties.get("AccessLogSettings", {}).get("DestinationArn")
            or target.properties.get("LogGroupName")
            or target.properties.get("LogDestination")
        )
        for group in self.referenced(target, destination, "AWS::Logs::LogGroup"):
            if "RetentionInDays" in group.properties:
                return float(group.properties["RetentionInDays"])
        # Groups named after the resource ("/aws/lambda/<fn>"), e.g. CDK's log_retention.
        for group in self.of_type("AWS::Logs::LogGroup", "Custom::LogRetention"):
            named_after = target.logical_id in references(group.properties.get("LogGroupName"))
            if (
                group.stack == target.stack
                and named_after
                and "RetentionInDays" in group.properties
            ):
                return float(group.properties["RetentionInDays"])
        return book.assumptions.log_retention_days_when_unset.value


def _memory_gb(function: Resource) -> float:
    return float(function.properties.get("MemorySize", 128)) / 1024


def _is_arm(function: Resource) -> bool:
    return "arm64" in function.properties.get("Architectures", ["x86_64"])


def _line(
    resource: Resource, charge: str, description: str, quantity: float, price: Price
) -> LineItem:
    return LineItem(
        stack=resource.stack,
        resource=resource.label,
        resource_type=resource.type,
        charge=charge,
        description=description,
        quantity=quantity,
        unit=price.unit,
        unit_price=price.usd,
    )


# --- fixed monthly cost, one rule per resource type ---------------------------------------------

_Rule = Callable[[Resource, _StageResources, PriceBook], list[LineItem]]


def _nat_gateway(res: Resource, _: _StageResources, book: PriceBook) -> list[LineItem]:
    return [_line(res, "hours", "NAT gateway", book.hours_per_month, book.prices.nat_gateway_hour)]


def _elastic_ip(res: Resource, _: _StageResources, book: PriceBook) -> list[LineItem]:
    price = book.prices.public_ipv4_hour
    return [_line(res, "hours", "public IPv4 address", book.hours_per_month, price)]


def _vpc_endpoint(res: Resource, _: _StageResources, book: PriceBook) -> list[LineItem]:
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
        _line(
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


def _docdb_cluster(res: Resource, _: _StageResources, book: PriceBook) -> list[LineItem]:
    if res.properties.get("StorageType") == "iopt1":
        raise NotPricedError("I/O-Optimized storage prices are not in the data file")
    gigabytes = book.assumptions.docdb_storage_gb.value
    return [
        _line(
            res,
            "storage",
            "cluster storage (assumed size)",
            gigabytes,
            book.prices.docdb_storage_gb_month,
        )
    ]


def _docdb_instance(res: Resource, stage: _StageResources, book: PriceBook) -> list[LineItem]:
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
            _line(
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
    return [_line(res, "hours", f"instance {instance_class}", book.hours_per_month, price)]


def _ec2_instance(res: Resource, stage: _StageResources, book: PriceBook) -> list[LineItem]:
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
    items = [_line(res, "hours", f"instance {instance_type}", book.hours_per_month, price)]
    for mapping in volumes:
        ebs = mapping["Ebs"]
        if ebs.get("VolumeType") != "gp3" or "VolumeSize" not in ebs:
            raise NotPricedError("only gp3 volumes with an explicit VolumeSize are priced")
        size = float(ebs["VolumeSize"])
        device = mapping.get("DeviceName", "(device)")
        items.append(
            _line(
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
            _line(
                res,
                "public-ipv4",
                "public IPv4 address",
                book.hours_per_month,
                book.prices.public_ipv4_hour,
            )
        )
    return items


def _dms_replication(res: Resource, _: _StageResources, book: PriceBook) -> list[LineItem]:
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
        _line(
            res,
            "capacity",
            what + " while replicating",
            units * copies * book.hours_per_month,
            book.prices.dms_serverless_dcu_hour,
        )
    ]


def _secret(res: Resource, _: _StageResources, book: PriceBook) -> list[LineItem]:
    return [_line(res, "secret", "secret", 1, book.prices.secret_month)]


def _kms_key(res: Resource, _: _StageResources, book: PriceBook) -> list[LineItem]:
    return [_line(res, "key", "customer managed key", 1, book.prices.kms_key_month)]


def _alarm(res: Resource, _: _StageResources, book: PriceBook) -> list[LineItem]:
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
    return [_line(res, "metrics", f"{what} on {count} metric(s)", count, price)]


# What an HTTP API publishes per route once detailed metrics are on for it (one custom metric
# each for dimensions ApiId, Stage, Route).
HTTP_API_ROUTE_METRICS = ("4xx", "5xx", "Count", "Latency", "IntegrationLatency", "DataProcessed")


def _http_api_stage(res: Resource, stage: _StageResources, book: PriceBook) -> list[LineItem]:
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
    return [_line(res, "route-metrics", what, count, book.prices.cloudwatch_metric_month)]


def _composite_alarm(res: Resource, _: _StageResources, book: PriceBook) -> list[LineItem]:
    return [_line(res, "alarm", "composite alarm", 1, book.prices.composite_alarm_month)]


def _dashboard(res: Resource, _: _StageResources, book: PriceBook) -> list[LineItem]:
    return [_line(res, "dashboard", "dashboard", 1, book.prices.dashboard_month)]


def _log_group(res: Resource, _: _StageResources, book: PriceBook) -> list[LineItem]:
    gigabytes = book.assumptions.log_group_baseline_gb_stored.value
    price = book.prices.logs_storage_gb_month
    return [_line(res, "storage", "log storage at rest (assumed)", gigabytes, price)]


def _flow_log(res: Resource, stage: _StageResources, book: PriceBook) -> list[LineItem]:
    gigabytes = book.assumptions.flow_log_gb_per_month.value
    if res.properties.get("LogDestinationType", "cloud-watch-logs") == "s3":
        return [
            _line(
                res,
                "delivery",
                "flow-log delivery to S3 (assumed volume)",
                gigabytes,
                book.prices.logs_vended_s3_gb,
            )
        ]
    retention_months = stage.log_retention_days(res, book) / book.days_per_month
    return [
        _line(
            res,
            "delivery",
            "flow-log delivery (assumed volume)",
            gigabytes,
            book.prices.logs_vended_cwl_gb,
        ),
        _line(
            res,
            "storage",
            f"flow-log storage over {retention_months:.1f} months of retention",
            gigabytes * retention_months,
            book.prices.logs_storage_gb_month,
        ),
    ]


def _dynamodb_table(res: Resource, _: _StageResources, book: PriceBook) -> list[LineItem]:
    gigabytes = book.assumptions.dynamodb_storage_gb_per_table.value
    items = [
        _line(
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
            _line(
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
            _line(
                res,
                "rcu",
                f"{reads:g} provisioned RCU",
                reads * hours,
                book.prices.dynamodb_rcu_hour,
            )
        )
        items.append(
            _line(
                res,
                "wcu",
                f"{writes:g} provisioned WCU",
                writes * hours,
                book.prices.dynamodb_wcu_hour,
            )
        )
    return items


def _dynamodb_global_table(res: Resource, _: _StageResources, book: PriceBook) -> list[LineItem]:
    """CDK's TableV2; every replica stores (and backs up) a full copy of the table."""
    if res.properties.get("BillingMode", "PROVISIONED") != "PAY_PER_REQUEST":
        raise NotPricedError(
            "provisioned global tables are not modelled; use on-demand or price it by hand"
        )
    replicas = res.properties.get("Replicas", [])
    gigabytes = book.assumptions.dynamodb_storage_gb_per_table.value
    items = [
        _line(
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
            _line(
                res,
                "pitr",
                f"point-in-time recovery in {len(backed_up)} replica(s)",
                gigabytes * len(backed_up),
                book.prices.dynamodb_pitr_gb_month,
            )
        )
    return items


def _s3_bucket(res: Resource, _: _StageResources, book: PriceBook) -> list[LineItem]:
    gigabytes = book.assumptions.s3_storage_gb_per_bucket.value
    return [
        _line(
            res,
            "storage",
            "bucket storage (assumed size)",
            gigabytes,
            book.prices.s3_storage_gb_month,
        )
    ]


def _web_acl(res: Resource, _: _StageResources, book: PriceBook) -> list[LineItem]:
    rules = len(res.properties.get("Rules", []))
    return [
        _line(res, "acl", "web ACL", 1, book.prices.waf_web_acl_month),
        _line(res, "rules", f"{rules} rule(s)", rules, book.prices.waf_rule_month),
    ]


def _user_pool(res: Resource, _: _StageResources, book: PriceBook) -> list[LineItem]:
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
        _line(
            res,
            "mau",
            f"{tier.lower()} plan: {users:,.0f} MAU assumed, {billable:,.0f} billable",
            billable,
            prices[tier],
        )
    ]


def _alias(res: Resource, stage: _StageResources, book: PriceBook) -> list[LineItem]:
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
        if _is_arm(function)
        else book.prices.lambda_x86_provisioned_gb_second
    )
    gb_seconds = environments * _memory_gb(function) * book.seconds_per_month
    what = f"provisioned concurrency {environments:g} x {_memory_gb(function) * 1024:g} MB"
    return [*items, _line(res, "provisioned", what, gb_seconds, price)]


def _snap_starts(function: Resource) -> bool:
    snap_start = function.properties.get("SnapStart") or {}
    return bool(snap_start.get("ApplyOn") == "PublishedVersions")


def _snapshot_cache(alias: Resource, functions: list[Resource], book: PriceBook) -> list[LineItem]:
    """The snapshot of the version the alias serves, cached all month. The version a deploy
    replaces is deleted once the traffic shift succeeded: its 3-hour minimum is cents."""
    if not functions or not _snap_starts(functions[0]):
        return []
    memory = _memory_gb(functions[0])
    what = f"SnapStart snapshot cache of the live version ({memory * 1024:g} MB)"
    return [
        _line(
            alias,
            "snapstart-cache",
            what,
            memory * book.seconds_per_month,
            book.prices.lambda_snapstart_cache_gb_second,
        )
    ]


def _event_source_mapping(res: Resource, stage: _StageResources, book: PriceBook) -> list[LineItem]:
    if not stage.referenced(res, res.properties.get("EventSourceArn"), "AWS::SQS::Queue"):
        return []
    polls_per_hour = 3600 / book.assumptions.sqs_long_poll_seconds.value
    receives = book.assumptions.sqs_poller_connections.value * polls_per_hour * book.hours_per_month
    return [
        _line(
            res,
            "polling",
            "empty long polls by the Lambda event source (assumed pollers)",
            receives / MILLION,
            book.prices.sqs_million,
        )
    ]


_FIXED_RULES: Mapping[str, _Rule] = {
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
_PRICED_PER_REQUEST = frozenset(
    {
        "AWS::Lambda::Function",
        "AWS::ApiGatewayV2::Api",
        "AWS::CloudFront::Distribution",
        "AWS::CloudFront::Function",
        "AWS::CloudFront::KeyValueStore",
        "AWS::SQS::Queue",
    }
)


# --- variable cost at a request volume ------------------------------------------------------------


@dataclass(frozen=True)
class _Traffic:
    """``requests`` API requests a month through one stage (``per_day`` drives X-Ray sampling)."""

    stage: _StageResources
    book: PriceBook
    requests: float
    per_day: float

    def items(self) -> Iterator[LineItem]:
        api_functions = _api_functions(self.stage)
        workers = _queue_workers(self.stage)
        yield from self._api(api_functions)
        messages = (
            self.requests * self.book.assumptions.email_messages_per_request.value
            if workers and api_functions
            else 0.0
        )
        yield from self._queue(workers, messages)
        yield from self._tracing(api_functions, workers, messages)
        yield from self._edge()
        if api_functions:
            yield from self._data()

    def _api(self, api_functions: list[Resource]) -> Iterator[LineItem]:
        a, p = self.book.assumptions, self.book.prices
        for api in self.stage.of_type("AWS::ApiGatewayV2::Api"):
            if api.properties.get("ProtocolType") == "HTTP":
                yield _line(
                    api, "requests", "HTTP API requests", self._millions(), p.http_api_million
                )
        # Each API request invokes one function, not every function behind the API.
        shares = _api_function_shares(self.stage, api_functions)
        for function in api_functions:
            yield from _lambda_items(
                function,
                self.stage,
                self.book,
                invocations=self.requests * shares[(function.stack, function.logical_id)],
                duration_ms=a.api_function_duration_ms.value,
                role="API",
                share=shares[(function.stack, function.logical_id)],
            )
        for api_stage in self.stage.of_type("AWS::ApiGatewayV2::Stage"):
            if api_stage.properties.get("AccessLogSettings", {}).get("DestinationArn"):
                log_bytes = self.requests * a.access_log_bytes_per_request.value
                yield from _log_items(api_stage, self.stage, self.book, log_bytes, "access logs")

    def _queue(
        self, workers: list[tuple[Resource, Resource]], messages: float
    ) -> Iterator[LineItem]:
        a = self.book.assumptions
        if messages == 0:
            return
        for mapping, function in workers:
            sqs_millions = messages * a.sqs_requests_per_message.value / MILLION
            yield _line(
                mapping,
                "messages",
                "SQS requests for queued emails",
                sqs_millions,
                self.book.prices.sqs_million,
            )
            yield from _lambda_items(
                function,
                self.stage,
                self.book,
                invocations=messages,
                duration_ms=a.worker_function_duration_ms.value,
                role="worker",
            )

    def _tracing(
        self,
        api_functions: list[Resource],
        workers: list[tuple[Resource, Resource]],
        messages: float,
    ) -> Iterator[LineItem]:
        traced_api = [fn for fn in api_functions if _traced(fn)]
        traced_workers = [fn for _, fn in workers if _traced(fn)]
        if not traced_api and not traced_workers:
            return
        share = _xray_sampled_share(self.book, self.per_day)
        traces = (self.requests if traced_api else 0.0) + (messages if traced_workers else 0.0)
        yield _line(
            (traced_api + traced_workers)[0],
            "traces",
            # Lambda makes the decision for requests that arrive without a sampled trace
            # header (the HTTP API and CloudFront send none) at a fixed rate: sampling rules
            # do not apply ("You can't configure the X-Ray sampling rate for your functions",
            # Lambda developer guide, services-xray).
            f"X-Ray traces ({share:.1%} of requests sampled by Lambda's fixed rate)",
            traces * share / MILLION,
            self.book.prices.xray_trace_million,
        )

    def _edge(self) -> Iterator[LineItem]:
        a, p = self.book.assumptions, self.book.prices
        distribution = _api_distribution(self.stage)
        if distribution is None:
            return
        yield _line(
            distribution,
            "requests",
            "CloudFront HTTPS requests",
            self.requests / 10_000,
            p.cloudfront_https_10k,
        )
        yield _line(
            distribution,
            "transfer-out",
            "CloudFront transfer out (assumed response size)",
            self.requests * a.response_kb.value * KB / GB,
            p.cloudfront_transfer_out_gb,
        )
        yield _line(
            distribution,
            "transfer-origin",
            "CloudFront transfer to origin (assumed body size)",
            self.requests * a.request_kb.value * KB / GB,
            p.cloudfront_transfer_to_origin_gb,
        )
        for function in _viewer_functions(self.stage, distribution):
            yield _line(
                function,
                "invocations",
                "CloudFront Function invocations",
                self._millions(),
                p.cloudfront_function_million,
            )
            associations = function.properties.get("FunctionConfig", {}).get(
                "KeyValueStoreAssociations"
            )
            for store in self.stage.referenced(
                function, associations, "AWS::CloudFront::KeyValueStore"
            ):
                reads = self._millions() * a.kvs_reads_per_request.value
                yield _line(
                    store, "reads", "KeyValueStore reads", reads, p.cloudfront_kvs_read_million
                )
        for acl in self.stage.of_type("AWS::WAFv2::WebACL"):
            if acl.properties.get("Scope") == "CLOUDFRONT":
                yield _line(
                    acl,
                    "requests",
                    "WAF requests inspected",
                    self._millions(),
                    p.waf_request_million,
                )

    def _data(self) -> Iterator[LineItem]:
        """Stores the API functions use; which function uses which store is not in a template."""
        a, p = self.book.assumptions, self.book.prices
        on_demand = [
            table
            for table in self.stage.of_type("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")
            if table.properties.get("BillingMode") == "PAY_PER_REQUEST"
        ]
        if on_demand:
            table = on_demand[0]
            across = f"across {len(on_demand)} on-demand table(s)"
            reads = self._millions() * a.dynamodb_read_units_per_request.value
            # A write is applied (and billed) once in every replica of a global table.
            replicas = max(1, len(table.properties.get("Replicas", [None])))
            writes = self._millions() * a.dynamodb_write_units_per_request.value * replicas
            yield _line(table, "reads", f"DynamoDB reads {across}", reads, p.dynamodb_read_million)
            yield _line(
                table, "writes", f"DynamoDB writes {across}", writes, p.dynamodb_write_million
            )
        clusters = [
            cluster
            for cluster in self.stage.of_type("AWS::DocDB::DBCluster")
            if cluster.properties.get("StorageType") != "iopt1"
        ]
        if clusters:
            ios = self._millions() * a.docdb_io_per_request.value
            yield _line(clusters[0], "io", "DocumentDB storage I/O", ios, p.docdb_io_million)
        secrets = self.stage.of_type("AWS::SecretsManager::Secret")
        if secrets:
            calls = (
                self.requests * a.cold_start_fraction.value * a.secrets_calls_per_cold_start.value
            )
            yield _line(
                secrets[0],
                "api-calls",
                "GetSecretValue on cold starts",
                calls / 10_000,
                p.secrets_api_10k,
            )

    def _millions(self) -> float:
        return self.requests / MILLION


def _lambda_items(
    function: Resource,
    stage: _StageResources,
    book: PriceBook,
    *,
    invocations: float,
    duration_ms: float,
    role: str,
    share: float | None = None,
) -> Iterator[LineItem]:
    a = book.assumptions
    memory = _memory_gb(function)
    billed_ms = duration_ms + a.cold_start_fraction.value * a.init_duration_ms.value
    arch = "Arm" if _is_arm(function) else "x86"
    price = (
        book.prices.lambda_arm_gb_second if _is_arm(function) else book.prices.lambda_x86_gb_second
    )
    yield _line(
        function,
        "requests",
        f"{role} function requests"
        + (f" ({share:.0%} of API requests, by migrated routes)" if share is not None else ""),
        invocations / MILLION,
        book.prices.lambda_requests_million,
    )
    yield _line(
        function,
        "duration",
        f"{role} function duration ({memory * 1024:g} MB {arch}, {billed_ms:g} ms billed on avg)",
        invocations * memory * billed_ms / 1000,
        price,
    )
    if _snap_starts(function):
        # The INIT above stays in as an upper bound: a restore bills its own (shorter) restore
        # duration instead of INIT.
        yield _line(
            function,
            "snapstart-restore",
            f"{role} function SnapStart restores (one per cold start)",
            invocations * a.cold_start_fraction.value * memory,
            book.prices.lambda_snapstart_restore_gb,
        )
    log_bytes, levels = _lambda_log_bytes(function, book)
    yield from _log_items(
        function, stage, book, invocations * log_bytes, f"{role} function logs ({levels})"
    )


def _lambda_log_bytes(function: Resource, book: PriceBook) -> tuple[float, str]:
    """Bytes one invocation logs, by the function's LoggingConfig the way Lambda filters:
    JSON format filters application lines below ApplicationLogLevel (default INFO) and
    platform.start/report below SystemLogLevel (default INFO); text format filters nothing.
    DEBUG and TRACE volumes are not modelled: they raise rather than price as INFO."""
    a = book.assumptions
    application = a.lambda_application_log_bytes_per_invocation.value
    platform = a.lambda_platform_log_bytes_per_invocation.value
    logging = function.properties.get("LoggingConfig", {})
    if logging.get("LogFormat", "Text") != "JSON":
        return application + platform, "text format, unfiltered"
    app_level = logging.get("ApplicationLogLevel", "INFO")
    system_level = logging.get("SystemLogLevel", "INFO")
    if app_level in ("TRACE", "DEBUG") or system_level == "DEBUG":
        raise ValueError(
            f"{function.label}: log level {app_level}/{system_level}: DEBUG volumes are not "
            "modelled"
        )
    if app_level not in ("INFO", "WARN", "ERROR", "FATAL") or system_level not in ("INFO", "WARN"):
        raise ValueError(f"{function.label}: unknown log level {app_level}/{system_level}")
    counted = (application if app_level == "INFO" else 0.0) + (
        platform if system_level == "INFO" else 0.0
    )
    return counted, f"application {app_level}, platform {system_level}"


def _log_items(
    target: Resource, stage: _StageResources, book: PriceBook, log_bytes: float, what: str
) -> Iterator[LineItem]:
    gigabytes = log_bytes / GB
    retention_months = stage.log_retention_days(target, book) / book.days_per_month
    yield _line(target, "log-ingest", f"{what} ingested", gigabytes, book.prices.logs_ingest_gb)
    yield _line(
        target,
        "log-storage",
        f"{what} stored for {retention_months:.1f} months of retention",
        gigabytes * retention_months,
        book.prices.logs_storage_gb_month,
    )


def _api_functions(stage: _StageResources) -> list[Resource]:
    """Functions behind the HTTP API's Lambda integrations, each once."""
    functions: dict[tuple[str, str], Resource] = {}
    for integration in stage.of_type("AWS::ApiGatewayV2::Integration"):
        if integration.properties.get("IntegrationType") != "AWS_PROXY":
            continue  # HTTP_PROXY integrations send the request to the legacy backend
        for function in stage.function_behind(
            integration, integration.properties.get("IntegrationUri")
        ):
            functions[(function.stack, function.logical_id)] = function
    return list(functions.values())


def _api_function_shares(
    stage: _StageResources, api_functions: list[Resource]
) -> dict[tuple[str, str], float]:
    """The share of API requests each API function serves: requests are spread evenly over
    the migrated routes, so a function gets the share of the Lambda routes that target it.

    Integrations no route targets (a template without routes) count as one route each.
    """
    routes_per_integration: dict[tuple[str, str], int] = {}
    for route in stage.of_type("AWS::ApiGatewayV2::Route"):
        target = route.properties.get("Target")
        for integration in stage.referenced(route, target, "AWS::ApiGatewayV2::Integration"):
            key = (integration.stack, integration.logical_id)
            routes_per_integration[key] = routes_per_integration.get(key, 0) + 1
    weights = {(function.stack, function.logical_id): 0.0 for function in api_functions}
    for integration in stage.of_type("AWS::ApiGatewayV2::Integration"):
        if integration.properties.get("IntegrationType") != "AWS_PROXY":
            continue
        routes = routes_per_integration.get((integration.stack, integration.logical_id), 1)
        functions = stage.function_behind(integration, integration.properties.get("IntegrationUri"))
        for function in functions:
            weights[(function.stack, function.logical_id)] += routes / len(functions)
    total = sum(weights.values())
    return {key: weight / total for key, weight in weights.items()} if total else weights


def _queue_workers(stage: _StageResources) -> list[tuple[Resource, Resource]]:
    workers = []
    for mapping in stage.of_type("AWS::Lambda::EventSourceMapping"):
        if stage.referenced(mapping, mapping.properties.get("EventSourceArn"), "AWS::SQS::Queue"):
            for function in stage.function_behind(mapping, mapping.properties.get("FunctionName")):
                workers.append((mapping, function))
    return workers


def _traced(function: Resource) -> bool:
    return function.properties.get("TracingConfig", {}).get("Mode") == "Active"


def _xray_sampled_share(book: PriceBook, requests_per_day: float) -> float:
    """Share of requests the default sampling rule records, traffic spread evenly over the day."""
    per_second = requests_per_day / 86_400
    if per_second == 0:
        return 0.0
    reservoir = book.assumptions.xray_reservoir_per_second.value
    rate = book.assumptions.xray_fixed_rate.value
    recorded = min(per_second, reservoir) + rate * max(0.0, per_second - reservoir)
    return recorded / per_second


def _api_distribution(stage: _StageResources) -> Resource | None:
    """The distribution API traffic passes: the one with an /api behavior, else the first."""
    distributions = stage.of_type("AWS::CloudFront::Distribution")
    for distribution in distributions:
        if _api_behavior(distribution) is not None:
            return distribution
    return distributions[0] if distributions else None


def _api_behavior(distribution: Resource) -> dict[str, Any] | None:
    config = distribution.properties.get("DistributionConfig", {})
    for behavior in config.get("CacheBehaviors", []):
        if str(behavior.get("PathPattern", "")).lstrip("/").startswith("api"):
            return dict(behavior)
    return None


def _viewer_functions(stage: _StageResources, distribution: Resource) -> list[Resource]:
    """CloudFront Functions an API request runs: those on the /api behavior (else the default)."""
    behavior = _api_behavior(distribution)
    if behavior is None:
        behavior = distribution.properties.get("DistributionConfig", {}).get(
            "DefaultCacheBehavior", {}
        )
    return stage.referenced(
        distribution, behavior.get("FunctionAssociations"), "AWS::CloudFront::Function"
    )
