"""Monitoring stack: the stage's dashboard and the alarms no other stack owns.

Built last: it receives typed resources from every other stack (functions, the HTTP API,
tables, queues, the DocumentDB cluster id, the NAT gateway ids or the NAT's alarms, the
distribution) and the alarm topic from the alerts stack. Never a NAT instance id: the instance
is replaced with its image, and an id exported to this stack could then never change
(aws/aws-cdk#7602); the NAT alarms live in the network stack next to it. Nothing depends on
it, so it can change (or be deleted) without touching a stateful stack. The other way round,
a value it imports can only leave its producer after a deploy of this stack stops importing it
(docs/operations.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk_constructs.ops_dashboard import DashboardEdge, DashboardFunction, OperationsDashboard
from cdk_constructs.resource_alarms import ResourceAlarms
from stacks.config.stages import stack_name


class MonitoringStack(Stack):
    """``dashboard`` (``Taskly-<stage>-<region>``) and ``resource_alarms`` (DocumentDB CPU and
    connections, notifying ``alarm_topic``).

    ``other_alarms`` are the alarms other stacks own and already send to the topic; the
    dashboard's alarm status widget lists them with this stack's own. ``nat_alarms`` (also in
    ``other_alarms``) are the network stack's: the dashboard's NAT row shows them when the stage
    has no NAT gateway to graph.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        alarm_topic: sns.ITopic,
        other_alarms: Sequence[cloudwatch.IAlarm],
        http_api: apigw.IHttpApi,
        functions: Sequence[DashboardFunction],
        metrics_namespace: str,
        tables: Mapping[str, dynamodb.ITable],
        email_queue: sqs.IQueue,
        email_dead_letter_queue: sqs.IQueue,
        docdb_cluster_identifier: str,
        docdb_instance_identifiers: Sequence[str],
        docdb_cpu_alarm_percent: float,
        docdb_connections_alarm_percent: float,
        nat_gateway_ids: Sequence[str],
        nat_alarms: Sequence[cloudwatch.IAlarm],
        distribution_id: str,
        cutover_function_name: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.resource_alarms = ResourceAlarms(
            self,
            "Alarms",
            alarm_topic=alarm_topic,
            docdb_cluster_identifier=docdb_cluster_identifier,
            docdb_instance_identifiers=docdb_instance_identifiers,
            docdb_cpu_percent=docdb_cpu_alarm_percent,
            docdb_connections_percent=docdb_connections_alarm_percent,
        )
        self.dashboard = OperationsDashboard(
            self,
            "Dashboard",
            # Dashboards are global to the account: the region keeps two regions' apart.
            dashboard_name=stack_name(stage, self.region),
            alarms=[*other_alarms, *self.resource_alarms.alarms],
            http_api=http_api,
            functions=functions,
            metrics_namespace=metrics_namespace,
            tables=tables,
            queue=email_queue,
            dead_letter_queue=email_dead_letter_queue,
            docdb_cluster_identifier=docdb_cluster_identifier,
            nat_gateway_ids=nat_gateway_ids,
            nat_alarms=nat_alarms,
            docdb_connection_alarms=self.resource_alarms.docdb_connections_alarms,
            edge=DashboardEdge(
                distribution_id=distribution_id,
                cutover_function_name=cutover_function_name,
                cutover_status_command=f'make cutover ARGS="status --stage {stage}"',
            ),
        ).dashboard
