"""The two account-level IAM roles AWS DMS looks up by fixed name."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk_constructs.nag import acknowledge

# DMS finds these by name, one of each per account; it never takes their ARNs as input.
DMS_VPC_ROLE_NAME = "dms-vpc-role"
DMS_LOGS_ROLE_NAME = "dms-cloudwatch-logs-role"


class DmsAccountRoles(Construct):
    """``dms-vpc-role`` (ENIs for the replication subnet group) and ``dms-cloudwatch-logs-role``
    (replication logs, including ``dms-serverless-replication-*`` log groups).

    Without ``dms-vpc-role`` creating a replication subnet group fails with "The IAM Role
    arn:aws:iam::ACCOUNT:role/dms-vpc-role is not configured properly" (aws/aws-cdk#7632,
    hashicorp/terraform-provider-aws#11025): the subnet group must depend on :attr:`vpc_role`.
    Build this construct only where the account does not have the roles yet; a second copy in
    another stack or stage fails with "already exists".
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        principal = iam.ServicePrincipal("dms.amazonaws.com")
        self.vpc_role = iam.Role(
            self,
            "VpcRole",
            role_name=DMS_VPC_ROLE_NAME,
            assumed_by=principal,
            description="AWS DMS: network interfaces for replication subnet groups",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AmazonDMSVPCManagementRole"
                )
            ],
        )
        self.logs_role = iam.Role(
            self,
            "CloudWatchLogsRole",
            role_name=DMS_LOGS_ROLE_NAME,
            assumed_by=principal,
            description="AWS DMS: replication logs to CloudWatch Logs",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AmazonDMSCloudWatchLogsRole"
                )
            ],
        )
        for role, policy in (
            (self.vpc_role, "AmazonDMSVPCManagementRole"),
            (self.logs_role, "AmazonDMSCloudWatchLogsRole"),
        ):
            acknowledge(
                role,
                {
                    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                    f"service-role/{policy}]": "DMS requires exactly this AWS managed "
                    "service-role policy on its fixed-name account role; only DMS can assume "
                    "the role and AWS keeps the policy in step with what the service calls",
                },
            )
