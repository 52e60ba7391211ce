"""The local gateway's JWT authorizer refuses what the Cognito authorizer refuses."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from taskly.routes import API_SCOPE

from tools.local.api.devjwt import (
    CLIENT_ID,
    ISSUER,
    DevKey,
    TokenRejectedError,
    issue_token,
    load_or_create_key,
    verify_token,
)
from tools.local.api.gateway import LocalGateway


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> DevKey:
    return load_or_create_key(tmp_path_factory.mktemp("state"))


class Recorder:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], _context: Any) -> dict[str, Any]:
        self.events.append(event)
        return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": "{}"}


def call(key: DevKey, token: str | None, path: str = "/api/tasks") -> tuple[int, Recorder]:
    recorder = Recorder()
    gateway = LocalGateway(key=key, functions={"tasks": recorder, "profile": recorder})
    headers = [("Authorization", f"Bearer {token}")] if token is not None else []
    response = gateway.handle(method="GET", raw_path=path, raw_query="", headers=headers, body=b"")
    return response.status, recorder


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}."


def good_claims(key: DevKey) -> dict[str, Any]:
    return jwt.decode(issue_token(key, subject="alice"), options={"verify_signature": False})


def test_valid_access_token_passes_claims_to_the_function(key: DevKey) -> None:
    status, recorder = call(key, issue_token(key, subject="alice"))
    assert status == 200
    [event] = recorder.events
    authorizer = event["requestContext"]["authorizer"]["jwt"]
    assert authorizer["claims"]["sub"] == "alice"
    assert authorizer["claims"]["scope"] == API_SCOPE
    assert authorizer["claims"]["exp"].isdigit(), "API Gateway passes claims as strings"
    assert authorizer["scopes"] == [API_SCOPE]
    assert event["routeKey"] == "GET /api/tasks"


def test_health_needs_no_token(key: DevKey) -> None:
    status, recorder = call(key, None, path="/api/health")
    assert status == 200
    assert "authorizer" not in recorder.events[0]["requestContext"]


def test_unknown_route_is_404_without_invoking(key: DevKey) -> None:
    status, recorder = call(key, issue_token(key, subject="alice"), path="/api/legacy/thing")
    assert (status, recorder.events) == (404, [])


def forge_hs256_with_public_key(key: DevKey) -> str:
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    signing_input = (
        f"{b64(json.dumps(header).encode())}.{b64(json.dumps(good_claims(key)).encode())}"
    )
    signature = hmac.new(key.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def sign(
    key: DevKey, claims: dict[str, Any], *, private_key: Any = None, kid: str | None = None
) -> str:
    return jwt.encode(
        claims, private_key or key.private_key, algorithm="RS256", headers={"kid": kid or key.kid}
    )


def tampered(key: DevKey) -> str:
    header, _payload, signature = issue_token(key, subject="alice").split(".")
    forged = b64(json.dumps({**good_claims(key), "sub": "mallory"}).encode())
    return f"{header}.{forged}.{signature}"


def without(claims: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in claims.items() if k != name}


ATTACKS = {
    "alg none": lambda key: unsigned({"alg": "none", "kid": key.kid}, good_claims(key)),
    "HS256 signed with the public key": forge_hs256_with_public_key,
    "signed with another key": lambda key: sign(
        key,
        good_claims(key),
        private_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    ),
    "unknown kid": lambda key: sign(key, good_claims(key), kid="someone-elses-key"),
    "tampered payload": tampered,
    "expired": lambda key: issue_token(
        key, subject="alice", now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    ),
    "missing exp": lambda key: sign(key, without(good_claims(key), "exp")),
    "wrong issuer": lambda key: sign(key, {**good_claims(key), "iss": "https://evil.example"}),
    "wrong client": lambda key: sign(key, {**good_claims(key), "client_id": "another-app"}),
    "ID token instead of access token": lambda key: issue_token(
        key, subject="alice", token_use="id", extra_claims={"aud": CLIENT_ID}
    ),
    "garbage": lambda _key: "not.a.jwt",
    "empty bearer": lambda _key: "",
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_attack_tokens_are_401_and_never_reach_the_function(key: DevKey, attack: str) -> None:
    status, recorder = call(key, ATTACKS[attack](key))
    assert status == 401
    assert recorder.events == []


def test_missing_token_is_401(key: DevKey) -> None:
    status, recorder = call(key, None)
    assert (status, recorder.events) == (401, [])


def test_missing_scope_is_403(key: DevKey) -> None:
    status, recorder = call(key, issue_token(key, subject="alice", scopes=("openid", "email")))
    assert (status, recorder.events) == (403, [])


def test_verify_names_the_reason(key: DevKey) -> None:
    with pytest.raises(TokenRejectedError, match="issuer"):
        verify_token(key, sign(key, {**good_claims(key), "iss": "https://evil.example"}))
    assert verify_token(key, issue_token(key, subject="bob"))["iss"] == ISSUER


def test_key_is_created_private_and_reused(tmp_path: Path) -> None:
    first = load_or_create_key(tmp_path)
    key_file = tmp_path / "jwt" / "signing-key.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600
    again = load_or_create_key(tmp_path)
    assert again.kid == first.kid
    assert again.private_key.private_numbers() == first.private_key.private_numbers()
    assert b"PRIVATE KEY" in key_file.read_bytes()
    assert serialization.load_pem_public_key(first.public_pem())


# The authorizer's kind of sentence for each refusal, never PyJWT's own ("Not enough segments").
REFUSALS = {
    "alg none": "the token is not signed with an accepted algorithm",
    "HS256 signed with the public key": "the token is not signed with an accepted algorithm",
    "signed with another key": "the token does not have a valid signature",
    "unknown kid": "the token is not signed by a known key",
    "tampered payload": "the token does not have a valid signature",
    "expired": "the token has expired",
    "missing exp": "the token is missing a required claim",
    "wrong issuer": "the token does not have a valid issuer",
    "wrong client": "the token does not have a valid audience",
    "ID token instead of access token": "the token is not an access token",
    "garbage": "the token is not a well-formed JWT",
}


@pytest.mark.parametrize("attack", list(REFUSALS))
def test_a_refused_token_is_described_in_the_authorizers_words(key: DevKey, attack: str) -> None:
    gateway = LocalGateway(key=key, functions={"tasks": Recorder()})
    token = ATTACKS[attack](key)
    response = gateway.handle(
        method="GET",
        raw_path="/api/tasks",
        raw_query="",
        headers=[("Authorization", f"Bearer {token}")],
        body=b"",
    )
    assert (response.status, json.loads(response.body)) == (401, {"message": "Unauthorized"})
    challenge = {name.lower(): value for name, value in response.headers}["www-authenticate"]
    assert challenge == (
        f'Bearer scope="" error="invalid_token" error_description="{REFUSALS[attack]}"'
    )


def test_a_token_of_one_segment_is_not_described_by_the_jwt_library(key: DevKey) -> None:
    with pytest.raises(TokenRejectedError) as refused:
        verify_token(key, "not-a-jwt")
    assert refused.value.reason == "the token is not a well-formed JWT"
