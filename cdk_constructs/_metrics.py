"""CloudWatch metrics CDK has no helper for (or a wrong one), shared by the dashboard and alarms."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

# CloudFront publishes its metrics in us-east-1 only, with the dimension Region=Global.
CLOUDFRONT_METRICS_REGION = "us-east-1"


def documentdb_metric(
    cluster_identifier: str, name: str, *, statistic: str, period: Duration
) -> cloudwatch.Metric:
    """A cluster-level DocumentDB metric. It has one datapoint per instance, so Maximum is the
    busiest instance and Minimum the one with the least headroom."""
    return cloudwatch.Metric(
        namespace="AWS/DocDB",
        metric_name=name,
        dimensions_map={"DBClusterIdentifier": cluster_identifier},
        statistic=statistic,
        period=period,
    )


def nat_gateway_metric(gateway_id: str, name: str, *, period: Duration) -> cloudwatch.Metric:
    """A NAT gateway counter (errors, packets, bytes), summed over ``period``."""
    return cloudwatch.Metric(
        namespace="AWS/NATGateway",
        metric_name=name,
        dimensions_map={"NatGatewayId": gateway_id},
        statistic="Sum",
        period=period,
    )


def ec2_instance_metric(
    instance_id: str, name: str, *, statistic: str, period: Duration
) -> cloudwatch.Metric:
    """An EC2 instance metric (a NAT instance's status checks, CPU credits, bytes)."""
    return cloudwatch.Metric(
        namespace="AWS/EC2",
        metric_name=name,
        dimensions_map={"InstanceId": instance_id},
        statistic=statistic,
        period=period,
    )


def cloudfront_metric(
    name: str, *, statistic: str, dimensions: Mapping[str, str], period: Duration
) -> cloudwatch.Metric:
    """A CloudFront metric where CloudFront publishes it: us-east-1, ``Region=Global``.

    CDK's ``Distribution.metric*`` helpers set neither, so outside us-east-1 they graph nothing.
    """
    return cloudwatch.Metric(
        namespace="AWS/CloudFront",
        metric_name=name,
        dimensions_map={**dimensions, "Region": "Global"},
        statistic=statistic,
        period=period,
        region=CLOUDFRONT_METRICS_REGION,
    )
