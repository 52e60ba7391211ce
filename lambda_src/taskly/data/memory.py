"""In-memory implementations of the data interfaces.

They hold the same contracts as the real stores (owner isolation, versions, newest-first
pagination) so the logic and HTTP layers can be tested and benchmarked with no network.
They are fakes: nothing here talks to AWS or MongoDB.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Callable
from typing import Any

from taskly.errors import ConflictError, DependencyUnavailableError, NotFoundError
from taskly.models.email import TaskSharedEmail
from taskly.models.profile import Preferences, PreferencesUpdate
from taskly.models.tasks import StatusCounts, Task, TaskCreate, TaskQuery, TaskStats, TaskStatus


class InMemoryTaskRepository:
    def __init__(self) -> None:
        self._tasks: dict[str, tuple[str, Task]] = {}
        # ObjectId-shaped ids that sort by creation order, like the real ones.
        self._counter = itertools.count(1)
        self._prefix = os.urandom(4).hex()

    def _next_id(self) -> str:
        return f"{next(self._counter):08x}{self._prefix}{0:08x}"

    def insert(self, *, owner: str, task: TaskCreate, now: dt.datetime) -> Task:
        stored = Task(
            id=self._next_id(), created_at=now, updated_at=now, version=1, **task.model_dump()
        )
        self._tasks[stored.id] = (owner, stored)
        return stored

    def get(self, *, owner: str, task_id: str) -> Task | None:
        found = self._tasks.get(task_id)
        return found[1] if found and found[0] == owner else None

    def list(self, query: TaskQuery) -> list[Task]:
        def matches(owner: str, task: Task) -> bool:
            if owner != query.owner or (query.after_id and task.id >= query.after_id):
                return False
            if query.status and task.status != query.status:
                return False
            if query.due_before and (task.due_date is None or task.due_date > query.due_before):
                return False
            return not (
                query.due_after and (task.due_date is None or task.due_date < query.due_after)
            )

        rows = sorted(
            (task for owner, task in self._tasks.values() if matches(owner, task)),
            key=lambda task: task.id,
            reverse=True,
        )
        return rows[: query.limit]

    def update(
        self,
        *,
        owner: str,
        task_id: str,
        changes: dict[str, object],
        expected_version: int | None,
        now: dt.datetime,
    ) -> Task:
        current = self.get(owner=owner, task_id=task_id)
        if current is None:
            raise NotFoundError(f"task {task_id!r} not found")
        if expected_version is not None and current.version != expected_version:
            raise ConflictError(
                f"task {task_id!r} is at version {current.version}, not {expected_version}"
            )
        updated = current.model_copy(
            update={**changes, "updated_at": now, "version": current.version + 1}
        )
        self._tasks[task_id] = (owner, updated)
        return updated

    def delete(self, *, owner: str, task_id: str) -> bool:
        if self.get(owner=owner, task_id=task_id) is None:
            return False
        del self._tasks[task_id]
        return True

    def stats(self, *, owner: str, today: dt.date) -> TaskStats:
        mine = [task for task_owner, task in self._tasks.values() if task_owner == owner]
        counts = {status.value: 0 for status in TaskStatus}
        for task in mine:
            counts[task.status.value] += 1
        overdue = sum(
            1
            for task in mine
            if task.status != TaskStatus.DONE
            and task.due_date is not None
            and task.due_date < today
        )
        return TaskStats(total=len(mine), by_status=StatusCounts(**counts), overdue=overdue)


class InMemoryPreferencesRepository:
    def __init__(self) -> None:
        self.items: dict[str, Preferences] = {}

    def get(self, *, user_id: str) -> Preferences | None:
        return self.items.get(user_id)

    def put(self, *, user_id: str, preferences: PreferencesUpdate, now: dt.datetime) -> Preferences:
        stored = Preferences(**preferences.model_dump(), updated_at=now)
        self.items[user_id] = stored
        return stored


class InMemoryEmailQueue:
    def __init__(self) -> None:
        self.messages: list[TaskSharedEmail] = []

    def send(self, message: TaskSharedEmail) -> str:
        self.messages.append(message)
        return f"message-{len(self.messages)}"


class InMemoryEmailSender:
    def __init__(self, *, fail_for: Callable[[str], bool] = lambda _recipient: False) -> None:
        self.sent: list[dict[str, str]] = []
        self._fail_for = fail_for

    def send(self, *, sender: str, recipient: str, subject: str, text: str) -> str:
        if self._fail_for(recipient):
            raise RuntimeError(f"simulated delivery failure for {recipient}")
        self.sent.append(
            {"sender": sender, "recipient": recipient, "subject": subject, "text": text}
        )
        return f"ses-{len(self.sent)}"


class InMemoryOriginSecret:
    """An OriginSecret whose cached values can lag its stored ones, like the Powertools one.

    ``rotate`` is what ``put-secret-value`` does: the store moves on (the old value becomes the
    previous one) while readers keep the cached pair until they force a fetch.
    """

    def __init__(self, *, current: str, previous: str | None = None) -> None:
        self.stored: tuple[str, str | None] = (current, previous)
        self.cached = self.stored
        self.forced_fetches = 0
        self.unavailable = False

    def rotate(self, new_value: str) -> None:
        self.stored = (new_value, self.stored[0])

    def current(self, *, force_fetch: bool = False) -> str:
        return self._read(force_fetch=force_fetch)[0]

    def previous(self, *, force_fetch: bool = False) -> str | None:
        return self._read(force_fetch=force_fetch)[1]

    def _read(self, *, force_fetch: bool) -> tuple[str, str | None]:
        if self.unavailable:
            raise DependencyUnavailableError("the service is unavailable")
        if force_fetch:
            self.forced_fetches += 1
            self.cached = self.stored
        return self.cached


def in_memory_idempotency_store() -> Any:
    """A Powertools idempotency persistence layer kept in a dict (same semantics as DynamoDB's)."""
    from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyItemAlreadyExistsError,
        IdempotencyItemNotFoundError,
    )
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

    class InMemoryIdempotencyStore(BasePersistenceLayer):
        def __init__(self) -> None:
            super().__init__()
            self.records: dict[str, DataRecord] = {}

        def _get_record(self, idempotency_key: str) -> DataRecord:
            try:
                return self.records[idempotency_key]
            except KeyError:
                raise IdempotencyItemNotFoundError from None

        def _put_record(self, data_record: DataRecord) -> None:
            existing = self.records.get(data_record.idempotency_key)
            if existing is not None and not existing.is_expired:
                if existing.status == "INPROGRESS" and existing.in_progress_expiry_timestamp:
                    now_ms = dt.datetime.now().timestamp() * 1000
                    if existing.in_progress_expiry_timestamp < now_ms:
                        self.records[data_record.idempotency_key] = data_record
                        return
                self._validate_payload(data_payload=data_record, stored_data_record=existing)
                raise IdempotencyItemAlreadyExistsError(old_data_record=existing)
            self.records[data_record.idempotency_key] = data_record

        def _update_record(self, data_record: DataRecord) -> None:
            self.records[data_record.idempotency_key] = data_record

        def _delete_record(self, data_record: DataRecord) -> None:
            self.records.pop(data_record.idempotency_key, None)

    return InMemoryIdempotencyStore()
