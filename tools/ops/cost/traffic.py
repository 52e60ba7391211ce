"""Variable cost: what a request volume adds per month through one stage."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tools.ops.cost.assembly import Resource
from tools.ops.cost.model import GB, KB, MILLION, LineItem
from tools.ops.cost.pricebook import PriceBook
from tools.ops.cost.stage import StageResources, is_arm, line_item, memory_gb, snap_starts

# --- variable cost at a request volume ------------------------------------------------------------


@dataclass(frozen=True)
class Traffic:
    """``requests`` API requests a month through one stage (``per_day`` drives X-Ray sampling)."""

    stage: StageResources
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
                yield line_item(
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
            yield line_item(
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
        yield line_item(
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
        yield line_item(
            distribution,
            "requests",
            "CloudFront HTTPS requests",
            self.requests / 10_000,
            p.cloudfront_https_10k,
        )
        yield line_item(
            distribution,
            "transfer-out",
            "CloudFront transfer out (assumed response size)",
            self.requests * a.response_kb.value * KB / GB,
            p.cloudfront_transfer_out_gb,
        )
        yield line_item(
            distribution,
            "transfer-origin",
            "CloudFront transfer to origin (assumed body size)",
            self.requests * a.request_kb.value * KB / GB,
            p.cloudfront_transfer_to_origin_gb,
        )
        for function in _viewer_functions(self.stage, distribution):
            yield line_item(
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
                yield line_item(
                    store, "reads", "KeyValueStore reads", reads, p.cloudfront_kvs_read_million
                )
        for acl in self.stage.of_type("AWS::WAFv2::WebACL"):
            if acl.properties.get("Scope") == "CLOUDFRONT":
                yield line_item(
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
            yield line_item(
                table, "reads", f"DynamoDB reads {across}", reads, p.dynamodb_read_million
            )
            yield line_item(
                table, "writes", f"DynamoDB writes {across}", writes, p.dynamodb_write_million
            )
        clusters = [
            cluster
            for cluster in self.stage.of_type("AWS::DocDB::DBCluster")
            if cluster.properties.get("StorageType") != "iopt1"
        ]
        if clusters:
            ios = self._millions() * a.docdb_io_per_request.value
            yield line_item(clusters[0], "io", "DocumentDB storage I/O", ios, p.docdb_io_million)
        secrets = self.stage.of_type("AWS::SecretsManager::Secret")
        if secrets:
            calls = (
                self.requests * a.cold_start_fraction.value * a.secrets_calls_per_cold_start.value
            )
            yield line_item(
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
    stage: StageResources,
    book: PriceBook,
    *,
    invocations: float,
    duration_ms: float,
    role: str,
    share: float | None = None,
) -> Iterator[LineItem]:
    a = book.assumptions
    memory = memory_gb(function)
    billed_ms = duration_ms + a.cold_start_fraction.value * a.init_duration_ms.value
    arch = "Arm" if is_arm(function) else "x86"
    price = (
        book.prices.lambda_arm_gb_second if is_arm(function) else book.prices.lambda_x86_gb_second
    )
    yield line_item(
        function,
        "requests",
        f"{role} function requests"
        + (f" ({share:.0%} of API requests, by migrated routes)" if share is not None else ""),
        invocations / MILLION,
        book.prices.lambda_requests_million,
    )
    yield line_item(
        function,
        "duration",
        f"{role} function duration ({memory * 1024:g} MB {arch}, {billed_ms:g} ms billed on avg)",
        invocations * memory * billed_ms / 1000,
        price,
    )
    if snap_starts(function):
        # The INIT above stays in as an upper bound: a restore bills its own (shorter) restore
        # duration instead of INIT.
        yield line_item(
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
    target: Resource, stage: StageResources, book: PriceBook, log_bytes: float, what: str
) -> Iterator[LineItem]:
    gigabytes = log_bytes / GB
    retention_months = stage.log_retention_days(target, book) / book.days_per_month
    yield line_item(target, "log-ingest", f"{what} ingested", gigabytes, book.prices.logs_ingest_gb)
    yield line_item(
        target,
        "log-storage",
        f"{what} stored for {retention_months:.1f} months of retention",
        gigabytes * retention_months,
        book.prices.logs_storage_gb_month,
    )


def _api_functions(stage: StageResources) -> list[Resource]:
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
    stage: StageResources, api_functions: list[Resource]
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


def _queue_workers(stage: StageResources) -> list[tuple[Resource, Resource]]:
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


def _api_distribution(stage: StageResources) -> Resource | None:
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


def _viewer_functions(stage: StageResources, distribution: Resource) -> list[Resource]:
    """CloudFront Functions an API request runs: those on the /api behavior (else the default)."""
    behavior = _api_behavior(distribution)
    if behavior is None:
        behavior = distribution.properties.get("DistributionConfig", {}).get(
            "DefaultCacheBehavior", {}
        )
    return stage.referenced(
        distribution, behavior.get("FunctionAssociations"), "AWS::CloudFront::Function"
    )
