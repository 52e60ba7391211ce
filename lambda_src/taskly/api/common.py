"""OpenAPI fragments shared by the routers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from taskly.models.common import AuthErrorBody, ErrorBody
from taskly.routes import API_SCOPE

SECURITY_SCHEME = "cognito"
SECURED: list[dict[str, list[str]]] = [{SECURITY_SCHEME: [API_SCOPE]}]

_DESCRIPTIONS = {
    400: "Malformed request (invalid JSON, a cursor we did not issue)",
    401: "No valid access token",
    403: f"The access token lacks the {API_SCOPE} scope, or the request did not come through "
    "the public (CloudFront) endpoint",
    404: "No such resource for this caller",
    409: "Conflicts with the current state",
    413: "Body too large",
    415: "Body is not application/json",
    422: "Request does not match the schema",
    503: "A dependency is unavailable; retry after Retry-After seconds",
}


def responses(
    success_status: int, success_model: type[BaseModel] | None, description: str, *errors: int
) -> dict[int, Any]:
    """A route's documented answers; every secured route can also answer 401/403/413/415/422."""
    # An empty content map documents "no body" (204); Powertools would otherwise add one.
    success: dict[str, Any] = {"description": description, "content": {}}
    if success_model is not None:
        success["content"] = {"application/json": {"model": success_model}}
    return {success_status: success, **error_responses(*errors)}


def error_responses(*statuses: int) -> dict[int, Any]:
    wanted = sorted({401, 403, 413, 415, 422, *statuses})
    responses: dict[int, Any] = {}
    for status in wanted:
        # 401/403 come from API Gateway's authorizer as {"message"}; the function adds a code.
        model = AuthErrorBody if status in {401, 403} else ErrorBody
        response: dict[str, Any] = {
            "description": _DESCRIPTIONS[status],
            "content": {"application/json": {"model": model}},
        }
        if status == 503:
            response["headers"] = {
                "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
            }
        responses[status] = response
    return responses
