"""Every error the API returns, mapped in one place, as ``{"code", "message", "details"}``.

Bad input is always a 4xx that says what is wrong; a dependency that is down is a 503 with
``Retry-After``. Anything else is a bug: it propagates, Lambda records an error (the canary
alarm sees it) and API Gateway answers a bare 500, never a stack trace.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError as RouteNotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from taskly import errors
from taskly.api import messages
from taskly.models.common import ErrorBody, ErrorDetail

STATUS_BY_ERROR: dict[type[errors.TasklyError], HTTPStatus] = {
    errors.InvalidRequestError: HTTPStatus.BAD_REQUEST,
    errors.UnauthorizedError: HTTPStatus.UNAUTHORIZED,
    errors.ForbiddenError: HTTPStatus.FORBIDDEN,
    errors.NotFoundError: HTTPStatus.NOT_FOUND,
    errors.ConflictError: HTTPStatus.CONFLICT,
    errors.PayloadTooLargeError: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    errors.UnsupportedMediaTypeError: HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    errors.IdempotencyKeyReusedError: HTTPStatus.UNPROCESSABLE_ENTITY,
    errors.DependencyUnavailableError: HTTPStatus.SERVICE_UNAVAILABLE,
}


def error_body(code: str, message: str, details: list[ErrorDetail] | None = None) -> dict[str, Any]:
    return ErrorBody(code=code, message=message, details=details).model_dump(exclude_none=True)


def status_for(error: errors.TasklyError) -> HTTPStatus:
    for error_type in type(error).__mro__:
        if error_type in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[error_type]
    raise error


def headers_for(error: errors.TasklyError) -> dict[str, str]:
    if isinstance(error, errors.DependencyUnavailableError):
        return {"Retry-After": str(error.retry_after_seconds)}
    return {}


def _without_optional_branches(raw_errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One error per field for a bad value of an optional (``X | None``) field.

    pydantic validates such a value against each union member and reports each failure at the
    field's location plus the member's tag (``body.status.str-enum[TaskStatus]`` and
    ``body.status.none``). The ``none`` branch only says the value is not null, and the tag is
    pydantic's internal name: keep the real error, at the field's own location.
    """
    none_branches = {
        tuple(error["loc"][:-1])
        for error in raw_errors
        if error.get("type") == "none_required" and tuple(error.get("loc", ()))[-1:] == ("none",)
    }
    # Only where another member failed too: that error is the one worth reporting.
    optional_fields = {
        parent
        for parent in none_branches
        if any(
            tuple(error.get("loc", ()))[:-1] == parent and error.get("type") != "none_required"
            for error in raw_errors
        )
    }
    kept = []
    for error in raw_errors:
        parent = tuple(error.get("loc", ()))[:-1]
        if parent not in optional_fields:
            kept.append(error)
        elif error.get("type") != "none_required":
            kept.append({**error, "loc": parent})
    return kept


def validation_details(raw_errors: Any) -> list[ErrorDetail]:
    """One detail per bad field, worded by ``api.messages`` (legacy's words, legacy's names)."""
    return [
        ErrorDetail(
            location=messages.location(error.get("loc", ())),
            message=messages.detail_message(error),
            type=messages.detail_type(str(error.get("type", ""))),
        )
        for error in _without_optional_branches(list(raw_errors))
    ]


def in_legacy_order(details: list[ErrorDetail], body: Any) -> list[ErrorDetail]:
    """Missing fields first, then the others in the order the client sent them, as legacy
    lists them (pydantic goes by the model's order), so the joined ``message`` matches too."""
    sent = list(body) if isinstance(body, dict) else []

    def rank(detail: ErrorDetail) -> tuple[int, int]:
        if detail.type == "missing":
            return (0, 0)
        field = detail.location.removeprefix("body.")
        return (1, sent.index(field) if field in sent else len(sent))

    return sorted(details, key=rank)


def _sent_body(app: APIGatewayHttpResolver) -> Any:
    try:
        return app.current_event.json_body
    except (TypeError, ValueError):
        return None


def _is_malformed_json(raw_errors: Any) -> bool:
    return any(error.get("type") == "json_invalid" for error in raw_errors)


def raw_response(
    status: HTTPStatus, body: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """An HTTP API (payload v2) response for errors raised before the router runs."""
    return {
        "statusCode": int(status),
        "headers": {"Content-Type": content_types.APPLICATION_JSON, **(headers or {})},
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
        "cookies": [],
    }


def raw_error_response(error: errors.TasklyError) -> dict[str, Any]:
    """A domain error as a raw response, mapped like the router maps it (for pre-route guards)."""
    return raw_response(
        status_for(error), error_body(error.code, error.message), headers_for(error)
    )


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    @app.exception_handler(errors.TasklyError)
    def _domain_error(error: errors.TasklyError) -> Response[dict[str, Any]]:
        return Response(
            status_code=int(status_for(error)),
            content_type=content_types.APPLICATION_JSON,
            body=error_body(error.code, error.message),
            headers=headers_for(error),
        )

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response[dict[str, Any]]:
        if _is_malformed_json(error.errors()):
            # Like legacy: no details. The parser's position is a character offset, and its
            # wording ("Expecting property name ...") is the JSON library's, not ours.
            return Response(
                status_code=int(HTTPStatus.BAD_REQUEST),
                content_type=content_types.APPLICATION_JSON,
                body=error_body("invalid_json", "the request body is not valid JSON"),
            )
        details = in_legacy_order(validation_details(error.errors()), _sent_body(app))
        message = "; ".join(f"{detail.location}: {detail.message}" for detail in details[:5])
        return Response(
            status_code=int(HTTPStatus.UNPROCESSABLE_ENTITY),
            content_type=content_types.APPLICATION_JSON,
            body=error_body("validation_error", message, details),
        )

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported_content_type(
        _error: RequestUnsupportedContentType,
    ) -> Response[dict[str, Any]]:
        return Response(
            status_code=int(HTTPStatus.UNSUPPORTED_MEDIA_TYPE),
            content_type=content_types.APPLICATION_JSON,
            body=error_body(
                errors.UnsupportedMediaTypeError.code, "send the body as application/json"
            ),
        )

    @app.not_found
    def _no_route(_error: RouteNotFoundError) -> Response[dict[str, Any]]:
        event = app.current_event
        return Response(
            status_code=int(HTTPStatus.NOT_FOUND),
            content_type=content_types.APPLICATION_JSON,
            body=error_body("not_found", f"no route for {event.http_method} {event.path}"),
        )
