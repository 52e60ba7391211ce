"""AWS DMS Serverless: full load + change data capture from the legacy MongoDB to DocumentDB.

Every DMS resource here is an L1 (aws-cdk has no DMS L2, aws/aws-cdk#6906). Coverage issues
this construct guards against:

- aws/aws-cdk#7632, hashicorp/terraform-provider-aws#11025: the account role ``dms-vpc-role``
  must exist, and have propagated, before a replication subnet group is created. No
  dependency inside one deploy waits for propagation, so the roles come from their own
  earlier deploy (stacks/dms_account_roles_stack.py) and ``make preflight`` checks them.
- aws/aws-cdk#36179: ``SslMode`` reported missing from a synthesized ``AWS::DMS::Endpoint``;
  tests/infra/test_migration.py asserts ``verify-full`` and the certificate on both endpoints.
- hashicorp/terraform-provider-aws#35650 (the API behind ``AWS::DMS::ReplicationConfig``): a
  replication config can be modified only while CREATED, STOPPED or FAILED. A deploy that
  changes it while the replication runs fails; stop the replication first
  (docs/data-migration.md, "Changing the replication").
- aws-cloudformation/cloudformation-coverage-roadmap#1744: CloudFormation creates the config
  but cannot start it (no ``AWS::DMS::Replication``); ``aws dms start-replication`` does.
- No CloudFormation resource creates a DocumentDB user (users exist only through the
  ``createUser`` database command): the target secret's user ``taskly_dms`` is created by a
  runbook step (docs/data-migration.md, Phase 0), never by this construct.
"""

from __future__ import annotations

import base64
import json

from aws_cdk import Aws, RemovalPolicy, Stack
from aws_cdk import aws_dms as dms
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from cdk_constructs.alarm_topic import KEY_ADMINISTRATION_ACTIONS
from cdk_constructs.nag import acknowledge, acknowledge_checkov
from cdk_constructs.private_network import HTTPS_PORT

SOURCE_USERNAME = "taskly_dms"
# DMS's own DocumentDB user: readWrite on the Taskly database only, never rotated.
TARGET_USERNAME = "taskly_dms"
# MongoDB URIs and the DMS secret format carry the password verbatim; keep it URI-safe.
EXCLUDED_PASSWORD_CHARACTERS = " %+~`#$&*()|[]{}:;<>?!'/@\"\\"  # noqa: S105 - a character set
READ_SECRET_ACTIONS = ("secretsmanager:GetSecretValue",)
REPLICATION_SETTINGS = {
    "Logging": {"EnableLogging": True},
    # Keep the collections (and the indexes created on them before the full load); DMS copies
    # documents and _id only, never secondary indexes.
    "FullLoadSettings": {"TargetTablePrepMode": "DO_NOTHING"},
}
# What DMS and Secrets Manager do with the migration key on the caller's behalf.
KEY_USE_ACTIONS = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:CreateGrant",
    "kms:DescribeKey",
)


def regional_ca_bundle(bundle_pem: str, region: str | None) -> str:
    """The certificates of ``bundle_pem`` that belong to ``region`` (all of them if unknown).

    The RDS/DocumentDB global bundle holds a root per region and key type, each named
    "Amazon RDS <region> Root CA ..." in its subject; a DMS certificate needs only the target
    region's, which keeps the template small. The name is matched in the DER bytes, so synth
    needs no X.509 library.
    """
    marker = "-----BEGIN CERTIFICATE-----"
    blocks = [marker + part for part in bundle_pem.split(marker)[1:]]
    if region is None:
        return "".join(blocks)
    name = f"Amazon RDS {region} Root CA".encode()
    chosen = [block for block in blocks if name in _der(block)]
    if not chosen:
        raise ValueError(f"the CA bundle has no certificate for region {region}")
    return "".join(chosen)


def _der(block: str) -> bytes:
    body = block.split("-----END CERTIFICATE-----", maxsplit=1)[0].split(
        "-----BEGIN CERTIFICATE-----"
    )[1]
    return base64.b64decode("".join(body.split()))


class MongoToDocumentDbReplication(Construct):
    """A DMS Serverless replication (full load, then CDC) into the Taskly DocumentDB cluster.

    Source credentials live in Secrets Manager (``source_secret``, or a new secret with a
    generated password for a read-only DMS user). The target's are DMS's own DocumentDB user
    (:attr:`target_secret`, ``readWrite`` on ``target_database`` only), never the cluster's
    admin secret: that one is rotated every few weeks, and a rotation in the middle of a
    replication would pull the password from under DMS; this one has no rotation schedule and
    lives only as long as the stack. DMS reads both endpoint secrets through
    :attr:`secrets_role`. Both endpoints use TLS with ``verify-full`` against the CA given.
    The replication's security group opens only DocumentDB's port, HTTPS to the Secrets
    Manager endpoint and the source's port to ``source_cidr``; the matching ingress rules are
    created here, on the imported groups, so the stacks that own those groups never refer back
    to this one (no cross-stack cycle, and deleting this stack removes them).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        identifier: str,
        target_host: str,
        target_security_group_id: str,
        target_port: int,
        target_database: str,
        target_ca_pem: str,
        secrets_endpoint_security_group_id: str,
        source_host: str,
        source_port: int,
        source_cidr: str,
        source_database: str,
        source_auth_source: str,
        source_ca_pem: str,
        source_secret_arn: str | None,
        source_secret_kms_key_arn: str | None,
        min_capacity_units: int,
        max_capacity_units: int,
        multi_az: bool,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="Encrypts the Taskly DMS replication, its endpoints and source secret",
            enable_key_rotation=True,
            removal_policy=removal_policy,
            policy=self._key_policy(),
        )

        self.source_secret = self._source_secret(
            host=source_host, port=source_port, secret_arn=source_secret_arn
        )
        self.target_secret = self._target_secret(host=target_host, port=target_port)
        self.secrets_role = self._secrets_role(source_secret_kms_key_arn)
        self.security_group = self._security_group(
            vpc=vpc,
            target_security_group_id=target_security_group_id,
            target_port=target_port,
            secrets_endpoint_security_group_id=secrets_endpoint_security_group_id,
            source_cidr=source_cidr,
            source_port=source_port,
        )
        self.source_endpoint, self.target_endpoint = self._endpoints(
            source_database=source_database,
            source_auth_source=source_auth_source,
            source_ca_pem=source_ca_pem,
            target_database=target_database,
            target_ca_pem=target_ca_pem,
        )
        self.replication = self._replication(
            vpc=vpc,
            identifier=identifier,
            source_database=source_database,
            target_database=target_database,
            min_capacity_units=min_capacity_units,
            max_capacity_units=max_capacity_units,
            multi_az=multi_az,
        )
        # Created here so it has a retention; DMS would create it without one.
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"dms-serverless-replication-{identifier}",
            retention=log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self._acknowledge(source_secret_created=source_secret_arn is None)

    def _secrets_role(self, source_secret_kms_key_arn: str | None) -> iam.Role:
        """The role DMS assumes to read both endpoint secrets (and decrypt them, only through
        Secrets Manager)."""
        role = iam.Role(
            self,
            "SecretsAccessRole",
            # Secrets Manager access roles for DMS endpoints are assumed by the regional DMS
            # principal (DMS user guide, "Using secrets to access AWS DMS endpoints").
            assumed_by=iam.CompositePrincipal(
                iam.ServicePrincipal(f"dms.{Aws.REGION}.amazonaws.com"),
                iam.ServicePrincipal("dms.amazonaws.com"),
            ),
            description="AWS DMS: read the Taskly migration endpoint secrets",
        )
        iam.Grant.add_to_principal(
            grantee=role,
            actions=list(READ_SECRET_ACTIONS),
            resource_arns=[self.source_secret.secret_arn, self.target_secret.secret_arn],
        )
        decrypt_keys = [self.key.key_arn]
        if source_secret_kms_key_arn is not None:
            decrypt_keys.append(source_secret_kms_key_arn)
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=decrypt_keys,
                conditions={
                    "StringEquals": {"kms:ViaService": f"secretsmanager.{Aws.REGION}.amazonaws.com"}
                },
            )
        )
        return role

    def _endpoints(
        self,
        *,
        source_database: str,
        source_auth_source: str,
        source_ca_pem: str,
        target_database: str,
        target_ca_pem: str,
    ) -> tuple[dms.CfnEndpoint, dms.CfnEndpoint]:
        """Source (legacy MongoDB) and target (DocumentDB) endpoints: TLS ``verify-full``
        against their CA, credentials read from the endpoint secrets."""
        source_certificate = dms.CfnCertificate(self, "SourceCa", certificate_pem=source_ca_pem)
        target_certificate = dms.CfnCertificate(self, "TargetCa", certificate_pem=target_ca_pem)
        source = dms.CfnEndpoint(
            self,
            "SourceEndpoint",
            endpoint_type="source",
            engine_name="mongodb",
            ssl_mode="verify-full",
            certificate_arn=source_certificate.ref,
            kms_key_id=self.key.key_arn,
            database_name=source_database,
            mongo_db_settings=dms.CfnEndpoint.MongoDbSettingsProperty(
                auth_type="password",
                auth_mechanism="scram_sha_1",
                auth_source=source_auth_source,
                database_name=source_database,
                # Document mode: each document is copied whole, _id included.
                nesting_level="none",
                extract_doc_id="false",
                secrets_manager_access_role_arn=self.secrets_role.role_arn,
                secrets_manager_secret_id=self.source_secret.secret_arn,
            ),
        )
        target = dms.CfnEndpoint(
            self,
            "TargetEndpoint",
            endpoint_type="target",
            engine_name="docdb",
            ssl_mode="verify-full",
            certificate_arn=target_certificate.ref,
            kms_key_id=self.key.key_arn,
            database_name=target_database,
            doc_db_settings=dms.CfnEndpoint.DocDbSettingsProperty(
                secrets_manager_access_role_arn=self.secrets_role.role_arn,
                secrets_manager_secret_id=self.target_secret.secret_arn,
            ),
        )
        return source, target

    def _replication(
        self,
        *,
        vpc: ec2.IVpc,
        identifier: str,
        source_database: str,
        target_database: str,
        min_capacity_units: int,
        max_capacity_units: int,
        multi_az: bool,
    ) -> dms.CfnReplicationConfig:
        """The serverless replication (full load, then CDC) in the private subnets."""
        subnet_group = dms.CfnReplicationSubnetGroup(
            self,
            "SubnetGroup",
            replication_subnet_group_description="Taskly DMS Serverless: private subnets",
            subnet_ids=vpc.select_subnets(
                subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS
            ).subnet_ids,
        )
        return dms.CfnReplicationConfig(
            self,
            "Replication",
            replication_config_identifier=identifier,
            # The ARN ends with this, so the log group's name is known.
            resource_identifier=identifier,
            replication_type="full-load-and-cdc",
            source_endpoint_arn=self.source_endpoint.ref,
            target_endpoint_arn=self.target_endpoint.ref,
            table_mappings=_table_mappings(source_database, target_database),
            replication_settings=REPLICATION_SETTINGS,
            compute_config=dms.CfnReplicationConfig.ComputeConfigProperty(
                min_capacity_units=min_capacity_units,
                max_capacity_units=max_capacity_units,
                multi_az=multi_az,
                kms_key_id=self.key.key_arn,
                replication_subnet_group_id=subnet_group.ref,
                vpc_security_group_ids=[self.security_group.security_group_id],
                preferred_maintenance_window="sun:04:30-sun:05:30",
            ),
        )

    def _acknowledge(self, *, source_secret_created: bool) -> None:
        """Every finding this construct acknowledges, with its reason."""
        if source_secret_created:
            acknowledge(
                self.source_secret,
                {
                    "AwsSolutions-SMG4": "The password belongs to a user on the legacy MongoDB, "
                    "which no rotation function here can reach or change; the secret exists "
                    "only for the weeks of the migration and is deleted with this stack",
                },
            )
        acknowledge(
            self.target_secret,
            {
                "AwsSolutions-SMG4": "Not rotated on purpose: DMS reads it when a replication "
                "(re)connects, and a rotation during a weeks-long replication could break it. "
                "The user has readWrite on the Taskly database only and is dropped with the "
                "Migration stack (docs/data-migration.md, Phase 3)",
            },
        )
        acknowledge_checkov(
            self.log_group,
            {
                "CKV_AWS_158": "Replication logs hold progress and error messages, no documents; "
                "CloudWatch Logs encrypts them at rest with service keys",
            },
        )

    def _key_policy(self) -> iam.PolicyDocument:
        account = iam.AccountRootPrincipal()
        return iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    sid="AllowAccountToAdministerTheKey",
                    principals=[account],
                    actions=list(KEY_ADMINISTRATION_ACTIONS),
                    resources=["*"],  # in a key policy "*" means this key
                ),
                iam.PolicyStatement(
                    sid="AllowUseThroughDmsAndSecretsManagerOnly",
                    principals=[account],
                    actions=list(KEY_USE_ACTIONS),
                    resources=["*"],  # in a key policy "*" means this key
                    conditions={
                        "StringEquals": {
                            "kms:CallerAccount": Aws.ACCOUNT_ID,
                            "kms:ViaService": [
                                f"dms.{Aws.REGION}.amazonaws.com",
                                f"secretsmanager.{Aws.REGION}.amazonaws.com",
                            ],
                        }
                    },
                ),
            ]
        )

    def _source_secret(
        self, *, host: str, port: int, secret_arn: str | None
    ) -> secretsmanager.ISecret:
        if secret_arn is not None:
            return secretsmanager.Secret.from_secret_complete_arn(self, "SourceSecret", secret_arn)
        # DMS reads username, password, host and port from the secret (it refuses an endpoint
        # that sets both a secret and a server name). The generated password is the one to
        # give the read-only DMS user created on the legacy side (docs/data-migration.md).
        secret = secretsmanager.Secret(
            self,
            "SourceCredentials",
            description="Legacy MongoDB credentials for the Taskly DMS source endpoint",
            encryption_key=self.key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps(
                    {"username": SOURCE_USERNAME, "host": host, "port": port}
                ),
                generate_string_key="password",
                exclude_characters=EXCLUDED_PASSWORD_CHARACTERS,
                password_length=32,
            ),
        )
        return secret

    def _target_secret(self, *, host: str, port: int) -> secretsmanager.Secret:
        # Same format as the source secret (DMS reads username, password, host and port).
        template = Stack.of(self).to_json_string(
            {"username": TARGET_USERNAME, "host": host, "port": port}
        )
        secret = secretsmanager.Secret(
            self,
            "TargetCredentials",
            description="DocumentDB credentials of the Taskly DMS target endpoint's own user",
            encryption_key=self.key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=template,
                generate_string_key="password",
                exclude_characters=EXCLUDED_PASSWORD_CHARACTERS,
                password_length=32,
            ),
        )
        return secret

    def _security_group(
        self,
        *,
        vpc: ec2.IVpc,
        target_security_group_id: str,
        target_port: int,
        secrets_endpoint_security_group_id: str,
        source_cidr: str,
        source_port: int,
    ) -> ec2.SecurityGroup:
        """The replication's group, open only to its three peers (rules on both sides).

        Imported here on purpose: rules added to an imported group are created in this
        stack, so the Data and Network stacks do not depend on the Migration stack.
        """
        replication = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="DMS replication: DocumentDB, Secrets Manager endpoint, legacy MongoDB",
            allow_all_outbound=False,
        )
        documentdb = ec2.SecurityGroup.from_security_group_id(
            self, "DocumentDbSecurityGroup", target_security_group_id, allow_all_outbound=False
        )
        endpoints = ec2.SecurityGroup.from_security_group_id(
            self,
            "EndpointsSecurityGroup",
            secrets_endpoint_security_group_id,
            allow_all_outbound=False,
        )
        documentdb.add_ingress_rule(
            replication, ec2.Port.tcp(target_port), "DocumentDB from the DMS replication"
        )
        replication.add_egress_rule(
            documentdb, ec2.Port.tcp(target_port), "DocumentDB (replication target)"
        )
        endpoints.add_ingress_rule(
            replication, ec2.Port.tcp(HTTPS_PORT), "Secrets Manager from the DMS replication"
        )
        replication.add_egress_rule(
            endpoints, ec2.Port.tcp(HTTPS_PORT), "Secrets Manager endpoint (endpoint secrets)"
        )
        replication.add_egress_rule(
            ec2.Peer.ipv4(source_cidr),
            ec2.Port.tcp(source_port),
            "Legacy MongoDB (replication source)",
        )
        return replication


def _table_mappings(source_database: str, target_database: str) -> dict[str, object]:
    rules: list[dict[str, object]] = [
        {
            "rule-type": "selection",
            "rule-id": "1",
            "rule-name": "taskly-collections",
            "object-locator": {"schema-name": source_database, "table-name": "%"},
            "rule-action": "include",
        }
    ]
    if source_database != target_database:
        rules.append(
            {
                "rule-type": "transformation",
                "rule-id": "2",
                "rule-name": "into-the-taskly-database",
                "rule-target": "schema",
                "object-locator": {"schema-name": source_database},
                "rule-action": "rename",
                "value": target_database,
            }
        )
    return {"rules": rules}
