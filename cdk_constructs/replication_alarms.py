"""Alarms on a DMS Serverless replication: failed or stopped (not running) and change data
capture falling behind."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

DMS_NAMESPACE = "AWS/DMS"
PERIOD = Duration.minutes(5)
# Three 5-minute periods in a row: a DMS scale event or a burst of writes does not page.
EVALUATION_PERIODS = 3
# Documented for DMS Serverless replications (DMS User Guide, "AWS DMS Serverless components",
# "AWS DMS serverless replication metrics":
# https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Serverless.Components.html).
CAPACITY_METRIC = "CapacityUtilization"
LATENCY_METRICS = ("CDCLatencySource", "CDCLatencyTarget")


def insights_query(function: str, metric: str) -> cloudwatch.MathExpression:
    """A CloudWatch Metrics Insights query over every series of ``metric`` in AWS/DMS."""
    return cloudwatch.MathExpression(
        # Metrics Insights, not SQL: both names are this module's constants.
        expression=f'SELECT {function}({metric}) FROM "{DMS_NAMESPACE}"',  # noqa: S608
        using_metrics={},
        label=f"{function}({metric})",
        period=PERIOD,
    )


class ReplicationAlarms(Construct):
    """``not_running``, ``source_latency`` and ``target_latency`` for the stage's replication.

    AWS documents the DMS Serverless metric names but no dimension for them (the metrics are
    "grouped by each serverless replication"); an alarm on a guessed dimension that DMS does
    not publish would wait forever for a metric that never arrives. So each alarm is a
    Metrics Insights query on the documented metric alone, over the account and region: the
    stage's replication is the only DMS Serverless replication there while it runs (one
    Migration stack per stage, stages in separate accounts or regions; docs/data-migration.md
    §10). Another replication in the same account and region can only make the latency alarms
    louder, and ``CapacityUtilization`` is published by serverless replications only.

    A failed, stopped or deprovisioned replication publishes no ``CapacityUtilization``: the
    "not running" alarm treats missing data as breaching. The latency alarms ignore missing
    data (the full load publishes no CDC latency).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        latency_threshold_seconds: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.not_running = cloudwatch.Alarm(
            self,
            "NotRunning",
            alarm_description="Taskly DMS replication is not running (failed, stopped or not "
            "started): no capacity reported for 15 minutes. See docs/data-migration.md.",
            metric=insights_query("COUNT", CAPACITY_METRIC),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=EVALUATION_PERIODS,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
        self.source_latency, self.target_latency = (
            cloudwatch.Alarm(
                self,
                f"CdcLatency{metric.removeprefix('CDCLatency')}",
                alarm_description=f"Taskly DMS replication: {metric} above "
                f"{latency_threshold_seconds} s for 15 minutes; legacy writes reach DocumentDB "
                "late. See docs/data-migration.md.",
                metric=insights_query("MAX", metric),
                threshold=latency_threshold_seconds,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=EVALUATION_PERIODS,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            for metric in LATENCY_METRICS
        )
        self.alarms = (self.not_running, self.source_latency, self.target_latency)
