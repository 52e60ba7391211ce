"""The shared secret CloudFront sends to the HTTP API so the API can refuse direct callers.

WAF cannot attach to an HTTP API and the execute-api URL is public, so without a check any
client could skip CloudFront (its WAF, its weighting) by calling the API directly. CloudFront
adds ``x-origin-verify: <secret>`` to every request for the HTTP API origin (over TLS only);
the API's functions compare it in constant time and answer 403 when it is missing or wrong.

Create this in the stack that owns the API functions: give them ``ORIGIN_VERIFY_SECRET_ARN``
and ``secretsmanager:GetSecretValue`` on ``secret`` (nothing else), and hand ``secret`` to
``EdgeStack(origin_verify_secret=...)``. The runtime side is ``lambda_src/taskly/api/origin.py``.
"""

from __future__ import annotations

from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from cdk_constructs.nag import acknowledge, acknowledge_checkov
from cdk_constructs.retention import removal_policy

ORIGIN_VERIFY_HEADER = "x-origin-verify"


class OriginVerifySecret(Construct):
    """A random 64-character value in Secrets Manager (alphanumeric: safe in an HTTP header)."""

    header_name: str
    secret: secretsmanager.Secret

    def __init__(self, scope: Construct, construct_id: str, *, protect_data: bool) -> None:
        super().__init__(scope, construct_id)
        self.header_name = ORIGIN_VERIFY_HEADER
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            description="Header value CloudFront sends to the Taskly HTTP API (x-origin-verify)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True, include_space=False
            ),
            removal_policy=removal_policy(keep=protect_data),
        )
        acknowledge_checkov(
            self.secret,
            {
                "CKV_AWS_149": "Encrypted with the aws/secretsmanager key; only this account's "
                "CloudFormation and API functions read it, so a customer managed key would add "
                "cost without narrowing access",
            },
        )
        acknowledge(
            self.secret,
            {
                "AwsSolutions-SMG4": "CloudFront reads the value only when the edge stack is "
                "updated, so an automatic rotation would break every API call; rotation is the "
                "documented two-phase procedure in docs/edge.md (API accepts AWSCURRENT and "
                "AWSPREVIOUS)",
            },
        )
