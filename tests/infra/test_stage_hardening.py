"""Stage values that only fail in a real account: the Cognito domain prefix (unique among all
AWS customers in a region), the API's access-log trail in protected stages, and callback URLs
on a custom domain."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import ConfigError, apply_overrides, stage_config
from tests.synth import TEST_ACCOUNT, SynthesizedStage


def _resources(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == kind]


@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_the_cognito_domain_prefix_includes_the_account(stage: Any, name: str) -> None:
    """Before: taskly-<stage>-auth, which another AWS customer can already hold."""
    synthesized: SynthesizedStage = stage(name)
    (domain,) = _resources(synthesized.json("Auth"), "AWS::Cognito::UserPoolDomain")
    assert domain["Properties"]["Domain"] == f"taskly-{name}-{TEST_ACCOUNT}"


def test_without_an_account_the_prefix_takes_it_from_cloudformation() -> None:
    config = stage_config("dev", account=None, region=None)
    assert config.auth.domain_prefix == "taskly-dev-{account}"
    assert stage_config("dev", account="210987654321", region=None).auth.domain_prefix == (
        "taskly-dev-210987654321"
    )


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("Taskly-{account}", r"lower-case letters"),
        ("x" * 60 + "-{account}", r"at most 63 characters"),
        ("my-aws-{account}", r"without 'aws' or 'cognito'"),
        ("{account}-{account}", r"at most one \{account\}"),
    ],
)
def test_a_bad_domain_prefix_is_one_line(prefix: str, message: str) -> None:
    config = stage_config("dev", account=None, region=None)
    with pytest.raises(ConfigError, match=rf"dev\.auth\.domain_prefix: .*{message}"):
        apply_overrides(config, {"auth.domain_prefix": prefix})


@pytest.mark.parametrize(
    ("name", "days", "policy", "replace_policy"),
    [
        ("dev", 14, "Delete", "Delete"),
        ("staging", 365, "RetainExceptOnCreate", "Retain"),
        ("prod", 365, "RetainExceptOnCreate", "Retain"),
    ],
)
def test_protected_stages_keep_the_api_access_logs(
    stage: Any, name: str, days: int, policy: str, replace_policy: str
) -> None:
    """Before: 14 days and deleted with the stack in every stage."""
    compute = stage(name).json("Compute")
    stages = _resources(compute, "AWS::ApiGatewayV2::Stage")
    destinations = {
        s["Properties"]["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0] for s in stages
    }
    (log_group_id,) = destinations
    log_group = compute["Resources"][log_group_id]
    assert log_group["Properties"]["RetentionInDays"] == days
    assert log_group["DeletionPolicy"] == policy
    assert log_group["UpdateReplacePolicy"] == replace_policy


def test_a_protected_stage_refuses_a_short_access_log_retention() -> None:
    config = stage_config("staging", account=None, region=None)
    with pytest.raises(ConfigError, match=r"staging\.compute\.access_log_retention_days: 90 .*365"):
        apply_overrides(config, {"compute.access_log_retention_days": "90"})


def test_a_custom_domain_needs_callback_urls_on_it() -> None:
    """Before: prod could name app.corp.test while Cognito redirected elsewhere."""
    config = stage_config("prod", account=None, region=None)
    with pytest.raises(ConfigError) as raised:
        apply_overrides(config, {"edge.domain_name": "app.corp.test"})
    assert str(raised.value) == (
        "prod.auth.callback_urls: 'https://app.taskly.example.com/callback' is invalid; "
        "expected URLs on the stage's custom domain app.corp.test (edge.domain_name) or "
        "http://localhost"
    )
    moved = apply_overrides(
        config,
        {
            "edge.domain_name": "app.corp.test",
            "auth.callback_urls": '["https://app.corp.test/callback"]',
            "auth.logout_urls": '["https://app.corp.test/"]',
        },
    )
    assert moved.edge.domain_name == "app.corp.test"
