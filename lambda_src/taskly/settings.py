"""Environment variables per function, validated once at cold start.

A missing or invalid variable stops the init phase with one line naming every bad variable,
so a broken deployment fails its canary instead of answering with surprises.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from taskly.errors import ConfigurationError

TableName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{3,255}$")]
SecretArn = Annotated[
    str, StringConstraints(pattern=r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$")
]
EmailAddress = Annotated[
    str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class FunctionSettings(BaseModel):
    """Variables every function reads (Powertools picks them up too)."""

    # defer_build: a function validates one of these models; the others (and the bases) are
    # never built, so their validators are not compiled at its init.
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=False, defer_build=True)

    service_name: str = Field(alias="POWERTOOLS_SERVICE_NAME", min_length=1)
    metrics_namespace: str = Field(alias="POWERTOOLS_METRICS_NAMESPACE", min_length=1)
    log_level: LogLevel = Field(alias="POWERTOOLS_LOG_LEVEL")


class ApiFunctionSettings(FunctionSettings):
    """Variables of every function behind the HTTP API.

    ``ORIGIN_VERIFY_SECRET_ARN`` is required, with no default and no switch to turn the check
    off: a function deployed without it fails its cold start (and so its pre-traffic hook and
    canary) instead of serving callers that skipped CloudFront. See ``taskly.api.origin``.
    """

    origin_verify_secret_arn: SecretArn = Field(alias="ORIGIN_VERIFY_SECRET_ARN")


class DatabaseSettings(ApiFunctionSettings):
    """The shared database (DocumentDB, or the legacy MongoDB until the end): its secret,
    database name and CA bundle."""

    docdb_secret_arn: SecretArn = Field(alias="DOCDB_SECRET_ARN")
    docdb_database: str = Field(
        alias="DOCDB_DATABASE", default="taskly", pattern=r"^[A-Za-z0-9_-]{1,63}$"
    )
    docdb_ca_file: str = Field(alias="DOCDB_CA_FILE", default="certs/global-bundle.pem")
    # compute.<service>.docdb_max_pool_size of the stage (the deployed function always has it);
    # local runs default to what every stage sets.
    docdb_max_pool_size: int = Field(alias="DOCDB_MAX_POOL_SIZE", default=1, ge=1, le=100)

    def ca_file_path(self, environ: Mapping[str, str] = os.environ) -> Path:
        """The CA bundle, relative to the bundle root (``LAMBDA_TASK_ROOT``) unless absolute."""
        path = Path(self.docdb_ca_file)
        if path.is_absolute():
            return path
        return Path(environ.get("LAMBDA_TASK_ROOT", Path.cwd())) / path


class TasksSettings(DatabaseSettings):
    idempotency_table_name: TableName = Field(alias="IDEMPOTENCY_TABLE_NAME")
    email_queue_url: AnyHttpUrl = Field(alias="EMAIL_QUEUE_URL")


class ProfileSettings(DatabaseSettings):
    """Preferences live in legacy's ``preferences`` collection of the shared database."""


class EmailWorkerSettings(FunctionSettings):
    sender_email: EmailAddress = Field(alias="SENDER_EMAIL")
    idempotency_table_name: TableName = Field(alias="IDEMPOTENCY_TABLE_NAME")


SettingsT = TypeVar("SettingsT", bound=FunctionSettings)


def load_settings(model: type[SettingsT], environ: Mapping[str, str] = os.environ) -> SettingsT:
    """Validate the environment against ``model``; raise one readable ConfigurationError."""
    try:
        return model.model_validate(dict(environ))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)
        )
        raise ConfigurationError(f"invalid environment for {model.__name__}: {problems}") from None
