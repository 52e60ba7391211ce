"""Only CloudFront may call the API: the ``x-origin-verify`` check.

WAF cannot attach to an HTTP API and the ``execute-api`` URL is public, so a client could skip
CloudFront (its WAF, the cut-over weight, the access logs) by calling the API directly.
CloudFront therefore adds ``x-origin-verify: <secret>`` to every request it forwards to the
API (the edge stack; docs/edge.md), and every function behind the API refuses a request that
lacks the value: 403 with the project's error body, the same for a missing and a wrong header.

- Compared in constant time (``hmac.compare_digest``) with the secret's current value and,
  so that a rotation never locks CloudFront out, with its previous one.
- The values come from an ``OriginSecret`` (Powertools parameters, cached 5 minutes). When a
  header matches neither cached value, they are read again, at most once every 30 seconds: a
  rotated value is accepted as soon as CloudFront sends it, and a flood of wrong headers costs
  at most two Secrets Manager reads per 30 s per execution environment.
- ``GET /api/health`` is exempt: it touches nothing, and liveness probes and ``make smoke``
  call it on the execute-api URL.
- A secret that cannot be read answers 503 (fail closed), never lets the request through.

There is no switch to turn the check off: the functions' settings require
``ORIGIN_VERIFY_SECRET_ARN`` (``taskly.settings.ApiFunctionSettings``).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from taskly.api.errors import raw_error_response
from taskly.errors import DependencyUnavailableError, OriginNotVerifiedError
from taskly.observability import logger, metrics

if TYPE_CHECKING:
    from taskly.data.interfaces import OriginSecret

ORIGIN_VERIFY_HEADER = "x-origin-verify"
# (method, path) as the router matches them; each must be a public route of taskly.routes.
UNVERIFIED_ROUTES = frozenset({("GET", "/api/health")})
REFRESH_INTERVAL_SECONDS = 30.0
# Says what to do, not what was wrong: a missing and a wrong header get the same answer.
REFUSAL = "use the public endpoint"


class OriginCheck:
    """Decides, before routing, whether a request came through CloudFront."""

    def __init__(
        self, *, secret: OriginSecret, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._secret = secret
        self._clock = clock
        self._last_refresh: float | None = None

    def reject(self, event: Mapping[str, Any]) -> dict[str, Any] | None:
        """The response for a request that did not come through CloudFront, else None."""
        if _route(event) in UNVERIFIED_ROUTES:
            return None
        presented = _header(event, ORIGIN_VERIFY_HEADER)
        try:
            if self.verifies(presented):
                return None
        except DependencyUnavailableError as unavailable:
            return raw_error_response(unavailable)
        # The reason goes to the log only; never the value (it may be a near-miss of the secret).
        logger.info(
            "refused a request that did not come through CloudFront",
            extra={"origin_verify_header": "missing" if not presented else "wrong"},
        )
        metrics.add_metric(name="OriginNotVerified", unit=MetricUnit.Count, value=1)
        return raw_error_response(OriginNotVerifiedError(REFUSAL))

    def verifies(self, presented: str | None) -> bool:
        """Whether ``presented`` is the secret's current or previous value."""
        if not presented:
            return False
        candidate = presented.encode("utf-8", errors="surrogatepass")
        if self._matches(candidate, force_fetch=False):
            return True
        now = self._clock()
        if self._last_refresh is not None and now - self._last_refresh < REFRESH_INTERVAL_SECONDS:
            return False
        self._last_refresh = now
        return self._matches(candidate, force_fetch=True)

    def _matches(self, candidate: bytes, *, force_fetch: bool) -> bool:
        if _equal(candidate, self._secret.current(force_fetch=force_fetch)):
            return True
        previous = self._secret.previous(force_fetch=force_fetch)
        return previous is not None and _equal(candidate, previous)


def _equal(candidate: bytes, expected: str) -> bool:
    # An empty stored value matches nothing: it must never admit an empty header.
    return bool(expected) and hmac.compare_digest(candidate, expected.encode("utf-8"))


def _route(event: Mapping[str, Any]) -> tuple[str, str]:
    """(method, path) the way the router reads them from a payload 2.0 event."""
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, Mapping) else None
    method = http.get("method") if isinstance(http, Mapping) else None
    path = event.get("rawPath")
    if not isinstance(method, str) or not isinstance(path, str):
        return ("", "")
    stage = context.get("stage") if isinstance(context, Mapping) else None
    if isinstance(stage, str) and stage != "$default":
        path = path[len(f"/{stage}") :]  # what Powertools' event.path does for a named stage
    return (method.upper(), path)


def _header(event: Mapping[str, Any], name: str) -> str | None:
    headers = event.get("headers")
    if not isinstance(headers, Mapping):
        return None
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == name and isinstance(value, str):
            return value
    return None
