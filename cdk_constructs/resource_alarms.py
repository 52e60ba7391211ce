"""Alarms that page a person for shared infrastructure: DocumentDB and the NAT.

The other alarms that need a person already belong to the construct that owns their resource
(each CanaryFunction's error-rate and throttle alarms, the email queue's dead-letter alarm,
the cut-over rollback's HTTP API 5xx-rate alarm); this construct covers what has no owner of
that kind. Every alarm here sends ALARM and OK to ``alarm_topic``.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk_constructs._metrics import documentdb_metric, ec2_instance_metric, nat_gateway_metric
from cdk_constructs.alarm_topic import notify

ALARM_PERIOD = Duration.minutes(5)
# CPU must stay high for three periods: a burst (index build, backup) is not worth a page.
CPU_EVALUATION_PERIODS = 3


class ResourceAlarms(Construct):
    """``docdb_cpu_alarm``, ``docdb_connections_alarm`` and one ``nat_alarms`` entry per NAT
    gateway (port allocation errors) or NAT instance (failed status checks), all notifying
    ``alarm_topic``. ``alarms`` lists them all."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alarm_topic: sns.ITopic,
        docdb_cluster_identifier: str,
        docdb_cpu_percent: float,
        docdb_connections: int,
        nat_gateway_ids: Sequence[str] = (),
        nat_instance_ids: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        if not 0 < docdb_cpu_percent < 100:
            raise ValueError(
                f"ResourceAlarms docdb_cpu_percent must be between 0 and 100, got "
                f"{docdb_cpu_percent}"
            )
        if docdb_connections < 1:
            raise ValueError(
                f"ResourceAlarms docdb_connections must be at least 1, got {docdb_connections}"
            )

        self.docdb_cpu_alarm = cloudwatch.Alarm(
            self,
            "DocumentDbCpuAlarm",
            alarm_description=(
                f"DocumentDB CPU above {docdb_cpu_percent:g}% on an instance for 15 minutes: "
                "look for slow queries in the profiler log group, then raise the serverless "
                "maximum capacity or the instance class (StageConfig data section)"
            ),
            metric=documentdb_metric(
                docdb_cluster_identifier, "CPUUtilization", statistic="Maximum", period=ALARM_PERIOD
            ),
            threshold=docdb_cpu_percent,
            evaluation_periods=CPU_EVALUATION_PERIODS,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            # No datapoints means the cluster is not reporting: keep the last state rather
            # than declaring it healthy.
            treat_missing_data=cloudwatch.TreatMissingData.MISSING,
        )
        self.docdb_connections_alarm = cloudwatch.Alarm(
            self,
            "DocumentDbConnectionsAlarm",
            alarm_description=(
                f"More than {docdb_connections} connections on a DocumentDB instance: more than "
                "the tasks function opens at the stage's expected peak, so connections leak "
                "or another client connects; check the audit log group"
            ),
            metric=documentdb_metric(
                docdb_cluster_identifier,
                "DatabaseConnections",
                statistic="Maximum",
                period=ALARM_PERIOD,
            ),
            threshold=docdb_connections,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.MISSING,
        )
        self.nat_alarms = [
            cloudwatch.Alarm(
                self,
                f"NatGatewayErrorAlarm{index}",
                alarm_description=(
                    "The NAT gateway could not allocate a source port: functions in the VPC "
                    "fail to reach AWS APIs through it (too many concurrent connections to one "
                    "destination); see the NAT widgets on the stage dashboard"
                ),
                metric=nat_gateway_metric(gateway_id, "ErrorPortAllocation", period=ALARM_PERIOD),
                threshold=0,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                # The gateway publishes nothing while idle: no data is no error.
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            for index, gateway_id in enumerate(nat_gateway_ids, start=1)
        ] + [
            cloudwatch.Alarm(
                self,
                f"NatInstanceStatusAlarm{index}",
                alarm_description=(
                    "The NAT instance failed a status check or stopped reporting: functions in "
                    "the VPC cannot reach AWS APIs. EC2 recovers a failed host by itself; "
                    "otherwise reboot the instance or redeploy the network stack"
                ),
                metric=ec2_instance_metric(
                    instance_id, "StatusCheckFailed", statistic="Maximum", period=ALARM_PERIOD
                ),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                # A running instance always reports its status checks: silence means it is
                # stopped or gone, and egress with it.
                treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            )
            for index, instance_id in enumerate(nat_instance_ids, start=1)
        ]
        self.alarms: list[cloudwatch.Alarm] = [
            self.docdb_cpu_alarm,
            self.docdb_connections_alarm,
            *self.nat_alarms,
        ]
        notify(alarm_topic, *self.alarms)
