"""User preferences in legacy's ``preferences`` collection, shared with legacy during the cutover.

Both backends read and write the same documents (docs/data-migration.md, "Preferences: one
store"), so the shape is legacy's (``legacy/src/profile.js``) field for field: ``_id`` is the
user id (the token's ``sub``), then ``theme``, ``language``, ``email_notifications``,
``tasks_page_size`` (an int32, as Node writes a small integer) and ``updated_at`` (a BSON
date). A ``PUT`` replaces the whole document with an upsert, as legacy's ``replaceOne`` does;
a read falls back to the default of any field a document lacks, as legacy's ``GET`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from taskly.data.documentdb import DocumentDbConnection, translate_driver_errors
from taskly.models.profile import Preferences, PreferencesUpdate

COLLECTION = "preferences"
STORE = "preferences store"
# Documents are found by _id only: the collection needs no secondary index.
INDEXES: tuple[tuple[str, list[tuple[str, int]]], ...] = ()


def to_document(user_id: str, preferences: PreferencesUpdate, now: dt.datetime) -> dict[str, Any]:
    return {
        "_id": user_id,
        "theme": preferences.theme.value,
        "language": preferences.language,
        "email_notifications": preferences.email_notifications,
        "tasks_page_size": preferences.tasks_page_size,
        "updated_at": now,
    }


def from_document(document: Mapping[str, Any]) -> Preferences:
    # Missing or null fields take the default, like legacy's `stored[name] ?? fallback`.
    stored = {
        name: document[name]
        for name in ("theme", "language", "email_notifications", "tasks_page_size", "updated_at")
        if document.get(name) is not None
    }
    updated_at = stored.get("updated_at")
    if isinstance(updated_at, dt.datetime) and updated_at.tzinfo is None:
        stored["updated_at"] = updated_at.replace(tzinfo=dt.UTC)  # a client without tz_aware
    return Preferences.model_validate(stored)


class DocumentDbPreferencesRepository:
    def __init__(self, *, connection: DocumentDbConnection) -> None:
        self._connection = connection

    def get(self, *, user_id: str) -> Preferences | None:
        with translate_driver_errors(self._connection):
            document = self._connection.collection().find_one({"_id": user_id})
        return from_document(document) if document is not None else None

    def put(self, *, user_id: str, preferences: PreferencesUpdate, now: dt.datetime) -> Preferences:
        document = to_document(user_id, preferences, now)
        with translate_driver_errors(self._connection):
            self._connection.collection().replace_one({"_id": user_id}, document, upsert=True)
        return from_document(document)
