"""The tasks repository over the wire, through the tasks function's own connection code.

``DocumentDbConnection`` + ``create_client`` exactly as in Lambda: the secret (here in the
legacy-MongoDB shape, with its own CA as PEM text) becomes pymongo options with
``tls``/``tlsCAFile``, ``replicaSet``, ``retryWrites=false`` and bounded timeouts, and the
repository's queries, updates, aggregation and index creation run against a real server.
Only the secret loader is swapped (Secrets Manager is exercised by the local API suite).

The repository contract tests are the ones the unit suite runs against mongomock, imported
unchanged: here the same assertions meet a wire protocol, TLS and SCRAM.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pymongo
import pytest
from taskly.data.documentdb import INDEXES, DocumentDbConnection, DocumentDbTaskRepository
from taskly.errors import ConfigurationError, DependencyUnavailableError
from taskly.models.tasks import TaskCreate, TaskQuery

from tests.unit.api.test_api_repositories import (  # noqa: F401 - collected here, over the wire
    NOW,
    test_delete_only_own,
    test_insert_and_get_round_trip,
    test_list_filters,
    test_list_is_newest_first_and_owner_scoped,
    test_stats,
    test_update_bumps_version_and_checks_it,
)
from tools.local.db import LocalDb
from tools.local.db.certs import ca_pem

REPO = Path(__file__).resolve().parents[2]
# What the tasks function ships: the RDS CA bundle. It does not sign the local server, so a
# connection that verifies with it instead of the secret's own CA fails.
BUNDLED_CA = REPO / "certs" / "global-bundle.pem"
# A refused connection must surface within server selection (2 s), not hang; 15 s is far above
# that and far below a hang, on a machine running other suites.
NOT_A_HANG_SECONDS = 15
_databases = itertools.count()


class Secrets:
    """A secret loader that records each fetch (``force_fetch`` = cache bypassed)."""

    def __init__(self, *values: Mapping[str, Any]) -> None:
        self._values = list(values)
        self.fetches: list[bool] = []

    def __call__(self, _arn: str, force_fetch: bool) -> Mapping[str, Any]:
        self.fetches.append(force_fetch)
        return self._values.pop(0) if len(self._values) > 1 else self._values[0]


def connect(secret_loader: Secrets, *, ca_file: Path = BUNDLED_CA) -> DocumentDbConnection:
    return DocumentDbConnection(
        secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:tasks-db",
        database=f"wire_{next(_databases)}",
        ca_file=ca_file,
        secret_loader=secret_loader,
    )


@pytest.fixture
def legacy_secret(wire_db: LocalDb) -> dict[str, Any]:
    """The legacy-MongoDB shape: the server's CA travels in the secret."""
    return wire_db.secret()


@pytest.fixture
def repository(legacy_secret: dict[str, Any]) -> Iterator[DocumentDbTaskRepository]:
    connection = connect(Secrets(legacy_secret))
    yield DocumentDbTaskRepository(connection=connection)
    connection.reset()


def refused(
    repository: DocumentDbTaskRepository, caplog: pytest.LogCaptureFixture
) -> tuple[DependencyUnavailableError, str]:
    started = time.monotonic()
    with caplog.at_level(logging.WARNING), pytest.raises(DependencyUnavailableError) as raised:
        repository.list(TaskQuery(owner="alice"))
    assert time.monotonic() - started < NOT_A_HANG_SECONDS
    return raised.value, caplog.text


def test_client_has_the_lambda_settings_and_creates_the_indexes(
    legacy_secret: dict[str, Any], wire_db: LocalDb
) -> None:
    connection = connect(Secrets(legacy_secret))
    collection = connection.collection()
    options = collection.database.client.options
    assert options.retry_writes is False
    assert options.replica_set_name == "rs0"
    assert options.server_selection_timeout == 2
    assert options.read_preference.mongos_mode == "secondaryPreferred"
    with pymongo.MongoClient(wire_db.uri) as admin:
        indexes = {
            index["name"]: list(index["key"].items())
            for index in admin[collection.database.name].tasks.list_indexes()
        }
    assert dict(INDEXES) == {name: keys for name, keys in indexes.items() if name != "_id_"}
    connection.reset()


def test_documentdb_shape_verifies_with_the_bundle_file(wire_db: LocalDb) -> None:
    """The default path: no CA in the secret, the function's CA bundle file verifies."""
    attached = {
        "host": wire_db.host,
        "port": wire_db.port,
        "username": wire_db.username,
        "password": wire_db.password,
        "engine": "mongo",
        "ssl": True,
    }
    repository = DocumentDbTaskRepository(
        connection=connect(Secrets(attached), ca_file=wire_db.ca_file)
    )
    task = repository.insert(owner="alice", task=TaskCreate(title="over TLS"), now=NOW)
    assert repository.get(owner="alice", task_id=task.id) == task


def test_a_ca_that_did_not_sign_the_server_is_refused(
    legacy_secret: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    wrong = {**legacy_secret, "tls_ca_pem": ca_pem("Not the server's CA")}
    error, log = refused(DocumentDbTaskRepository(connection=connect(Secrets(wrong))), caplog)
    assert error.message == "the task store is unavailable"
    assert "CERTIFICATE_VERIFY_FAILED" in log


def test_the_bundled_rds_ca_does_not_verify_another_server(
    legacy_secret: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Without the secret's CA the function falls back to the RDS bundle, which must fail."""
    no_ca = {key: value for key, value in legacy_secret.items() if key != "tls_ca_pem"}
    _error, log = refused(DocumentDbTaskRepository(connection=connect(Secrets(no_ca))), caplog)
    assert "CERTIFICATE_VERIFY_FAILED" in log


def test_wrong_password_fails_fast_and_the_rotated_secret_is_reread(
    legacy_secret: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    secrets = Secrets({**legacy_secret, "password": "before-rotation"}, legacy_secret)
    repository = DocumentDbTaskRepository(connection=connect(secrets))
    error, log = refused(repository, caplog)
    assert error.retry_after_seconds == 1
    assert "rejected the credentials" in log
    assert repository.list(TaskQuery(owner="alice")) == []
    assert secrets.fetches == [False, True]


def test_a_wrong_replica_set_name_is_refused(
    legacy_secret: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    other = {**legacy_secret, "replicaSet": "not-rs0"}
    _error, log = refused(DocumentDbTaskRepository(connection=connect(Secrets(other))), caplog)
    assert "not-rs0" in log


def test_standalone_settings_connect_directly(legacy_secret: dict[str, Any]) -> None:
    direct = {**legacy_secret, "replicaSet": None, "directConnection": True, "retryWrites": True}
    repository = DocumentDbTaskRepository(connection=connect(Secrets(direct)))
    task = repository.insert(owner="bob", task=TaskCreate(title="direct"), now=NOW)
    assert [each.id for each in repository.list(TaskQuery(owner="bob"))] == [task.id]


def test_plaintext_secret_is_refused_before_connecting(legacy_secret: dict[str, Any]) -> None:
    connection = connect(Secrets({**legacy_secret, "tls": False}))
    with pytest.raises(ConfigurationError, match="TLS cannot be switched off"):
        DocumentDbTaskRepository(connection=connection).list(TaskQuery(owner="alice"))


FIRST_USE_PROBE = """
import json, sys
import taskly.handlers.tasks as tasks
at_init = sorted(name for name in ("pymongo", "bson") if name in sys.modules)
service = tasks.tasks_service()
connection = service._repository._connection
connection._secret_loader = lambda _arn, _force: json.loads(sys.argv[1])
from taskly.models.tasks import TaskCreate
service.create(owner="first-use", task=TaskCreate(title="first"), idempotency_key=None)
page = service.list(
    owner="first-use", status=None, due_before=None, due_after=None, limit=5, cursor=None
)
print(json.dumps({
    "at_init": at_init,
    "titles": [task.title for task in page.items],
    "listeners": [type(l).__name__ for l in connection._client.options.event_listeners],
}))
"""


def test_the_tasks_function_loads_the_driver_on_first_use_and_connects(
    legacy_secret: dict[str, Any],
) -> None:
    """A fresh interpreter set up like Lambda (tracing on): init loads no pymongo or bson; the
    handler's own ``tasks_service()`` loads them on first use, and its connection reaches the
    wire server (TLS with the secret's CA, SCRAM, rs0) with X-Ray's command listener on the
    client. Only the secret loader is swapped (no Secrets Manager here); X-Ray sends nothing
    without a daemon, so this shows the listener is attached, not that segments arrive."""
    environment = {
        **{key: value for key, value in os.environ.items() if key != "POWERTOOLS_TRACE_DISABLED"},
        "PYTHONPATH": str(REPO / "lambda_src"),
        "LAMBDA_TASK_ROOT": str(REPO / "lambda_src"),
        "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
        "POWERTOOLS_SERVICE_NAME": "taskly-wire",
        "POWERTOOLS_METRICS_NAMESPACE": "Taskly",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "AWS_DEFAULT_REGION": "us-east-1",
        "DOCDB_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:tasks-db",
        "DOCDB_DATABASE": f"wire_{next(_databases)}",
        "ORIGIN_VERIFY_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:ov",
        "IDEMPOTENCY_TABLE_NAME": "taskly-wire-idempotency",
        "EMAIL_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/taskly-email",
    }
    result = subprocess.run(
        [sys.executable, "-c", FIRST_USE_PROBE, json.dumps(legacy_secret)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=REPO / "lambda_src",
        timeout=NOT_A_HANG_SECONDS * 4,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["at_init"] == []
    assert seen["titles"] == ["first"]
    assert seen["listeners"] == ["XrayCommandListener"]
