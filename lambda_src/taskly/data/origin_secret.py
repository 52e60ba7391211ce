"""The ``x-origin-verify`` value, from Secrets Manager through Powertools parameters (cached).

Powertools keys its cache by secret name only, not by version stage, so ``AWSCURRENT`` and
``AWSPREVIOUS`` each get their own provider (and so their own cache) over one boto3 client.
A secret that was never rotated has no ``AWSPREVIOUS``; that answer is cached like a value
(as ``""``), so a stream of wrong headers cannot become a stream of Secrets Manager calls.
Powertools and boto3 load on the first read: the profile function's health checks never pay
for them.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from taskly import snapshot
from taskly.errors import ConfigurationError, DependencyUnavailableError

logger = logging.getLogger(__name__)

CURRENT = "AWSCURRENT"
PREVIOUS = "AWSPREVIOUS"
MAX_AGE_SECONDS = 300
NO_VALUE = ""


class SecretsManagerOriginSecret:
    """``current()`` and ``previous()`` of one secret, each cached ``max_age_seconds``."""

    def __init__(
        self,
        *,
        secret_arn: str,
        max_age_seconds: int = MAX_AGE_SECONDS,
        client_factory: Callable[[], Any] | None = None,
    ) -> None:
        self._secret_arn = secret_arn
        self._max_age_seconds = max_age_seconds
        self._client_factory = client_factory or _default_client
        self._client: Any = None
        self._providers: dict[str, Any] = {}
        # Built at init (handlers hold one at module level): its client, if any existed by
        # the snapshot, would sign with the init's credentials.
        snapshot.after_restore(self._forget_client)

    def _forget_client(self) -> None:
        self._client = None
        self._providers = {}

    def current(self, *, force_fetch: bool = False) -> str:
        return self._read(CURRENT, force_fetch=force_fetch)

    def previous(self, *, force_fetch: bool = False) -> str | None:
        return self._read(PREVIOUS, force_fetch=force_fetch) or None

    def _read(self, stage: str, *, force_fetch: bool) -> str:
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        provider = self._provider(stage)
        try:
            value = provider.get(
                self._secret_arn, max_age=self._max_age_seconds, force_fetch=force_fetch
            )
        except GetParameterError as exc:  # Powertools wraps every SDK failure in it
            logger.error("could not read the origin-verify secret (%s): %s", stage, exc)
            raise DependencyUnavailableError("the service is unavailable") from exc
        if not isinstance(value, str):
            raise ConfigurationError("the origin-verify secret must be a string, not binary")
        return value

    def _provider(self, stage: str) -> Any:
        provider = self._providers.get(stage)
        if provider is None:
            if self._client is None:
                self._client = self._client_factory()
            provider = self._providers[stage] = _stage_provider(stage, self._client)
        return provider


def prime() -> None:
    """Load what the first read loads (boto3, Powertools parameters): no client, no I/O."""
    from taskly.data import aws

    aws.prime()
    importlib.import_module("aws_lambda_powertools.utilities.parameters")


def _default_client() -> Any:
    from taskly.data.aws import client

    return client("secretsmanager")


def _stage_provider(stage: str, boto3_client: Any) -> Any:
    """A Powertools SecretsProvider that reads one version stage (a custom provider's ``_get``)."""
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    class VersionStageProvider(SecretsProvider):
        def _get(self, name: str, **sdk_options: Any) -> str | bytes:
            try:
                return super()._get(name, **{**sdk_options, "VersionStage": stage})
            except self.client.exceptions.ResourceNotFoundException:
                if stage == CURRENT:
                    raise
                return NO_VALUE  # never rotated: no previous value, cached like one

    return VersionStageProvider(boto3_client=boto3_client)
