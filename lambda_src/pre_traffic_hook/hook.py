"""CodeDeploy ``BeforeAllowTraffic`` hook: smoke-test the new version before it gets traffic.

CodeDeploy calls this function with a deployment id and a hook execution id after it
published the new version and before it moves any traffic to it. The hook invokes that
version (``TARGET_VERSION_ARN``) once with ``SMOKE_EVENT`` and reports ``Succeeded`` or
``Failed`` back; ``Failed`` makes CodeDeploy stop and roll the alias back. It always reports,
even when its own code fails, so a deployment never waits out CodeDeploy's one-hour timeout.

With ``SMOKE_HEADER_NAME`` and ``SMOKE_HEADER_SECRET_ARN`` set, the hook first reads that
secret's current value and adds it to the event's headers: the API functions refuse requests
without CloudFront's ``x-origin-verify``, and the smoke test must look like CloudFront's.

The new version passes when it returns without a function error and, for an HTTP response,
with a status below 500 other than 401 and 403: a 404 or a 422 still proves that the code
imports, its environment validates and its router answers, but a version that refuses the
smoke test's credentials (the origin header, the token claims) would refuse every caller.
Standard library and boto3 only (both come with the runtime).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from typing import Any, NamedTuple

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)

SUCCEEDED = "Succeeded"
FAILED = "Failed"
SERVER_ERROR = 500
# A refusal of the smoke test's own credentials: the version would refuse real traffic too.
REFUSED = frozenset({401, 403})
MAX_LOGGED_PAYLOAD = 2000


class Verdict(NamedTuple):
    status: str
    reason: str


def judge(invoke_response: dict[str, Any]) -> Verdict:
    """Decide from a Lambda ``Invoke`` response whether the new version is fit for traffic."""
    raw = invoke_response["Payload"].read()
    payload_text = raw.decode("utf-8", errors="replace")
    if invoke_response.get("FunctionError"):
        return Verdict(FAILED, f"function error: {payload_text[:MAX_LOGGED_PAYLOAD]}")
    try:
        payload = json.loads(payload_text) if payload_text else None
    except json.JSONDecodeError:
        return Verdict(FAILED, f"response is not JSON: {payload_text[:MAX_LOGGED_PAYLOAD]}")
    if isinstance(payload, dict) and "statusCode" in payload:
        status_code = payload["statusCode"]
        if not isinstance(status_code, int) or status_code >= SERVER_ERROR:
            return Verdict(FAILED, f"HTTP status {status_code!r}")
        if status_code in REFUSED:
            return Verdict(FAILED, f"HTTP status {status_code}: the version refused the smoke test")
        return Verdict(SUCCEEDED, f"HTTP status {status_code}")
    return Verdict(SUCCEEDED, "returned without a function error")


def smoke_test(lambda_client: Any, *, target: str, event: str) -> Verdict:
    try:
        response = lambda_client.invoke(
            FunctionName=target, InvocationType="RequestResponse", Payload=event.encode()
        )
        return judge(response)
    except Exception as error:  # any failure to test is a failed test
        return Verdict(FAILED, f"could not invoke {target}: {error}")


def with_header(event: str, *, name: str, value: str) -> str:
    """``event`` (JSON) with header ``name`` set to ``value``, replacing any of that name."""
    payload = json.loads(event)
    headers = {
        key: header
        for key, header in (payload.get("headers") or {}).items()
        if key.lower() != name.lower()
    }
    payload["headers"] = {**headers, name: value}
    return json.dumps(payload)


def run(environ: Mapping[str, str]) -> Verdict:
    """The smoke test as configured by the hook's environment."""
    target, event = environ["TARGET_VERSION_ARN"], environ["SMOKE_EVENT"]
    header = environ.get("SMOKE_HEADER_NAME")
    if header:
        secret_arn = environ["SMOKE_HEADER_SECRET_ARN"]
        try:
            secrets = boto3.client("secretsmanager")
            value = secrets.get_secret_value(SecretId=secret_arn)["SecretString"]
        except Exception as error:  # a test that cannot be set up is a failed test
            return Verdict(FAILED, f"could not read the {header} secret: {error!r}")
        event = with_header(event, name=header, value=value)
    return smoke_test(boto3.client("lambda"), target=target, event=event)


def handler(event: dict[str, Any], _context: Any) -> None:
    deployment_id = event["DeploymentId"]
    execution_id = event["LifecycleEventHookExecutionId"]
    verdict = Verdict(FAILED, "the hook failed before testing")
    try:
        verdict = run(os.environ)
    finally:
        logger.info(
            "pre-traffic smoke test",
            extra={
                "deployment_id": deployment_id,
                "status": verdict.status,
                "reason": verdict.reason,
            },
        )
        boto3.client("codedeploy").put_lifecycle_event_hook_execution_status(
            deploymentId=deployment_id,
            lifecycleEventHookExecutionId=execution_id,
            status=verdict.status,
        )
