"""Network stack: subnets, exactly one NAT (gateway, or a hardened instance where the stage
config asks for one), endpoints reachable only from the functions."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match

from stacks.config import stage_config
from tests.synth import SynthesizedStage


def test_two_azs_with_public_private_and_isolated_subnets(
    all_stages: list[SynthesizedStage],
) -> None:
    for stage in all_stages:
        template = stage.template("Network")
        template.resource_count_is("AWS::EC2::Subnet", 6)
        for subnet_type in ("Public", "Private", "Isolated"):
            template.resource_properties_count_is(
                "AWS::EC2::Subnet",
                {"Tags": Match.array_with([{"Key": "aws-cdk:subnet-type", "Value": subnet_type}])},
                2,
            )


def test_exactly_one_nat_in_every_stage(all_stages: list[SynthesizedStage]) -> None:
    for stage in all_stages:
        instance = stage_config(stage.name, account=None, region=None).network.nat_instance_type
        template = stage.template("Network")
        template.resource_count_is("AWS::EC2::NatGateway", 0 if instance else 1)
        template.resource_count_is("AWS::EC2::Instance", 1 if instance else 0)


def test_dev_nat_instance_is_hardened(dev: SynthesizedStage) -> None:
    template = dev.template("Network")
    [instance] = template.find_resources("AWS::EC2::Instance").values()
    properties = instance["Properties"]
    assert properties["InstanceType"] == "t4g.nano"
    assert properties["SourceDestCheck"] is False
    assert properties["CreditSpecification"] == {"CPUCredits": "standard"}
    [root] = properties["BlockDeviceMappings"]
    assert root["Ebs"]["Encrypted"] is True
    # the pinned image of the stage config, never an SSM "latest" resolved at deploy time
    assert (
        properties["ImageId"]
        == stage_config("dev", account=None, region=None).network.nat_instance_ami
    )
    template.has_resource_properties(
        "AWS::EC2::LaunchTemplate",
        {"LaunchTemplateData": {"MetadataOptions": {"HttpTokens": "required"}}},
    )
    script = properties["UserData"]["Fn::Base64"]
    assert "do dnf install -y iptables-services && break" in script  # aws/aws-cdk#36717
    assert "-j MASQUERADE" in script
    assert "iptables-save > /etc/sysconfig/iptables" in script  # survives a reboot


def test_nat_instance_admits_only_https_from_the_lambda_group(dev: SynthesizedStage) -> None:
    template = dev.template("Network")
    [nat_group] = [
        logical_id
        for logical_id, group in template.find_resources("AWS::EC2::SecurityGroup").items()
        if group["Properties"]["GroupDescription"] == "Security Group for NAT instances"
    ]
    rules = [
        rule["Properties"]
        for rule in template.find_resources("AWS::EC2::SecurityGroupIngress").values()
        if rule["Properties"]["GroupId"] == {"Fn::GetAtt": [nat_group, "GroupId"]}
    ]
    assert len(rules) == 1
    [rule] = rules
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443)
    assert rule["SourceSecurityGroupId"]["Fn::GetAtt"][0].startswith("NetworkLambdaSecurityGroup")
    [group] = [
        g
        for g in template.find_resources("AWS::EC2::SecurityGroup").values()
        if g["Properties"]["GroupDescription"] == "Security Group for NAT instances"
    ]
    assert "SecurityGroupIngress" not in group["Properties"]  # nothing from the internet


def test_gateway_endpoints_for_s3_and_dynamodb(dev: SynthesizedStage) -> None:
    template = dev.template("Network")
    for service in ("s3", "dynamodb"):
        template.has_resource_properties(
            "AWS::EC2::VPCEndpoint",
            {
                "VpcEndpointType": "Gateway",
                "ServiceName": Match.object_like(
                    {"Fn::Join": ["", Match.array_with([f".{service}"])]}
                ),
            },
        )


def test_interface_endpoints_follow_stage_config(
    dev: SynthesizedStage, stage: Any, prod: SynthesizedStage
) -> None:
    def interface_services(synthesized: SynthesizedStage) -> set[str]:
        resources = synthesized.template("Network").find_resources(
            "AWS::EC2::VPCEndpoint", {"Properties": {"VpcEndpointType": "Interface"}}
        )
        return {
            resource["Properties"]["ServiceName"].rsplit(".", 1)[-1]
            for resource in resources.values()
        }

    assert interface_services(dev) == set()
    assert interface_services(stage("staging")) == {"secretsmanager"}
    assert interface_services(prod) == {"secretsmanager", "sqs"}


def test_endpoint_security_group_admits_443_only_from_the_lambda_group(
    prod: SynthesizedStage,
) -> None:
    template = prod.template("Network")
    ingress = template.find_resources("AWS::EC2::SecurityGroupIngress")
    assert len(ingress) == 1
    (rule,) = ingress.values()
    assert rule["Properties"]["FromPort"] == rule["Properties"]["ToPort"] == 443
    lambda_group = rule["Properties"]["SourceSecurityGroupId"]["Fn::GetAtt"][0]
    assert lambda_group.startswith("NetworkLambdaSecurityGroup")
    template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {
            "GroupDescription": Match.string_like_regexp("Interface endpoints"),
            "SecurityGroupEgress": Match.array_with(
                [Match.object_like({"CidrIp": "255.255.255.255/32"})]
            ),
        },
    )


def test_lambda_security_group_allows_only_https_out(dev: SynthesizedStage) -> None:
    dev.template("Network").has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {
            "GroupDescription": Match.string_like_regexp("Taskly Lambda functions"),
            "SecurityGroupEgress": [
                {
                    "CidrIp": "0.0.0.0/0",
                    "Description": Match.any_value(),
                    "FromPort": 443,
                    "IpProtocol": "tcp",
                    "ToPort": 443,
                }
            ],
        },
    )


def test_flow_logs_capture_all_traffic_with_retention(dev: SynthesizedStage) -> None:
    template = dev.template("Network")
    template.has_resource_properties(
        "AWS::EC2::FlowLog", {"TrafficType": "ALL", "ResourceType": "VPC"}
    )
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 14})


def test_availability_zones_are_resolved_by_cloudformation(dev: SynthesizedStage) -> None:
    """No AZ names in the template: no lookup at synth time, nothing pinned to one account."""
    subnets = dev.template("Network").find_resources("AWS::EC2::Subnet")
    for subnet in subnets.values():
        assert "Fn::GetAZs" in str(subnet["Properties"]["AvailabilityZone"])


def test_public_subnets_give_no_instance_a_public_address_by_default(
    all_stages: list[SynthesizedStage],
) -> None:
    """Only a NAT instance needs a public address, and it asks for one itself; nothing else
    launched into a public subnet (now or later) is exposed by the subnet's default."""
    for stage in all_stages:
        template = stage.template("Network")
        for logical_id, subnet in template.find_resources("AWS::EC2::Subnet").items():
            assert subnet["Properties"].get("MapPublicIpOnLaunch") is False, (
                stage.name,
                logical_id,
            )
        for instance in template.find_resources("AWS::EC2::Instance").values():
            [interface] = instance["Properties"]["NetworkInterfaces"]
            assert interface["AssociatePublicIpAddress"] is True
            assert "Public" in str(interface["SubnetId"])


def test_no_instance_boots_a_latest_image_resolved_at_deploy_time(
    all_stages: list[SynthesizedStage],
) -> None:
    """An image from an SSM "latest" parameter changes under any deploy after a release and
    replaces the instance (and its id) with it: images are pinned in the stage config."""
    for stage in all_stages:
        for stack_name, template in stage.templates.items():
            # (CDK's own BootstrapVersion parameter is an SSM string, not an image.)
            image_parameters = {
                name
                for name, parameter in template.get("Parameters", {}).items()
                if parameter["Type"].startswith("AWS::SSM::Parameter::Value")
                and "Image" in parameter["Type"]
            }
            assert not image_parameters, (stack_name, image_parameters)
            for logical_id, resource in template["Resources"].items():
                if resource["Type"] == "AWS::EC2::Instance":
                    image = resource["Properties"]["ImageId"]
                elif resource["Type"] == "AWS::EC2::LaunchTemplate":
                    image = resource["Properties"]["LaunchTemplateData"].get("ImageId")
                else:
                    continue
                assert image is None or (isinstance(image, str) and image.startswith("ami-")), (
                    stack_name,
                    logical_id,
                    image,
                )
