"""CicdSettings: a missing or malformed value stops synth with one line naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.cicd_stack import (
    DEFAULT_BOOTSTRAP_QUALIFIER,
    CicdConfigError,
    CicdSettings,
)

VALID: dict[str, Any] = {"github_owner": "acme", "github_repo": "taskly"}


def settings(**overrides: Any) -> CicdSettings:
    return CicdSettings(**{**VALID, **overrides})


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"github_owner": ""}, "github_owner: missing"),
        ({"github_owner": None}, "github_owner: missing"),
        ({"github_owner": "acme/taskly"}, "github_owner: 'acme/taskly' is invalid"),
        ({"github_owner": "-acme"}, "github_owner: '-acme' is invalid"),
        ({"github_owner": "a" * 40}, "github_owner: "),
        ({"github_owner": "ac--me"}, "github_owner: 'ac--me' is invalid"),
        ({"github_owner": "*"}, "github_owner: '*' is invalid"),
        ({"github_repo": " "}, "github_repo: missing"),
        ({"github_repo": "taskly.git"}, "github_repo: 'taskly.git' is invalid"),
        ({"github_repo": "tas*"}, "github_repo: 'tas*' is invalid"),
        ({"github_repo": ".."}, "github_repo: '..' is invalid"),
        ({"github_repo": 42}, "github_repo: 42 is invalid; expected a string"),
        ({"bootstrap_qualifier": "Hnb659fds"}, "bootstrap_qualifier: 'Hnb659fds' is invalid"),
        ({"bootstrap_qualifier": "waytoolong11"}, "bootstrap_qualifier: 'waytoolong11'"),
        ({"bootstrap_qualifier": "a_b"}, "bootstrap_qualifier: 'a_b' is invalid"),
        ({"deploy_branch": "feature/*"}, "deploy_branch: 'feature/*' is invalid"),
        ({"deploy_branch": "a..b"}, "deploy_branch: 'a..b' is invalid"),
        ({"deploy_environment": "prod:x"}, "deploy_environment: 'prod:x' is invalid"),
        (
            {"deploy_branch": None, "deploy_environment": None},
            "deploy_branch/deploy_environment: both are empty",
        ),
        ({"bootstrap_regions": ("us-east-1", "mars-1")}, "bootstrap_regions: 'mars-1'"),
        ({"bootstrap_regions": ["us-east-1"]}, "bootstrap_regions: ['us-east-1'] is invalid"),
        (
            {"existing_oidc_provider_arn": "arn:aws:iam::123456789012:oidc-provider/example.com"},
            "existing_oidc_provider_arn: ",
        ),
    ],
)
def test_bad_values_name_the_field_in_one_line(overrides: dict[str, Any], field: str) -> None:
    # Given a bad value, When the settings are built, Then one line names the field
    with pytest.raises(CicdConfigError) as caught:
        settings(**overrides)
    message = str(caught.value)
    assert message.startswith(field), message
    assert "\n" not in message


def test_the_error_is_a_value_error_so_app_py_can_report_it_with_its_stage_errors() -> None:
    assert issubclass(CicdConfigError, ValueError)


def test_subjects_follow_githubs_sub_claim_format() -> None:
    value = settings(deploy_branch="release", deploy_environment="prod")
    assert value.pull_request_subject == "repo:acme/taskly:pull_request"
    assert value.deploy_subjects == (
        "repo:acme/taskly:ref:refs/heads/release",
        "repo:acme/taskly:environment:prod",
    )


def test_valid_edge_values_are_accepted() -> None:
    value = settings(
        github_owner="A" + "b" * 38,
        github_repo="my.repo_name-2",
        bootstrap_qualifier="abc-123",
        deploy_branch="release/2026",
        deploy_environment="prod approval",
        bootstrap_regions=("us-gov-west-1", "ap-southeast-2"),
        existing_oidc_provider_arn=(
            "arn:aws-us-gov:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
        ),
    )
    assert value.repository == f"{'A' + 'b' * 38}/my.repo_name-2"


class TestFromContext:
    """app.py passes ``app.node.try_get_context``; a dict's ``get`` stands in for it here."""

    def test_defaults_fill_everything_but_owner_and_repo(self) -> None:
        value = CicdSettings.from_context({"github_owner": "acme", "github_repo": "taskly"}.get)
        assert value.bootstrap_qualifier == DEFAULT_BOOTSTRAP_QUALIFIER
        assert value.deploy_branch == "main"
        assert value.deploy_environment == "production"
        assert value.bootstrap_regions == ()
        assert value.existing_oidc_provider_arn is None

    def test_command_line_strings_are_parsed(self) -> None:
        context = {
            "github_owner": " acme ",
            "github_repo": "taskly",
            "@aws-cdk/core:bootstrapQualifier": "tasky1",
            "github_deploy_branch": "",
            "github_deploy_environment": "prod",
            "cicd_bootstrap_regions": "us-east-1, eu-west-1",
        }
        value = CicdSettings.from_context(context.get)
        assert value.github_owner == "acme"
        assert value.bootstrap_qualifier == "tasky1"
        assert value.deploy_branch is None  # -c github_deploy_branch= switches it off
        assert value.deploy_subjects == ("repo:acme/taskly:environment:prod",)
        assert value.bootstrap_regions == ("us-east-1", "eu-west-1")

    def test_cdk_json_lists_are_accepted(self) -> None:
        context = {
            "github_owner": "acme",
            "github_repo": "t",
            "cicd_bootstrap_regions": ["us-east-1"],
        }
        assert CicdSettings.from_context(context.get).bootstrap_regions == ("us-east-1",)

    def test_missing_owner_says_how_to_set_it(self) -> None:
        with pytest.raises(
            CicdConfigError, match=r"^github_owner: missing; set it with -c github_owner="
        ):
            CicdSettings.from_context({"github_repo": "taskly"}.get)

    def test_a_non_string_context_value_names_the_context_key(self) -> None:
        with pytest.raises(CicdConfigError, match=r"^github_deploy_environment: 3 is invalid"):
            CicdSettings.from_context(
                {"github_owner": "a", "github_repo": "b", "github_deploy_environment": 3}.get
            )
