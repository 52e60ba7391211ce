"""Models shared by every service."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Strict, StringConstraints

# Request fields are strict: a JSON number is not a string, 1 is not true. Pydantic's lax mode
# would accept what the OpenAPI document says is invalid.
# Explicit ranges, not \s: JSON Schema (ECMA), Python and pydantic's Rust regex disagree on \s.
_NO_SPACE = r"[^@\x00-\x20\x7f]"
EmailAddress = Annotated[
    str,
    Strict(),
    StringConstraints(
        max_length=254, pattern=rf"^{_NO_SPACE}{{1,64}}@{_NO_SPACE}+\.{_NO_SPACE}{{2,}}$"
    ),
]


def _json_integer(value: Any) -> Any:
    if isinstance(value, bool | str):
        raise ValueError("expected an integer")
    return value


# JSON Schema counts 5.0 as an integer, so pydantic's lax int (5.0 -> 5, 5.5 rejected) is right;
# but "5" and true are not integers. Put it after any Field(...) so the bounds reach the schema.
JSON_INTEGER = BeforeValidator(_json_integer)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: Any) -> Any:
    if isinstance(value, dt.date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("expected a date as YYYY-MM-DD")


# Lax pydantic would read 0 or "1700000000" as a date; the API takes ISO dates only.
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_only)]


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


class AuthErrorBody(BaseModel):
    """401/403: API Gateway's authorizer answers ``{"message"}`` before the function runs."""

    message: str
    code: str | None = None


class Health(BaseModel):
    status: str
    service: str
