"""tools.ops.canary_watch against moto's emulated CodeDeploy and STS (in process, no network).

moto cannot run a Lambda traffic shift, so the tests move a deployment through its states
by setting the emulator's record, as CodeDeploy would between two polls.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.codedeploy.models import codedeploy_backends
from moto.core import DEFAULT_ACCOUNT_ID

from tools.ops import canary_watch
from tools.ops.lookup_role import lookup_role_arn

REGION = "eu-west-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


def start_deployment(client: Any, application: str) -> str:
    client.create_application(applicationName=application, computePlatform="Lambda")
    client.create_deployment_group(
        applicationName=application,
        deploymentGroupName="Api",
        serviceRoleArn=f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/codedeploy",
        deploymentConfigName="CodeDeployDefault.LambdaCanary10Percent5Minutes",
    )
    return client.create_deployment(
        applicationName=application,
        deploymentGroupName="Api",
        deploymentConfigName="CodeDeployDefault.LambdaCanary10Percent5Minutes",
        revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": "{}"}},
    )["deploymentId"]


def set_status(deployment_id: str, status: str) -> None:
    codedeploy_backends[DEFAULT_ACCOUNT_ID][REGION].deployments[deployment_id].status = status


def test_each_state_of_the_stages_canary_is_printed_once(aws: None) -> None:
    client = boto3.client("codedeploy", region_name=REGION)
    since = datetime.now(UTC) - timedelta(seconds=5)
    ours = start_deployment(client, "Taskly-staging-Compute-ApiApp-ABC")
    start_deployment(client, "Taskly-prod-Compute-ApiApp-XYZ")  # another stage: ignored
    watcher = canary_watch.CanaryWatcher(codedeploy=client, prefix="Taskly-staging-", since=since)

    first = watcher.poll()
    assert [(s.deployment_id, s.status) for s in first] == [(ours, "Created")]
    assert first[0].config == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    assert watcher.poll() == []  # nothing changed, nothing printed

    set_status(ours, "InProgress")
    assert [s.status for s in watcher.poll()] == ["InProgress"]
    set_status(ours, "Succeeded")
    assert [s.status for s in watcher.poll()] == ["Succeeded"]
    set_status(ours, "Failed")  # a finished deployment is not asked about again
    assert watcher.poll() == []


def test_deployments_from_before_the_deploy_are_ignored(aws: None) -> None:
    client = boto3.client("codedeploy", region_name=REGION)
    start_deployment(client, "Taskly-staging-Compute-Old")
    watcher = canary_watch.CanaryWatcher(
        codedeploy=client, prefix="Taskly-staging-", since=datetime.now(UTC) + timedelta(minutes=1)
    )
    assert watcher.poll() == []


def test_the_log_line_names_function_config_time_and_rollback() -> None:
    state = canary_watch.DeploymentState(
        deployment_id="d-ABC",
        application="Taskly-prod-Compute-App",
        group="Api",
        config="CodeDeployDefault.LambdaCanary10Percent5Minutes",
        status="Stopped",
        created=datetime(2026, 1, 1, 12, 0, tzinfo=UTC),
        error="Alarm Api5xx in ALARM",
        rolled_back_by="d-DEF",
    )
    line = state.line(datetime(2026, 1, 1, 12, 3, 7, tzinfo=UTC))
    assert line == (
        "canary d-ABC Taskly-prod-Compute-App/Api: Stopped "
        "(CodeDeployDefault.LambdaCanary10Percent5Minutes, 3m07s since start): "
        "Alarm Api5xx in ALARM; rolled back by d-DEF"
    )


def test_the_lookup_role_is_assumed_for_reading(aws: None) -> None:
    # Given credentials in an account bootstrapped with qualifier "tasky1"
    iam = boto3.client("iam")
    iam.create_role(
        RoleName=f"cdk-tasky1-lookup-role-{DEFAULT_ACCOUNT_ID}-{REGION}",
        AssumeRolePolicyDocument="{}",
    )
    # When the watcher builds its client, Then it reads CodeDeploy through that role
    client = canary_watch.codedeploy_client(
        session=boto3.Session(region_name=REGION), qualifier="tasky1", assume_lookup_role=True
    )
    assert client.list_deployments()["deployments"] == []
    assert (
        lookup_role_arn(
            caller_arn="arn:aws-us-gov:sts::123456789012:assumed-role/x/y",
            account="123456789012",
            qualifier="q",
            region="us-gov-west-1",
        )
        == "arn:aws-us-gov:iam::123456789012:role/cdk-q-lookup-role-123456789012-us-gov-west-1"
    )


def test_a_failing_poll_is_reported_and_the_watch_goes_on(aws: None) -> None:
    lines: list[str] = []
    # No region-less client trick: a deployment id CodeDeploy does not know raises ClientError.
    client = boto3.client("codedeploy", region_name=REGION)

    class Broken(canary_watch.CanaryWatcher):
        def poll(self) -> list[canary_watch.DeploymentState]:
            client.get_deployment(deploymentId="d-MISSING")
            return []

    canary_watch.watch(
        Broken(codedeploy=client, prefix="x", since=datetime.now(UTC)),
        interval=0,
        should_stop=lambda: False,
        emit=lines.append,
        sleep=lambda _: None,
        max_polls=2,
    )
    assert len(lines) == 2
    assert all(line.startswith("canary watch: CodeDeploy not readable right now") for line in lines)


def test_without_a_region_the_watcher_steps_aside_instead_of_failing_the_deploy(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    assert canary_watch.main(["--qualifier", "hnb659fds", "--prefix", "Taskly-dev-"]) == 0
    assert "no AWS region configured" in capsys.readouterr().out


def test_without_credentials_the_watcher_steps_aside(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert canary_watch.main(["--qualifier", "hnb659fds", "--prefix", "Taskly-dev-"]) == 0
    assert "cannot read CodeDeploy" in capsys.readouterr().out
