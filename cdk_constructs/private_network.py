"""VPC with public, private-with-egress and isolated subnets, one NAT gateway and flow logs."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_constructs.nag import acknowledge, acknowledge_checkov

HTTPS_PORT = 443


class PrivateNetwork(Construct):
    """Two-AZ VPC for the Lambda functions and DocumentDB (``vpc``, ``nat_gateway_ids``,
    ``lambda_security_group``, ``flow_log_group``).

    One NAT gateway (not one per AZ): it is the single largest fixed cost of the stack
    (~$32/month plus data); an AZ outage only cuts the functions' internet egress, while
    S3/DynamoDB traffic stays on gateway endpoints and Secrets Manager on an interface one.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cidr: str,
        flow_log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)

        # CDK's default provider, held so the gateway ids can be handed to the alarms.
        nat_provider = ec2.NatProvider.gateway()
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            max_azs=2,
            nat_gateways=1,
            nat_gateway_provider=nat_provider,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="Public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24
                ),
                ec2.SubnetConfiguration(
                    name="Private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=22
                ),
                ec2.SubnetConfiguration(
                    name="Isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
                ),
            ],
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3),
                "DynamoDb": ec2.GatewayVpcEndpointOptions(
                    service=ec2.GatewayVpcEndpointAwsService.DYNAMODB
                ),
            },
        )

        self.nat_gateway_ids: list[str] = [
            gateway.gateway_id for gateway in nat_provider.configured_gateways
        ]

        self.flow_log_group = logs.LogGroup(
            self,
            "FlowLogs",
            retention=flow_log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge_checkov(
            self.flow_log_group,
            {
                "CKV_AWS_158": "Flow-log records hold addresses and ports, no payloads; "
                "CloudWatch Logs encrypts them at rest with service keys",
            },
        )
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(self.flow_log_group),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )

        # Functions need HTTPS to AWS APIs (endpoints or NAT); the DocumentDB egress rule is
        # added by the data stack, scoped to the cluster's security group.
        self.lambda_security_group = ec2.SecurityGroup(
            self,
            "LambdaSecurityGroup",
            vpc=self.vpc,
            description="Taskly Lambda functions: HTTPS out, DocumentDB in the VPC",
            allow_all_outbound=False,
        )
        self.lambda_security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(HTTPS_PORT), "HTTPS to AWS APIs and SES"
        )

        for subnet in self.vpc.public_subnets:
            acknowledge(
                subnet,
                {
                    "AwsSolutions-EC23": "Public subnets hold only the NAT gateway; no instance "
                    "or listener accepts inbound traffic there",
                },
            )
