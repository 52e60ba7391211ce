"""A stand-in for API Gateway's HTTP API: route matching, the JWT authorizer, event building.

It answers the way API Gateway does for what happens before the function (404 for an unknown
route, 401/403 from the authorizer, 413 for bodies over the 10 MB limit, 500 when the function
fails) and otherwise returns exactly what the handler returned. With ``legacy_url``, every
``/api/...`` request no migrated route matches goes there, like ``ANY /api/{proxy+}`` (an HTTP
proxy integration without authorizer): method, path, query, headers and body unchanged, except
``x-origin-verify``, which the real integration removes so the legacy operator never sees it.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tools.local.api.devjwt import DevKey, TokenRejectedError, verify_token
from tools.local.api.events import LocalLambdaContext, http_api_event, match_route

logger = logging.getLogger("taskly.local.gateway")

Handler = Callable[[dict[str, Any], Any], Any]
API_GATEWAY_MAX_BODY = 10 * 1024 * 1024
# HTTP API integrations time out after 30 s (504).
INTEGRATION_TIMEOUT_SECONDS = 30
# Never passed to the legacy backend: the origin-verify secret is for the API functions only.
LEGACY_DROPPED_HEADERS = frozenset({"x-origin-verify", "host", "connection", "content-length"})
# Hop-by-hop headers are the gateway's own business, not the backend's.
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade", "te"})


@dataclass
class GatewayResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


# API Gateway's own answer to a body over its limit, before any function runs.
PAYLOAD_TOO_LARGE = "Request Entity Too Large"


def _json(status: int, message: str, headers: Iterable[tuple[str, str]] = ()) -> GatewayResponse:
    body = json.dumps({"message": message}).encode()
    return GatewayResponse(status, [("content-type", "application/json"), *headers], body)


def payload_too_large() -> GatewayResponse:
    """What API Gateway answers for a body over its 10 MB limit (JSON, like its other errors)."""
    return _json(413, PAYLOAD_TOO_LARGE)


@dataclass
class LocalGateway:
    key: DevKey
    functions: Mapping[str, Handler]
    # ANY /api/{proxy+}: where routes that are not migrated go (None: 404 like before).
    legacy_url: str | None = None
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
            return payload_too_large()
        matched = match_route(method.upper(), raw_path)
        if matched is None:
            target = raw_path + (f"?{raw_query}" if raw_query else "")
            return (
                self.proxy_to_legacy(method, target, headers, body)
                if self._proxies(raw_path)
                else _json(404, "Not Found")
            )
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
                challenge = (
                    f'Bearer scope="" error="invalid_token" error_description="{rejected.reason}"'
                )
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

    def _proxies(self, raw_path: str) -> bool:
        # ANY /api/{proxy+} needs at least one segment after /api/.
        return (
            self.legacy_url is not None
            and raw_path.startswith("/api/")
            and len(raw_path) > len("/api/")
        )

    def proxy_to_legacy(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> GatewayResponse:
        """``target`` is the path and query string, passed on unchanged."""
        legacy = urlsplit(str(self.legacy_url))
        forwarded = [(n, v) for n, v in headers if n.lower() not in LEGACY_DROPPED_HEADERS]
        connection = http.client.HTTPConnection(
            legacy.hostname or "127.0.0.1", legacy.port, timeout=INTEGRATION_TIMEOUT_SECONDS
        )
        try:
            connection.putrequest(method, target)
            for name, value in forwarded:
                connection.putheader(name, value)
            connection.putheader("content-length", str(len(body)))
            connection.endheaders(body)
            answer = connection.getresponse()
            payload = answer.read()
        except TimeoutError:
            return _json(504, "Gateway Timeout")
        except OSError as error:
            logger.warning("legacy backend unreachable at %s: %s", self.legacy_url, error)
            return _json(503, "Service Unavailable")
        finally:
            connection.close()
        kept = [
            (name, value)
            for name, value in answer.getheaders()
            if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length"
        ]
        return GatewayResponse(answer.status, kept, payload)

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
