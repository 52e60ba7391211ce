"""CanaryFunction on its own: the alias/version pattern that avoids aws/aws-cdk#27884 and #28252.

#27884: an alias created under ``currentVersion`` changes logical id on every code change, so
CloudFormation replaces it (and CodeDeploy cannot shift traffic on a replaced alias).
#28252: a new ``AWS::Lambda::Version`` resource without a change to the function fails with
"Version already exists". The assertions prove: the alias id never changes, the version id
changes exactly when the function does, and never for a change elsewhere (alarms).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import App, Duration, Stack
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Template

from cdk_constructs.canary_function import CanaryFunction
from tests.compute.conftest import cdk_context, resources


def synthesize(
    *, source: str, error_rate_threshold: float = 2, snap_start: bool = False
) -> dict[str, Any]:
    app = App(context=cdk_context())
    stack = Stack(app, "CanaryTest")
    CanaryFunction(
        stack,
        "Service",
        code=lambda_.Code.from_inline(source),
        handler="index.handler",
        description="canary test",
        environment={"POWERTOOLS_SERVICE_NAME": "test"},
        memory_size=256,
        timeout=Duration.seconds(5),
        reserved_concurrency=None,
        deployment_config=codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES,
        log_retention=logs.RetentionDays.TWO_WEEKS,
        log_level="INFO",
        error_rate_threshold_percent=error_rate_threshold,
        snap_start=snap_start,
    )
    template: dict[str, Any] = Template.from_stack(stack).to_json()
    return template


def only(template: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    (found,) = resources(template, resource_type).items()
    return found


def test_code_change_publishes_a_new_version_under_the_same_alias() -> None:
    # Given the same function synthesized with two different sources
    before = synthesize(source="def handler(event, context):\n    return 1\n")
    after = synthesize(source="def handler(event, context):\n    return 2\n")
    # Then the version is a new resource, because the function itself changed
    assert only(before, "AWS::Lambda::Version")[0] != only(after, "AWS::Lambda::Version")[0]
    assert (
        only(before, "AWS::Lambda::Function")[1]["Properties"]["Code"]
        != only(after, "AWS::Lambda::Function")[1]["Properties"]["Code"]
    )
    # And the alias keeps its logical id: it is updated in place, by CodeDeploy
    before_alias_id, before_alias = only(before, "AWS::Lambda::Alias")
    after_alias_id, after_alias = only(after, "AWS::Lambda::Alias")
    assert before_alias_id == after_alias_id
    assert "CodeDeployLambdaAliasUpdate" in after_alias["UpdatePolicy"]
    assert before_alias["Metadata"]["aws:cdk:path"] == "CanaryTest/Service/LiveAlias/Resource"


def test_a_change_outside_the_function_keeps_the_version() -> None:
    source = "def handler(event, context):\n    return 1\n"
    strict = synthesize(source=source, error_rate_threshold=1)
    lenient = synthesize(source=source, error_rate_threshold=5)
    assert only(strict, "AWS::Lambda::Version")[0] == only(lenient, "AWS::Lambda::Version")[0]
    thresholds = {
        alarm["Properties"]["Threshold"]
        for template in (strict, lenient)
        for alarm in resources(template, "AWS::CloudWatch::Alarm").values()
        if "Metrics" in alarm["Properties"]
    }
    assert thresholds == {1, 5}


def test_the_version_belongs_to_the_function_and_old_versions_are_cleaned_up() -> None:
    template = synthesize(source="def handler(event, context):\n    return 1\n")
    function_id, _ = only(template, "AWS::Lambda::Function")
    _, version = only(template, "AWS::Lambda::Version")
    assert version["Properties"]["FunctionName"] == {"Ref": function_id}
    # Replaced versions are deleted in the cleanup phase, after the traffic shift succeeded;
    # during a rollback the previous version still exists.
    assert version["DeletionPolicy"] == "Delete"
    assert version["UpdateReplacePolicy"] == "Delete"


def test_without_a_hook_no_hook_function_is_created() -> None:
    template = synthesize(source="def handler(event, context):\n    return 1\n")
    assert len(resources(template, "AWS::Lambda::Function")) == 1
    _, alias = only(template, "AWS::Lambda::Alias")
    assert "BeforeAllowTrafficHook" not in alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]


def test_switching_snap_start_publishes_a_new_version() -> None:
    """A version published before SnapStart was on has no snapshot (and keeps none after): the
    switch must be part of the version's hash, or the alias would stay on a version that
    cold-starts the old way."""
    source = "def handler(event, context):\n    return 1\n"
    off = synthesize(source=source)
    on = synthesize(source=source, snap_start=True)
    assert only(on, "AWS::Lambda::Function")[1]["Properties"]["SnapStart"] == {
        "ApplyOn": "PublishedVersions"
    }
    assert "SnapStart" not in only(off, "AWS::Lambda::Function")[1]["Properties"]
    assert only(off, "AWS::Lambda::Version")[0] != only(on, "AWS::Lambda::Version")[0]
    assert only(off, "AWS::Lambda::Alias")[0] == only(on, "AWS::Lambda::Alias")[0]
