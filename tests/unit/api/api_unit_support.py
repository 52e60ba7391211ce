"""Shared helpers of the API unit tests (a uniquely named module: conftest is not importable).

The handler modules validate their environment at import, so it is set here, before anything
imports them. AWS is reached only through moto's in-process mock (``mock_aws``), which patches
botocore without opening sockets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.update(
    {
        "POWERTOOLS_SERVICE_NAME": "taskly-test",
        "POWERTOOLS_METRICS_NAMESPACE": "Taskly",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "DOCDB_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:docdb-AbCdEf",
        "ORIGIN_VERIFY_SECRET_ARN": (
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:origin-verify-AbCdEf"
        ),
        "IDEMPOTENCY_TABLE_NAME": "taskly-test-idempotency",
        "EMAIL_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/taskly-email",
        "SENDER_EMAIL": "no-reply@taskly.example.com",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
)

from taskly.api.origin import ORIGIN_VERIFY_HEADER
from taskly.data.memory import (
    InMemoryEmailQueue,
    InMemoryTaskRepository,
)
from taskly.logic.tasks import TasksService
from taskly.routes import API_SCOPE

from tools.local.api.events import LocalLambdaContext, http_api_event, match_route

# What CloudFront sends in x-origin-verify in these tests (the conftest's fake secret store).
ORIGIN_SECRET = "0riginVerifyTestValue0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH"


@dataclass
class HttpResult:
    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class TasksFixture:
    service: TasksService
    repository: InMemoryTaskRepository
    queue: InMemoryEmailQueue
    idempotency: Any


def invoke(
    handler: Any,
    method: str,
    path: str,
    *,
    user: str | None = "alice",
    scope: str = API_SCOPE,
    body: Any = None,
    raw_body: bytes | None = None,
    headers: dict[str, str] | None = None,
    query: str = "",
    origin_verify: str | None = ORIGIN_SECRET,
) -> HttpResult:
    """Call a handler with the event API Gateway would send after its authorizer passed.

    The request carries CloudFront's ``x-origin-verify`` unless ``origin_verify`` is None.
    """
    origin = {} if origin_verify is None else {ORIGIN_VERIFY_HEADER: origin_verify}
    all_headers = {"content-type": "application/json", **origin, **(headers or {})}
    payload = (
        raw_body if raw_body is not None else (b"" if body is None else json.dumps(body).encode())
    )
    matched = match_route(method, path)
    event = http_api_event(
        method=method,
        raw_path=path,
        raw_query=query,
        headers=list(all_headers.items()),
        body=payload,
        route=matched[0] if matched else None,
        path_parameters=matched[1] if matched else None,
        claims=None if user is None else {"sub": user, "scope": scope, "token_use": "access"},
        scopes=scope.split(),
    )
    response = handler(event, LocalLambdaContext(function_name="test"))
    text = response.get("body") or ""
    return HttpResult(
        status=response["statusCode"],
        headers={name.lower(): value for name, value in (response.get("headers") or {}).items()},
        body=json.loads(text) if text else None,
    )


LAMBDA_SRC = Path(__file__).resolve().parents[3] / "lambda_src"


def run_fresh(code: str, *, tracing: bool = False) -> Any:
    """Run ``code`` in a new interpreter with this suite's function environment; return the
    JSON it prints last. ``tracing``: on, as in Lambda (``LAMBDA_TASK_ROOT`` set)."""
    environment = {**os.environ, "PYTHONPATH": str(LAMBDA_SRC)}
    if tracing:
        del environment["POWERTOOLS_TRACE_DISABLED"]
        environment["LAMBDA_TASK_ROOT"] = str(LAMBDA_SRC)
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=environment,
        cwd=LAMBDA_SRC,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
