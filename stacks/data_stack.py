"""Data stack: DocumentDB for tasks, DynamoDB for app state and idempotency records."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from cdk_constructs.document_db import DocumentDbCluster
from cdk_constructs.protected_table import ProtectedTable
from stacks.config import DataConfig


class DataStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        client_security_group: ec2.ISecurityGroup,
        settings: DataConfig,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        documents = DocumentDbCluster(
            self,
            "DocumentDb",
            vpc=vpc,
            client_security_group=client_security_group,
            instance_class=settings.docdb_instance_class,
            instance_count=settings.docdb_instance_count,
            serverless_min_capacity=settings.docdb_serverless_min_capacity,
            serverless_max_capacity=settings.docdb_serverless_max_capacity,
            backup_retention=Duration.days(settings.backup_retention_days),
            rotation_interval=Duration.days(settings.secret_rotation_days),
            protect_data=settings.protect_data,
        )
        # Key names are a contract with lambda_src (repositories and Powertools idempotency).
        app_state = ProtectedTable(
            self,
            "AppState",
            partition_key="pk",
            sort_key="sk",
            ttl_attribute="expires_at",
            protect_data=settings.protect_data,
        )
        idempotency = ProtectedTable(
            self,
            "Idempotency",
            partition_key="id",
            sort_key=None,
            ttl_attribute="expiration",
            protect_data=settings.protect_data,
        )
        self.docdb_cluster_identifier: str = documents.cluster.cluster_identifier
        # For the per-instance connection alarms (the limit metrics exist per instance only).
        self.docdb_instance_identifiers: list[str] = [
            instance.ref for instance in documents.instances
        ]
        self.docdb_secret: secretsmanager.ISecret = documents.secret
        # For the Migration stack, which adds its own ingress rule to this group and gives DMS
        # its own user's secret on this host.
        self.docdb_security_group_id: str = documents.security_group.security_group_id
        self.docdb_endpoint_address: str = documents.cluster.cluster_endpoint.hostname
        self.app_state_table: dynamodb.ITable = app_state.table
        self.idempotency_table: dynamodb.ITable = idempotency.table
        # Exported whether or not a consumer imports them today: the optional Migration stack
        # imports the first two, and the tasks function stops importing the secret while it
        # uses the legacy database (compute.tasks_db_secret_arn). An export that left with
        # such a switch would fail this stack's next update while the still-deployed importer
        # holds it (aws/aws-cdk#7602; `cdk deploy --all` never deletes a stack that left the
        # app, aws/aws-cdk-cli#787). docs/data-migration.md, Phase 3.
        for value in (
            self.docdb_security_group_id,
            self.docdb_endpoint_address,
            self.docdb_secret.secret_arn,
        ):
            self.export_value(value)
