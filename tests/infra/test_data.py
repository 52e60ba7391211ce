"""Data stack: DocumentDB over TLS, encrypted and protected per stage; DynamoDB tables."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Match, Template

from cdk_constructs.document_db import EXCLUDED_PASSWORD_CHARACTERS, DocumentDbCluster
from tests.synth import SynthesizedStage


def _only(resources: dict[str, Any]) -> dict[str, Any]:
    assert len(resources) == 1, sorted(resources)
    return next(iter(resources.values()))


def test_tls_is_enforced_by_the_cluster_parameter_group(all_stages: list[SynthesizedStage]) -> None:
    for stage in all_stages:
        template = stage.template("Data")
        template.has_resource_properties(
            "AWS::DocDB::DBClusterParameterGroup",
            {"Parameters": Match.object_like({"tls": "enabled", "audit_logs": "enabled"})},
        )
        cluster = _only(template.find_resources("AWS::DocDB::DBCluster"))
        assert cluster["Properties"]["DBClusterParameterGroupName"]["Ref"].startswith(
            "DocumentDbParameters"
        )


def test_cluster_is_encrypted_logged_and_in_isolated_subnets(dev: SynthesizedStage) -> None:
    template = dev.template("Data")
    template.has_resource_properties(
        "AWS::DocDB::DBCluster",
        {
            "StorageEncrypted": True,
            "EnableCloudwatchLogsExports": ["audit", "profiler"],
            "Port": 27017,
        },
    )
    subnet_group = _only(template.find_resources("AWS::DocDB::DBSubnetGroup"))
    for subnet in subnet_group["Properties"]["SubnetIds"]:
        assert "IsolatedSubnet" in subnet["Fn::ImportValue"]


@pytest.mark.parametrize(
    ("name", "retention", "deletion_protection", "policy"),
    [("dev", 7, False, "Delete"), ("staging", 7, True, "Snapshot"), ("prod", 35, True, "Snapshot")],
)
def test_backups_and_protection_follow_the_stage(
    stage: Any, name: str, retention: int, deletion_protection: bool, policy: str
) -> None:
    cluster = _only(stage(name).template("Data").find_resources("AWS::DocDB::DBCluster"))
    assert cluster["Properties"]["BackupRetentionPeriod"] == retention
    assert cluster["Properties"]["DeletionProtection"] is deletion_protection
    assert cluster["DeletionPolicy"] == cluster["UpdateReplacePolicy"] == policy


def test_dev_is_serverless_with_a_serverless_instance(dev: SynthesizedStage) -> None:
    template = dev.template("Data")
    template.has_resource_properties(
        "AWS::DocDB::DBCluster",
        {"ServerlessV2ScalingConfiguration": {"MinCapacity": 0.5, "MaxCapacity": 2}},
    )
    instance = _only(template.find_resources("AWS::DocDB::DBInstance"))
    assert instance["Properties"]["DBInstanceClass"] == "db.serverless"


def test_prod_runs_two_serverless_instances_from_one_dcu(prod: SynthesizedStage) -> None:
    template = prod.template("Data")
    template.has_resource_properties(
        "AWS::DocDB::DBCluster",
        {"ServerlessV2ScalingConfiguration": {"MinCapacity": 1, "MaxCapacity": 16}},
    )
    instances = template.find_resources("AWS::DocDB::DBInstance")
    assert [i["Properties"]["DBInstanceClass"] for i in instances.values()] == ["db.serverless"] * 2


def test_documentdb_admits_27017_only_from_the_lambda_security_group(
    dev: SynthesizedStage,
) -> None:
    ingress = _only(dev.template("Data").find_resources("AWS::EC2::SecurityGroupIngress"))
    properties = ingress["Properties"]
    # The rule follows the cluster's port attribute, which the cluster pins to 27017.
    assert properties["FromPort"] == properties["ToPort"]
    assert properties["FromPort"]["Fn::GetAtt"][1] == "Port"
    assert "LambdaSecurityGroup" in properties["SourceSecurityGroupId"]["Fn::ImportValue"]
    assert "CidrIp" not in properties
    dev.template("Data").has_resource_properties("AWS::DocDB::DBCluster", {"Port": 27017})


def test_credentials_are_generated_without_rejected_characters_and_rotated(
    dev: SynthesizedStage,
) -> None:
    template = dev.template("Data")
    secret = _only(template.find_resources("AWS::SecretsManager::Secret"))
    excluded = secret["Properties"]["GenerateSecretString"]["ExcludeCharacters"]
    assert set('/"@ ') <= set(excluded) == set(EXCLUDED_PASSWORD_CHARACTERS)
    template.has_resource_properties(
        "AWS::SecretsManager::RotationSchedule",
        {"RotationRules": {"ScheduleExpression": "rate(30 days)"}},
    )
    rotation = _only(template.find_resources("AWS::Serverless::Application"))
    parameters = rotation["Properties"]["Parameters"]
    assert parameters["excludeCharacters"] == EXCLUDED_PASSWORD_CHARACTERS
    # The rotation function needs a route to Secrets Manager: private subnets + endpoint SG.
    assert "PrivateSubnet" in str(parameters["vpcSubnetIds"])
    assert "LambdaSecurityGroup" in str(parameters["vpcSecurityGroupIds"])


@pytest.mark.parametrize(("name", "protected"), [("dev", False), ("prod", True)])
def test_tables_are_on_demand_recoverable_and_protected_per_stage(
    stage: Any, name: str, protected: bool
) -> None:
    tables = stage(name).template("Data").find_resources("AWS::DynamoDB::Table")
    assert len(tables) == 2
    for table in tables.values():
        properties = table["Properties"]
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["PointInTimeRecoverySpecification"] == {
            "PointInTimeRecoveryEnabled": True
        }
        assert properties["SSESpecification"] == {"SSEEnabled": True}
        assert properties["TimeToLiveSpecification"]["Enabled"] is True
        assert properties.get("DeletionProtectionEnabled", False) is protected
        assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == (
            ("RetainExceptOnCreate", "Retain") if protected else ("Delete", "Delete")
        )


def test_idempotency_table_has_the_shape_powertools_expects(dev: SynthesizedStage) -> None:
    dev.template("Data").has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "TimeToLiveSpecification": {"AttributeName": "expiration", "Enabled": True},
        },
    )
    dev.template("Data").has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
        },
    )


def test_the_first_rotation_waits_for_every_documentdb_instance(
    all_stages: list[SynthesizedStage],
) -> None:
    """A rotation schedule rotates once on creation: before the instances exist the rotation
    function cannot connect and the first rotation fails."""
    for stage in all_stages:
        resources = stage.json("Data")["Resources"]
        instances = {k for k, v in resources.items() if v["Type"] == "AWS::DocDB::DBInstance"}
        [schedule] = [
            v for v in resources.values() if v["Type"] == "AWS::SecretsManager::RotationSchedule"
        ]
        assert instances
        assert instances <= set(schedule.get("DependsOn", [])), stage.name


def test_a_provisioned_cluster_rotates_after_its_instances_too() -> None:
    stack = Stack(App(), "Provisioned")
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        nat_gateways=1,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="Isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            ec2.SubnetConfiguration(name="Private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC),
        ],
    )
    DocumentDbCluster(
        stack,
        "Db",
        vpc=vpc,
        client_security_group=ec2.SecurityGroup(stack, "Clients", vpc=vpc),
        instance_class="r6g.large",
        instance_count=2,
        serverless_min_capacity=0.5,
        serverless_max_capacity=2,
        backup_retention=Duration.days(1),
        rotation_interval=Duration.days(30),
        protect_data=False,
    )
    template = Template.from_stack(stack)
    instances = set(template.find_resources("AWS::DocDB::DBInstance"))
    [schedule] = template.find_resources("AWS::SecretsManager::RotationSchedule").values()
    assert len(instances) == 2
    assert instances <= set(schedule["DependsOn"])
