"""User preferences in the DynamoDB app-state table (``pk``/``sk`` single-table keys)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from taskly.data.aws import client, translate_aws_errors
from taskly.models.profile import Preferences, PreferencesUpdate

PREFERENCES_SORT_KEY = "PREFERENCES"


def user_key(user_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"USER#{user_id}"}, "sk": {"S": PREFERENCES_SORT_KEY}}


def to_item(user_id: str, preferences: Preferences) -> dict[str, Any]:
    return {
        **user_key(user_id),
        "theme": {"S": preferences.theme.value},
        "language": {"S": preferences.language},
        "email_notifications": {"BOOL": preferences.email_notifications},
        "tasks_page_size": {"N": str(preferences.tasks_page_size)},
        "updated_at": {"S": preferences.updated_at.isoformat() if preferences.updated_at else ""},
    }


def from_item(item: dict[str, Any]) -> Preferences:
    updated_at = item.get("updated_at", {}).get("S") or None
    return Preferences(
        theme=item["theme"]["S"],
        language=item["language"]["S"],
        email_notifications=item["email_notifications"]["BOOL"],
        tasks_page_size=int(item["tasks_page_size"]["N"]),
        updated_at=dt.datetime.fromisoformat(updated_at) if updated_at else None,
    )


class DynamoDbPreferencesRepository:
    def __init__(self, *, table_name: str) -> None:
        self._table_name = table_name

    def get(self, *, user_id: str) -> Preferences | None:
        with translate_aws_errors("preferences store"):
            response = client("dynamodb").get_item(
                TableName=self._table_name, Key=user_key(user_id), ConsistentRead=True
            )
        item = response.get("Item")
        return from_item(item) if item else None

    def put(self, *, user_id: str, preferences: PreferencesUpdate, now: dt.datetime) -> Preferences:
        stored = Preferences(**preferences.model_dump(), updated_at=now)
        with translate_aws_errors("preferences store"):
            client("dynamodb").put_item(TableName=self._table_name, Item=to_item(user_id, stored))
        return stored
