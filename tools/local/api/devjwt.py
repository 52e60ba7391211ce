"""Dev access tokens for the local API, checked the way the Cognito JWT authorizer checks them.

The RS256 key pair is generated on first use into a git-ignored directory (``.local/jwt``)
and never leaves the machine. Tokens mirror a Cognito *access* token: ``client_id`` instead
of ``aud``, ``token_use: access``, and the resource-server scope in ``scope``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from taskly.routes import API_SCOPE

ISSUER = "https://cognito-idp.local.taskly.invalid/local_taskly"
CLIENT_ID = "taskly-local-spa"
TOKEN_LIFETIME = dt.timedelta(hours=1)
DEFAULT_STATE_DIR = Path(".local")


@dataclass(frozen=True)
class DevKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    def public_pem(self) -> bytes:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.public_key))
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}


def load_or_create_key(state_dir: Path = DEFAULT_STATE_DIR) -> DevKey:
    """The machine's dev signing key, created (mode 0600) on first use."""
    key_dir = state_dir / "jwt"
    key_file = key_dir / "signing-key.pem"
    kid_file = key_dir / "kid"
    if key_file.is_file() and kid_file.is_file():
        private_key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise SystemExit(f"{key_file} is not an RSA key; delete it to make a new one")
        return DevKey(kid=kid_file.read_text().strip(), private_key=private_key)
    key_dir.mkdir(parents=True, exist_ok=True)
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    kid = f"local-{uuid.uuid4().hex[:12]}"
    kid_file.write_text(kid + "\n")
    return DevKey(kid=kid, private_key=private_key)


def issue_token(
    key: DevKey,
    *,
    subject: str,
    scopes: tuple[str, ...] = (API_SCOPE,),
    token_use: str = "access",  # noqa: S107 - a claim value, not a secret
    lifetime: dt.timedelta = TOKEN_LIFETIME,
    now: dt.datetime | None = None,
    extra_claims: dict[str, Any] | None = None,
) -> str:
    issued = now or dt.datetime.now(dt.UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "iss": ISSUER,
        "client_id": CLIENT_ID,
        "token_use": token_use,
        "scope": " ".join(scopes),
        "auth_time": int(issued.timestamp()),
        "iat": int(issued.timestamp()),
        "exp": int((issued + lifetime).timestamp()),
        "jti": str(uuid.uuid4()),
        "username": subject,
        **(extra_claims or {}),
    }
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


class TokenRejectedError(Exception):
    """Why a token was refused; ``status`` is what API Gateway answers (401, or 403 for scope)."""

    def __init__(self, reason: str, *, status: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


# PyJWT's exception -> the authorizer's kind of sentence ("the token does not have a valid
# audience", the AWS troubleshooting guide's example). PyJWT's own text ("Not enough segments")
# is the library's and never reaches the caller. Most specific first: they subclass each other.
_REJECTIONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet"),
    (jwt.InvalidIssuerError, "the token does not have a valid issuer"),
    (jwt.MissingRequiredClaimError, "the token is missing a required claim"),
    (jwt.InvalidSignatureError, "the token does not have a valid signature"),
    (jwt.InvalidAlgorithmError, "the token is not signed with an accepted algorithm"),
    (jwt.DecodeError, "the token is not a well-formed JWT"),
)


def _rejection(error: jwt.PyJWTError) -> str:
    for error_type, reason in _REJECTIONS:
        if isinstance(error, error_type):
            return reason
    return "the token is not valid"


def verify_token(key: DevKey, token: str, *, required_scope: str = API_SCOPE) -> dict[str, Any]:
    """The claims of a valid access token, or TokenRejectedError (like the Cognito authorizer)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenRejectedError("the token is not a well-formed JWT") from None
    if header.get("kid") != key.kid:
        raise TokenRejectedError("the token is not signed by a known key")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.public_key,
            # Only RS256: "none" and HS256-with-the-public-key are refused before any check.
            algorithms=["RS256"],
            issuer=ISSUER,
            options={
                "require": ["exp", "iat", "iss", "sub", "token_use", "client_id"],
                "verify_aud": False,  # Cognito access tokens carry client_id, not aud
            },
            leeway=0,
        )
    except jwt.PyJWTError as exc:
        raise TokenRejectedError(_rejection(exc)) from None
    if claims.get("token_use") != "access":
        raise TokenRejectedError("the token is not an access token")
    if claims.get("client_id") != CLIENT_ID:
        raise TokenRejectedError("the token does not have a valid audience")
    scope = claims.get("scope")
    if not isinstance(scope, str) or required_scope not in scope.split():
        raise TokenRejectedError(f"the token lacks the {required_scope} scope", status=403)
    return claims
