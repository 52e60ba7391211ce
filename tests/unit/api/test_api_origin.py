"""Only requests that came through CloudFront reach a route: the x-origin-verify check.

Handler tests use the conftest's in-memory secret store (a fake: it models the cached and the
stored values of the secret); the Secrets Manager adapter is tested against moto's in-process
AWS mock, which patches botocore without opening sockets.
"""

from __future__ import annotations

import hmac
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from api_unit_support import ORIGIN_SECRET, HttpResult, TasksFixture, invoke
from moto import mock_aws
from taskly.api import origin as origin_module
from taskly.api.origin import (
    ORIGIN_VERIFY_HEADER,
    REFRESH_INTERVAL_SECONDS,
    REFUSAL,
    UNVERIFIED_ROUTES,
    OriginCheck,
)
from taskly.data.memory import InMemoryOriginSecret, InMemoryPreferencesRepository
from taskly.data.origin_secret import SecretsManagerOriginSecret
from taskly.errors import ConfigurationError, DependencyUnavailableError
from taskly.handlers import profile as profile_handler
from taskly.handlers import tasks as tasks_handler
from taskly.models.tasks import TaskQuery
from taskly.routes import MIGRATED_ROUTES

from tools.local.api.events import LocalLambdaContext, http_api_event

REPO = Path(__file__).resolve().parents[3]
TASKS = tasks_handler.handler
PROFILE = profile_handler.handler
REFUSED_BODY = {"code": "forbidden", "message": REFUSAL}
NEW_SECRET = "N3wOriginVerifyValue0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHI"

# One request per service, plus a route neither function has: all are guarded.
GUARDED = [
    (TASKS, "GET", "/api/tasks"),
    (TASKS, "POST", "/api/tasks"),
    (TASKS, "GET", "/api/tasks/stats"),
    (TASKS, "GET", "/api/nowhere"),
    (PROFILE, "GET", "/api/me/preferences"),
    (PROFILE, "PUT", "/api/me/preferences"),
    (PROFILE, "GET", "/api/health/"),  # not the health route: the router would 404 it
    (PROFILE, "HEAD", "/api/health"),
]


def assert_refused(result: HttpResult) -> None:
    assert result.status == 403, result.body
    assert result.body == REFUSED_BODY
    assert result.headers["content-type"] == "application/json"


@pytest.mark.parametrize("request_line", GUARDED, ids=[f"{m} {p}" for _, m, p in GUARDED])
@pytest.mark.parametrize(
    "presented",
    [None, "", "wrong", ORIGIN_SECRET[:-1], ORIGIN_SECRET + "x", ORIGIN_SECRET.upper(), "é\ud800"],
    ids=["missing", "empty", "wrong", "prefix", "longer", "case", "non-ascii"],
)
def test_a_request_without_the_secret_is_refused_with_one_answer(
    tasks: TasksFixture,
    preferences: InMemoryPreferencesRepository,
    request_line: tuple[Any, str, str],
    presented: str | None,
) -> None:
    # Given a request that did not come through CloudFront, when any guarded route is called,
    # then it is a 403 whose body does not say whether the header was missing or wrong.
    handler, method, path = request_line
    body = {"title": "x"} if method in {"POST", "PUT"} else None
    assert_refused(invoke(handler, method, path, body=body, origin_verify=presented))


def test_the_current_value_passes(tasks: TasksFixture) -> None:
    assert invoke(TASKS, "GET", "/api/tasks", origin_verify=ORIGIN_SECRET).status == 200


def test_the_previous_value_passes_during_a_rotation(
    origin_secret: InMemoryOriginSecret, preferences: InMemoryPreferencesRepository
) -> None:
    # Given the secret was rotated (CloudFront may still send the old value until the edge
    # stack is deployed), when either value arrives, then both pass, and nothing older does.
    origin_secret.rotate(NEW_SECRET)
    origin_secret.cached = origin_secret.stored  # the functions' 5-minute cache expired
    assert invoke(PROFILE, "GET", "/api/me/preferences", origin_verify=ORIGIN_SECRET).status == 200
    assert invoke(PROFILE, "GET", "/api/me/preferences", origin_verify=NEW_SECRET).status == 200
    origin_secret.rotate("Th1rdValue")
    origin_secret.cached = origin_secret.stored
    assert_refused(invoke(PROFILE, "GET", "/api/me/preferences", origin_verify=ORIGIN_SECRET))


def test_health_is_exempt_and_reads_no_secret(origin_secret: InMemoryOriginSecret) -> None:
    # Given a secret store that is down, when health is called directly (no header, no token),
    # then it still answers 200: liveness probes and `make smoke` use the execute-api URL.
    origin_secret.unavailable = True
    result = invoke(PROFILE, "GET", "/api/health", user=None, origin_verify=None)
    assert result.status == 200
    assert result.body["status"] == "ok"


def test_every_exemption_is_a_public_route_of_the_table() -> None:
    public = {(route.method, route.path) for route in MIGRATED_ROUTES if route.public}
    assert public >= UNVERIFIED_ROUTES
    assert {("GET", "/api/health")} == UNVERIFIED_ROUTES


def test_the_comparison_is_hmac_compare_digest(
    monkeypatch: pytest.MonkeyPatch, tasks: TasksFixture
) -> None:
    # Given compare_digest is observed, and then made to refuse everything,
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def observed(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(origin_module.hmac, "compare_digest", observed)
    assert invoke(TASKS, "GET", "/api/tasks").status == 200
    # then the right header was decided by compare_digest, on bytes,
    assert calls == [(ORIGIN_SECRET.encode(), ORIGIN_SECRET.encode())]
    # and when compare_digest says no, even the right value is refused: no other comparison.
    monkeypatch.setattr(origin_module.hmac, "compare_digest", lambda _a, _b: False)
    assert_refused(invoke(TASKS, "GET", "/api/tasks"))


def test_the_check_runs_before_anything_else_looks_at_the_request(tasks: TasksFixture) -> None:
    # Given direct requests that would otherwise be a 413, a 415, a 400, a 401 or a 422,
    # then each is the same 403, and nothing was stored.
    oversized = b'{"title": "' + b"x" * 20_000 + b'"}'
    cases: list[dict[str, Any]] = [
        {"raw_body": oversized},
        {"raw_body": b"title=x", "headers": {"content-type": "application/x-www-form-urlencoded"}},
        {"raw_body": b"{not json"},
        {"body": {"title": "x"}, "user": None},
        {"body": {"title": 5}},
    ]
    for case in cases:
        assert_refused(invoke(TASKS, "POST", "/api/tasks", origin_verify=None, **case))
    assert tasks.repository.list(TaskQuery(owner="alice", limit=100)) == []


def test_an_unreadable_secret_fails_closed_with_503(origin_secret: InMemoryOriginSecret) -> None:
    origin_secret.unavailable = True
    result = invoke(PROFILE, "GET", "/api/me/preferences")
    assert result.status == 503
    assert result.body["code"] == "dependency_unavailable"
    assert result.headers["retry-after"] == "5"


def test_the_header_name_is_case_insensitive(tasks: TasksFixture) -> None:
    # API Gateway lower-cases header names; a direct invocation (the pre-traffic hook) may not.
    event = http_api_event(
        method="GET",
        raw_path="/api/tasks",
        headers=[("content-type", "application/json")],
        claims={"sub": "alice", "scope": "taskly/api"},
    )
    event["headers"]["X-Origin-Verify"] = ORIGIN_SECRET
    assert TASKS(event, LocalLambdaContext(function_name="test"))["statusCode"] == 200


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def check(clock: Clock) -> Callable[[InMemoryOriginSecret], OriginCheck]:
    return lambda secret: OriginCheck(secret=secret, clock=clock)


def test_a_rotated_value_is_read_again_as_soon_as_cloudfront_sends_it(
    clock: Clock, check: Callable[[InMemoryOriginSecret], OriginCheck]
) -> None:
    # Given functions whose cache still holds the old value when the edge starts sending the
    # new one, when the new value arrives, then the secret is read again and it passes.
    secret = InMemoryOriginSecret(current=ORIGIN_SECRET)
    origin = check(secret)
    assert origin.verifies(ORIGIN_SECRET)
    secret.rotate(NEW_SECRET)
    assert origin.verifies(NEW_SECRET)
    assert origin.verifies(ORIGIN_SECRET)  # now the previous value
    assert secret.forced_fetches == 1  # one forced read: the new current value matched


def test_wrong_headers_force_at_most_one_read_per_interval(
    clock: Clock, check: Callable[[InMemoryOriginSecret], OriginCheck]
) -> None:
    # Given a flood of wrong headers, then the store is read again at most once per interval.
    secret = InMemoryOriginSecret(current=ORIGIN_SECRET)
    origin = check(secret)
    for _ in range(100):
        assert not origin.verifies("guess")
    assert secret.forced_fetches == 2
    clock.now += REFRESH_INTERVAL_SECONDS - 0.1
    assert not origin.verifies("guess")
    assert secret.forced_fetches == 2
    clock.now += 0.2
    assert not origin.verifies("guess")
    assert secret.forced_fetches == 4
    # A missing header never triggers a read at all.
    clock.now += REFRESH_INTERVAL_SECONDS
    assert not origin.verifies(None)
    assert not origin.verifies("")
    assert secret.forced_fetches == 4


def test_an_empty_stored_value_admits_nothing(
    check: Callable[[InMemoryOriginSecret], OriginCheck],
) -> None:
    origin = check(InMemoryOriginSecret(current="", previous=""))
    assert not origin.verifies("")
    assert not origin.verifies(" ")


def test_the_header_name_is_the_one_cloudfront_sends() -> None:
    # The CDK side (cdk_constructs/origin_verify_secret.py) is checked against this in
    # tests/compute; here: lower case, as API Gateway delivers header names.
    assert ORIGIN_VERIFY_HEADER == "x-origin-verify"


# --- the Secrets Manager adapter, against moto ------------------------------------------


class CountingClient:
    """A real boto3 client (moto behind it) that counts GetSecretValue calls by stage."""

    def __init__(self) -> None:
        self.client = boto3.client("secretsmanager", region_name="us-east-1")
        self.calls: list[str] = []
        self.client.meta.events.register(
            "provide-client-params.secrets-manager.GetSecretValue", self._count
        )

    def _count(self, params: dict[str, Any], **_kwargs: Any) -> None:
        self.calls.append(params["VersionStage"])


@pytest.fixture
def secrets_manager() -> Iterator[CountingClient]:
    with mock_aws():
        yield CountingClient()


def adapter(counting: CountingClient, arn: str) -> SecretsManagerOriginSecret:
    return SecretsManagerOriginSecret(secret_arn=arn, client_factory=lambda: counting.client)


def test_adapter_reads_current_and_knows_a_secret_never_rotated(
    secrets_manager: CountingClient,
) -> None:
    arn = secrets_manager.client.create_secret(Name="ov", SecretString=ORIGIN_SECRET)["ARN"]
    secret = adapter(secrets_manager, arn)
    assert secret.current() == ORIGIN_SECRET
    assert secret.previous() is None
    # Both answers are cached, the missing previous one too: no call per wrong header.
    for _ in range(5):
        assert secret.current() == ORIGIN_SECRET
        assert secret.previous() is None
    assert secrets_manager.calls == ["AWSCURRENT", "AWSPREVIOUS"]


def test_adapter_keeps_the_two_stages_apart_after_a_rotation(
    secrets_manager: CountingClient,
) -> None:
    arn = secrets_manager.client.create_secret(Name="ov", SecretString=ORIGIN_SECRET)["ARN"]
    secret = adapter(secrets_manager, arn)
    assert secret.current() == ORIGIN_SECRET
    secrets_manager.client.put_secret_value(SecretId=arn, SecretString=NEW_SECRET)
    # Cached until it expires or a read is forced (Powertools caches by name, not by stage:
    # one provider per stage keeps AWSPREVIOUS from answering with AWSCURRENT's value).
    assert secret.current() == ORIGIN_SECRET
    assert secret.current(force_fetch=True) == NEW_SECRET
    assert secret.previous(force_fetch=True) == ORIGIN_SECRET


def test_adapter_turns_an_unreadable_secret_into_dependency_unavailable(
    secrets_manager: CountingClient,
) -> None:
    missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf"
    with pytest.raises(DependencyUnavailableError):
        adapter(secrets_manager, missing).current()


def test_adapter_refuses_a_binary_secret(secrets_manager: CountingClient) -> None:
    arn = secrets_manager.client.create_secret(Name="ov", SecretBinary=b"\x00\x01")["ARN"]
    with pytest.raises(ConfigurationError, match="string"):
        adapter(secrets_manager, arn).current()


def test_handler_with_the_real_adapter_over_moto(
    secrets_manager: CountingClient,
    preferences: InMemoryPreferencesRepository,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the profile handler reading the secret from (moto's) Secrets Manager,
    arn = secrets_manager.client.create_secret(Name="ov", SecretString=ORIGIN_SECRET)["ARN"]
    origin = OriginCheck(secret=adapter(secrets_manager, arn))
    monkeypatch.setattr(profile_handler, "origin", origin)
    # then the value passes, a wrong one does not, and health needs none.
    assert invoke(PROFILE, "GET", "/api/me/preferences").status == 200
    assert_refused(invoke(PROFILE, "GET", "/api/me/preferences", origin_verify="nope"))
    assert invoke(PROFILE, "GET", "/api/health", origin_verify=None).status == 200


def test_health_checks_still_load_neither_boto3_nor_powertools_parameters() -> None:
    # The origin check's Secrets Manager adapter loads on the first guarded request only.
    code = (
        "import sys\n"
        "from taskly.handlers import profile\n"
        "from tools.local.api.events import LocalLambdaContext, http_api_event\n"
        "event = http_api_event(method='GET', raw_path='/api/health')\n"
        "response = profile.handler(event, LocalLambdaContext(function_name='p'))\n"
        "assert response['statusCode'] == 200\n"
        "print(sorted(m for m in ('boto3', 'aws_lambda_powertools.utilities.parameters')"
        " if m in sys.modules))\n"
    )
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "lambda_src")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"  # after the metrics' EMF line
