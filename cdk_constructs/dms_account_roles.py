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
    hashicorp/terraform-provider-aws#11025), also for a while after the role was created
    (IAM propagation): so this construct lives in its own stack, deployed before and apart from
    any stage (stacks/dms_account_roles_stack.py). Build it only where the account does not
    have the roles yet; a second copy fails with "already exists" (preflight says so).
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        roles = {
            "VpcRole": (
                DMS_VPC_ROLE_NAME,
                "network interfaces for replication subnet groups",
                "AmazonDMSVPCManagementRole",
            ),
            "CloudWatchLogsRole": (
                DMS_LOGS_ROLE_NAME,
                "replication logs to CloudWatch Logs",
                "AmazonDMSCloudWatchLogsRole",
            ),
        }
        created: dict[str, iam.Role] = {}
        for role_id, (name, purpose, policy) in roles.items():
            role = iam.Role(
                self,
                role_id,
                role_name=name,
                assumed_by=iam.ServicePrincipal("dms.amazonaws.com"),
                description=f"AWS DMS: {purpose}",
                managed_policies=[
                    iam.ManagedPolicy.from_aws_managed_policy_name(f"service-role/{policy}")
                ],
            )
            acknowledge(
                role,
                {
                    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                    f"service-role/{policy}]": "DMS requires exactly this AWS managed "
                    "service-role policy on its fixed-name account role; only DMS can assume "
                    "the role and AWS keeps the policy in step with what the service calls",
                },
            )
            created[role_id] = role
        self.vpc_role = created["VpcRole"]
        self.logs_role = created["CloudWatchLogsRole"]
