"""One synth of the Cicd stack per test session, with the cdk-nag packs attached as in app.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from stacks.cicd_stack import CicdSettings, CicdStack

OWNER = "acme-platform"
REPO = "taskly-serverless"


def synth_cicd(outdir: Path) -> dict[str, dict[str, Any]]:
    """Synthesize two Cicd variants into ``outdir``; return their templates by stack name.

    ``Taskly-Cicd`` uses the defaults (new OIDC provider, main branch and the production
    environment); ``Taskly-Cicd-Variant`` reuses an existing provider, trusts the environment
    only, and allows a second region under a custom qualifier.
    """
    app = App(outdir=str(outdir), context={"aws:cdk:bundling-stacks": []})
    CicdStack(
        app,
        "Cicd",
        stack_name="Taskly-Cicd",
        settings=CicdSettings(github_owner=OWNER, github_repo=REPO),
    )
    CicdStack(
        app,
        "CicdVariant",
        stack_name="Taskly-Cicd-Variant",
        env=Environment(account="111122223333", region="eu-west-1"),
        settings=CicdSettings(
            github_owner=OWNER,
            github_repo=REPO,
            bootstrap_qualifier="tasky1",
            deploy_branch=None,
            deploy_environment="prod-approval",
            # eu-west-1 is the stack's own region: listed again, it must not be duplicated.
            bootstrap_regions=("us-east-1", "eu-west-1"),
            existing_oidc_provider_arn=(
                "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
            ),
        ),
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(), ServerlessChecks())
    assembly = app.synth()
    return {stack.stack_name: stack.template for stack in assembly.stacks}


@pytest.fixture(scope="session")
def cicd_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cicd-cdk-out")


@pytest.fixture(scope="session")
def cicd_templates(cicd_out: Path) -> dict[str, dict[str, Any]]:
    return synth_cicd(cicd_out)


@pytest.fixture(scope="session")
def default_template(cicd_templates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return cicd_templates["Taskly-Cicd"]


@pytest.fixture(scope="session")
def variant_template(cicd_templates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return cicd_templates["Taskly-Cicd-Variant"]


def resources_of(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def role(template: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The one AWS::IAM::Role whose logical id starts with ``prefix`` (DiffRole/DeployRole)."""
    matches = [
        resource
        for logical_id, resource in resources_of(template, "AWS::IAM::Role").items()
        if logical_id.startswith(prefix)
    ]
    assert len(matches) == 1, f"expected one {prefix} role, found {len(matches)}"
    return matches[0]


def dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
