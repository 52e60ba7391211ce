"""Interface VPC endpoints reachable only from the Lambda security group."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from cdk_constructs.private_network import HTTPS_PORT


class InterfaceEndpoints(Construct):
    """One interface endpoint per service name, in the private subnets, sharing one SG.

    The shared security group admits 443 only from ``client_security_group`` so that
    nothing else in the VPC can use the endpoints' private DNS names.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        services: tuple[str, ...],
        client_security_group: ec2.ISecurityGroup,
    ) -> None:
        super().__init__(scope, construct_id)
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Interface endpoints: HTTPS from the Lambda security group only",
            allow_all_outbound=False,
        )
        self.security_group.add_ingress_rule(
            client_security_group, ec2.Port.tcp(HTTPS_PORT), "HTTPS from Taskly functions"
        )
        self.endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {}
        for service in services:
            self.endpoints[service] = ec2.InterfaceVpcEndpoint(
                self,
                service.title().replace("-", ""),
                vpc=vpc,
                service=ec2.InterfaceVpcEndpointAwsService(service),
                subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
                security_groups=[self.security_group],
                open=False,
                private_dns_enabled=True,
            )
