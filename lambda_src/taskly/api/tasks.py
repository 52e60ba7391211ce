"""Tasks routes (service ``tasks``, DocumentDB). Every route acts for the verified caller only."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from taskly.api.auth import Caller, current_caller
from taskly.api.common import SECURED, responses
from taskly.errors import ConfigurationError
from taskly.logic.cursor import MAX_CURSOR_LENGTH
from taskly.logic.tasks import TasksService
from taskly.models.common import IsoDate
from taskly.models.tasks import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    ShareAccepted,
    ShareRequest,
    Task,
    TaskCreate,
    TaskPage,
    TaskStats,
    TaskStatus,
    TaskUpdate,
)
from taskly.observability import metrics

router = APIGatewayHttpRouter()
TAGS = ["tasks"]

# Any string: an id that is not one of ours is simply a task that does not exist (404).
TaskId = Annotated[str, Path(description="The task id")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="idempotency-key",
        description=(
            "Retrying with the same key returns the first response and creates nothing twice"
        ),
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
    ),
]


def tasks_service() -> TasksService:
    """Dependency the mounting handler provides via ``app.dependency_overrides``."""
    raise ConfigurationError("the tasks router is mounted without a TasksService")


Service = Annotated[TasksService, Depends(tasks_service)]
CurrentCaller = Annotated[Caller, Depends(current_caller)]


@router.get(
    "/tasks",
    summary="List the caller's tasks, newest first",
    tags=TAGS,
    operation_id="listTasks",
    security=SECURED,
    responses=responses(200, TaskPage, "A page of tasks", 400, 503),
)
def list_tasks(
    *,
    caller: CurrentCaller,
    service: Service,
    status: Annotated[TaskStatus | None, Query(description="Only tasks in this status")] = None,
    due_before: Annotated[IsoDate | None, Query(description="Due on or before this date")] = None,
    due_after: Annotated[IsoDate | None, Query(description="Due on or after this date")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[
        str | None,
        Query(description="next_cursor of the previous page", max_length=MAX_CURSOR_LENGTH),
    ] = None,
) -> TaskPage:
    return service.list(
        owner=caller.user_id,
        status=status,
        due_before=due_before,
        due_after=due_after,
        limit=limit,
        cursor=cursor,
    )


@router.post(
    "/tasks",
    summary="Create a task",
    tags=TAGS,
    operation_id="createTask",
    security=SECURED,
    status_code=201,
    responses=responses(
        201, Task, "Created (or replayed for a repeated Idempotency-Key)", 400, 409, 503
    ),
)
def create_task(
    *,
    caller: CurrentCaller,
    service: Service,
    task: Annotated[TaskCreate, Body()],
    idempotency_key: IdempotencyKey = None,
) -> Response[Task]:
    created = service.create(owner=caller.user_id, task=task, idempotency_key=idempotency_key)
    metrics.add_metric(name="TaskCreated", unit="Count", value=1)
    return Response(
        status_code=201,
        body=created,
        content_type="application/json",
        headers={"Location": f"/api/tasks/{created.id}"},
    )


@router.get(
    "/tasks/stats",
    summary="Counts of the caller's tasks by status, and how many are overdue",
    tags=TAGS,
    operation_id="getTaskStats",
    security=SECURED,
    responses=responses(200, TaskStats, "Counts", 503),
)
def task_stats(*, caller: CurrentCaller, service: Service) -> TaskStats:
    return service.stats(owner=caller.user_id)


@router.get(
    "/tasks/<id>",
    summary="Read one task",
    tags=TAGS,
    operation_id="getTask",
    security=SECURED,
    responses=responses(200, Task, "The task", 404, 503),
)
def get_task(*, caller: CurrentCaller, service: Service, id: TaskId) -> Task:
    return service.get(owner=caller.user_id, task_id=id)


@router.patch(
    "/tasks/<id>",
    summary="Change some fields of a task (send `version` to make it conditional)",
    tags=TAGS,
    operation_id="updateTask",
    security=SECURED,
    responses=responses(200, Task, "The updated task", 400, 404, 409, 503),
)
def update_task(
    *,
    caller: CurrentCaller,
    service: Service,
    id: TaskId,
    update: Annotated[TaskUpdate, Body()],
) -> Task:
    return service.update(owner=caller.user_id, task_id=id, update=update)


@router.delete(
    "/tasks/<id>",
    summary="Delete a task",
    tags=TAGS,
    operation_id="deleteTask",
    security=SECURED,
    status_code=204,
    responses=responses(204, None, "Deleted", 404, 503),
)
def delete_task(*, caller: CurrentCaller, service: Service, id: TaskId) -> Response[None]:
    service.delete(owner=caller.user_id, task_id=id)
    return Response(status_code=204)


@router.post(
    "/tasks/<id>/share",
    summary="Email a task to someone (queued; answers 202)",
    tags=TAGS,
    operation_id="shareTask",
    security=SECURED,
    status_code=202,
    responses=responses(202, ShareAccepted, "Queued for delivery", 400, 404, 503),
)
def share_task(
    *,
    caller: CurrentCaller,
    service: Service,
    id: TaskId,
    share: Annotated[ShareRequest, Body()],
) -> Response[ShareAccepted]:
    accepted = service.share(owner=caller.user_id, task_id=id, email=share.email)
    metrics.add_metric(name="TaskShared", unit="Count", value=1)
    return Response(status_code=202, body=accepted, content_type="application/json")
