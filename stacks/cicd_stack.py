"""Taskly-Cicd: the GitHub OIDC provider and the two roles the workflows assume.

Deployed once per AWS account (``make deploy-cicd``), separately from the stage stacks, so a
stage deploy (``cdk deploy --all``) never rewrites the roles that run it.

* The **diff** role is trusted by pull-request jobs of one repository and may only assume the
  CDK bootstrap *lookup* role: read-only, enough for ``cdk diff --method=template``.
* The **deploy** role is trusted by jobs on the deploy branch (``main``) and/or in one GitHub
  environment of that repository, and may only assume the bootstrap *deploy*,
  *file-publishing* and *lookup* roles, which is exactly what ``cdk deploy`` uses.

Neither role gets any other permission: CloudFormation does the deploying with the bootstrap
execution role, and everything else the workflows read goes through the lookup role.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from aws_cdk import CfnOutput, Duration, Fn, Stack, Token
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk_constructs.github_oidc import GITHUB_OIDC_URL, STS_AUDIENCE, GitHubActionsRole

# What `cdk bootstrap` uses unless told otherwise; CDK reads a custom one from this context key.
DEFAULT_BOOTSTRAP_QUALIFIER = "hnb659fds"
BOOTSTRAP_QUALIFIER_CONTEXT = "@aws-cdk/core:bootstrapQualifier"
DEFAULT_DEPLOY_BRANCH = "main"
# The GitHub environment the deploy workflow's production job declares (required reviewers).
DEFAULT_DEPLOY_ENVIRONMENT = "production"

# Context keys app.py passes through (see CicdSettings.from_context).
CONTEXT_KEYS = {
    "github_owner": "github_owner",
    "github_repo": "github_repo",
    "bootstrap_qualifier": BOOTSTRAP_QUALIFIER_CONTEXT,
    "deploy_branch": "github_deploy_branch",
    "deploy_environment": "github_deploy_environment",
    "bootstrap_regions": "cicd_bootstrap_regions",
    "existing_oidc_provider_arn": "github_oidc_provider_arn",
}

# GitHub: letters, digits and single inner hyphens, at most 39 characters.
_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_REPO = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
# The bootstrap template allows [A-Za-z0-9_-]{1,10}, but the qualifier also names the staging
# bucket (cdk-QUALIFIER-assets-...), where capitals and underscores fail at deploy time.
_QUALIFIER = re.compile(r"^[a-z0-9][a-z0-9-]{0,9}$")
_BRANCH = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")
_ENVIRONMENT = re.compile(r"^[A-Za-z0-9._-]+( [A-Za-z0-9._-]+)*$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_PROVIDER_ARN = re.compile(
    r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$"
)

# Bootstrap roles each GitHub role may assume; named as `cdk bootstrap` names them.
DIFF_BOOTSTRAP_ROLES = ("lookup",)
DEPLOY_BOOTSTRAP_ROLES = ("deploy", "file-publishing", "lookup")


class CicdConfigError(ValueError):
    """A CI/CD setting is missing or malformed; the message is one line naming the field."""


def _fail(field: str, value: object, expected: str) -> NoReturn:
    raise CicdConfigError(f"{field}: {value!r} is invalid; expected {expected}")


@dataclass(frozen=True, kw_only=True)
class CicdSettings:
    """Who may assume the CI/CD roles, validated when built.

    Attributes:
        github_owner: the GitHub user or organization, exactly as GitHub spells it (the
            token's ``sub`` claim is compared case-sensitively).
        github_repo: the repository name.
        bootstrap_qualifier: the ``cdk bootstrap --qualifier`` of the target account.
        deploy_branch: jobs on this branch (no GitHub environment) may deploy; ``None`` to
            allow only ``deploy_environment``.
        deploy_environment: jobs that declare this GitHub environment may deploy; ``None``
            to allow only ``deploy_branch``. Restrict the environment to the deploy branch in
            the repository settings: the token then proves both.
        bootstrap_regions: regions besides the Cicd stack's own whose bootstrap roles the
            workflows may assume (e.g. ``us-east-1`` for CloudFront-scoped stacks).
        existing_oidc_provider_arn: reuse the account's GitHub OIDC provider instead of
            creating one (an account can hold only one per URL).
    """

    github_owner: str
    github_repo: str
    bootstrap_qualifier: str = DEFAULT_BOOTSTRAP_QUALIFIER
    deploy_branch: str | None = DEFAULT_DEPLOY_BRANCH
    deploy_environment: str | None = DEFAULT_DEPLOY_ENVIRONMENT
    bootstrap_regions: tuple[str, ...] = ()
    existing_oidc_provider_arn: str | None = None

    def __post_init__(self) -> None:
        _require("github_owner", self.github_owner)
        if not _OWNER.match(self.github_owner):
            _fail(
                "github_owner",
                self.github_owner,
                "a GitHub user or organization name (letters, digits, single inner hyphens, "
                "at most 39 characters)",
            )
        _require("github_repo", self.github_repo)
        repo = self.github_repo
        if not _REPO.match(repo) or repo in {".", ".."} or repo.endswith(".git"):
            _fail(
                "github_repo",
                repo,
                "a repository name without the owner or .git (letters, digits, '.', '_', '-')",
            )
        _require("bootstrap_qualifier", self.bootstrap_qualifier)
        if not _QUALIFIER.match(self.bootstrap_qualifier):
            _fail(
                "bootstrap_qualifier",
                self.bootstrap_qualifier,
                "the cdk bootstrap qualifier: 1-10 lower-case letters, digits or hyphens",
            )
        if self.deploy_branch is not None and (
            not _BRANCH.match(self.deploy_branch) or ".." in self.deploy_branch
        ):
            _fail("deploy_branch", self.deploy_branch, "a branch name like main (no wildcards)")
        if self.deploy_environment is not None and (
            not _ENVIRONMENT.match(self.deploy_environment) or len(self.deploy_environment) > 255
        ):
            _fail(
                "deploy_environment",
                self.deploy_environment,
                "a GitHub environment name like production (letters, digits, '.', '_', '-')",
            )
        if self.deploy_branch is None and self.deploy_environment is None:
            raise CicdConfigError(
                "deploy_branch/deploy_environment: both are empty; set at least one, or the "
                "deploy role could never be assumed"
            )
        if not isinstance(self.bootstrap_regions, tuple):
            _fail("bootstrap_regions", self.bootstrap_regions, "a tuple of region names")
        for region in self.bootstrap_regions:
            if not isinstance(region, str) or not _REGION.match(region):
                _fail("bootstrap_regions", region, "AWS region names like us-east-1")
        arn = self.existing_oidc_provider_arn
        if arn is not None and not (isinstance(arn, str) and _PROVIDER_ARN.match(arn)):
            _fail(
                "existing_oidc_provider_arn",
                arn,
                "arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com",
            )

    @property
    def repository(self) -> str:
        return f"{self.github_owner}/{self.github_repo}"

    @property
    def pull_request_subject(self) -> str:
        """The ``sub`` claim of a job run by the ``pull_request`` event."""
        return f"repo:{self.repository}:pull_request"

    @property
    def deploy_subjects(self) -> tuple[str, ...]:
        """The ``sub`` claims of the jobs that may deploy."""
        subjects = []
        if self.deploy_branch is not None:
            subjects.append(f"repo:{self.repository}:ref:refs/heads/{self.deploy_branch}")
        if self.deploy_environment is not None:
            subjects.append(f"repo:{self.repository}:environment:{self.deploy_environment}")
        return tuple(subjects)

    @classmethod
    def from_context(cls, get_context: Callable[[str], Any]) -> CicdSettings:
        """Build the settings from CDK context (``app.node.try_get_context``).

        Context values from ``-c`` are strings; an empty string switches an optional value
        off (``-c github_deploy_branch=`` trusts the environment only). ``cicd_bootstrap_regions``
        is a list in cdk.json or a comma-separated string on the command line.
        """

        def text(field: str) -> str | None:
            value = get_context(CONTEXT_KEYS[field])
            if value is None:
                return None
            if not isinstance(value, str):
                _fail(CONTEXT_KEYS[field], value, "a string")
            return value.strip()

        def optional(field: str, default: str | None) -> str | None:
            value = text(field)
            if value is None:
                return default
            return value or None

        regions = get_context(CONTEXT_KEYS["bootstrap_regions"]) or ()
        if isinstance(regions, str):
            regions = [part.strip() for part in regions.split(",") if part.strip()]
        if not isinstance(regions, list | tuple):
            _fail(CONTEXT_KEYS["bootstrap_regions"], regions, "a list of region names")
        return cls(
            github_owner=text("github_owner") or "",
            github_repo=text("github_repo") or "",
            bootstrap_qualifier=text("bootstrap_qualifier") or DEFAULT_BOOTSTRAP_QUALIFIER,
            deploy_branch=optional("deploy_branch", DEFAULT_DEPLOY_BRANCH),
            deploy_environment=optional("deploy_environment", DEFAULT_DEPLOY_ENVIRONMENT),
            bootstrap_regions=tuple(regions),
            existing_oidc_provider_arn=optional("existing_oidc_provider_arn", None),
        )


def _require(field: str, value: object) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        key = CONTEXT_KEYS[field]
        raise CicdConfigError(
            f'{field}: missing; set it with -c {key}=... or under "context" in cdk.json'
        )
    if not isinstance(value, str):
        _fail(field, value, "a string")


def bootstrap_role_arn(qualifier: str, kind: str, region: str | None) -> str:
    """ARN of a CDK bootstrap role in this stack's account (``region=None``: this region)."""
    region_part = "${AWS::Region}" if region is None else region
    return Fn.sub(
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/"
        f"cdk-{qualifier}-{kind}-role-${{AWS::AccountId}}-{region_part}"
    )


class CicdStack(Stack):
    """The GitHub OIDC provider and the diff and deploy roles of one repository.

    Attributes:
        diff_role: assumed by pull-request jobs (``AWS_DIFF_ROLE_ARN``).
        deploy_role: assumed by deploy jobs (``AWS_DEPLOY_ROLE_ARN``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: CicdSettings,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)

        if settings.existing_oidc_provider_arn is not None:
            provider = iam.OidcProviderNative.from_oidc_provider_arn(
                self, "GitHubOidcProvider", settings.existing_oidc_provider_arn
            )
        else:
            # No thumbprints: IAM trusts GitHub's certificate through its own CA library.
            provider = iam.OidcProviderNative(
                self, "GitHubOidcProvider", url=GITHUB_OIDC_URL, client_ids=[STS_AUDIENCE]
            )

        regions = self._regions(settings.bootstrap_regions)
        diff = GitHubActionsRole(
            self,
            "DiffRole",
            provider=provider,
            subjects=[settings.pull_request_subject],
            assumable_role_arns=self._role_arns(settings, DIFF_BOOTSTRAP_ROLES, regions),
            description=f"cdk diff for pull requests of {settings.repository} (read-only)",
            max_session_duration=Duration.hours(1),
        )
        deploy = GitHubActionsRole(
            self,
            "DeployRole",
            provider=provider,
            subjects=settings.deploy_subjects,
            assumable_role_arns=self._role_arns(settings, DEPLOY_BOOTSTRAP_ROLES, regions),
            description=(
                f"cdk deploy from {settings.repository} ({', '.join(settings.deploy_subjects)})"
            ),
            # A deploy with a DocumentDB cluster and a CodeDeploy canary outlasts one hour;
            # the CLI refreshes its chained bootstrap-role sessions from these credentials.
            max_session_duration=Duration.hours(2),
        )
        self.diff_role = diff.role
        self.deploy_role = deploy.role

        CfnOutput(
            self,
            "DiffRoleArn",
            value=diff.role.role_arn,
            description="Repository variable AWS_DIFF_ROLE_ARN (pull-request workflow)",
        )
        CfnOutput(
            self,
            "DeployRoleArn",
            value=deploy.role.role_arn,
            description="Repository variable AWS_DEPLOY_ROLE_ARN (deploy workflow)",
        )
        CfnOutput(
            self,
            "GitHubOidcProviderArn",
            value=provider.oidc_provider_arn,
            description="The account's GitHub Actions OIDC identity provider",
        )

    def _regions(self, extra: Sequence[str]) -> list[str | None]:
        """``None`` is this stack's region; extra regions follow, without repeating it."""
        own = None if Token.is_unresolved(self.region) else self.region
        return [None, *dict.fromkeys(region for region in extra if region != own)]

    @staticmethod
    def _role_arns(
        settings: CicdSettings, kinds: Sequence[str], regions: Sequence[str | None]
    ) -> list[str]:
        return [
            bootstrap_role_arn(settings.bootstrap_qualifier, kind, region)
            for region in regions
            for kind in kinds
        ]
