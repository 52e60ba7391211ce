"""boto3 clients and the mapping of AWS failures onto domain errors.

boto3 is imported on first use, so a function that never calls AWS never pays for it (health
checks; a SnapStart function loads it before the snapshot, ``prime``). Every boto3 client of
the functions comes from ``client`` (which patches botocore for X-Ray before the first one)
or, with its own retry budget, from the DocumentDB secret's provider (which primes the same way).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import sys
from collections.abc import Iterator
from typing import Any

from taskly import snapshot
from taskly.errors import DependencyUnavailableError
from taskly.observability import trace_library

logger = logging.getLogger(__name__)

# Errors that say "not now" rather than "never": answer 503 and let the client retry.
TRANSIENT_ERROR_CODES = frozenset(
    {
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "KMS.ThrottlingException",
        "AWS.SimpleQueueService.ServiceUnavailable",
    }
)


@functools.cache
def client(service: str) -> Any:
    """One client per service per execution environment, with short timeouts."""
    prime()
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        config=Config(
            connect_timeout=2,
            read_timeout=3,
            retries={"mode": "standard", "max_attempts": 3},
        ),
    )


def prime() -> None:
    """Patch botocore for X-Ray and load boto3; creates no session, client or credential."""
    trace_library("botocore")
    importlib.import_module("boto3")


@snapshot.after_restore
def _forget_clients() -> None:
    """A client (or boto3's default session) from before the snapshot keeps signing with the
    credentials it resolved then: the session caches them, and a snapshot outlives them."""
    client.cache_clear()
    boto3: Any = sys.modules.get("boto3")
    if boto3 is not None:
        boto3.DEFAULT_SESSION = None


@contextlib.contextmanager
def translate_aws_errors(dependency: str) -> Iterator[None]:
    from botocore.exceptions import (
        ClientError,
        ConnectTimeoutError,
        ReadTimeoutError,
    )
    from botocore.exceptions import (
        ConnectionError as BotoConnectionError,
    )

    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in TRANSIENT_ERROR_CODES:
            logger.warning("%s unavailable: %s", dependency, code)
            raise DependencyUnavailableError(f"the {dependency} is unavailable") from exc
        raise
    except (BotoConnectionError, ConnectTimeoutError, ReadTimeoutError) as exc:
        logger.warning("%s unreachable: %s", dependency, exc)
        raise DependencyUnavailableError(f"the {dependency} is unavailable") from exc
