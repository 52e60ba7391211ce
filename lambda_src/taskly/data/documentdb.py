"""Tasks in Amazon DocumentDB through pymongo, and the connection every DocumentDB store uses.

One client per execution environment, created on first use from the cluster's Secrets
Manager secret (fetched through Powertools parameters and cached). TLS with the bundled RDS CA,
``retryWrites=false`` (DocumentDB does not support retryable writes) and timeouts bounded by
the time the invocation has left. The secret may name the legacy MongoDB instead, with its own
CA and connection settings (``taskly.data.database_secret``). Queries and aggregations are
built by the pure functions below, and a unit test checks every operator they use against
DocumentDB's supported list.

pymongo (and bson) load with this module: the tasks handler imports it on the first request
that reaches the repository, or before the SnapStart snapshot (``prime``), never at a plain
init. A health check or a refused request never pays for the driver.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import importlib
import logging
import secrets
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pymongo
from bson import ObjectId
from pymongo import errors as mongo_errors
from pymongo.collection import Collection

from taskly import invocation, snapshot
from taskly.data import aws
from taskly.data.database_secret import DocDbSecret
from taskly.errors import (
    ConflictError,
    DependencyUnavailableError,
    NotFoundError,
)
from taskly.models.tasks import StatusCounts, Task, TaskCreate, TaskQuery, TaskStats, TaskStatus
from taskly.observability import trace_library

logger = logging.getLogger(__name__)

COLLECTION = "tasks"
TASK_STORE = "task store"  # names the store in 503 messages
# Per-operation ceiling; the invocation's remaining time lowers it further.
OPERATION_TIMEOUT_SECONDS = 4.0
CONNECT_TIMEOUT_MS = 2000
SERVER_SELECTION_TIMEOUT_MS = 2000
SECRET_MAX_AGE_SECONDS = 300
AUTHENTICATION_FAILED = 18
OBJECT_ID_COUNTER_LIMIT = 0xFFFFFF + 1  # bson's 3-byte counter

# (name, keys): owner first so no query can scan another user's tasks.
INDEXES: tuple[tuple[str, list[tuple[str, int]]], ...] = (
    ("owner_newest", [("owner", pymongo.ASCENDING), ("_id", pymongo.DESCENDING)]),
    (
        "owner_status_newest",
        [("owner", pymongo.ASCENDING), ("status", pymongo.ASCENDING), ("_id", pymongo.DESCENDING)],
    ),
    ("owner_due", [("owner", pymongo.ASCENDING), ("due_date", pymongo.ASCENDING)]),
)


def _midnight(day: dt.date) -> dt.datetime:
    # BSON has no date-only type: due dates are stored as midnight UTC.
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


# --- query builders (pure; checked against DocumentDB's supported operators) ---------------


def list_filter(query: TaskQuery) -> dict[str, Any]:
    selector: dict[str, Any] = {"owner": query.owner}
    if query.status is not None:
        selector["status"] = query.status.value
    due: dict[str, Any] = {}
    if query.due_after is not None:
        due["$gte"] = _midnight(query.due_after)
    if query.due_before is not None:
        due["$lte"] = _midnight(query.due_before)
    if due:
        selector["due_date"] = due
    if query.after_id is not None:
        selector["_id"] = {"$lt": ObjectId(query.after_id)}
    return selector


def update_document(changes: Mapping[str, object], now: dt.datetime) -> dict[str, Any]:
    fields: dict[str, Any] = {"updated_at": now}
    for name, value in changes.items():
        if isinstance(value, TaskStatus):
            fields[name] = value.value
        elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            fields[name] = _midnight(value)
        else:
            fields[name] = value
    return {"$set": fields, "$inc": {"version": 1}}


def stats_pipeline(owner: str, today: dt.date) -> list[dict[str, Any]]:
    overdue = {
        "$and": [
            {"$in": ["$status", [s.value for s in TaskStatus if s != TaskStatus.DONE]]},
            {"$gt": ["$due_date", None]},  # BSON orders null below dates: skip undated tasks
            {"$lt": ["$due_date", _midnight(today)]},
        ]
    }
    return [
        {"$match": {"owner": owner}},
        {
            "$group": {
                "_id": "$status",
                "count": {"$sum": 1},
                "overdue": {"$sum": {"$cond": [overdue, 1, 0]}},
            }
        },
    ]


def _to_task(document: Mapping[str, Any]) -> Task:
    due = document.get("due_date")
    return Task(
        id=str(document["_id"]),
        title=document["title"],
        description=document.get("description", ""),
        status=document["status"],
        due_date=due.date() if due is not None else None,
        created_at=_as_utc(document["created_at"]),
        updated_at=_as_utc(document["updated_at"]),
        version=document["version"],
    )


def _as_utc(value: dt.datetime) -> dt.datetime:
    # pymongo returns naive datetimes in UTC unless the client is tz-aware.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


# --- connection ---------------------------------------------------------------------------


ClientFactory = Callable[[DocDbSecret, Path], Any]


def create_client(
    secret: DocDbSecret, ca_file: Path, *, max_pool_size: int = 1
) -> pymongo.MongoClient[dict[str, Any]]:
    """A client for the server the secret names: DocumentDB by default, or the legacy MongoDB.

    ``ca_file`` is the bundled RDS CA bundle, used unless the secret carries its own CA.
    To each server it holds at most ``max_pool_size`` pooled connections plus one monitoring
    connection: the stage's DocumentDB connection budget (stacks/config/) counts exactly that.
    """
    prime()  # X-Ray's command listener reaches only the clients created after it
    return pymongo.MongoClient(
        **secret.client_options(ca_file),
        connectTimeoutMS=CONNECT_TIMEOUT_MS,
        serverSelectionTimeoutMS=SERVER_SELECTION_TIMEOUT_MS,
        timeoutMS=int(OPERATION_TIMEOUT_SECONDS * 1000),
        # One request at a time per execution environment, its database calls one after
        # another (a cursor returns its connection between batches): one pooled connection is
        # all it uses; more only hold sockets of the instance's capacity-bound limit.
        maxPoolSize=max_pool_size,
        # Polling: one monitoring connection per server. Streaming (PyMongo's default outside
        # FaaS) adds a second one per server for round-trip times; pin it so the budget holds
        # wherever the code runs.
        serverMonitoringMode="poll",
        appname="taskly",
        tz_aware=True,
    )


class DocumentDbConnection:
    """The execution environment's one client, built on first use and rebuilt after rotation.

    It serves one collection (``collection``: tasks unless told otherwise) and creates that
    collection's ``indexes`` once per client; ``store`` names it in 503 messages.
    """

    def __init__(
        self,
        *,
        secret_arn: str,
        database: str,
        ca_file: Path,
        max_pool_size: int = 1,
        client_factory: ClientFactory | None = None,
        secret_loader: Callable[[str, bool], Mapping[str, Any]] | None = None,
        collection: str = COLLECTION,
        indexes: tuple[tuple[str, list[tuple[str, int]]], ...] = INDEXES,
        store: str = TASK_STORE,
    ) -> None:
        self._secret_arn = secret_arn
        self._database = database
        self._collection = collection
        self._indexes = indexes
        self.store = store
        self._ca_file = ca_file
        self._client_factory = client_factory or functools.partial(
            create_client, max_pool_size=max_pool_size
        )
        self._secret_loader = secret_loader or _load_secret
        self._client: Any = None
        self._force_secret_refresh = False
        # A client in a snapshot holds sockets that the restored environment no longer has.
        snapshot.after_restore(self.drop_client)

    def collection(self) -> Collection[dict[str, Any]]:
        if self._client is None:
            secret = self._secret(force_fetch=self._force_secret_refresh)
            client = self._client_factory(secret, self._ca_file)
            try:
                # Idempotent and cheap when the indexes exist: once per execution environment.
                for name, keys in self._indexes:
                    client[self._database][self._collection].create_index(keys, name=name)
            except BaseException:
                client.close()
                raise
            self._client, self._force_secret_refresh = client, False
        return self._client[self._database][self._collection]

    def reset(self) -> None:
        """Drop the client (after an authentication failure: the secret was rotated)."""
        self.drop_client()
        self._force_secret_refresh = True

    def drop_client(self) -> None:
        """Close the client, if any; the next ``collection()`` connects again."""
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    def _secret(self, *, force_fetch: bool) -> DocDbSecret:
        try:
            raw = self._secret_loader(self._secret_arn, force_fetch)
        except Exception as exc:  # Powertools wraps every SDK failure in GetParameterError
            logger.error("could not read the DocumentDB secret: %s", exc)
            raise DependencyUnavailableError(f"the {self.store} is unavailable") from exc
        return DocDbSecret.parse(raw)


def prime() -> None:
    """Patch pymongo and botocore for X-Ray and load the secret's provider: no client, no I/O.

    pymongo itself loads with this module, which the tasks handler imports on first use. No
    command may run here: outside an invocation X-Ray has no segment and its pymongo listener
    raises on each command (aws-powertools/powertools-lambda-python#4045).
    """
    trace_library("pymongo")
    aws.prime()
    importlib.import_module("aws_lambda_powertools.utilities.parameters")


def _load_secret(secret_arn: str, force_fetch: bool) -> Mapping[str, Any]:
    from aws_lambda_powertools.utilities import parameters
    from botocore.config import Config

    aws.prime()  # its own client (its own retry budget), traced like every other
    provider = _secrets_provider(parameters.SecretsProvider, Config)
    value = provider.get(
        secret_arn, transform="json", max_age=SECRET_MAX_AGE_SECONDS, force_fetch=force_fetch
    )
    if not isinstance(value, Mapping):
        raise TypeError("the DocumentDB secret is not a JSON object")
    return value


_PROVIDER: Any = None


@snapshot.after_restore
def _forget_secrets_provider() -> None:
    # Its boto3 client would sign with the credentials it found at init.
    global _PROVIDER  # noqa: PLW0603 - the cache the hook empties
    _PROVIDER = None


@snapshot.after_restore
def _renew_object_id_state() -> None:
    """New ObjectId random value and counter for this environment.

    pymongo gives each new document its ``_id`` on the client: 4 bytes of time, 5 random bytes
    drawn once per process, a 3-byte counter started at a random value. bson draws them at
    import, during init, so every environment restored from one snapshot would share them and
    two inserts in the same second could collide on ``_id``. bson redraws the random bytes
    when the process id changes (its fork guard), which a restore does not do; this forces it.
    """
    with ObjectId._inc_lock:
        ObjectId._pid = -1
        ObjectId._inc = secrets.randbelow(OBJECT_ID_COUNTER_LIMIT)


def _secrets_provider(provider_class: Any, config_class: Any) -> Any:
    global _PROVIDER  # noqa: PLW0603 - one cached provider (and boto3 client) per environment
    if _PROVIDER is None:
        _PROVIDER = provider_class(
            boto_config=config_class(
                connect_timeout=2, read_timeout=3, retries={"mode": "standard", "max_attempts": 2}
            )
        )
    return _PROVIDER


@contextlib.contextmanager
def translate_driver_errors(connection: DocumentDbConnection) -> Iterator[None]:
    """Driver failures that mean "the database is unreachable right now" become a 503."""
    try:
        with pymongo.timeout(invocation.time_budget(cap_seconds=OPERATION_TIMEOUT_SECONDS)):
            yield
    except mongo_errors.OperationFailure as exc:
        if exc.code == AUTHENTICATION_FAILED:
            logger.warning("DocumentDB rejected the credentials; re-reading the secret")
            connection.reset()
            raise DependencyUnavailableError(
                f"the {connection.store} is unavailable", retry_after_seconds=1
            ) from exc
        if exc.timeout:
            raise DependencyUnavailableError(f"the {connection.store} timed out") from exc
        raise
    except mongo_errors.PyMongoError as exc:
        if isinstance(exc, mongo_errors.ConnectionFailure) or exc.timeout:
            logger.warning("DocumentDB unavailable: %s", exc)
            raise DependencyUnavailableError(f"the {connection.store} is unavailable") from exc
        raise


class DocumentDbTaskRepository:
    def __init__(self, *, connection: DocumentDbConnection) -> None:
        self._connection = connection

    def insert(self, *, owner: str, task: TaskCreate, now: dt.datetime) -> Task:
        document: dict[str, Any] = {
            "_id": ObjectId(),
            "owner": owner,
            "title": task.title,
            "description": task.description,
            "status": task.status.value,
            "due_date": _midnight(task.due_date) if task.due_date else None,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        with translate_driver_errors(self._connection):
            self._connection.collection().insert_one(document)
        return _to_task(document)

    def get(self, *, owner: str, task_id: str) -> Task | None:
        with translate_driver_errors(self._connection):
            document = self._connection.collection().find_one(
                {"_id": ObjectId(task_id), "owner": owner}
            )
        return _to_task(document) if document else None

    def list(self, query: TaskQuery) -> list[Task]:
        with translate_driver_errors(self._connection):
            cursor = (
                self._connection.collection()
                .find(list_filter(query))
                .sort("_id", pymongo.DESCENDING)
                .limit(query.limit)
            )
            return [_to_task(document) for document in cursor]

    def update(
        self,
        *,
        owner: str,
        task_id: str,
        changes: dict[str, object],
        expected_version: int | None,
        now: dt.datetime,
    ) -> Task:
        selector: dict[str, Any] = {"_id": ObjectId(task_id), "owner": owner}
        if expected_version is not None:
            selector["version"] = expected_version
        with translate_driver_errors(self._connection):
            collection = self._connection.collection()
            document = collection.find_one_and_update(
                selector,
                update_document(changes, now),
                return_document=pymongo.ReturnDocument.AFTER,
            )
            if document is not None:
                return _to_task(document)
            current = collection.find_one(
                {"_id": ObjectId(task_id), "owner": owner}, {"version": 1}
            )
        if current is None:
            raise NotFoundError(f"task {task_id!r} not found")
        raise ConflictError(
            f"task {task_id!r} is at version {current['version']}, not {expected_version}"
        )

    def delete(self, *, owner: str, task_id: str) -> bool:
        with translate_driver_errors(self._connection):
            result = self._connection.collection().delete_one(
                {"_id": ObjectId(task_id), "owner": owner}
            )
        return result.deleted_count == 1

    def stats(self, *, owner: str, today: dt.date) -> TaskStats:
        with translate_driver_errors(self._connection):
            groups = list(self._connection.collection().aggregate(stats_pipeline(owner, today)))
        counts = {status.value: 0 for status in TaskStatus}
        overdue = 0
        for group in groups:
            if group["_id"] in counts:
                counts[group["_id"]] = group["count"]
            overdue += group["overdue"]
        return TaskStats(
            total=sum(counts.values()), by_status=StatusCounts(**counts), overdue=overdue
        )
