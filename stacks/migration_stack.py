"""Migration stack (optional, per stage): AWS DMS Serverless from the legacy MongoDB into the
Data stack's DocumentDB cluster, with its alarms. See docs/data-migration.md."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_constructs.dms_replication import MongoToDocumentDbReplication
from cdk_constructs.replication_alarms import ReplicationAlarms
from cdk_constructs.retention import removal_policy
from stacks.config import MigrationConfig


class MigrationStack(Stack):
    """Exposes ``replication`` (endpoints, security group, key) and ``alarms`` (to notify)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: MigrationConfig,
        vpc: ec2.IVpc,
        docdb_host: str,
        docdb_security_group_id: str,
        docdb_port: int,
        docdb_database: str,
        docdb_ca_pem: str,
        secrets_endpoint_security_group_id: str,
        source_ca_pem: str,
        log_retention: logs.RetentionDays,
        protect_data: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        if settings.source_host is None or settings.source_cidr is None:
            raise ValueError("the migration stack needs migration.source_host and source_cidr")
        self.replication = MongoToDocumentDbReplication(
            self,
            "Replication",
            vpc=vpc,
            identifier=f"{construct_id.lower()}-legacy-to-docdb",
            target_host=docdb_host,
            target_security_group_id=docdb_security_group_id,
            target_port=docdb_port,
            target_database=docdb_database,
            target_ca_pem=docdb_ca_pem,
            secrets_endpoint_security_group_id=secrets_endpoint_security_group_id,
            source_host=settings.source_host,
            source_port=settings.source_port,
            source_cidr=settings.source_cidr,
            source_database=settings.source_database,
            source_auth_source=settings.source_auth_source,
            source_ca_pem=source_ca_pem,
            source_secret_arn=settings.source_secret_arn,
            source_secret_kms_key_arn=settings.source_secret_kms_key_arn,
            min_capacity_units=settings.min_capacity_units,
            max_capacity_units=settings.max_capacity_units,
            multi_az=settings.multi_az,
            log_retention=log_retention,
            removal_policy=removal_policy(keep=protect_data),
        )
        self.alarms = ReplicationAlarms(
            self,
            "Alarms",
            latency_threshold_seconds=settings.cdc_latency_alarm_seconds,
        )
