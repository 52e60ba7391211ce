"""What the logic layer needs from storage and messaging, as structural interfaces."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # annotations only: a function imports just the models it uses
    import datetime as dt

    from taskly.models.email import TaskSharedEmail
    from taskly.models.profile import Preferences, PreferencesUpdate
    from taskly.models.tasks import Task, TaskCreate, TaskQuery, TaskStats

# Task ids are MongoDB ObjectIds in their 24-digit hex form; every implementation issues them.
TASK_ID_PATTERN = re.compile(r"^[0-9a-f]{24}$")


def is_task_id(value: str) -> bool:
    return TASK_ID_PATTERN.fullmatch(value) is not None


class TaskRepository(Protocol):
    """Tasks of one owner at a time: every method takes the owner and never crosses it."""

    def insert(self, *, owner: str, task: TaskCreate, now: dt.datetime) -> Task: ...

    def get(self, *, owner: str, task_id: str) -> Task | None: ...

    def list(self, query: TaskQuery) -> list[Task]:
        """Up to ``query.limit`` tasks, newest first, strictly older than ``query.after_id``."""
        ...

    def update(
        self,
        *,
        owner: str,
        task_id: str,
        changes: dict[str, object],
        expected_version: int | None,
        now: dt.datetime,
    ) -> Task:
        """Apply ``changes``; raise NotFoundError, or ConflictError on a version mismatch."""
        ...

    def delete(self, *, owner: str, task_id: str) -> bool: ...

    def stats(self, *, owner: str, today: dt.date) -> TaskStats: ...


class PreferencesRepository(Protocol):
    def get(self, *, user_id: str) -> Preferences | None: ...

    def put(
        self, *, user_id: str, preferences: PreferencesUpdate, now: dt.datetime
    ) -> Preferences: ...


class EmailQueue(Protocol):
    def send(self, message: TaskSharedEmail) -> str:
        """Enqueue the message; return the queue's message id."""
        ...


class EmailSender(Protocol):
    def send(self, *, sender: str, recipient: str, subject: str, text: str) -> str:
        """Send one plain-text email; return the provider's message id."""
        ...


class OriginSecret(Protocol):
    """The value CloudFront sends in ``x-origin-verify`` (see ``taskly.api.origin``).

    Implementations cache; ``force_fetch`` reads the store again. Raise
    DependencyUnavailableError when the store cannot be read.
    """

    def current(self, *, force_fetch: bool = False) -> str:
        """The current value (Secrets Manager stage ``AWSCURRENT``)."""
        ...

    def previous(self, *, force_fetch: bool = False) -> str | None:
        """The value before the last rotation (``AWSPREVIOUS``), None if it was never rotated."""
        ...
