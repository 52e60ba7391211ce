"""The caller, as API Gateway's JWT authorizer verified it.

API Gateway has already checked the signature, issuer, client, expiry and the required scope;
reading the claims again here is defence in depth for a route deployed without the authorizer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import Request

from taskly.errors import ForbiddenError, UnauthorizedError
from taskly.routes import API_SCOPE

MAX_SUBJECT_LENGTH = 128


@dataclass(frozen=True, slots=True)
class Caller:
    user_id: str
    scopes: frozenset[str]


def caller_from_event(event: dict[str, Any]) -> Caller:
    context = event.get("requestContext") or {}
    authorizer = context.get("authorizer") or {} if isinstance(context, dict) else {}
    jwt = authorizer.get("jwt") or {} if isinstance(authorizer, dict) else {}
    claims = jwt.get("claims") or {} if isinstance(jwt, dict) else {}
    subject = claims.get("sub") if isinstance(claims, dict) else None
    if not isinstance(subject, str) or not subject or len(subject) > MAX_SUBJECT_LENGTH:
        raise UnauthorizedError("the request carries no verified user")
    raw_scope = claims.get("scope", "")
    scopes = frozenset(raw_scope.split()) if isinstance(raw_scope, str) else frozenset()
    if API_SCOPE not in scopes:
        raise ForbiddenError(f"the access token lacks the {API_SCOPE!r} scope")
    return Caller(user_id=subject, scopes=scopes)


def current_caller(request: Request) -> Caller:
    """Powertools dependency: ``caller: Annotated[Caller, Depends(current_caller)]``."""
    return caller_from_event(request.resolved_event.raw_event)
