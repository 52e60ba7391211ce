"""Alarms on a DMS Serverless replication: not running (failed, stopped, never started) and
change data capture falling behind."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

DMS_NAMESPACE = "AWS/DMS"
PERIOD = Duration.minutes(5)
# Three 5-minute periods in a row: a DMS scale event or a burst of writes does not page.
EVALUATION_PERIODS = 3


class ReplicationAlarms(Construct):
    """``not_running``, ``source_latency`` and ``target_latency`` for one replication config.

    DMS Serverless publishes its metrics with the dimension ``ReplicationConfigId`` =
    ``ACCOUNT:ARN-suffix`` (not the provisioned-DMS ``ReplicationInstanceIdentifier``, which
    CDK's ``DMSMetrics`` helpers use). A failed, stopped or deprovisioned replication publishes
    nothing, so the "not running" alarm treats missing ``CapacityUtilization`` as breaching;
    the latency alarms ignore missing data (the full load publishes no CDC latency).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        replication_config_id: str,
        latency_threshold_seconds: int,
    ) -> None:
        super().__init__(scope, construct_id)
        dimensions = {"ReplicationConfigId": replication_config_id}

        def metric(name: str, statistic: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace=DMS_NAMESPACE,
                metric_name=name,
                dimensions_map=dimensions,
                statistic=statistic,
                period=PERIOD,
            )

        self.not_running = cloudwatch.Alarm(
            self,
            "NotRunning",
            alarm_description="Taskly DMS replication is not running (failed, stopped or not "
            "started): no capacity reported for 15 minutes. See docs/data-migration.md.",
            metric=metric("CapacityUtilization", "SampleCount"),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=EVALUATION_PERIODS,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
        self.source_latency, self.target_latency = (
            cloudwatch.Alarm(
                self,
                f"CdcLatency{side}",
                alarm_description=f"Taskly DMS replication: CDCLatency{side} above "
                f"{latency_threshold_seconds} s for 15 minutes; legacy writes reach DocumentDB "
                "late. See docs/data-migration.md.",
                metric=metric(f"CDCLatency{side}", "Maximum"),
                threshold=latency_threshold_seconds,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=EVALUATION_PERIODS,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            for side in ("Source", "Target")
        )
        self.alarms = (self.not_running, self.source_latency, self.target_latency)
