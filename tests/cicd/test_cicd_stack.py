"""Taskly-Cicd: who can assume the GitHub roles, and what those roles can do.

The templates come from one session-scoped synth with the cdk-nag AwsSolutions and
Serverless packs attached (conftest.py); a finding without an acknowledgment fails that synth.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Validations
from aws_cdk import aws_iam as iam
from cdk_nag import AwsSolutionsChecks

from stacks.cicd_stack import CicdSettings, CicdStack
from tests.cicd.conftest import OWNER, REPO, dump, resources_of, role

OIDC_HOST = "token.actions.githubusercontent.com"


def bootstrap_arn(qualifier: str, kind: str, region: str = "${AWS::Region}") -> dict[str, str]:
    return {
        "Fn::Sub": (
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/"
            f"cdk-{qualifier}-{kind}-role-${{AWS::AccountId}}-{region}"
        )
    }


def trust_statement(role_resource: dict[str, Any]) -> dict[str, Any]:
    statements = role_resource["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert len(statements) == 1, "a GitHub role must have exactly one way in"
    return statements[0]


def permission_statements(role_resource: dict[str, Any]) -> list[dict[str, Any]]:
    """The role's inline statements, with a lone resource as a one-item list (CDK unwraps it)."""
    statements = []
    for policy in role_resource["Properties"].get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            resource = statement["Resource"]
            statements.append(
                {**statement, "Resource": resource if isinstance(resource, list) else [resource]}
            )
    return statements


class TestOidcProvider:
    def test_the_default_stack_creates_the_github_provider_for_sts(
        self, default_template: dict[str, Any]
    ) -> None:
        # Given the default settings, When synthesized, Then one provider trusts GitHub's issuer
        providers = resources_of(default_template, "AWS::IAM::OIDCProvider")
        assert len(providers) == 1
        properties = next(iter(providers.values()))["Properties"]
        assert properties["Url"] == f"https://{OIDC_HOST}"
        assert properties["ClientIdList"] == ["sts.amazonaws.com"]

    def test_an_existing_provider_is_referenced_not_created(
        self, variant_template: dict[str, Any]
    ) -> None:
        # Given existing_oidc_provider_arn, Then no second provider (IAM allows one per URL)
        assert resources_of(variant_template, "AWS::IAM::OIDCProvider") == {}
        principal = trust_statement(role(variant_template, "DiffRole"))["Principal"]
        assert principal == {"Federated": f"arn:aws:iam::111122223333:oidc-provider/{OIDC_HOST}"}

    def test_the_stack_holds_nothing_but_the_provider_and_two_roles(
        self, default_template: dict[str, Any]
    ) -> None:
        types = sorted(resource["Type"] for resource in default_template["Resources"].values())
        assert types == ["AWS::IAM::OIDCProvider", "AWS::IAM::Role", "AWS::IAM::Role"]


class TestDiffRole:
    def test_only_pull_requests_of_the_repository_can_assume_it(
        self, default_template: dict[str, Any]
    ) -> None:
        statement = trust_statement(role(default_template, "DiffRole"))
        assert statement["Effect"] == "Allow"
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        provider_id = next(iter(resources_of(default_template, "AWS::IAM::OIDCProvider")))
        assert statement["Principal"] == {"Federated": {"Ref": provider_id}}
        assert statement["Condition"] == {
            "StringEquals": {
                f"{OIDC_HOST}:aud": "sts.amazonaws.com",
                f"{OIDC_HOST}:sub": [f"repo:{OWNER}/{REPO}:pull_request"],
            }
        }

    def test_it_may_only_assume_the_bootstrap_lookup_role(
        self, default_template: dict[str, Any]
    ) -> None:
        statements = permission_statements(role(default_template, "DiffRole"))
        assert statements == [
            {
                "Action": "sts:AssumeRole",
                "Effect": "Allow",
                "Resource": [bootstrap_arn("hnb659fds", "lookup")],
                "Sid": "AssumeCdkBootstrapRoles",
            }
        ]

    def test_its_session_lasts_one_hour(self, default_template: dict[str, Any]) -> None:
        assert role(default_template, "DiffRole")["Properties"]["MaxSessionDuration"] == 3600


class TestDeployRole:
    def test_main_branch_and_production_environment_can_assume_it(
        self, default_template: dict[str, Any]
    ) -> None:
        statement = trust_statement(role(default_template, "DeployRole"))
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Condition"] == {
            "StringEquals": {
                f"{OIDC_HOST}:aud": "sts.amazonaws.com",
                f"{OIDC_HOST}:sub": [
                    f"repo:{OWNER}/{REPO}:ref:refs/heads/main",
                    f"repo:{OWNER}/{REPO}:environment:production",
                ],
            }
        }

    def test_pull_requests_cannot_assume_it(self, default_template: dict[str, Any]) -> None:
        subjects = trust_statement(role(default_template, "DeployRole"))["Condition"][
            "StringEquals"
        ][f"{OIDC_HOST}:sub"]
        assert not any(subject.endswith(":pull_request") for subject in subjects)

    def test_it_may_only_assume_deploy_file_publishing_and_lookup_roles(
        self, default_template: dict[str, Any]
    ) -> None:
        statements = permission_statements(role(default_template, "DeployRole"))
        assert statements == [
            {
                "Action": "sts:AssumeRole",
                "Effect": "Allow",
                "Resource": [
                    bootstrap_arn("hnb659fds", "deploy"),
                    bootstrap_arn("hnb659fds", "file-publishing"),
                    bootstrap_arn("hnb659fds", "lookup"),
                ],
                "Sid": "AssumeCdkBootstrapRoles",
            }
        ]

    def test_its_session_outlasts_a_long_deploy(self, default_template: dict[str, Any]) -> None:
        assert role(default_template, "DeployRole")["Properties"]["MaxSessionDuration"] == 7200

    def test_environment_only_trust_drops_the_branch_subject(
        self, variant_template: dict[str, Any]
    ) -> None:
        condition = trust_statement(role(variant_template, "DeployRole"))["Condition"]
        assert condition["StringEquals"][f"{OIDC_HOST}:sub"] == [
            f"repo:{OWNER}/{REPO}:environment:prod-approval"
        ]

    def test_extra_regions_and_a_custom_qualifier_are_listed_once_each(
        self, variant_template: dict[str, Any]
    ) -> None:
        # Given regions (us-east-1, eu-west-1) where eu-west-1 is the stack's own region
        resources = permission_statements(role(variant_template, "DeployRole"))[0]["Resource"]
        # Then the stack region (as ${AWS::Region}) and us-east-1 appear, eu-west-1 not twice
        assert resources == [
            bootstrap_arn("tasky1", "deploy"),
            bootstrap_arn("tasky1", "file-publishing"),
            bootstrap_arn("tasky1", "lookup"),
            bootstrap_arn("tasky1", "deploy", "us-east-1"),
            bootstrap_arn("tasky1", "file-publishing", "us-east-1"),
            bootstrap_arn("tasky1", "lookup", "us-east-1"),
        ]


class TestLeastPrivilege:
    @pytest.mark.parametrize("stack", ["Taskly-Cicd", "Taskly-Cicd-Variant"])
    def test_no_wildcards_no_managed_policies_only_assume_role(
        self, cicd_templates: dict[str, dict[str, Any]], stack: str
    ) -> None:
        template = cicd_templates[stack]
        for logical_id, resource in resources_of(template, "AWS::IAM::Role").items():
            properties = resource["Properties"]
            assert "ManagedPolicyArns" not in properties, logical_id
            assert "PermissionsBoundary" not in properties, logical_id
            for statement in permission_statements(resource):
                assert statement["Action"] == "sts:AssumeRole", logical_id
                assert "*" not in dump(statement["Resource"]), logical_id
            condition = trust_statement(resource)["Condition"]
            assert list(condition) == ["StringEquals"], "subjects are matched exactly"
            assert "*" not in dump(condition), logical_id
        # No separate AWS::IAM::Policy could add permissions behind the inline policy's back.
        assert resources_of(template, "AWS::IAM::Policy") == {}

    def test_outputs_give_the_role_arns_for_the_repository_variables(
        self, default_template: dict[str, Any]
    ) -> None:
        outputs = default_template["Outputs"]
        diff_id = next(i for i in default_template["Resources"] if i.startswith("DiffRole"))
        deploy_id = next(i for i in default_template["Resources"] if i.startswith("DeployRole"))
        assert outputs["DiffRoleArn"]["Value"] == {"Fn::GetAtt": [diff_id, "Arn"]}
        assert outputs["DeployRoleArn"]["Value"] == {"Fn::GetAtt": [deploy_id, "Arn"]}
        # Nothing imports these: exports would only pin the stack (aws/aws-cdk#7602).
        assert all("Export" not in output for output in outputs.values())


class TestQualityGates:
    def test_cdk_nag_ran_and_reported_nothing(self, cicd_out: Path) -> None:
        # The synth in conftest would have raised on an unacknowledged finding; the report
        # proves the plugins ran at all.
        report = json.loads((cicd_out / "validation-report.json").read_text())
        assert report["title"] == "Validation Report"
        assert report["pluginReports"] == []

    def test_cdk_nag_fails_the_synth_on_a_wildcard_added_to_a_role(self, tmp_path: Path) -> None:
        # Given the stack with a wildcard statement added, When synthesized with the packs,
        # Then synthesis fails: the gate above is live, not vacuous.
        app = App(outdir=str(tmp_path))
        stack = CicdStack(app, "Cicd", settings=CicdSettings(github_owner=OWNER, github_repo=REPO))
        stack.deploy_role.add_to_policy(iam.PolicyStatement(actions=["s3:*"], resources=["*"]))
        Validations.of(app).add_plugins(AwsSolutionsChecks())
        with pytest.raises(RuntimeError, match="ValidationFailed"):
            app.synth()

    def test_cfn_lint_reports_no_error_or_warning(self, cicd_out: Path) -> None:
        templates = sorted(str(path) for path in cicd_out.glob("*.template.json"))
        assert len(templates) == 2
        result = subprocess.run(
            [str(Path(sys.executable).parent / "cfn-lint"), "--format", "parseable", *templates],
            capture_output=True,
            text=True,
            check=False,
        )
        assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr
