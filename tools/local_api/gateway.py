"""A stand-in for API Gateway's HTTP API: route matching, the JWT authorizer, event building.

It answers the way API Gateway does for what happens before the function (404 for an unknown
route, 401/403 from the authorizer, 413 for bodies over the 10 MB limit, 500 when the function
fails) and otherwise returns exactly what the handler returned.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tools.local_api.devjwt import DevKey, TokenRejectedError, verify_token
from tools.local_api.events import LocalLambdaContext, http_api_event, match_route

logger = logging.getLogger("taskly.local.gateway")

Handler = Callable[[dict[str, Any], Any], Any]
API_GATEWAY_MAX_BODY = 10 * 1024 * 1024


@dataclass
class GatewayResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _json(status: int, message: str, headers: Iterable[tuple[str, str]] = ()) -> GatewayResponse:
    body = json.dumps({"message": message}).encode()
    return GatewayResponse(status, [("content-type", "application/json"), *headers], body)


@dataclass
class LocalGateway:
    key: DevKey
    functions: Mapping[str, Handler]
    # One Lambda execution environment per function: one invocation at a time, like Lambda.
    _locks: dict[str, threading.Lock] = field(default_factory=dict)

    def handle(
        self,
        *,
        method: str,
        raw_path: str,
        raw_query: str,
        headers: list[tuple[str, str]],
        body: bytes,
        source_ip: str = "127.0.0.1",
    ) -> GatewayResponse:
        if len(body) > API_GATEWAY_MAX_BODY:
            return _json(413, "Request Entity Too Large")
        matched = match_route(method.upper(), raw_path)
        if matched is None:
            # In AWS this falls through to ANY /api/{proxy+}, i.e. the legacy backend.
            return _json(404, "Not Found")
        route, path_parameters = matched
        claims: dict[str, Any] | None = None
        scopes: list[str] | None = None
        if not route.public:
            token = self._bearer_token(headers)
            if token is None:
                return _json(401, "Unauthorized")
            try:
                claims = verify_token(self.key, token)
            except TokenRejectedError as rejected:
                logger.info("authorizer rejected a token: %s", rejected.reason)
                if rejected.status == 403:
                    return _json(403, "Forbidden")
                challenge = f'Bearer error="invalid_token" error_description="{rejected.reason}"'
                return _json(401, "Unauthorized", [("www-authenticate", challenge)])
            scopes = str(claims.get("scope", "")).split()
        event = http_api_event(
            method=method.upper(),
            raw_path=raw_path,
            raw_query=raw_query,
            headers=headers,
            body=body,
            route=route,
            path_parameters=path_parameters,
            claims=claims,
            scopes=scopes,
            source_ip=source_ip,
        )
        return self.invoke(route.service, event)

    def invoke(self, service: str, event: dict[str, Any]) -> GatewayResponse:
        lock = self._locks.setdefault(service, threading.Lock())
        with lock:
            try:
                result = self.functions[service](
                    event, LocalLambdaContext(function_name=f"taskly-local-{service}")
                )
            except Exception:
                logger.exception("the %s function failed", service)
                return _json(500, "Internal Server Error")
        return to_gateway_response(result)

    @staticmethod
    def _bearer_token(headers: list[tuple[str, str]]) -> str | None:
        for name, value in headers:
            if name.lower() == "authorization":
                # Like the HTTP API authorizer: "Bearer <jwt>" or the bare token.
                token = value.removeprefix("Bearer ").strip()
                return token or None
        return None


def to_gateway_response(result: Any) -> GatewayResponse:
    """Turn a payload 2.0 Lambda response into the HTTP response API Gateway would send."""
    if not isinstance(result, dict) or "statusCode" not in result:
        text = result if isinstance(result, str) else json.dumps(result)
        return GatewayResponse(200, [("content-type", "application/json")], text.encode())
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((name, str(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((name, str(value)) for value in values)
    headers.extend(("set-cookie", cookie) for cookie in result.get("cookies") or [])
    raw_body = str(result.get("body") or "")
    body = base64.b64decode(raw_body) if result.get("isBase64Encoded") else raw_body.encode()
    return GatewayResponse(int(result["statusCode"]), headers, body)
