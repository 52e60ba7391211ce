"""VPC with public, private-with-egress and isolated subnets, one NAT (gateway or instance)
and flow logs."""

from __future__ import annotations

import jsii
from aws_cdk import Aspects, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_constructs.nag import acknowledge, acknowledge_checkov, acknowledge_lint

HTTPS_PORT = 443
# Amazon Linux 2023 boots from /dev/xvda, an 8 GiB snapshot.
NAT_INSTANCE_ROOT_DEVICE = "/dev/xvda"
NAT_INSTANCE_ROOT_GB = 8
# Our own boot script instead of CDK's default, which on Amazon Linux 2023 can lose a race
# with dnf's cache cleanup and leave the instance without NAT (aws/aws-cdk#36717), and which
# relies on `route` and `service iptables save`. Each step is idempotent, so a retry is safe.
NAT_INSTANCE_USER_DATA = (
    "set -euo pipefail",
    "for _ in $(seq 1 30); do dnf install -y iptables-services && break; sleep 10; done",
    "rpm -q iptables-services",
    "echo 'net.ipv4.ip_forward=1' > /etc/sysctl.d/90-nat-instance.conf",
    "sysctl -p /etc/sysctl.d/90-nat-instance.conf",
    "systemctl enable --now iptables",
    "interface=$(ip route show default | awk '{print $5; exit}')",
    'iptables -t nat -C POSTROUTING -o "$interface" -j MASQUERADE 2>/dev/null'
    ' || iptables -t nat -A POSTROUTING -o "$interface" -j MASQUERADE',
    # iptables-services starts with a FORWARD chain that rejects everything.
    "iptables -F FORWARD",
    "iptables-save > /etc/sysconfig/iptables",
)
NAT_INSTANCE_REASONS = {
    "AwsSolutions-EC28": "Basic 5-minute EC2 metrics cover a NAT instance's status checks and "
    "network bytes on the stage dashboard; detailed monitoring would add ~$2/month to a "
    "stage that uses an instance to save money",
    "AwsSolutions-EC29": "The NAT instance holds no state and CloudFormation must be able to "
    "replace it when the stage moves to a newer pinned Amazon Linux AMI; termination "
    "protection would block exactly that",
}


class PrivateNetwork(Construct):
    """Two-AZ VPC for the Lambda functions and DocumentDB (``vpc``, ``nat_gateway_ids`` or
    ``nat_instance_ids``, ``lambda_security_group``, ``flow_log_group``).

    One NAT gateway (not one per AZ): it is the single largest fixed cost of the stack
    (~$32/month plus data); an AZ outage only cuts the functions' internet egress, while
    S3/DynamoDB traffic stays on gateway endpoints and Secrets Manager on an interface one.
    With ``nat_instance_type`` one NAT instance replaces the gateway (for a stage that can
    trade managed availability for ~$29/month): Amazon Linux 2023 on Graviton, encrypted
    root volume, IMDSv2 only, reachable only on 443 from ``lambda_security_group``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cidr: str,
        flow_log_retention: logs.RetentionDays,
        nat_instance_type: str | None = None,
        nat_instance_ami: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)

        # Held so the gateway or instance ids can be handed to the alarms.
        nat_provider = _nat_provider(nat_instance_type, nat_instance_ami)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            max_azs=2,
            nat_gateways=1,
            nat_gateway_provider=nat_provider,
            subnet_configuration=[
                # Nothing launched here gets a public address by default: the NAT gateway has
                # its Elastic IP, and a NAT instance asks for its address itself, so a second
                # public subnet (or anything added later) never exposes an instance by accident.
                ec2.SubnetConfiguration(
                    name="Public",
                    subnet_type=ec2.SubnetType.PUBLIC,
                    cidr_mask=24,
                    map_public_ip_on_launch=False,
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

        nat_ids = [gateway.gateway_id for gateway in nat_provider.configured_gateways]
        instance_nat = isinstance(nat_provider, ec2.NatInstanceProviderV2)
        self.nat_gateway_ids: list[str] = [] if instance_nat else nat_ids
        self.nat_instance_ids: list[str] = nat_ids if instance_nat else []

        self.flow_log_group = self._flow_logs(flow_log_retention)
        self.lambda_security_group = self._lambda_security_group(nat_provider)
        self._acknowledge(nat_provider)

    def _flow_logs(self, retention: logs.RetentionDays) -> logs.LogGroup:
        """Every accepted and rejected flow of the VPC, in a log group of its own."""
        log_group = logs.LogGroup(
            self, "FlowLogs", retention=retention, removal_policy=RemovalPolicy.DESTROY
        )
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(log_group),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
        return log_group

    def _lambda_security_group(self, nat_provider: ec2.NatProvider) -> ec2.SecurityGroup:
        """Functions need HTTPS to AWS APIs (endpoints or NAT); the DocumentDB egress rule is
        added by the data stack, scoped to the cluster's security group."""
        group = ec2.SecurityGroup(
            self,
            "LambdaSecurityGroup",
            vpc=self.vpc,
            description="Taskly Lambda functions: HTTPS out, DocumentDB in the VPC",
            allow_all_outbound=False,
        )
        group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(HTTPS_PORT), "HTTPS to AWS APIs and SES"
        )
        if isinstance(nat_provider, ec2.NatInstanceProviderV2):
            # The provider admits nothing by default (OUTBOUND_ONLY): open exactly what the
            # functions send through it.
            nat_provider.security_group.add_ingress_rule(
                group,
                ec2.Port.tcp(HTTPS_PORT),
                "HTTPS from Taskly functions, forwarded to AWS APIs",
            )
            for instance in nat_provider.gateway_instances:
                _harden_nat_instance(instance)
        return group

    def _acknowledge(self, nat_provider: ec2.NatProvider) -> None:
        """Every finding this construct acknowledges, with its reason."""
        acknowledge_checkov(
            self.flow_log_group,
            {
                "CKV_AWS_158": "Flow-log records hold addresses and ports, no payloads; "
                "CloudWatch Logs encrypts them at rest with service keys",
            },
        )
        if isinstance(nat_provider, ec2.NatInstanceProviderV2):
            for instance in nat_provider.gateway_instances:
                resource = instance.instance
                acknowledge(resource, NAT_INSTANCE_REASONS)
                acknowledge_lint(
                    resource,
                    {
                        "W9010": "The AMI is pinned on purpose (StageConfig "
                        "network.nat_instance_ami): an SSM parameter or a mapping resolved at "
                        "deploy time would move the instance to every new image and replace it "
                        "under unrelated deploys",
                    },
                )
                acknowledge_checkov(
                    resource,
                    {
                        "CKV_AWS_88": "A NAT instance forwards the private subnets' traffic to "
                        "the internet and needs a public address for that; its security group "
                        "admits only HTTPS from the functions' group and nothing from the "
                        "internet",
                    },
                )


def _nat_provider(instance_type: str | None, ami: str | None) -> ec2.NatProvider:
    if instance_type is None:
        return ec2.NatProvider.gateway()
    if ami is None:
        raise ValueError("PrivateNetwork: a NAT instance needs nat_instance_ami (an AMI id)")
    return ec2.NatProvider.instance_v2(
        instance_type=ec2.InstanceType(instance_type),
        # A pinned image, not the latest from SSM: the latest changes under every deploy and
        # each change replaces the instance (minutes without egress, a new instance id).
        # Moving to a newer image is a reviewed config change (docs/operations.md).
        machine_image=PinnedLinuxImage(ami),
        # The public subnets do not map public addresses; the NAT needs one to reach out.
        associate_public_ip_address=True,
        default_allowed_traffic=ec2.NatTrafficDirection.OUTBOUND_ONLY,
        # A busy month throttles the instance to its baseline instead of billing surplus
        # credits, so the fixed cost stays fixed.
        credit_specification=ec2.CpuCredits.STANDARD,
        user_data=_nat_user_data(),
    )


@jsii.implements(ec2.IMachineImage)
class PinnedLinuxImage:
    """A Linux AMI by id, the same in every synth: no SSM parameter, no lookup, no region map
    (the id belongs to the stage's region; preflight can check it exists there)."""

    def __init__(self, image_id: str) -> None:
        self.image_id = image_id

    def get_image(self, scope: Construct) -> ec2.MachineImageConfig:
        return ec2.MachineImageConfig(
            image_id=self.image_id,
            os_type=ec2.OperatingSystemType.LINUX,
            user_data=ec2.UserData.for_linux(),
        )


def _nat_user_data() -> ec2.UserData:
    user_data = ec2.UserData.for_linux()
    user_data.add_commands(*NAT_INSTANCE_USER_DATA)
    return user_data


def _harden_nat_instance(instance: ec2.Instance) -> None:
    Aspects.of(instance).add(ec2.InstanceRequireImdsv2Aspect())
    resource = instance.instance
    resource.ebs_optimized = True
    resource.block_device_mappings = [
        ec2.CfnInstance.BlockDeviceMappingProperty(
            device_name=NAT_INSTANCE_ROOT_DEVICE,
            ebs=ec2.CfnInstance.EbsProperty(
                encrypted=True,
                volume_type="gp3",
                volume_size=NAT_INSTANCE_ROOT_GB,
                delete_on_termination=True,
            ),
        )
    ]
