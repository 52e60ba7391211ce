"""Domain errors. The HTTP layer maps each to one status code in one place (``api.errors``).

Standard library only, so every layer can raise them without importing HTTP or driver code.
"""

from __future__ import annotations


class TasklyError(Exception):
    """Base class: ``message`` is safe to show to the caller."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(TasklyError):
    """The resource does not exist *for this caller* (another user's data is also not found)."""

    code = "not_found"


class ConflictError(TasklyError):
    """The request conflicts with the current state (stale version, request still in flight)."""

    code = "conflict"


class IdempotencyKeyReusedError(TasklyError):
    """An ``Idempotency-Key`` was reused with a different request body."""

    code = "idempotency_key_reused"


class InvalidRequestError(TasklyError):
    """Well-formed JSON that the use case rejects (a cursor that was not issued by us)."""

    code = "bad_request"


class UnauthorizedError(TasklyError):
    """The event carries no verified caller (API Gateway should never let that through)."""

    code = "unauthorized"


class ForbiddenError(TasklyError):
    """The caller's token lacks the scope the API requires."""

    code = "forbidden"


class OriginNotVerifiedError(ForbiddenError):
    """The request did not come through CloudFront (no or a wrong ``x-origin-verify``).

    The message must not say which: the caller learns only that this endpoint is not for them.
    """


class PayloadTooLargeError(TasklyError):
    code = "payload_too_large"


class UnsupportedMediaTypeError(TasklyError):
    code = "unsupported_media_type"


class DependencyUnavailableError(TasklyError):
    """A backing service (DocumentDB, DynamoDB, SQS, SES) is down or throttling: retry later."""

    code = "dependency_unavailable"

    def __init__(self, message: str, *, retry_after_seconds: int = 5) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class ConfigurationError(RuntimeError):
    """The function is deployed with a missing or invalid setting: fail loudly, it is not input."""
