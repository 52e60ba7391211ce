"""Tasks use cases: list, create (idempotently), read, update, delete, stats, share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from taskly.clock import Clock, utc_now
from taskly.data.interfaces import EmailQueue, TaskRepository, is_task_id
from taskly.errors import (
    ConflictError,
    DependencyUnavailableError,
    IdempotencyKeyReusedError,
    NotFoundError,
)
from taskly.logic.cursor import decode_cursor, encode_cursor
from taskly.models.email import TaskSharedEmail
from taskly.models.tasks import (
    ShareAccepted,
    Task,
    TaskCreate,
    TaskPage,
    TaskQuery,
    TaskStats,
    TaskStatus,
    TaskUpdate,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer

# How long a retried POST with the same Idempotency-Key replays the first response.
IDEMPOTENCY_WINDOW_SECONDS = 24 * 60 * 60


class CreateTaskCommand(BaseModel):
    """What an idempotent create hashes: the key is scoped to its owner, the body is checked."""

    model_config = ConfigDict(frozen=True)

    owner: str
    idempotency_key: str
    task: TaskCreate


def _not_found(task_id: str) -> NotFoundError:
    return NotFoundError(f"task {task_id!r} not found")


class TasksService:
    def __init__(
        self,
        *,
        repository: TaskRepository,
        email_queue: EmailQueue,
        idempotency_store: Callable[[], BasePersistenceLayer],
        clock: Clock = utc_now,
    ) -> None:
        self._repository = repository
        self._email_queue = email_queue
        self._idempotency_store = idempotency_store
        self._clock = clock
        self._idempotent_create: Callable[..., Task] | None = None
        self._idempotency_config: Any = None

    def list(
        self,
        *,
        owner: str,
        status: TaskStatus | None,
        due_before: dt.date | None,
        due_after: dt.date | None,
        limit: int,
        cursor: str | None,
    ) -> TaskPage:
        query = TaskQuery(
            owner=owner,
            status=status,
            due_before=due_before,
            due_after=due_after,
            limit=limit,
            after_id=decode_cursor(cursor) if cursor else None,
        )
        # One extra row tells whether another page exists without a second query.
        rows = self._repository.list(query.model_copy(update={"limit": limit + 1}))
        items = rows[:limit]
        next_cursor = encode_cursor(items[-1].id) if len(rows) > limit else None
        return TaskPage(items=items, next_cursor=next_cursor)

    def create(self, *, owner: str, task: TaskCreate, idempotency_key: str | None) -> Task:
        if idempotency_key is None:
            return self._repository.insert(owner=owner, task=task, now=self._clock())
        command = CreateTaskCommand(owner=owner, idempotency_key=idempotency_key, task=task)
        return self._create_once(command)

    def get(self, *, owner: str, task_id: str) -> Task:
        if not is_task_id(task_id):
            raise _not_found(task_id)
        task = self._repository.get(owner=owner, task_id=task_id)
        if task is None:
            raise _not_found(task_id)
        return task

    def update(self, *, owner: str, task_id: str, update: TaskUpdate) -> Task:
        if not is_task_id(task_id):
            raise _not_found(task_id)
        changes = update.changes()
        if not changes:
            # Only a version: a conditional read, nothing to write.
            current = self.get(owner=owner, task_id=task_id)
            if update.version is not None and current.version != update.version:
                raise ConflictError(
                    f"task {task_id!r} is at version {current.version}, not {update.version}"
                )
            return current
        return self._repository.update(
            owner=owner,
            task_id=task_id,
            changes=changes,
            expected_version=update.version,
            now=self._clock(),
        )

    def delete(self, *, owner: str, task_id: str) -> None:
        if not is_task_id(task_id) or not self._repository.delete(owner=owner, task_id=task_id):
            raise _not_found(task_id)

    def stats(self, *, owner: str) -> TaskStats:
        return self._repository.stats(owner=owner, today=self._clock().date())

    def share(self, *, owner: str, task_id: str, email: str) -> ShareAccepted:
        task = self.get(owner=owner, task_id=task_id)
        self._email_queue.send(
            TaskSharedEmail(
                task_id=task.id,
                task_title=task.title,
                recipient=email,
                shared_by=owner,
                shared_at=self._clock(),
            )
        )
        return ShareAccepted(task_id=task.id, recipient=email)

    def _create_once(self, command: CreateTaskCommand) -> Task:
        # Powertools idempotency (and boto3 behind it) loads on the first keyed POST only.
        from aws_lambda_powertools.utilities.idempotency import exceptions as idem

        from taskly import invocation

        create = self._idempotent_create or self._build_idempotent_create()
        context = invocation.current()
        if context is not None:
            # Lets an in-progress record expire with the invocation instead of blocking the key.
            self._idempotency_config.register_lambda_context(context)
        try:
            return create(command=command)
        except idem.IdempotencyValidationError:
            raise IdempotencyKeyReusedError(
                "this Idempotency-Key was already used with a different request body"
            ) from None
        except idem.IdempotencyAlreadyInProgressError:
            raise ConflictError(
                "a request with this Idempotency-Key is still in progress; retry shortly"
            ) from None
        except (
            idem.IdempotencyPersistenceLayerError,
            idem.IdempotencyPersistenceConnectionError,
        ):
            raise DependencyUnavailableError("the idempotency store is unavailable") from None

    def _build_idempotent_create(self) -> Callable[..., Task]:
        from aws_lambda_powertools.utilities.idempotency import (
            IdempotencyConfig,
            idempotent_function,
        )
        from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import (
            PydanticSerializer,
        )

        self._idempotency_config = IdempotencyConfig(
            event_key_jmespath="[owner, idempotency_key]",
            payload_validation_jmespath="task",
            expires_after_seconds=IDEMPOTENCY_WINDOW_SECONDS,
            raise_on_no_idempotency_key=True,
        )
        repository, clock = self._repository, self._clock

        def create_task(command: CreateTaskCommand) -> Task:
            return repository.insert(owner=command.owner, task=command.task, now=clock())

        self._idempotent_create = idempotent_function(
            create_task,
            data_keyword_argument="command",
            persistence_store=self._idempotency_store(),
            config=self._idempotency_config,
            output_serializer=PydanticSerializer(model=Task),
        )
        return self._idempotent_create
