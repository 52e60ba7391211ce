"""On-demand DynamoDB table with PITR, TTL and stage-driven protection."""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from cdk_constructs.nag import acknowledge_checkov
from cdk_constructs.retention import removal_policy


class ProtectedTable(Construct):
    """A pay-per-request table that is recoverable (PITR) and, when ``protect_data``, retained.

    Keys are strings; ``sort_key`` is optional so the same construct serves the app-state
    table (pk/sk) and the Powertools idempotency table (id only).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        partition_key: str,
        sort_key: str | None,
        ttl_attribute: str,
        protect_data: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(
                name=partition_key, type=dynamodb.AttributeType.STRING
            ),
            sort_key=dynamodb.Attribute(name=sort_key, type=dynamodb.AttributeType.STRING)
            if sort_key
            else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=ttl_attribute,
            deletion_protection=protect_data,
            removal_policy=removal_policy(keep=protect_data),
        )
        acknowledge_checkov(
            self.table,
            {
                "CKV_AWS_119": "Encrypted with the AWS managed key (aws/dynamodb), key use in "
                "CloudTrail; a customer managed key adds $1/month per table and key-policy "
                "upkeep without a cross-account reader to exclude",
            },
        )
