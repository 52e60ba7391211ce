"""The optional Migration stack (DMS Serverless) and its configuration.

The stack is off in every stage by default; ``tests/synth.py`` builds the ``staging-migration``
variant (staging with ``migration.enabled`` and placeholder legacy values), which the gates in
test_gates.py and the snapshots also cover. These tests evaluate the security properties on
the synthesized templates: what a rule admits, what a role may read, what crosses stacks.
"""

from __future__ import annotations

import base64
import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest

from stacks.config import ConfigError, apply_overrides, stage_config
from tests.synth import (
    LEGACY_DB_KEY_ARN,
    LEGACY_DB_OVERRIDES,
    LEGACY_DB_SECRET_ARN,
    MIGRATION_OVERRIDES,
    SynthesizedStage,
)

ROOT = Path(__file__).resolve().parents[2]
DOCDB_PORT = 27017
HTTPS = 443


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


def _one(template: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    found = _resources(template, kind)
    assert len(found) == 1, (kind, sorted(found))
    return next(iter(found.items()))


def _dms_security_group(template: dict[str, Any]) -> str:
    groups = [
        logical_id
        for logical_id, resource in _resources(template, "AWS::EC2::SecurityGroup").items()
        if "DMS" in resource["Properties"]["GroupDescription"]
    ]
    assert len(groups) == 1
    return groups[0]


def test_no_stage_deploys_the_migration_stack_by_default(
    all_stages: list[SynthesizedStage],
) -> None:
    named_stages = all_stages[:3]
    assert [stage.name for stage in named_stages] == ["dev", "staging", "prod"]
    for stage in named_stages:
        assert f"Taskly-{stage.name}-Migration" not in stage.templates


def test_the_enabled_variant_synthesizes_a_migration_stack(migration: SynthesizedStage) -> None:
    assert "Taskly-staging-Migration" in migration.templates
    _one(migration.json("Migration"), "AWS::DMS::ReplicationConfig")


def test_no_credential_is_in_the_template_and_endpoints_read_secrets(
    migration: SynthesizedStage,
) -> None:
    template = migration.json("Migration")
    endpoints = _resources(template, "AWS::DMS::Endpoint")
    assert len(endpoints) == 2
    for endpoint in endpoints.values():
        props = endpoint["Properties"]
        settings = props.get("MongoDbSettings") or props.get("DocDbSettings")
        for field in ("Password", "Username", "ServerName", "Port"):
            assert field not in props and field not in settings, field
        assert settings["SecretsManagerSecretId"]
        assert settings["SecretsManagerAccessRoleArn"]
    # Both secrets (source, and DMS's own DocumentDB user) are generated: their templates hold
    # host and user, never a password.
    secrets = _resources(template, "AWS::SecretsManager::Secret")
    assert len(secrets) == 2
    for secret in secrets.values():
        generated = secret["Properties"]["GenerateSecretString"]
        assert generated["GenerateStringKey"] == "password"
        assert "password" not in json.dumps(generated["SecretStringTemplate"])
        assert "SecretString" not in secret["Properties"]
    text = json.dumps(template).lower()
    assert '"password":' not in text


def test_both_endpoints_verify_the_server_certificate(migration: SynthesizedStage) -> None:
    """Guards aws/aws-cdk#36179 (SslMode missing from a synthesized endpoint)."""
    template = migration.json("Migration")
    certificates = _resources(template, "AWS::DMS::Certificate")
    pem_by_id = {cid: c["Properties"]["CertificatePem"] for cid, c in certificates.items()}
    for endpoint in _resources(template, "AWS::DMS::Endpoint").values():
        props = endpoint["Properties"]
        assert props["SslMode"] == "verify-full"
        assert props["CertificateArn"]["Ref"] in pem_by_id
    source, target = _source_and_target_pems(template, pem_by_id)
    fixture = (ROOT / str(MIGRATION_OVERRIDES["migration.source_ca_file"])).read_text()
    assert source == fixture
    # Only the stage region's RDS roots (eu-west-1 in tests), not the 87-certificate bundle.
    blocks = target.split("-----BEGIN CERTIFICATE-----")[1:]
    assert 1 <= len(blocks) <= 4
    for block in blocks:
        der = base64.b64decode("".join(block.split("-----END CERTIFICATE-----")[0].split()))
        assert b"Amazon RDS eu-west-1 Root CA" in der


def _source_and_target_pems(template: dict[str, Any], pem_by_id: dict[str, str]) -> tuple[str, str]:
    by_type = {
        e["Properties"]["EndpointType"]: pem_by_id[e["Properties"]["CertificateArn"]["Ref"]]
        for e in _resources(template, "AWS::DMS::Endpoint").values()
    }
    return by_type["source"], by_type["target"]


def test_documentdb_admits_the_replication_on_27017_only(migration: SynthesizedStage) -> None:
    """The ingress lives in the Migration stack, on the Data stack's group (imported)."""
    template = migration.json("Migration")
    dms_group = _dms_security_group(template)
    data_exports = {
        output["Export"]["Name"]
        for output in migration.json("Data").get("Outputs", {}).values()
        if "Export" in output
    }
    ingress = list(_resources(template, "AWS::EC2::SecurityGroupIngress").values())
    into_documentdb = [
        rule["Properties"]
        for rule in ingress
        if rule["Properties"]["GroupId"].get("Fn::ImportValue") in data_exports
    ]
    assert into_documentdb == [
        {
            "Description": "DocumentDB from the DMS replication",
            "FromPort": DOCDB_PORT,
            "GroupId": into_documentdb[0]["GroupId"],
            "IpProtocol": "tcp",
            "SourceSecurityGroupId": {"Fn::GetAtt": [dms_group, "GroupId"]},
            "ToPort": DOCDB_PORT,
        }
    ]
    # Nothing else in the stage opens DocumentDB's group to the replication.
    for name, other in migration.templates.items():
        if name != "Taskly-staging-Migration":
            assert dms_group not in json.dumps(other)


def test_the_replication_can_reach_exactly_three_places(migration: SynthesizedStage) -> None:
    template = migration.json("Migration")
    dms_group = _dms_security_group(template)
    group = template["Resources"][dms_group]["Properties"]
    inline = group.get("SecurityGroupEgress", [])
    # allow_all_outbound=False renders a disallow-all placeholder: it must admit nothing.
    for rule in inline:
        if "CidrIp" in rule and rule["CidrIp"] != MIGRATION_OVERRIDES["migration.source_cidr"]:
            assert rule["IpProtocol"] == "icmp" and rule["CidrIp"] == "255.255.255.255/32"
    source = [rule for rule in inline if rule.get("CidrIp") == "10.99.0.0/24"]
    assert [(r["FromPort"], r["ToPort"], r["IpProtocol"]) for r in source] == [
        (DOCDB_PORT, DOCDB_PORT, "tcp")
    ]
    egress = [
        rule["Properties"]
        for rule in _resources(template, "AWS::EC2::SecurityGroupEgress").values()
        if rule["Properties"]["GroupId"] == {"Fn::GetAtt": [dms_group, "GroupId"]}
    ]
    assert sorted((rule["FromPort"], rule["ToPort"]) for rule in egress) == [
        (HTTPS, HTTPS),
        (DOCDB_PORT, DOCDB_PORT),
    ]
    assert all("DestinationSecurityGroupId" in rule for rule in egress)
    for rule in inline:
        network = ipaddress.IPv4Network(rule["CidrIp"])
        assert network.prefixlen > 0, rule


def test_the_secrets_role_reads_exactly_the_two_endpoint_secrets(
    migration: SynthesizedStage,
) -> None:
    template = migration.json("Migration")
    role_id, role = next(
        (logical_id, resource)
        for logical_id, resource in _resources(template, "AWS::IAM::Role").items()
        if "SecretsAccessRole" in logical_id
    )
    trusted = {
        json.dumps(statement["Principal"]["Service"], sort_keys=True)
        for statement in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    }
    assert any("dms." in principal for principal in trusted)
    statements = [
        statement
        for policy in _resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = {json.dumps(s["Action"]) for s in statements}
    assert actions == {'"secretsmanager:GetSecretValue"', '"kms:Decrypt"'}
    reads = next(s for s in statements if s["Action"] == "secretsmanager:GetSecretValue")
    secrets = _resources(template, "AWS::SecretsManager::Secret")
    source_secret = next(s for s in secrets if "SourceCredentials" in s)
    target_secret = next(s for s in secrets if "TargetCredentials" in s)
    target = next(
        e["Properties"]["DocDbSettings"]["SecretsManagerSecretId"]
        for e in _resources(template, "AWS::DMS::Endpoint").values()
        if e["Properties"]["EndpointType"] == "target"
    )
    # The target is DMS's own user, in this stack; not the Data stack's (rotated) admin secret.
    assert target == {"Ref": target_secret}
    assert sorted(map(json.dumps, reads["Resource"])) == sorted(
        map(json.dumps, [{"Ref": source_secret}, target])
    )
    decrypt = next(s for s in statements if s["Action"] == "kms:Decrypt")
    assert "kms:ViaService" in decrypt["Condition"]["StringEquals"]


def test_the_key_is_used_only_through_dms_and_secrets_manager(
    migration: SynthesizedStage,
) -> None:
    template = migration.json("Migration")
    key_id, key = _one(template, "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True
    for statement in key["Properties"]["KeyPolicy"]["Statement"]:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        uses = [a for a in actions if a.startswith(("kms:Decrypt", "kms:Encrypt", "kms:Gen"))]
        if uses:
            # Every statement that lets the account use the key does so only via the services.
            via = statement["Condition"]["StringEquals"]["kms:ViaService"]
            services = via if isinstance(via, list) else [via]
            assert services
            for service in map(json.dumps, services):
                assert '"dms."' in service or "secretsmanager." in service, service
    replication = _one(template, "AWS::DMS::ReplicationConfig")[1]["Properties"]
    assert replication["ComputeConfig"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    for endpoint in _resources(template, "AWS::DMS::Endpoint").values():
        assert endpoint["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}


def test_full_load_then_cdc_in_the_private_subnets(migration: SynthesizedStage) -> None:
    template = migration.json("Migration")
    _, config = _one(template, "AWS::DMS::ReplicationConfig")
    props = config["Properties"]
    assert props["ReplicationType"] == "full-load-and-cdc"
    assert props["ResourceIdentifier"] == props["ReplicationConfigIdentifier"]
    assert props["ReplicationSettings"]["FullLoadSettings"]["TargetTablePrepMode"] == "DO_NOTHING"
    subnet_group_id, subnet_group = _one(template, "AWS::DMS::ReplicationSubnetGroup")
    assert props["ComputeConfig"]["ReplicationSubnetGroupId"] == {"Ref": subnet_group_id}
    assert all(
        "PrivateSubnet" in subnet["Fn::ImportValue"]
        for subnet in subnet_group["Properties"]["SubnetIds"]
    )


def test_alarms_watch_this_replication_and_page_the_alarm_topic(
    migration: SynthesizedStage,
) -> None:
    template = migration.json("Migration")
    _, config = _one(template, "AWS::DMS::ReplicationConfig")
    identifier = config["Properties"]["ResourceIdentifier"]
    alarms = _resources(template, "AWS::CloudWatch::Alarm")
    # One Metrics Insights query per alarm (tests/infra/test_migration_lifecycle.py checks
    # that each reads a documented DMS Serverless metric).
    by_query = {
        alarm["Properties"]["Metrics"][0]["Expression"]: alarm["Properties"]
        for alarm in alarms.values()
    }
    by_metric = {
        expression.split("(")[1].split(")")[0]: props for expression, props in by_query.items()
    }
    assert set(by_query) == {
        'SELECT COUNT(CapacityUtilization) FROM "AWS/DMS"',
        'SELECT MAX(CDCLatencySource) FROM "AWS/DMS"',
        'SELECT MAX(CDCLatencyTarget) FROM "AWS/DMS"',
    }
    topic = {
        output["Export"]["Name"]
        for output in migration.json("Alerts").get("Outputs", {}).values()
        if "Export" in output
    }
    for props in by_metric.values():
        assert [m["Period"] for m in props["Metrics"]] == [300]
        for actions in (props["AlarmActions"], props["OKActions"]):
            assert [action["Fn::ImportValue"] for action in actions] == [*topic][:1]
    assert by_metric["CapacityUtilization"]["TreatMissingData"] == "breaching"
    assert by_metric["CDCLatencySource"]["Threshold"] == 300
    # The replication's log group is created with a retention, named as DMS names it.
    _, log_group = _one(template, "AWS::Logs::LogGroup")
    assert log_group["Properties"]["LogGroupName"] == f"dms-serverless-replication-{identifier}"
    assert log_group["Properties"]["RetentionInDays"] == 14


# --- configuration ---------------------------------------------------------------------------


def test_enabling_needs_the_legacy_values_and_says_which() -> None:
    staging = stage_config("staging", account=None, region=None)
    with pytest.raises(ConfigError, match=r"staging\.migration\.source_host: None is invalid"):
        apply_overrides(staging, {"migration.enabled": True})
    partial = {k: v for k, v in MIGRATION_OVERRIDES.items() if k != "migration.source_ca_file"}
    with pytest.raises(ConfigError, match=r"staging\.migration\.source_ca_file"):
        apply_overrides(staging, partial)


def test_overrides_that_are_valid_only_together_apply_together() -> None:
    staging = stage_config("staging", account=None, region=None)
    config = apply_overrides(staging, MIGRATION_OVERRIDES)
    assert config.migration.enabled and config.migration.source_cidr == "10.99.0.0/24"


def test_a_stage_without_the_secrets_manager_endpoint_cannot_enable_it() -> None:
    dev = stage_config("dev", account=None, region=None)
    with pytest.raises(ConfigError, match=r"dev\.network\.interface_endpoints: .*secretsmanager"):
        apply_overrides(dev, MIGRATION_OVERRIDES)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("migration.source_ca_file", "/etc/ssl/cert.pem", r"repository-relative path"),
        ("migration.source_ca_file", "README.md", r"PEM certificate"),
        ("migration.min_capacity_units", 3, r"one of 1, 2, 4"),
        ("migration.source_cidr", "10.0.0.0/33", r"IPv4 CIDR"),
        ("migration.source_secret_arn", "arn:aws:kms:eu-west-1:123456789012:key/x", r"ARN"),
    ],
)
def test_bad_migration_values_name_the_field(key: str, value: object, message: str) -> None:
    staging = stage_config("staging", account=None, region=None)
    with pytest.raises(ConfigError, match=rf"staging\.{key}: .*{message}"):
        apply_overrides(staging, {**MIGRATION_OVERRIDES, key: value})


# --- "the new functions use the legacy database until the end" ------------------------------


def _tasks_role_statements(stage: SynthesizedStage) -> list[dict[str, Any]]:
    template = stage.json("Compute")
    roles = [r for r in _resources(template, "AWS::IAM::Role") if r.startswith("TasksRole")]
    assert len(roles) == 1, roles
    role = roles[0]
    return [
        statement
        for policy in _resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_tasks_function_reads_only_the_configured_legacy_secret(
    migration: SynthesizedStage,
) -> None:
    statements = _tasks_role_statements(migration)
    secret_reads = [
        resource
        for statement in statements
        if statement["Action"] == "secretsmanager:GetSecretValue"
        for resource in (
            statement["Resource"]
            if isinstance(statement["Resource"], list)
            else [statement["Resource"]]
        )
    ]
    assert LEGACY_DB_SECRET_ARN in secret_reads
    # The DocumentDB secret is not readable any more (only the legacy one and origin-verify).
    assert not any("DocumentDb" in json.dumps(resource) for resource in secret_reads)
    decrypt = [s for s in statements if s["Action"] == "kms:Decrypt"]
    assert [s["Resource"] for s in decrypt] == [LEGACY_DB_KEY_ARN]
    assert "kms:ViaService" in decrypt[0]["Condition"]["StringEquals"]
    functions = _resources(migration.json("Compute"), "AWS::Lambda::Function")
    environments = [
        f["Properties"].get("Environment", {}).get("Variables", {}) for f in functions.values()
    ]
    assert {"DOCDB_SECRET_ARN": LEGACY_DB_SECRET_ARN}.items() <= next(
        env for env in environments if "DOCDB_SECRET_ARN" in env
    ).items()


def test_the_default_tasks_function_reads_the_documentdb_secret(
    all_stages: list[SynthesizedStage],
) -> None:
    statements = _tasks_role_statements(all_stages[1])
    reads = json.dumps([s for s in statements if s["Action"] == "secretsmanager:GetSecretValue"])
    assert "DocumentDb" in reads and LEGACY_DB_SECRET_ARN not in reads
    assert not [s for s in statements if s["Action"] == "kms:Decrypt"]


def test_the_function_security_group_reaches_the_legacy_database_port_only(
    migration: SynthesizedStage,
) -> None:
    template = migration.json("Network")
    groups = _resources(template, "AWS::EC2::SecurityGroup")
    lambda_group = next(
        g for g in groups.values() if "Lambda" in g["Properties"]["GroupDescription"]
    )
    legacy = [
        rule
        for rule in lambda_group["Properties"]["SecurityGroupEgress"]
        if rule.get("CidrIp") == LEGACY_DB_OVERRIDES["compute.tasks_db_cidr"]
    ]
    assert [(r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in legacy] == [
        ("tcp", 27018, 27018)
    ]


def test_a_legacy_secret_needs_its_network_path_and_a_complete_arn() -> None:
    staging = stage_config("staging", account=None, region=None)
    with pytest.raises(ConfigError, match=r"staging\.compute\.tasks_db_cidr: None"):
        apply_overrides(staging, {"compute.tasks_db_secret_arn": LEGACY_DB_SECRET_ARN})
    partial = LEGACY_DB_SECRET_ARN.rsplit("-", 1)[0]
    with pytest.raises(ConfigError, match=r"complete secret ARN"):
        apply_overrides(staging, {**LEGACY_DB_OVERRIDES, "compute.tasks_db_secret_arn": partial})


def test_a_public_legacy_database_needs_the_nat_gateway_not_the_nat_instance() -> None:
    """Dev's NAT instance forwards only HTTPS; a public legacy address would be unreachable."""
    dev = stage_config("dev", account=None, region=None)
    public = {**LEGACY_DB_OVERRIDES, "compute.tasks_db_cidr": "203.0.113.10/32"}
    with pytest.raises(ConfigError, match=r"dev\.compute\.tasks_db_cidr: .*NAT instance"):
        apply_overrides(dev, public)
    # A private path (VPN, peering) does not cross the NAT, and the gateway forwards anything.
    assert apply_overrides(dev, LEGACY_DB_OVERRIDES).compute.tasks_db_cidr == "10.99.0.0/24"
    gateway = apply_overrides(dev, {**public, "network.nat_instance_type": None})
    assert gateway.compute.tasks_db_cidr == "203.0.113.10/32"
