"""The pre-traffic hook's verdicts and its report to CodeDeploy.

Fakes, because nothing here can run a deployed Lambda or CodeDeploy: the Lambda, CodeDeploy and
Secrets Manager clients are botocore ``Stubber``s that check each request's parameters against
what the real APIs accept (their service models) and return canned responses.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from pre_traffic_hook import hook

TARGET = "arn:aws:lambda:eu-west-1:123456789012:function:taskly-tasks:7"
EVENT = json.dumps({"rawPath": "/api/tasks"})
SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:OriginVerify-AbCdEf"
SECRET_VALUE = "s3cretOriginValue"
HOOK_EVENT = {"DeploymentId": "d-ABC", "LifecycleEventHookExecutionId": "hook-1"}


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
        ({"statusCode": 422, "body": "{}"}, None, hook.SUCCEEDED),
        # The version refused the smoke test's origin header or claims: it would refuse all.
        ({"statusCode": 403, "body": "{}"}, None, hook.FAILED),
        ({"statusCode": 401, "body": "{}"}, None, hook.FAILED),
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


def test_with_header_sets_the_header_and_replaces_any_of_that_name() -> None:
    event = json.dumps({"rawPath": "/api/tasks", "headers": {"X-Origin-Verify": "old", "a": "b"}})
    headers = json.loads(hook.with_header(event, name="x-origin-verify", value="new"))["headers"]
    assert headers == {"a": "b", "x-origin-verify": "new"}
    assert json.loads(hook.with_header(EVENT, name="h", value="v"))["headers"] == {"h": "v"}


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Stubber, Stubber, Stubber]]:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1"
    )
    lambda_client = session.client("lambda")
    codedeploy = session.client("codedeploy")
    secrets = session.client("secretsmanager")
    created = {"lambda": lambda_client, "codedeploy": codedeploy, "secretsmanager": secrets}
    monkeypatch.setattr(hook.boto3, "client", lambda name: created[name])
    monkeypatch.setenv("TARGET_VERSION_ARN", TARGET)
    monkeypatch.setenv("SMOKE_EVENT", EVENT)
    with (
        Stubber(lambda_client) as lambda_stub,
        Stubber(codedeploy) as codedeploy_stub,
        Stubber(secrets) as secrets_stub,
    ):
        yield lambda_stub, codedeploy_stub, secrets_stub
        lambda_stub.assert_no_pending_responses()
        codedeploy_stub.assert_no_pending_responses()
        secrets_stub.assert_no_pending_responses()


def expect_report(codedeploy: Stubber, status: str) -> None:
    codedeploy.add_response(
        "put_lifecycle_event_hook_execution_status",
        {"lifecycleEventHookExecutionId": "hook-1"},
        {"deploymentId": "d-ABC", "lifecycleEventHookExecutionId": "hook-1", "status": status},
    )


def test_handler_invokes_the_target_version_and_reports_success(
    clients: tuple[Stubber, Stubber, Stubber],
) -> None:
    lambda_stub, codedeploy_stub, _ = clients
    lambda_stub.add_response(
        "invoke",
        invoke_response({"statusCode": 200, "body": "[]"}),
        {"FunctionName": TARGET, "InvocationType": "RequestResponse", "Payload": EVENT.encode()},
    )
    expect_report(codedeploy_stub, "Succeeded")
    hook.handler(HOOK_EVENT, None)


def test_handler_reports_failure_when_the_version_cannot_be_invoked(
    clients: tuple[Stubber, Stubber, Stubber],
) -> None:
    lambda_stub, codedeploy_stub, _ = clients
    lambda_stub.add_client_error("invoke", "ResourceNotFoundException", http_status_code=404)
    expect_report(codedeploy_stub, "Failed")
    hook.handler(HOOK_EVENT, None)


def test_handler_reports_failure_even_when_its_own_configuration_is_missing(
    clients: tuple[Stubber, Stubber, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, codedeploy_stub, _ = clients
    monkeypatch.delenv("SMOKE_EVENT")
    expect_report(codedeploy_stub, "Failed")
    with pytest.raises(KeyError):
        hook.handler(HOOK_EVENT, None)


@pytest.fixture
def with_secret_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMOKE_HEADER_NAME", "x-origin-verify")
    monkeypatch.setenv("SMOKE_HEADER_SECRET_ARN", SECRET_ARN)


def test_handler_sends_the_secret_header_and_never_logs_its_value(
    clients: tuple[Stubber, Stubber, Stubber],
    with_secret_header: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given the hook is told to send x-origin-verify from the origin-verify secret,
    lambda_stub, codedeploy_stub, secrets_stub = clients
    secrets_stub.add_response(
        "get_secret_value",
        {"ARN": SECRET_ARN, "Name": "OriginVerify", "SecretString": SECRET_VALUE},
        {"SecretId": SECRET_ARN},
    )
    sent = json.dumps({"rawPath": "/api/tasks", "headers": {"x-origin-verify": SECRET_VALUE}})
    # then the version under test receives the event with the secret's current value,
    lambda_stub.add_response(
        "invoke",
        invoke_response({"statusCode": 200, "body": "[]"}),
        {"FunctionName": TARGET, "InvocationType": "RequestResponse", "Payload": sent.encode()},
    )
    expect_report(codedeploy_stub, "Succeeded")
    with caplog.at_level(logging.DEBUG):
        hook.handler(HOOK_EVENT, None)
    # and the value appears in no log line.
    assert SECRET_VALUE not in caplog.text


def test_handler_fails_the_deployment_when_the_secret_cannot_be_read(
    clients: tuple[Stubber, Stubber, Stubber], with_secret_header: None
) -> None:
    # Given a hook role without access to the secret, then nothing is invoked and it reports.
    _, codedeploy_stub, secrets_stub = clients
    secrets_stub.add_client_error("get_secret_value", "AccessDeniedException", http_status_code=400)
    expect_report(codedeploy_stub, "Failed")
    hook.handler(HOOK_EVENT, None)


def test_handler_fails_the_deployment_when_the_version_refuses_the_header(
    clients: tuple[Stubber, Stubber, Stubber], with_secret_header: None
) -> None:
    # A version that answers 403 to the current value would answer 403 to CloudFront.
    lambda_stub, codedeploy_stub, secrets_stub = clients
    secrets_stub.add_response("get_secret_value", {"SecretString": SECRET_VALUE})
    refused = {"statusCode": 403, "body": '{"code":"forbidden"}'}
    lambda_stub.add_response("invoke", invoke_response(refused))
    expect_report(codedeploy_stub, "Failed")
    hook.handler(HOOK_EVENT, None)
