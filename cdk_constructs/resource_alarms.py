"""Alarms that page a person for shared infrastructure: DocumentDB.

The other alarms that need a person already belong to the construct that owns their resource
(each CanaryFunction's error-rate and throttle alarms, the email queue's dead-letter alarm,
the cut-over rollback's HTTP API 5xx-rate alarm, the NAT's alarms in the network stack:
cdk_constructs/nat_alarms.py); this construct covers what has no owner of that kind. Every
alarm here sends ALARM and OK to ``alarm_topic``.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk_constructs._metrics import documentdb_metric
from cdk_constructs.alarm_topic import notify

ALARM_PERIOD = Duration.minutes(5)
# CPU must stay high for three periods: a burst (index build, backup) is not worth a page.
CPU_EVALUATION_PERIODS = 3


class ResourceAlarms(Construct):
    """``docdb_cpu_alarm`` and ``docdb_connections_alarm``, both notifying ``alarm_topic``.
    ``alarms`` lists them."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alarm_topic: sns.ITopic,
        docdb_cluster_identifier: str,
        docdb_cpu_percent: float,
        docdb_connections: int,
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
        self.alarms: list[cloudwatch.Alarm] = [
            self.docdb_cpu_alarm,
            self.docdb_connections_alarm,
        ]
        notify(alarm_topic, *self.alarms)
