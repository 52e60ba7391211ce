"""The CDK bootstrap *lookup* role: read-only access for tools that run with deploy credentials.

The GitHub deploy role may only assume the bootstrap roles (docs/cicd.md), so tools that
read the account in CI (the canary watcher, preflight) go through the lookup role, which
carries AWS's ReadOnlyAccess minus kms:Decrypt and exists from bootstrap version 8 on.
"""

from __future__ import annotations

from typing import Any

import boto3


def lookup_role_arn(*, caller_arn: str, account: str, qualifier: str, region: str) -> str:
    partition = caller_arn.split(":", 2)[1]
    return f"arn:{partition}:iam::{account}:role/cdk-{qualifier}-lookup-role-{account}-{region}"


def lookup_session(
    *,
    session: boto3.Session,
    qualifier: str,
    region: str,
    session_name: str,
    sts: Any = None,
) -> boto3.Session:
    """A session with the lookup role's credentials (raises botocore errors as they come).

    ``sts``: the client to assume it with (default: the session's, in ``region``).
    """
    sts = sts or session.client("sts", region_name=region)
    identity = sts.get_caller_identity()
    role_arn = lookup_role_arn(
        caller_arn=identity["Arn"], account=identity["Account"], qualifier=qualifier, region=region
    )
    credentials = sts.assume_role(
        RoleArn=role_arn, RoleSessionName=session_name, DurationSeconds=3600
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )
