"""The pre-traffic hook's verdicts and its report to CodeDeploy.

Fakes, because nothing here can run a deployed Lambda or CodeDeploy: the Lambda and CodeDeploy
clients are botocore ``Stubber``s that check each request's parameters against what the real
APIs accept (their service models) and return canned responses.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from pre_traffic_hook import hook

TARGET = "arn:aws:lambda:eu-west-1:123456789012:function:taskly-tasks:7"
EVENT = json.dumps({"rawPath": "/api/tasks"})


def invoke_response(payload: Any, *, function_error: str | None = None) -> dict[str, Any]:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    response: dict[str, Any] = {
        "StatusCode": 200,
        "Payload": StreamingBody(io.BytesIO(raw), len(raw)),
    }
    if function_error:
        response["FunctionError"] = function_error
    return response


@pytest.mark.parametrize(
    ("payload", "function_error", "status"),
    [
        ({"statusCode": 200, "body": "[]"}, None, hook.SUCCEEDED),
        ({"statusCode": 404, "body": "{}"}, None, hook.SUCCEEDED),
        ({"statusCode": 500, "body": "{}"}, None, hook.FAILED),
        ({"statusCode": "200"}, None, hook.FAILED),
        ({"batchItemFailures": []}, None, hook.SUCCEEDED),
        ({"errorMessage": "boom", "errorType": "ImportError"}, "Unhandled", hook.FAILED),
        (b"not json", None, hook.FAILED),
    ],
)
def test_judge(payload: Any, function_error: str | None, status: str) -> None:
    verdict = hook.judge(invoke_response(payload, function_error=function_error))
    assert verdict.status == status
    assert verdict.reason


def test_a_function_error_reason_carries_the_error() -> None:
    verdict = hook.judge(
        invoke_response({"errorMessage": "invalid environment"}, function_error="Unhandled")
    )
    assert "invalid environment" in verdict.reason


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Stubber, Stubber]]:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1"
    )
    lambda_client = session.client("lambda")
    codedeploy = session.client("codedeploy")
    created = {"lambda": lambda_client, "codedeploy": codedeploy}
    monkeypatch.setattr(hook.boto3, "client", lambda name: created[name])
    monkeypatch.setenv("TARGET_VERSION_ARN", TARGET)
    monkeypatch.setenv("SMOKE_EVENT", EVENT)
    with Stubber(lambda_client) as lambda_stub, Stubber(codedeploy) as codedeploy_stub:
        yield lambda_stub, codedeploy_stub
        lambda_stub.assert_no_pending_responses()
        codedeploy_stub.assert_no_pending_responses()


def expect_report(codedeploy: Stubber, status: str) -> None:
    codedeploy.add_response(
        "put_lifecycle_event_hook_execution_status",
        {"lifecycleEventHookExecutionId": "hook-1"},
        {"deploymentId": "d-ABC", "lifecycleEventHookExecutionId": "hook-1", "status": status},
    )


def test_handler_invokes_the_target_version_and_reports_success(
    clients: tuple[Stubber, Stubber],
) -> None:
    lambda_stub, codedeploy_stub = clients
    lambda_stub.add_response(
        "invoke",
        invoke_response({"statusCode": 200, "body": "[]"}),
        {"FunctionName": TARGET, "InvocationType": "RequestResponse", "Payload": EVENT.encode()},
    )
    expect_report(codedeploy_stub, "Succeeded")
    hook.handler({"DeploymentId": "d-ABC", "LifecycleEventHookExecutionId": "hook-1"}, None)


def test_handler_reports_failure_when_the_version_cannot_be_invoked(
    clients: tuple[Stubber, Stubber],
) -> None:
    lambda_stub, codedeploy_stub = clients
    lambda_stub.add_client_error("invoke", "ResourceNotFoundException", http_status_code=404)
    expect_report(codedeploy_stub, "Failed")
    hook.handler({"DeploymentId": "d-ABC", "LifecycleEventHookExecutionId": "hook-1"}, None)


def test_handler_reports_failure_even_when_its_own_configuration_is_missing(
    clients: tuple[Stubber, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, codedeploy_stub = clients
    monkeypatch.delenv("SMOKE_EVENT")
    expect_report(codedeploy_stub, "Failed")
    with pytest.raises(KeyError):
        hook.handler({"DeploymentId": "d-ABC", "LifecycleEventHookExecutionId": "hook-1"}, None)
