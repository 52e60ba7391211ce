"""Tasks: what clients send, what they get back, and what a query asks for."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import ConfigDict, Field, Strict, StringConstraints, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from taskly.models.common import JSON_INTEGER, ApiModel, EmailAddress, IsoDate, StrictModel

Title = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=200)]
Description = Annotated[str, Strict(), StringConstraints(max_length=4000)]

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class TaskStatus(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class TaskCreate(StrictModel):
    title: Title
    description: Description = ""
    status: TaskStatus = TaskStatus.TODO
    due_date: IsoDate | None = None


class TaskUpdate(StrictModel):
    """A partial update: only the fields sent change (``due_date: null`` clears the date).

    ``version`` makes it conditional: if the task is no longer at that version, 409.
    """

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    # Omitted means "unchanged"; null is accepted only where it means something (due_date).
    title: Title | SkipJsonSchema[None] = None
    description: Description | SkipJsonSchema[None] = None
    status: TaskStatus | SkipJsonSchema[None] = None
    due_date: IsoDate | None = None
    version: Annotated[int, Field(ge=1), JSON_INTEGER] | SkipJsonSchema[None] = None

    @field_validator("title", "description", "status", "version", mode="before")
    @classmethod
    def _no_null_where_null_means_nothing(cls, value: object) -> object:
        # A field error (not a model one), so the detail names the field like legacy does.
        if value is None:
            raise PydanticCustomError("null_not_allowed", "cannot be null")
        return value

    @model_validator(mode="after")
    def _changes_something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self

    def changes(self) -> dict[str, object]:
        """The fields the client sent (``due_date: null`` clears the due date)."""
        return {name: getattr(self, name) for name in self.model_fields_set if name != "version"}


class Task(ApiModel):
    id: str
    title: str
    description: str
    status: TaskStatus
    due_date: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class TaskPage(ApiModel):
    items: list[Task]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


class TaskQuery(ApiModel):
    """What ``GET /tasks`` asks the repository for (newest first, after ``after_id``)."""

    owner: str
    status: TaskStatus | None = None
    due_before: dt.date | None = None
    due_after: dt.date | None = None
    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    after_id: str | None = None


class StatusCounts(ApiModel):
    todo: int = 0
    in_progress: int = 0
    done: int = 0


class TaskStats(ApiModel):
    total: int
    by_status: StatusCounts
    overdue: int = Field(description="Tasks not done whose due date is before today (UTC).")


class ShareRequest(StrictModel):
    email: EmailAddress


class ShareAccepted(ApiModel):
    status: Literal["queued"] = "queued"
    task_id: str
    recipient: str
