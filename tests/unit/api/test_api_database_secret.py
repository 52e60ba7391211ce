"""The tasks function's database secret: DocumentDB's attached secret or the legacy MongoDB's.

Validation and the pymongo options it produces, in-process. That these options really connect
(TLS with the secret's CA, SCRAM, the replica set name) is proven over the wire in
tests/wire/test_wire_tasks_repository.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from taskly.data.database_secret import DocDbSecret
from taskly.errors import ConfigurationError

from tools.local.db.certs import ca_pem, write_ca

BASE = {"host": "cluster.example", "port": 27017, "username": "taskly", "password": "pw"}
# What Secrets Manager holds for a DocumentDB cluster's generated, attached secret.
DOCUMENTDB_ATTACHED = {
    **BASE,
    "dbClusterIdentifier": "tasklydevdatadocdb",
    "engine": "mongo",
    "ssl": True,
}


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return write_ca(tmp_path / "global-bundle.pem", "bundled RDS CA stand-in")


def test_documentdb_attached_secret_gets_documentdb_settings(bundle: Path) -> None:
    options = DocDbSecret.parse(DOCUMENTDB_ATTACHED).client_options(bundle)
    assert options == {
        "host": "cluster.example",
        "port": 27017,
        "username": "taskly",
        "password": "pw",
        "authSource": "admin",
        "tls": True,
        "tlsCAFile": str(bundle),
        "replicaSet": "rs0",
        "readPreference": "secondaryPreferred",
        "retryWrites": False,
        "directConnection": False,
    }


def test_legacy_mongodb_secret_with_its_own_ca_and_settings(bundle: Path) -> None:
    pem = ca_pem()
    secret = DocDbSecret.parse(
        {
            **BASE,
            "host": "mongo.legacy.example",
            "port": 27018,
            "tls": True,
            "tls_ca_pem": pem,
            "replicaSet": "legacy-rs",
            "retryWrites": True,
            "authSource": "taskly",
            "readPreference": "primary",
        }
    )
    options = secret.client_options(bundle)
    ca_file = Path(options.pop("tlsCAFile"))
    assert ca_file != bundle
    assert ca_file.read_text() == pem
    assert options == {
        "host": "mongo.legacy.example",
        "port": 27018,
        "username": "taskly",
        "password": "pw",
        "authSource": "taskly",
        "tls": True,
        "replicaSet": "legacy-rs",
        "readPreference": "primary",
        "retryWrites": True,
        "directConnection": False,
    }


def test_secret_ca_is_written_once_per_content(bundle: Path) -> None:
    first, rotated = ca_pem("first"), ca_pem("rotated")
    path = DocDbSecret.parse({**BASE, "tls_ca_pem": first}).ca_file(bundle)
    again = DocDbSecret.parse({**BASE, "tls_ca_pem": first}).ca_file(bundle)
    other = DocDbSecret.parse({**BASE, "tls_ca_pem": rotated}).ca_file(bundle)
    assert path == again != other
    assert other.read_text() == rotated
    path.unlink()  # e.g. a restored execution environment without it
    assert DocDbSecret.parse({**BASE, "tls_ca_pem": first}).ca_file(bundle).read_text() == first


def test_standalone_legacy_server_without_replica_set(bundle: Path) -> None:
    options = DocDbSecret.parse(
        {**BASE, "replicaSet": None, "directConnection": True}
    ).client_options(bundle)
    assert "replicaSet" not in options
    assert options["directConnection"] is True


def test_missing_bundle_without_a_secret_ca_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="CA bundle not found"):
        DocDbSecret.parse(BASE).client_options(tmp_path / "missing.pem")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"tls": False}, "TLS cannot be switched off"),
        ({"ssl": False}, "TLS cannot be switched off"),
        ({"tls": True, "ssl": False}, "tls and ssl disagree"),
        ({"tls_ca_pem": "not a certificate"}, "tls_ca_pem: Value error, is not PEM text"),
        (
            {"tls_ca_pem": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},
            "tls_ca_pem: Value error, holds no loadable CA certificate",
        ),
        ({"port": 0}, "port: Input should be greater than or equal to 1"),
        ({"host": "mongodb://h:27017"}, "host: String should match pattern"),
        ({"replicaSet": ""}, "replicaSet: String should have at least 1 character"),
        ({"readPreference": "fastest"}, "readPreference: Input should be"),
        ({"retryWrites": "sometimes"}, "retryWrites: Input should be a valid boolean"),
        ({"password": ""}, "password: Value should have at least 1 item"),
    ],
)
def test_invalid_secret_names_the_field(change: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigurationError, match="the database secret is invalid") as raised:
        DocDbSecret.parse({**BASE, "password": "s3cret-value", **change})
    assert named in str(raised.value)
    assert "s3cret-value" not in str(raised.value)


def test_password_never_appears_in_the_error_even_when_it_is_the_bad_field() -> None:
    with pytest.raises(ConfigurationError) as raised:
        DocDbSecret.parse({**BASE, "password": ["s3cret-value"]})
    assert "password" in str(raised.value)
    assert "s3cret-value" not in str(raised.value)
    assert "s3cret-value" not in repr(DocDbSecret.parse({**BASE, "password": "s3cret-value"}))
