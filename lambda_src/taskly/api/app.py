"""Builds a function's resolver and guards raw events before the router parses them.

``resolve`` is every API handler's one entry: the origin check first (a caller that skipped
CloudFront learns nothing else about the request), then the body guards, then the router.
"""

from __future__ import annotations

import base64
import binascii
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from taskly import errors
from taskly.api.errors import (
    error_body,
    raw_error_response,
    raw_response,
    register_error_handlers,
)
from taskly.api.origin import OriginCheck
from taskly.routes import API_PREFIX

# The largest valid body (a task with a 4,000-character description) is far below this.
MAX_BODY_BYTES = 16 * 1024
JSON_MEDIA_TYPES = ("application/json",)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def build_resolver(*routers: APIGatewayHttpRouter) -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)
    for router in routers:
        app.include_router(router, prefix=API_PREFIX)
    register_error_handlers(app)
    return app


def _decoded_body(event: dict[str, Any]) -> bytes | None:
    """The body's bytes, or None when a base64 body does not decode (never a valid request)."""
    body = event.get("body")
    if not isinstance(body, str):
        return b""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return None
    return body.encode("utf-8", errors="surrogatepass")


def _content_type(event: dict[str, Any]) -> str:
    headers = event.get("headers") or {}
    if not isinstance(headers, dict):
        return ""
    for name, value in headers.items():
        if isinstance(name, str) and name.lower() == "content-type" and isinstance(value, str):
            return value.split(";", 1)[0].strip().lower()
    return ""


def reject_before_routing(event: dict[str, Any]) -> dict[str, Any] | None:
    """A 413 or 415 response for bodies the router must never parse, else None.

    Runs before Powertools' validation, which would otherwise try form and multipart parsers.
    """
    body = _decoded_body(event)
    if body is not None and len(body) > MAX_BODY_BYTES:
        return raw_error_response(
            errors.PayloadTooLargeError(f"the request body is larger than {MAX_BODY_BYTES} bytes")
        )
    content_type = _content_type(event)
    method = str((event.get("requestContext") or {}).get("http", {}).get("method", "")).upper()
    carries_body = bool(event.get("body")) or method in BODY_METHODS
    if carries_body and content_type and content_type not in JSON_MEDIA_TYPES:
        return raw_error_response(
            errors.UnsupportedMediaTypeError(
                f"send the body as application/json, not {content_type[:100]}"
            )
        )
    if body is None or not _is_utf8(body):
        return raw_response(
            HTTPStatus.BAD_REQUEST,
            error_body("invalid_json", "the request body is not valid UTF-8 JSON"),
        )
    return None


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def resolve(
    app: APIGatewayHttpResolver, event: dict[str, Any], context: Any, *, origin: OriginCheck
) -> dict[str, Any]:
    return origin.reject(event) or reject_before_routing(event) or app.resolve(event, context)
