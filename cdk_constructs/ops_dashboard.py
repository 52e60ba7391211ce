"""One CloudWatch dashboard per stage: the request path from CloudFront to the databases.

Rows, top to bottom: what needs a person now (alarm status), the HTTP API, one row per Lambda
service, DynamoDB, the email queue, DocumentDB, the NAT (gateway or instance), and the edge
with the cut-over. Every metric is one AWS publishes already, or the ``ColdStart`` metric Powertools
emits from each handler; nothing here creates a custom metric.

Two things the issue asks for have no metric, and the dashboard says so instead of faking one:

* **init duration** (cold starts): Lambda publishes no InitDuration metric. Its
  ``platform.report`` log line carries ``record.metrics.initDurationMs`` on a cold start, and a
  Logs Insights widget reads it from each function's log group (the functions keep Lambda's
  system log level at INFO for this). The widget costs a Logs Insights query per dashboard
  refresh ($0.005 per GB scanned) and no fixed fee.
* **cut-over weight**: it lives in the CloudFront KeyValueStore, not in CloudWatch. A text
  widget names the command that reads it; next to it, the HTTP API's request count shows how
  much traffic actually reached the new stack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk_constructs._metrics import (
    cloudfront_metric,
    documentdb_metric,
    nat_gateway_metric,
)

PERIOD = Duration.minutes(1)
FULL_WIDTH = 24
HEIGHT = 6
# Operations the Taskly code calls on its tables (GetItem/PutItem on both).
TABLE_LATENCY_OPERATIONS = ("GetItem", "PutItem")

INIT_DURATION_QUERY = (
    'filter type = "platform.report" and ispresent(record.metrics.initDurationMs)',
    "stats count(*) as cold_starts, pct(record.metrics.initDurationMs, 50) as init_p50_ms, "
    "pct(record.metrics.initDurationMs, 99) as init_p99_ms by bin(5m)",
)


@dataclass(frozen=True, kw_only=True)
class DashboardFunction:
    """One Lambda service on the dashboard.

    ``service`` is its POWERTOOLS_SERVICE_NAME (the ``service`` dimension of Powertools'
    ``ColdStart`` metric); ``reserved_concurrency`` (a reservation) or ``max_concurrency`` (an
    SQS event source's cap) is drawn as a line on the concurrency graph.
    """

    service: str
    function: lambda_.IFunction
    log_group: logs.ILogGroup
    reserved_concurrency: int | None = None
    max_concurrency: int | None = None


@dataclass(frozen=True, kw_only=True)
class DashboardEdge:
    """The CloudFront side: ``cutover_function_name`` is the /api/* routing CloudFront Function;
    ``cutover_status_command`` is what an operator types to read the current weight."""

    distribution_id: str
    cutover_function_name: str
    cutover_status_command: str


class OperationsDashboard(Construct):
    """A CloudWatch dashboard named ``dashboard_name`` (attribute ``dashboard``).

    ``alarms`` are shown in an alarm status widget at the top: pass every alarm that pages a
    person. ``metrics_namespace`` is the functions' POWERTOOLS_METRICS_NAMESPACE. The NAT row
    graphs the gateways when ``nat_gateway_ids`` is not empty, else it shows ``nat_alarms``
    (a NAT instance's id changes with its image, so the dashboard follows its alarm, which
    the network stack keeps pointed at the current instance).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dashboard_name: str,
        alarms: Sequence[cloudwatch.IAlarm],
        http_api: apigw.IHttpApi,
        functions: Sequence[DashboardFunction],
        metrics_namespace: str,
        tables: Mapping[str, dynamodb.ITable],
        queue: sqs.IQueue,
        dead_letter_queue: sqs.IQueue,
        docdb_cluster_identifier: str,
        nat_gateway_ids: Sequence[str],
        nat_alarms: Sequence[cloudwatch.IAlarm],
        edge: DashboardEdge,
        docdb_connection_alarms: Sequence[cloudwatch.Alarm] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=dashboard_name,
            default_interval=Duration.hours(3),
        )
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(
                title="Alarms that page a person (ALARM first)",
                alarms=list(alarms),
                sort_by=cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
                width=FULL_WIDTH,
                height=4,
            )
        )
        self.dashboard.add_widgets(*_api_row(http_api))
        for function in functions:
            self.dashboard.add_widgets(*_function_row(function, metrics_namespace))
        self.dashboard.add_widgets(
            *_table_widgets(tables),
            *_queue_widgets(queue, dead_letter_queue),
        )
        self.dashboard.add_widgets(
            *_documentdb_widgets(docdb_cluster_identifier, docdb_connection_alarms),
            *(
                _nat_gateway_widgets(nat_gateway_ids)
                if nat_gateway_ids
                else _nat_alarm_widgets(nat_alarms)
            ),
        )
        self.dashboard.add_widgets(*_edge_row(edge, http_api))


def _graph(
    title: str,
    left: Sequence[cloudwatch.IMetric],
    *,
    width: int = 6,
    right: Sequence[cloudwatch.IMetric] = (),
    left_label: str | None = None,
    right_label: str | None = None,
    annotations: Sequence[cloudwatch.HorizontalAnnotation] = (),
) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(
        title=title,
        left=list(left),
        right=list(right),
        left_y_axis=cloudwatch.YAxisProps(label=left_label, min=0, show_units=False),
        right_y_axis=cloudwatch.YAxisProps(label=right_label, min=0, show_units=False)
        if right
        else None,
        left_annotations=list(annotations) or None,
        width=width,
        height=HEIGHT,
    )


def _api_row(api: apigw.IHttpApi) -> list[cloudwatch.IWidget]:
    return [
        _graph(
            "HTTP API requests",
            [api.metric_count(statistic="Sum", period=PERIOD, label="requests")],
            left_label="requests/min",
        ),
        _graph(
            "HTTP API 4xx and 5xx",
            [
                api.metric_client_error(statistic="Sum", period=PERIOD, label="4xx"),
                api.metric_server_error(statistic="Sum", period=PERIOD, label="5xx"),
            ],
            left_label="responses/min",
        ),
        _graph(
            "HTTP API latency",
            [
                api.metric_latency(statistic=stat, period=PERIOD, label=stat)
                for stat in ("p50", "p90", "p99")
            ],
            left_label="ms",
        ),
        _graph(
            "HTTP API integration latency",
            [
                api.metric_integration_latency(statistic=stat, period=PERIOD, label=stat)
                for stat in ("p50", "p99")
            ],
            left_label="ms",
        ),
    ]


def _function_row(service: DashboardFunction, namespace: str) -> list[cloudwatch.IWidget]:
    function = service.function
    limits = {
        "reserved concurrency": service.reserved_concurrency,
        "SQS maximum concurrency": service.max_concurrency,
    }
    annotations = [
        cloudwatch.HorizontalAnnotation(value=value, label=label)
        for label, value in limits.items()
        if value is not None
    ]
    cold_starts = cloudwatch.Metric(
        namespace=namespace,
        metric_name="ColdStart",
        dimensions_map={"function_name": function.function_name, "service": service.service},
        statistic="Sum",
        period=PERIOD,
        label="cold starts (Powertools)",
    )
    return [
        _graph(
            f"{service.service}: invocations, errors, throttles",
            [
                function.metric_invocations(statistic="Sum", period=PERIOD, label="invocations"),
                function.metric_errors(statistic="Sum", period=PERIOD, label="errors"),
                function.metric_throttles(statistic="Sum", period=PERIOD, label="throttles"),
            ],
            left_label="per minute",
        ),
        _graph(
            f"{service.service}: duration",
            [
                function.metric_duration(statistic=stat, period=PERIOD, label=stat)
                for stat in ("p50", "p99")
            ],
            left_label="ms",
        ),
        _graph(
            f"{service.service}: concurrency and cold starts",
            [
                function.metric(
                    "ConcurrentExecutions",
                    statistic="Maximum",
                    period=PERIOD,
                    label="concurrent executions",
                )
            ],
            right=[cold_starts],
            left_label="environments",
            right_label="cold starts/min",
            annotations=annotations,
        ),
        cloudwatch.LogQueryWidget(
            title=f"{service.service}: init duration of cold starts (Logs Insights, ms)",
            log_group_names=[service.log_group.log_group_name],
            query_lines=list(INIT_DURATION_QUERY),
            view=cloudwatch.LogQueryVisualizationType.LINE,
            width=6,
            height=HEIGHT,
        ),
    ]


def _table_widgets(tables: Mapping[str, dynamodb.ITable]) -> list[cloudwatch.IWidget]:
    throttles = [
        table.metric(name, statistic="Sum", period=PERIOD, label=f"{label} {kind}")
        for label, table in sorted(tables.items())
        for name, kind in (("ReadThrottleEvents", "reads"), ("WriteThrottleEvents", "writes"))
    ]
    latency = [
        table.metric_successful_request_latency(
            dimensions_map={"TableName": table.table_name, "Operation": operation},
            statistic="Average",
            period=PERIOD,
            label=f"{label} {operation}",
        )
        for label, table in sorted(tables.items())
        for operation in TABLE_LATENCY_OPERATIONS
    ]
    return [
        _graph("DynamoDB throttled requests", throttles, left_label="events/min"),
        _graph("DynamoDB latency (average)", latency, left_label="ms"),
    ]


def _queue_widgets(queue: sqs.IQueue, dead_letter_queue: sqs.IQueue) -> list[cloudwatch.IWidget]:
    return [
        _graph(
            "Email queue: oldest message age",
            [
                queue.metric_approximate_age_of_oldest_message(
                    statistic="Maximum", period=PERIOD, label="oldest message"
                )
            ],
            left_label="seconds",
        ),
        _graph(
            "Email dead-letter queue depth",
            [
                dead_letter_queue.metric_approximate_number_of_messages_visible(
                    statistic="Maximum", period=PERIOD, label="messages waiting"
                )
            ],
            left_label="messages",
        ),
    ]


def _documentdb_widgets(
    cluster_identifier: str, connection_alarms: Sequence[cloudwatch.Alarm]
) -> list[cloudwatch.IWidget]:
    # What the connections alarms watch: each instance against the limit of its capacity.
    against_limit = (
        [
            _graph(
                "DocumentDB connections, % of each instance's current limit",
                [alarm.metric for alarm in connection_alarms],
                left_label="%",
                width=4,
            )
        ]
        if connection_alarms
        else []
    )
    return [
        *against_limit,
        _graph(
            "DocumentDB CPU (busiest instance)",
            [
                documentdb_metric(
                    cluster_identifier, "CPUUtilization", statistic="Maximum", period=PERIOD
                )
            ],
            left_label="%",
            width=4,
        ),
        _graph(
            "DocumentDB connections (per instance, max)",
            [
                documentdb_metric(
                    cluster_identifier, "DatabaseConnections", statistic="Maximum", period=PERIOD
                )
            ],
            left_label="connections",
            width=4,
        ),
        _graph(
            "DocumentDB freeable memory (lowest instance)",
            [
                documentdb_metric(
                    cluster_identifier, "FreeableMemory", statistic="Minimum", period=PERIOD
                )
            ],
            left_label="bytes",
            width=4,
        ),
    ]


def _nat_gateway_widgets(gateway_ids: Sequence[str]) -> list[cloudwatch.IWidget]:
    return [
        _graph(
            "NAT gateway errors and drops",
            [
                nat_gateway_metric(gateway_id, name, period=PERIOD).with_(label=label)
                for gateway_id in gateway_ids
                for name, label in (
                    ("ErrorPortAllocation", "port allocation errors"),
                    ("PacketsDropCount", "dropped packets"),
                )
            ],
            left_label="per minute",
        ),
        # NAT data processing is billed per GB in both directions: this is the cost driver.
        _graph(
            "NAT gateway bytes processed",
            [
                nat_gateway_metric(gateway_id, name, period=PERIOD).with_(label=label)
                for gateway_id in gateway_ids
                for name, label in (
                    ("BytesOutToDestination", "out to destination"),
                    ("BytesInFromDestination", "in from destination"),
                )
            ],
            left_label="bytes/min",
        ),
    ]


def _nat_alarm_widgets(alarms: Sequence[cloudwatch.IAlarm]) -> list[cloudwatch.IWidget]:
    # The alarm widget graphs the alarm's own metric (the instance's status checks) against
    # its threshold, for whichever instance the alarm watches now.
    return [
        cloudwatch.AlarmWidget(
            title="NAT instance status checks (failed = 1)",
            alarm=alarm,
            left_y_axis=cloudwatch.YAxisProps(min=0, max=1),
            width=6,
            height=HEIGHT,
        )
        for alarm in alarms
    ]


def _edge_row(edge: DashboardEdge, api: apigw.IHttpApi) -> list[cloudwatch.IWidget]:
    distribution = {"DistributionId": edge.distribution_id}
    function = {"FunctionName": edge.cutover_function_name}
    weight_text = (
        "### /api/* cut-over weight\n"
        "The weight is a value in the CloudFront KeyValueStore, not a CloudWatch metric, so "
        "this dashboard cannot graph it. Read it (and the kill switch) with:\n\n"
        f"`{edge.cutover_status_command}`\n\n"
        "The graph to the left shows its effect: the HTTP API only receives the viewers the "
        "weight sends to it. If the rollback alarm above is in ALARM, the weight was set to 0 "
        "and the kill switch engaged."
    )
    return [
        _graph(
            "CloudFront 5xx error rate",
            [
                cloudfront_metric(
                    "5xxErrorRate", statistic="Average", dimensions=distribution, period=PERIOD
                ).with_(label="5xx %"),
                cloudfront_metric(
                    "TotalErrorRate", statistic="Average", dimensions=distribution, period=PERIOD
                ).with_(label="all errors %"),
            ],
            left_label="% of requests",
        ),
        _graph(
            "Cut-over function",
            [
                cloudfront_metric(
                    "FunctionInvocations", statistic="Sum", dimensions=function, period=PERIOD
                ).with_(label="invocations"),
                cloudfront_metric(
                    "FunctionExecutionErrors", statistic="Sum", dimensions=function, period=PERIOD
                ).with_(label="execution errors"),
                cloudfront_metric(
                    "FunctionValidationErrors", statistic="Sum", dimensions=function, period=PERIOD
                ).with_(label="validation errors"),
            ],
            left_label="per minute",
        ),
        _graph(
            "CloudFront requests vs. HTTP API requests",
            [
                cloudfront_metric(
                    "Requests", statistic="Sum", dimensions=distribution, period=PERIOD
                ).with_(label="CloudFront (SPA and /api/*)"),
                api.metric_count(statistic="Sum", period=PERIOD, label="HTTP API (new stack)"),
            ],
            left_label="requests/min",
        ),
        cloudwatch.TextWidget(markdown=weight_text, width=6, height=HEIGHT),
    ]
