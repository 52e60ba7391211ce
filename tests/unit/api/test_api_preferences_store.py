"""Preferences in legacy's ``preferences`` collection: one contract, two repositories.

The DocumentDB repository runs here against mongomock (an in-process fake of pymongo's API:
no wire protocol, no BSON types on disk); tests/wire/test_wire_preferences.py checks the BSON
types against a real server and tests/local_edge the documents legacy itself writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mongomock
import pytest
from taskly.data import documentdb_preferences
from taskly.data.documentdb import DocumentDbConnection
from taskly.data.documentdb_preferences import DocumentDbPreferencesRepository
from taskly.data.interfaces import PreferencesRepository
from taskly.data.memory import InMemoryPreferencesRepository
from taskly.models.profile import Preferences, PreferencesUpdate, Theme

NOW = dt.datetime(2030, 6, 1, 12, 0, 0, 123000, tzinfo=dt.UTC)
SECRET = {"host": "cluster.example", "port": 27017, "username": "taskly", "password": "pw"}
# legacy/src/profile.js: `{ ...body, updated_at: now() }` under `_id: req.user.id`.
LEGACY_FIELDS = {"_id", "theme", "language", "email_notifications", "tasks_page_size", "updated_at"}
UPDATE = PreferencesUpdate(
    theme=Theme.DARK, language="pt-BR", email_notifications=False, tasks_page_size=50
)


def connection(client: Any) -> DocumentDbConnection:
    return DocumentDbConnection(
        secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:docdb",
        database="taskly",
        ca_file=Path("unused.pem"),
        client_factory=lambda _secret, _ca: client,
        secret_loader=lambda _arn, _force: SECRET,
        collection=documentdb_preferences.COLLECTION,
        indexes=documentdb_preferences.INDEXES,
        store=documentdb_preferences.STORE,
    )


@pytest.fixture
def database() -> Any:
    return mongomock.MongoClient(tz_aware=True)["taskly"]


@pytest.fixture(params=["memory", "documentdb"])
def repository(request: pytest.FixtureRequest, database: Any) -> Iterator[PreferencesRepository]:
    if request.param == "memory":
        yield InMemoryPreferencesRepository()
    else:
        yield DocumentDbPreferencesRepository(connection=connection(database.client))


def test_nothing_saved_reads_as_none(repository: PreferencesRepository) -> None:
    assert repository.get(user_id="alice") is None


def test_put_replaces_and_get_reads_back(repository: PreferencesRepository) -> None:
    saved = repository.put(user_id="alice", preferences=UPDATE, now=NOW)
    assert saved == Preferences(**UPDATE.model_dump(), updated_at=NOW)
    assert repository.get(user_id="alice") == saved
    later = NOW + dt.timedelta(minutes=1)
    light = UPDATE.model_copy(update={"theme": Theme.LIGHT})
    repository.put(user_id="alice", preferences=light, now=later)
    assert repository.get(user_id="alice") == Preferences(**light.model_dump(), updated_at=later)
    assert repository.get(user_id="bob") is None


def test_the_document_is_legacys_shape(database: Any) -> None:
    repository = DocumentDbPreferencesRepository(connection=connection(database.client))
    repository.put(user_id="alice", preferences=UPDATE, now=NOW)
    [document] = list(database["preferences"].find())
    assert set(document) == LEGACY_FIELDS
    assert document == {
        "_id": "alice",
        "theme": "dark",
        "language": "pt-BR",
        "email_notifications": False,
        "tasks_page_size": 50,
        "updated_at": NOW,
    }
    assert database.list_collection_names() == ["preferences"]


def test_a_legacy_document_reads_like_legacy_reads_it(database: Any) -> None:
    """Legacy's GET falls back per field (`stored[name] ?? fallback`): so does this one."""
    database["preferences"].insert_one(
        {"_id": "carol", "theme": "light", "language": None, "updated_at": NOW}
    )
    repository = DocumentDbPreferencesRepository(connection=connection(database.client))
    assert repository.get(user_id="carol") == Preferences(
        theme=Theme.LIGHT, language="en", email_notifications=True, tasks_page_size=20,
        updated_at=NOW,
    )  # fmt: skip


def test_a_naive_stored_date_is_read_as_utc() -> None:
    document = {
        "_id": "dave",
        **UPDATE.model_dump(mode="json"),
        "updated_at": NOW.replace(tzinfo=None),
    }
    assert documentdb_preferences.from_document(document).updated_at == NOW
