"""The requests file: JSON lines, one request per line.

    {"method": "GET", "path": "/api/tasks?limit=5", "headers": {"x-taskly-example": "1"}}
    {"method": "POST", "path": "/api/tasks", "body": {"title": "Buy milk"}}

``headers`` and ``body`` are optional; blank lines are skipped. A bad line stops the run with
its line number before anything is sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

READ_METHODS = frozenset({"GET", "HEAD"})
Method = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class InputError(Exception):
    """Bad input; the message is one line."""


class RequestLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Method
    path: str
    headers: dict[str, str] = {}
    body: Any = None

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/") or value.startswith("//") or any(c in value for c in " \r\n"):
            raise ValueError(f"must be a path starting with / (no host, no spaces): {value!r}")
        return value


@dataclass(frozen=True, kw_only=True)
class ParityRequest:
    line: int
    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def label(self) -> str:
        return f"line {self.line} {self.method} {self.path}"

    @property
    def is_read(self) -> bool:
        return self.method in READ_METHODS


def load_requests(path: Path) -> list[ParityRequest]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read requests file {path}: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise InputError(f"requests file {path} is not UTF-8: {error.reason}") from error
    requests = [
        _parse(path, number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]
    if not requests:
        raise InputError(f"requests file {path} has no requests")
    return requests


def _parse(path: Path, number: int, line: str) -> ParityRequest:
    where = f"{path}:{number}"
    try:
        data = json.loads(line)
    except ValueError as error:
        raise InputError(f"{where}: not a JSON object: {error}") from error
    if not isinstance(data, dict):
        raise InputError(f"{where}: not a JSON object")
    try:
        request = RequestLine.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "request"
        message = first["msg"].removeprefix("Value error, ")
        raise InputError(f"{where}: {field}: {message}") from error
    return ParityRequest(
        line=number,
        method=request.method,
        path=request.path,
        headers=dict(request.headers),
        body=request.body,
    )


def parse_header(text: str) -> tuple[str, str]:
    """``'Authorization: Bearer x'`` -> ``('Authorization', 'Bearer x')``."""
    name, separator, value = text.partition(":")
    if not separator or not name.strip() or name.strip() != name or " " in name:
        raise ValueError(f"header must look like 'Name: value', got {text!r}")
    return name, value.strip()
