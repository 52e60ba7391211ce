"""The account's two fixed-name DMS roles, deployed on their own before a Migration stack."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from cdk_constructs.dms_account_roles import DmsAccountRoles

STACK_NAME = "Taskly-DmsAccountRoles"


class DmsAccountRolesStack(Stack):
    """``dms-vpc-role`` and ``dms-cloudwatch-logs-role``, once per account.

    Never part of a stage's `cdk deploy --all`: DMS refuses a replication subnet group until
    ``dms-vpc-role`` has propagated, which a dependency inside one deploy does not wait for
    (aws/aws-cdk#7632, hashicorp/terraform-provider-aws#11025: "depends_on is not adequate").
    Built only with ``-c dms_account_roles=true`` (``make deploy-dms-roles``), an earlier and
    separate deploy; ``make preflight`` refuses a stage with the Migration stack until the
    roles exist.
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.roles = DmsAccountRoles(self, "AccountRoles")
