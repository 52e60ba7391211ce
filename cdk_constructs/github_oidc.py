"""An IAM role that only one set of GitHub Actions OIDC subjects can assume.

GitHub signs a short-lived OIDC token for every job that asks for one (``id-token: write``).
Its ``sub`` claim names the repository and what the job runs for: ``repo:OWNER/REPO:pull_request``,
``repo:OWNER/REPO:ref:refs/heads/main`` or ``repo:OWNER/REPO:environment:NAME`` when the job
declares a GitHub environment. The role below trusts exact ``sub`` values only (``StringEquals``,
never ``StringLike`` with wildcards), so a fork, another branch or another repository gets no
credentials, and it may do nothing but assume the roles it is given.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from constructs import Construct

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
# The audience aws-actions/configure-aws-credentials requests by default.
STS_AUDIENCE = "sts.amazonaws.com"


class GitHubActionsRole(Construct):
    """A role for GitHub Actions jobs whose token ``sub`` is one of ``subjects``.

    Attributes:
        role: the IAM role; its ARN is what the workflow passes to
            ``aws-actions/configure-aws-credentials`` as ``role-to-assume``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        provider: iam.IOidcProvider,
        subjects: Sequence[str],
        assumable_role_arns: Sequence[str],
        description: str,
        max_session_duration: Duration,
    ) -> None:
        super().__init__(scope, construct_id)
        if not subjects:
            raise ValueError(f"{construct_id}: a GitHub Actions role needs at least one subject")
        if not assumable_role_arns:
            raise ValueError(f"{construct_id}: a GitHub Actions role needs roles to assume")
        if any("*" in subject or "?" in subject for subject in subjects):
            raise ValueError(f"{construct_id}: subjects are matched exactly; no wildcards")

        principal = iam.WebIdentityPrincipal(
            provider.oidc_provider_arn,
            conditions={
                "StringEquals": {
                    f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                    f"{GITHUB_OIDC_HOST}:sub": list(subjects),
                }
            },
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=principal,
            description=description,
            max_session_duration=max_session_duration,
            inline_policies={
                # The CDK CLI does everything through the bootstrap roles; the GitHub role
                # itself needs no other permission, so a leaked token can do nothing else.
                "AssumeCdkBootstrapRoles": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            sid="AssumeCdkBootstrapRoles",
                            actions=["sts:AssumeRole"],
                            resources=list(assumable_role_arns),
                        )
                    ]
                )
            },
        )
