"""One contract, two task repositories: the in-memory one and the DocumentDB one.

The DocumentDB repository runs here against mongomock, an in-process fake of pymongo's API
(no wire protocol, no TLS): it checks the queries and updates we send, not DocumentDB itself.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import mongomock
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pymongo import errors as mongo_errors
from taskly.data.documentdb import (
    INDEXES,
    DocDbSecret,
    DocumentDbConnection,
    DocumentDbTaskRepository,
    create_client,
    list_filter,
    stats_pipeline,
    update_document,
)
from taskly.data.interfaces import TaskRepository, is_task_id
from taskly.data.memory import InMemoryTaskRepository
from taskly.errors import (
    ConfigurationError,
    ConflictError,
    DependencyUnavailableError,
    NotFoundError,
)
from taskly.models.tasks import TaskCreate, TaskQuery, TaskStatus

NOW = dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.UTC)
SECRET = {"host": "cluster.example", "port": 27017, "username": "taskly", "password": "pw"}
SUPPORTED = json.loads((Path(__file__).parent / "documentdb_supported_operators.json").read_text())


def mongomock_connection(client: Any = None) -> DocumentDbConnection:
    shared = client or mongomock.MongoClient(tz_aware=True)
    return DocumentDbConnection(
        secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:docdb",
        database="taskly",
        ca_file=Path("unused.pem"),
        client_factory=lambda _secret, _ca: shared,
        secret_loader=lambda _arn, _force: SECRET,
    )


@pytest.fixture(params=["memory", "documentdb"])
def repository(request: pytest.FixtureRequest) -> Iterator[TaskRepository]:
    if request.param == "memory":
        yield InMemoryTaskRepository()
    else:
        yield DocumentDbTaskRepository(connection=mongomock_connection())


def add(repository: TaskRepository, title: str, owner: str = "alice", **fields: Any) -> str:
    return repository.insert(owner=owner, task=TaskCreate(title=title, **fields), now=NOW).id


def test_insert_and_get_round_trip(repository: TaskRepository) -> None:
    task_id = add(repository, "t", due_date=dt.date(2030, 1, 2), description="d")
    assert is_task_id(task_id)
    task = repository.get(owner="alice", task_id=task_id)
    assert task is not None
    assert (task.title, task.description, task.due_date, task.version) == (
        "t",
        "d",
        dt.date(2030, 1, 2),
        1,
    )
    assert task.created_at == NOW
    assert repository.get(owner="bob", task_id=task_id) is None


def test_list_is_newest_first_and_owner_scoped(repository: TaskRepository) -> None:
    ids = [add(repository, f"t{n}") for n in range(3)]
    add(repository, "not mine", owner="bob")
    page = repository.list(TaskQuery(owner="alice", limit=10))
    assert [task.id for task in page] == ids[::-1]
    after = repository.list(TaskQuery(owner="alice", limit=10, after_id=ids[2]))
    assert [task.id for task in after] == ids[1::-1]


def test_list_filters(repository: TaskRepository) -> None:
    add(repository, "a", status=TaskStatus.DONE, due_date=dt.date(2030, 1, 1))
    add(repository, "b", due_date=dt.date(2030, 2, 1))
    add(repository, "c")
    titles = lambda **q: [t.title for t in repository.list(TaskQuery(owner="alice", **q))]  # noqa: E731
    assert titles(status=TaskStatus.DONE) == ["a"]
    assert titles(due_before=dt.date(2030, 1, 31)) == ["a"]
    assert titles(due_after=dt.date(2030, 1, 1)) == ["b", "a"]
    assert titles(due_after=dt.date(2030, 3, 1)) == []


def test_update_bumps_version_and_checks_it(repository: TaskRepository) -> None:
    task_id = add(repository, "t")
    later = NOW + dt.timedelta(minutes=1)
    updated = repository.update(
        owner="alice",
        task_id=task_id,
        changes={"status": TaskStatus.DONE},
        expected_version=1,
        now=later,
    )
    assert (updated.status, updated.version, updated.updated_at) == (TaskStatus.DONE, 2, later)
    with pytest.raises(ConflictError, match="version 2"):
        repository.update(
            owner="alice", task_id=task_id, changes={"title": "x"}, expected_version=1, now=later
        )
    with pytest.raises(NotFoundError):
        repository.update(
            owner="bob", task_id=task_id, changes={"title": "x"}, expected_version=None, now=later
        )


def test_delete_only_own(repository: TaskRepository) -> None:
    task_id = add(repository, "t")
    assert repository.delete(owner="bob", task_id=task_id) is False
    assert repository.delete(owner="alice", task_id=task_id) is True
    assert repository.delete(owner="alice", task_id=task_id) is False


def test_stats(repository: TaskRepository) -> None:
    add(repository, "late", due_date=dt.date(2030, 5, 1))
    add(
        repository,
        "late, in progress",
        status=TaskStatus.IN_PROGRESS,
        due_date=dt.date(2030, 5, 31),
    )
    add(repository, "due today", due_date=dt.date(2030, 6, 1))
    add(repository, "done late", status=TaskStatus.DONE, due_date=dt.date(2030, 5, 1))
    add(repository, "undated")
    add(repository, "bob's", owner="bob", due_date=dt.date(2000, 1, 1))
    stats = repository.stats(owner="alice", today=dt.date(2030, 6, 1))
    assert stats.total == 5
    assert (stats.by_status.todo, stats.by_status.in_progress, stats.by_status.done) == (3, 1, 1)
    assert stats.overdue == 2


def test_first_use_creates_the_indexes_the_queries_need() -> None:
    client = mongomock.MongoClient(tz_aware=True)
    DocumentDbTaskRepository(connection=mongomock_connection(client)).list(TaskQuery(owner="a"))
    names = set(client["taskly"]["tasks"].index_information())
    assert {name for name, _ in INDEXES} <= names


def _operators(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {key for key in node if key.startswith("$")}
        for value in node.values():
            found |= _operators(value)
        return found
    if isinstance(node, list):
        return set().union(*(_operators(item) for item in node)) if node else set()
    return set()


def test_every_pipeline_and_query_uses_only_documentdb_operators() -> None:
    # Given every shape of query the code can build...
    queries = [
        list_filter(
            TaskQuery(
                owner="a",
                status=TaskStatus.TODO,
                due_before=dt.date(2030, 1, 1),
                due_after=dt.date(2029, 1, 1),
                after_id="0" * 24,
            )
        ),
        list_filter(TaskQuery(owner="a")),
    ]
    pipeline = stats_pipeline("a", dt.date(2030, 1, 1))
    update = update_document(
        {"title": "x", "status": TaskStatus.DONE, "due_date": dt.date(2030, 1, 1)}, NOW
    )
    # ...then each operator is one DocumentDB documents as supported.
    assert _operators(queries) <= set(SUPPORTED["query"])
    assert set(update) <= set(SUPPORTED["update"])
    stages = {next(iter(stage)) for stage in pipeline}
    assert stages <= set(SUPPORTED["aggregation_stages"])
    expressions = _operators([stage[name] for stage in pipeline for name in stage]) - {"$match"}
    match_operators = _operators([stage["$match"] for stage in pipeline if "$match" in stage])
    assert match_operators <= set(SUPPORTED["query"])
    assert expressions - match_operators <= set(SUPPORTED["aggregation_expressions"])


def test_the_operator_check_would_catch_an_unsupported_stage() -> None:
    assert "$facet" not in SUPPORTED["aggregation_stages"]
    assert _operators([{"$facet": {"a": [{"$match": {}}]}}]) == {"$facet", "$match"}


class FailingCollection:
    """A collection whose every call raises ``error``, as pymongo does when the cluster is gone."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, _name: str) -> Callable[..., Any]:
        def fail(*_args: Any, **_kwargs: Any) -> Any:
            raise self.error

        return fail


class FailingClient:
    def __init__(self, error: Exception) -> None:
        self.collection = FailingCollection(error)
        self.closed = False

    def __getitem__(self, _name: str) -> Any:
        return {"tasks": self.collection}

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize(
    "error",
    [
        mongo_errors.ServerSelectionTimeoutError("no primary"),
        mongo_errors.AutoReconnect("connection reset"),
        mongo_errors.NetworkTimeout("timed out"),
        mongo_errors.ExecutionTimeout("operation exceeded time limit", code=50),
    ],
)
def test_unreachable_database_is_dependency_unavailable(error: Exception) -> None:
    client = FailingClient(error)
    connection = DocumentDbConnection(
        secret_arn="arn",
        database="taskly",
        ca_file=Path("x"),
        client_factory=lambda _s, _c: client,
        secret_loader=lambda _arn, _force: SECRET,
    )
    with pytest.raises(DependencyUnavailableError):
        DocumentDbTaskRepository(connection=connection).get(owner="a", task_id="0" * 24)
    assert client.closed, "a client whose first use failed is not kept"


def test_rotated_password_rereads_the_secret() -> None:
    # Given a client rejected with AuthenticationFailed (code 18)...
    loads: list[bool] = []
    clients = [FailingClient(mongo_errors.OperationFailure("auth failed", code=18))]

    def factory(_secret: DocDbSecret, _ca: Path) -> Any:
        return clients.pop(0) if clients else mongomock.MongoClient(tz_aware=True)

    connection = DocumentDbConnection(
        secret_arn="arn",
        database="taskly",
        ca_file=Path("x"),
        client_factory=factory,
        secret_loader=lambda _arn, force: loads.append(force) or SECRET,
    )
    repository = DocumentDbTaskRepository(connection=connection)
    with pytest.raises(DependencyUnavailableError):
        repository.list(TaskQuery(owner="a"))
    # ...the next request fetches the secret again, bypassing the cache, and works.
    assert repository.list(TaskQuery(owner="a")) == []
    assert loads == [False, True]


def test_secret_without_credentials_is_a_configuration_error() -> None:
    connection = DocumentDbConnection(
        secret_arn="arn",
        database="taskly",
        ca_file=Path("x"),
        client_factory=lambda _s, _c: mongomock.MongoClient(),
        secret_loader=lambda _arn, _force: {"host": "h"},
    )
    with pytest.raises(ConfigurationError, match="username: Field required; password: Field"):
        connection.collection()


def test_secrets_manager_down_is_dependency_unavailable() -> None:
    def boom(_arn: str, _force: bool) -> dict[str, Any]:
        raise RuntimeError("GetParameterError: could not connect")

    connection = DocumentDbConnection(
        secret_arn="arn", database="taskly", ca_file=Path("x"), secret_loader=boom
    )
    with pytest.raises(DependencyUnavailableError):
        connection.collection()


def self_signed_certificate() -> bytes:
    """A throwaway CA certificate: pymongo loads the bundle when the client is built."""

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


def test_real_client_requires_the_ca_bundle(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="CA bundle"):
        create_client(DocDbSecret.model_validate(SECRET), tmp_path / "missing.pem")


# The client's monitor thread tries to resolve the host at once; sockets are blocked here.
@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_real_client_is_configured_for_documentdb(tmp_path: Path) -> None:
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(self_signed_certificate())
    client = create_client(DocDbSecret.model_validate(SECRET), ca_file)
    try:
        options = client.options
        assert options.retry_writes is False
        assert options.replica_set_name == "rs0"
        assert options.server_selection_timeout <= 2
        assert options.timeout is not None and options.timeout <= 5
        assert options.pool_options.connect_timeout <= 2
        assert options.pool_options._ssl_context is not None, "TLS is on"
    finally:
        client.close()
