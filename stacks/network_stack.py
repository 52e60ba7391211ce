"""Network stack: the VPC, its endpoints, the Lambda security group and the NAT's alarms."""

from __future__ import annotations

from typing import Any

from aws_cdk import Fn, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk_constructs.interface_endpoints import InterfaceEndpoints
from cdk_constructs.nat_alarms import NatAlarms
from cdk_constructs.private_network import PrivateNetwork
from cdk_constructs.retention import retention_days
from stacks.config import NetworkConfig


class NetworkStack(Stack):
    """The VPC, what the functions need to reach AWS APIs privately, and the NAT's alarms.

    ``nat_instance_type`` replaces the NAT gateway with one NAT instance of that type, booted
    from ``nat_instance_ami`` (required with it). The NAT alarms notify ``alarm_topic`` (the
    alerts stack deploys first); other stacks get the alarms (``nat_alarms``), never a NAT
    instance id: the instance is replaced with its image, and an exported id could then never
    change (aws/aws-cdk#7602).
    """

    @property
    def availability_zones(self) -> list[str]:
        # With a concrete account/region CDK would look the zones up in the account at
        # synth time (credentials, network); the first two zones resolved by
        # CloudFormation (Fn::GetAZs) need neither and do not pin zone names.
        return [Fn.select(0, Fn.get_azs()), Fn.select(1, Fn.get_azs())]

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: NetworkConfig,
        alarm_topic: sns.ITopic,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        network = PrivateNetwork(
            self,
            "Network",
            cidr=settings.vpc_cidr,
            flow_log_retention=retention_days(settings.flow_log_retention_days),
            nat_instance_type=settings.nat_instance_type,
            nat_instance_ami=settings.nat_instance_ami,
        )
        endpoints = InterfaceEndpoints(
            self,
            "Endpoints",
            vpc=network.vpc,
            services=settings.interface_endpoints,
            client_security_group=network.lambda_security_group,
        )
        self.vpc: ec2.IVpc = network.vpc
        alarms = NatAlarms(
            self,
            "NatAlarms",
            alarm_topic=alarm_topic,
            nat_gateway_ids=network.nat_gateway_ids,
            nat_instance_ids=network.nat_instance_ids,
        )
        self.nat_alarms: list[cloudwatch.IAlarm] = list(alarms.alarms)
        # For the dashboard's NAT gateway graphs (a gateway is not replaced by routine
        # updates); empty with a NAT instance, which the dashboard shows through its alarm.
        self.nat_gateway_ids: list[str] = network.nat_gateway_ids
        self.lambda_security_group: ec2.ISecurityGroup = network.lambda_security_group
        # For the Migration stack (DMS Serverless reads its secrets through the endpoint).
        self.endpoints_security_group_id: str = endpoints.security_group.security_group_id
        # Exported whether or not the optional Migration stack imports it: an export that left
        # with `migration.enabled = false` would fail this stack's next update while the
        # Migration stack, which `cdk deploy --all` never deletes (aws/aws-cdk-cli#787), still
        # imports it (aws/aws-cdk#7602). docs/data-migration.md, Phase 3.
        self.export_value(self.endpoints_security_group_id)
