"""The tasks function's database secret: which MongoDB-compatible server, and how to reach it.

By default the secret is the DocumentDB cluster's attached secret (``host``, ``port``,
``username``, ``password``, ``ssl``, ``engine`` ...) and every connection setting has
DocumentDB's value. For "the new functions use the legacy database until the end" the same
secret may instead point at the legacy MongoDB, with its own CA and TLS settings::

    {"host": "mongo.legacy.example", "port": 27017, "username": "taskly", "password": "...",
     "tls_ca_pem": "-----BEGIN CERTIFICATE-----...", "replicaSet": "legacy-rs",
     "retryWrites": true, "authSource": "admin"}

Every field and its default: docs/api.md, "The database secret".
TLS cannot be switched off: the credentials and every task would cross the network in clear.
"""

from __future__ import annotations

import hashlib
import os
import ssl
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from taskly.errors import ConfigurationError

HostName = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
]
ReadPreference = Literal[
    "primary", "primaryPreferred", "secondary", "secondaryPreferred", "nearest"
]
PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"
CA_FILE_PREFIX = "taskly-db-ca-"


class DocDbSecret(BaseModel):
    """The secret's JSON; unknown keys (``engine``, ``dbClusterIdentifier``) are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    host: HostName
    port: int = Field(default=27017, ge=1, le=65535)
    username: str = Field(min_length=1)
    password: SecretStr = Field(min_length=1)
    # DocumentDB's attached secret says "ssl"; MongoDB's URI option is "tls". Either, or none.
    tls: bool | None = None
    ssl: bool | None = None
    # PEM text of the CA(s) that sign the server's certificate; default: the bundled RDS CAs.
    tls_ca_pem: str | None = None
    # DocumentDB always names its replica set rs0; null for a standalone server.
    replica_set: str | None = Field(default="rs0", alias="replicaSet", min_length=1)
    # DocumentDB has no retryable writes; a MongoDB replica set does.
    retry_writes: bool = Field(default=False, alias="retryWrites")
    auth_source: str = Field(default="admin", alias="authSource", min_length=1)
    direct_connection: bool = Field(default=False, alias="directConnection")
    read_preference: ReadPreference = Field(default="secondaryPreferred", alias="readPreference")

    @field_validator("tls_ca_pem")
    @classmethod
    def _loadable_ca(cls, pem: str | None) -> str | None:
        if pem is None:
            return None
        if PEM_CERTIFICATE not in pem:
            raise ValueError("is not PEM text with at least one CERTIFICATE block")
        try:
            ssl.create_default_context(cadata=pem)
        except (ssl.SSLError, ValueError) as exc:
            raise ValueError(f"holds no loadable CA certificate ({exc})") from None
        return pem

    @model_validator(mode="after")
    def _tls_on(self) -> DocDbSecret:
        if self.tls is not None and self.ssl is not None and self.tls != self.ssl:
            raise ValueError("tls and ssl disagree; set one of them")
        if False in (self.tls, self.ssl):
            raise ValueError(
                "TLS cannot be switched off (tls/ssl false): the credentials and the data would "
                "cross the network in clear; enable TLS on the server or a TLS proxy in front"
            )
        return self

    @classmethod
    def parse(cls, raw: Any) -> DocDbSecret:
        """Validate, naming each bad field but never echoing a value (it may be a password)."""
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc']) or 'secret'}: {error['msg']}"
                for error in exc.errors(include_input=False, include_url=False)
            )
            raise ConfigurationError(f"the database secret is invalid: {problems}") from None

    def ca_file(self, default: Path) -> Path:
        """The CA file to verify the server with: the secret's own CA, else ``default``.

        The secret's PEM is written once to /tmp under a name derived from its content, so a
        rotated CA gets a new file and a restored snapshot without it writes it again.
        """
        if self.tls_ca_pem is None:
            if not default.is_file():
                raise ConfigurationError(f"DocumentDB CA bundle not found at {default}")
            return default
        digest = hashlib.sha256(self.tls_ca_pem.encode()).hexdigest()[:32]
        path = Path(tempfile.gettempdir()) / f"{CA_FILE_PREFIX}{digest}.pem"
        if not path.is_file():
            fd, partial = tempfile.mkstemp(prefix=f".{CA_FILE_PREFIX}", dir=path.parent)
            with os.fdopen(fd, "w") as handle:
                handle.write(self.tls_ca_pem)
            Path(partial).replace(path)
        return path

    def client_options(self, default_ca_file: Path) -> dict[str, Any]:
        """pymongo ``MongoClient`` keyword arguments for this server (connection part only)."""
        options: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "username": self.username,
            "password": self.password.get_secret_value(),
            "authSource": self.auth_source,
            "tls": True,
            "tlsCAFile": str(self.ca_file(default_ca_file)),
            "readPreference": self.read_preference,
            "retryWrites": self.retry_writes,
            "directConnection": self.direct_connection,
        }
        if self.replica_set is not None:
            options["replicaSet"] = self.replica_set
        return options
