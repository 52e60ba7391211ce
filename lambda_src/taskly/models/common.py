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


class ApiModel(BaseModel):
    """Base of the API's models: each builds its validator when first used, not at import.

    A request needs the models of its own route only; building every model of the function at
    init (``defer_build`` off) costs each cold start the validators of all the other routes.
    """

    model_config = ConfigDict(defer_build=True)


def build_models() -> None:
    """Build the validator of every API model loaded so far (SnapStart prime hooks: the
    snapshot then holds them all, and no restored environment builds one on a request)."""
    pending: list[type[ApiModel]] = list(ApiModel.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        model.model_rebuild()


class StrictModel(ApiModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(ApiModel):
    location: str
    message: str
    type: str


class ErrorBody(ApiModel):
    """Every error the API returns. ``message`` matches API Gateway's own error bodies."""

    code: str
    message: str
    details: list[ErrorDetail] | None = None


class AuthErrorBody(ApiModel):
    """401/403: API Gateway's authorizer answers ``{"message"}`` before the function runs."""

    message: str
    code: str | None = None


class Health(ApiModel):
    status: str
    service: str
