"""Preflight's "dms account roles" check against the emulated account (moto over HTTP).

The check reads IAM (GetRole) and CloudFormation (ListStackResources) exactly as it would in
a real account; moto answers both. What it does not prove: IAM propagation itself (no
emulator models it), which is why the roles come from their own, earlier deploy.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.preflight.conftest import Run
from tests.preflight.moto_account import MotoAccount
from tools.ops.preflight import checks

Preflight = Callable[..., Run]
STAGE = "staging"
MIGRATION = (
    "-c",
    "taskly:migration.enabled=true",
    "-c",
    "taskly:migration.source_host=legacy-mongodb.taskly.example.com",
    "-c",
    "taskly:migration.source_cidr=10.99.0.0/24",
    "-c",
    "taskly:migration.source_ca_file=tests/fixtures/legacy-mongodb-ca.pem",
)
ROLES_OFF = ("-c", "taskly:migration.create_account_roles=false")
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "dms.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
ROLES = (checks.DMS_VPC_ROLE_NAME, checks.DMS_LOGS_ROLE_NAME)


def _roles_by_hand(account: MotoAccount, *names: str) -> None:
    """What the DMS console leaves in an account that used DMS before."""
    iam = account.client("iam")
    for name in names:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)


def _roles_stack(account: MotoAccount) -> None:
    """What `make deploy-dms-roles` leaves: the roles, owned by Taskly-DmsAccountRoles."""
    resources = {
        f"Role{index}": {
            "Type": "AWS::IAM::Role",
            "Properties": {"RoleName": name, "AssumeRolePolicyDocument": json.loads(TRUST)},
        }
        for index, name in enumerate(ROLES)
    }
    account.client("cloudformation").create_stack(
        StackName=checks.DMS_ROLES_STACK, TemplateBody=json.dumps({"Resources": resources})
    )


def test_without_the_migration_stack_the_roles_are_not_looked_at(
    account: MotoAccount, preflight: Preflight
) -> None:
    result = preflight(stage=STAGE)
    assert result.line("dms account roles").startswith("- dms account roles")


def test_absent_roles_that_the_stage_creates_need_the_earlier_deploy(
    account: MotoAccount, preflight: Preflight
) -> None:
    result = preflight(*MIGRATION, stage=STAGE)
    assert result.line("dms account roles").startswith(
        "✗ dms account roles   dms-vpc-role, dms-cloudwatch-logs-role not created yet"
    )
    assert result.fix("dms account roles").startswith("make deploy-dms-roles STAGE=staging")
    assert result.code == 1


def test_absent_roles_with_create_account_roles_off_fail(
    account: MotoAccount, preflight: Preflight
) -> None:
    _roles_by_hand(account, checks.DMS_VPC_ROLE_NAME)
    result = preflight(*MIGRATION, *ROLES_OFF, stage=STAGE)
    assert result.line("dms account roles") == (
        "✗ dms account roles   dms-cloudwatch-logs-role missing and "
        "migration.create_account_roles is false"
    )
    assert result.fix("dms account roles") == (
        "set migration.create_account_roles = true in config/staging.toml and run "
        "make deploy-dms-roles STAGE=staging"
    )


def test_roles_the_account_already_has_cannot_be_created_again(
    account: MotoAccount, preflight: Preflight
) -> None:
    _roles_by_hand(account, *ROLES)
    result = preflight(*MIGRATION, stage=STAGE)
    assert result.line("dms account roles").startswith(
        "✗ dms account roles   dms-vpc-role, dms-cloudwatch-logs-role already exist(s) outside "
        "Taskly-DmsAccountRoles"
    )
    assert result.fix("dms account roles") == (
        "set migration.create_account_roles = false in config/staging.toml "
        "(the stage uses the account's roles)"
    )


@pytest.mark.parametrize("create_account_roles", [True, False])
def test_roles_from_the_roles_stack_pass(
    account: MotoAccount, preflight: Preflight, create_account_roles: bool
) -> None:
    _roles_stack(account)
    flag = () if create_account_roles else ROLES_OFF
    result = preflight(*MIGRATION, *flag, stage=STAGE)
    assert result.line("dms account roles") == (
        "✓ dms account roles   dms-vpc-role, dms-cloudwatch-logs-role exist "
        "(Taskly-DmsAccountRoles)"
    )


def test_the_account_own_roles_pass_when_the_stage_does_not_create_them(
    account: MotoAccount, preflight: Preflight
) -> None:
    _roles_by_hand(account, *ROLES)
    result = preflight(*MIGRATION, *ROLES_OFF, stage=STAGE)
    assert result.line("dms account roles").startswith("✓ dms account roles")
