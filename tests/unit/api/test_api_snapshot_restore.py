"""A simulated SnapStart restore: nothing that holds a connection, credentials or random state
from before the snapshot is used after it.

The hooks run through ``taskly.snapshot.run_after_restore_hooks`` (the local registry): what
this does not prove is that Lambda's runtime calls them, which is the runtime's documented
contract for ``snapshot_restore_py.register_after_restore`` (checked here only as far as
``after_restore`` handing hooks to that function when the module exists). The repository runs
on mongomock, as in test_api_repositories.py.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import mongomock
import pytest
from api_unit_support import run_fresh
from bson import ObjectId
from taskly import snapshot
from taskly.data import aws, origin_secret
from taskly.data.documentdb import DocumentDbConnection, DocumentDbTaskRepository
from taskly.models.tasks import TaskCreate, TaskQuery

from tests.unit.api.test_api_repositories import NOW, SECRET


class TrackedClient(mongomock.MongoClient):  # type: ignore[misc]
    closed = False

    def close(self) -> None:
        self.closed = True
        super().close()


def test_the_repository_reconnects_after_a_restore_and_closes_the_old_client() -> None:
    # Given a repository that connected before the snapshot (the worst case: init used it)
    created: list[TrackedClient] = []
    server = mongomock.MongoClient(tz_aware=True)  # one "server" both clients reach

    def factory(_secret: Any, _ca: Any) -> TrackedClient:
        client = TrackedClient(tz_aware=True, _store=server._store)
        created.append(client)
        return client

    connection = DocumentDbConnection(
        secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:docdb-AbCdEf",
        database="taskly",
        ca_file=Path("unused.pem"),
        client_factory=factory,
        secret_loader=lambda _arn, _force: SECRET,
    )
    repository = DocumentDbTaskRepository(connection=connection)
    repository.insert(owner="alice", task=TaskCreate(title="before"), now=NOW)
    assert len(created) == 1
    # When Lambda restores the snapshot
    snapshot.run_after_restore_hooks()
    # Then the old client is closed and the next use builds a new one that sees the data
    assert created[0].closed
    titles = [task.title for task in repository.list(TaskQuery(owner="alice"))]
    assert len(created) == 2
    assert created[1] is not created[0]
    assert not created[1].closed
    assert titles == ["before"]


def test_a_restore_renews_the_object_id_random_value_and_counter() -> None:
    before = ObjectId().binary
    snapshot.run_after_restore_hooks()
    after = ObjectId().binary
    # bytes 4-8: the per-process random value every restored environment would share
    assert before[4:9] != after[4:9]
    assert int.from_bytes(after[9:], "big") != (int.from_bytes(before[9:], "big") + 1) % 2**24


def test_a_restore_drops_cached_boto3_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "init-credentials")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "init-secret")
    before = aws.client("sqs")
    assert aws.client("sqs") is before
    snapshot.run_after_restore_hooks()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "restored-credentials")
    after = aws.client("sqs")
    assert after is not before
    assert after._request_signer._credentials.access_key == "restored-credentials"


def test_a_restore_drops_the_origin_secret_client() -> None:
    clients: list[object] = []
    secret = origin_secret.SecretsManagerOriginSecret(
        secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:origin-AbCdEf",
        client_factory=lambda: clients.append(object()) or clients[-1],
    )
    secret._provider(origin_secret.CURRENT)
    snapshot.run_after_restore_hooks()
    secret._provider(origin_secret.CURRENT)
    assert len(clients) == 2


def test_hooks_go_to_the_runtime_library_when_it_is_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registered: list[object] = []
    before: list[object] = []
    library = types.ModuleType("snapshot_restore_py")
    library.register_after_restore = registered.append  # type: ignore[attr-defined]
    library.register_before_snapshot = before.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", library)
    register = snapshot._runtime_registry()
    assert register is not None
    register(print)
    assert registered == [print]
    register_before = snapshot._runtime_registry("register_before_snapshot")
    assert register_before is not None
    register_before(repr)
    assert before == [repr]
    monkeypatch.delitem(sys.modules, "snapshot_restore_py")
    monkeypatch.setattr("builtins.__import__", _refusing_import(__import__))
    assert snapshot._runtime_registry() is None


def test_a_primed_tasks_function_draws_new_object_id_state_after_the_restore() -> None:
    # Priming loads bson before the snapshot (so its random state is in it); the hook that
    # redraws it must be registered by then. A fresh interpreter: init, prime, "restore".
    probe = (
        "import json, taskly.handlers.tasks\n"
        "from taskly import snapshot\n"
        "snapshot.run_before_snapshot_hooks()\n"
        "from bson import ObjectId\n"
        "before = ObjectId().binary\n"
        "snapshot.run_after_restore_hooks()\n"
        "after = ObjectId().binary\n"
        "print(json.dumps([before.hex(), after.hex()]))"
    )
    before, after = (bytes.fromhex(value) for value in run_fresh(probe))
    assert before[4:9] != after[4:9]


def _refusing_import(real: Any) -> Any:
    def fake(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "snapshot_restore_py":
            raise ImportError(name)
        return real(name, *args, **kwargs)

    return fake
