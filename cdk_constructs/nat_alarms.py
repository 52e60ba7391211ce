"""Alarms on the VPC's NAT, created next to it in the network stack.

A NAT instance is replaced whenever its image changes, and with it its id. An alarm in another
stack would need that id as a CloudFormation export, and an export in use can never change:
the network stack would stop updating (aws/aws-cdk#7602). Here the alarm follows the instance
in the same deploy, and other stacks (the dashboard) refer to the alarm, whose ARN stays.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk_constructs._metrics import ec2_instance_metric, nat_gateway_metric
from cdk_constructs.alarm_topic import notify

ALARM_PERIOD = Duration.minutes(5)


class NatAlarms(Construct):
    """One alarm per NAT gateway (port allocation errors) or NAT instance (failed status checks),
    each sending ALARM and OK to ``alarm_topic``. ``gateway_alarms`` and ``instance_alarms``
    list them; ``alarms`` lists both."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alarm_topic: sns.ITopic,
        nat_gateway_ids: Sequence[str] = (),
        nat_instance_ids: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.gateway_alarms = [
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
        ]
        self.instance_alarms = [
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
        self.alarms: list[cloudwatch.Alarm] = [*self.gateway_alarms, *self.instance_alarms]
        notify(alarm_topic, *self.alarms)
