"""HTTP API (payload format 2.0) events, shaped the way API Gateway builds them."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from taskly.routes import MIGRATED_ROUTES, Route

# API Gateway passes these content types as text; everything else arrives base64-encoded.
TEXT_CONTENT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
)
ACCOUNT_ID = "123456789012"
API_ID = "local"


def match_route(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The migrated route API Gateway would pick: a literal segment beats a ``{param}``."""
    segments = path.split("/")
    best: tuple[int, Route, dict[str, str]] | None = None
    for route in MIGRATED_ROUTES:
        if route.method != method:
            continue
        pattern = route.path.split("/")
        if len(pattern) != len(segments):
            continue
        params: dict[str, str] = {}
        literal = 0
        for expected, actual in zip(pattern, segments, strict=True):
            if expected.startswith("{") and expected.endswith("}"):
                if not actual:
                    break
                params[expected[1:-1]] = actual
            elif expected == actual:
                literal += 1
            else:
                break
        else:
            if best is None or literal > best[0]:
                best = (literal, route, params)
    return (best[1], best[2]) if best else None


def _is_text(content_type: str) -> bool:
    return content_type.lower().startswith(TEXT_CONTENT_TYPES)


def http_api_event(
    *,
    method: str,
    raw_path: str,
    raw_query: str = "",
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    route: Route | None = None,
    path_parameters: Mapping[str, str] | None = None,
    claims: Mapping[str, Any] | None = None,
    scopes: list[str] | None = None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """One event as API Gateway's HTTP API sends it to a Lambda proxy integration."""
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        lower = name.lower()
        if lower == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        # Repeated headers arrive comma-joined, names lower-cased.
        merged[lower] = f"{merged[lower]},{value}" if lower in merged else value
    query: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value

    now = dt.datetime.now(dt.UTC)
    request_id = str(uuid.uuid4())
    route_key = route.route_key if route else "$default"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": merged,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": merged.get("host", "127.0.0.1"),
            "domainPrefix": merged.get("host", "127.0.0.1").split(".")[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": merged.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if claims is not None:
        event["requestContext"]["authorizer"] = {
            "jwt": {"claims": _stringify_claims(claims), "scopes": scopes}
        }
    if body:
        if _is_text(merged.get("content-type", "")):
            try:
                event["body"] = body.decode("utf-8")
            except UnicodeDecodeError:
                event["body"] = base64.b64encode(body).decode()
                event["isBase64Encoded"] = True
        else:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    return event


def _stringify_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """API Gateway passes every claim as a string (arrays as ``[a b]``)."""
    result: dict[str, str] = {}
    for name, value in claims.items():
        if isinstance(value, list):
            result[name] = "[" + " ".join(str(item) for item in value) + "]"
        elif isinstance(value, bool):
            result[name] = str(value).lower()
        else:
            result[name] = str(value)
    return result


class LocalLambdaContext:
    """The attributes of a LambdaContext the handlers and Powertools read."""

    def __init__(self, *, function_name: str, timeout_seconds: float = 10.0) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:{function_name}:live"
        )
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=timeout_seconds)

    def get_remaining_time_in_millis(self) -> int:
        remaining = self._deadline - dt.datetime.now(dt.UTC)
        return max(0, int(remaining.total_seconds() * 1000))
