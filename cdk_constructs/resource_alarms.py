"""Alarms that page a person for shared infrastructure: DocumentDB.

The other alarms that need a person already belong to the construct that owns their resource
(each CanaryFunction's error-rate and throttle alarms, the email queue's dead-letter alarm,
the cut-over rollback's HTTP API 5xx-rate alarm, the NAT's alarms in the network stack:
cdk_constructs/nat_alarms.py); this construct covers what has no owner of that kind. Every
alarm here sends ALARM and OK to ``alarm_topic``.
"""

from __future__ import annotations

from collections.abc import Sequence

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
    """``docdb_cpu_alarm`` and one ``docdb_connections_alarms`` per DocumentDB instance, all
    notifying ``alarm_topic``. ``alarms`` lists them."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alarm_topic: sns.ITopic,
        docdb_cluster_identifier: str,
        docdb_instance_identifiers: Sequence[str],
        docdb_cpu_percent: float,
        docdb_connections_percent: float,
    ) -> None:
        super().__init__(scope, construct_id)
        for name, value in (
            ("docdb_cpu_percent", docdb_cpu_percent),
            ("docdb_connections_percent", docdb_connections_percent),
        ):
            if not 0 < value < 100:
                raise ValueError(f"ResourceAlarms {name} must be between 0 and 100, got {value}")
        if not docdb_instance_identifiers:
            raise ValueError("ResourceAlarms needs the DocumentDB instances to watch")

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
        self.docdb_connections_alarms = [
            self._connections_alarm(index, instance, docdb_connections_percent)
            for index, instance in enumerate(docdb_instance_identifiers, start=1)
        ]
        self.alarms: list[cloudwatch.Alarm] = [
            self.docdb_cpu_alarm,
            *self.docdb_connections_alarms,
        ]
        notify(alarm_topic, *self.alarms)

    def _connections_alarm(
        self, index: int, instance_identifier: str, percent: float
    ) -> cloudwatch.Alarm:
        """Connections against the limit of the instance's CURRENT capacity, the documented
        pair (DatabaseConnectionsMax, DatabaseConnectionsLimit): a serverless instance's limit
        moves with its capacity, so no fixed number can stand for it."""
        connections = _instance_metric(instance_identifier, "DatabaseConnectionsMax", "Maximum")
        limit = _instance_metric(instance_identifier, "DatabaseConnectionsLimit", "Minimum")
        return cloudwatch.Alarm(
            self,
            f"DocumentDbConnectionsAlarm{index}",
            alarm_description=(
                f"DocumentDB instance {index}: connections reached {percent:g}% of the limit of "
                "its current capacity. New connections fail at the limit, and connections do "
                "not scale the instance up: compare with the connection budget "
                "(docs/operations.md), look for a leak or a client that is not ours in the audit "
                "log group, or raise data.docdb_serverless_min_capacity"
            ),
            metric=cloudwatch.MathExpression(
                # Ids unique per instance: the dashboard graphs every instance's in one widget.
                expression=f"100 * connections{index} / limit{index}",
                using_metrics={f"connections{index}": connections, f"limit{index}": limit},
                label="connections, % of the instance's limit",
                period=ALARM_PERIOD,
            ),
            threshold=percent,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.MISSING,
        )


def _instance_metric(instance_identifier: str, name: str, statistic: str) -> cloudwatch.Metric:
    # The limit metrics are published per instance (DBInstanceIdentifier), not per cluster.
    return cloudwatch.Metric(
        namespace="AWS/DocDB",
        metric_name=name,
        dimensions_map={"DBInstanceIdentifier": instance_identifier},
        statistic=statistic,
        period=ALARM_PERIOD,
    )
