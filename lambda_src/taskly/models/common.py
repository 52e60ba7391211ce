"""Models shared by every service."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

EmailAddress = Annotated[
    str,
    StringConstraints(max_length=254, pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$"),
]


class StrictModel(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    location: str
    message: str
    type: str


class ErrorBody(BaseModel):
    """Every error the API returns. ``message`` matches API Gateway's own error bodies."""

    code: str
    message: str
    details: list[ErrorDetail] | None = None


class Health(BaseModel):
    status: str
    service: str
