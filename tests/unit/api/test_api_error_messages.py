"""``api.messages``: legacy's sentence for every field a client can send, whatever pydantic says.

The HTTP-level corpus (tests/integration/api/test_api_error_contract.py) checks the answers;
these check the table itself, so a new request field without legacy-style wording fails here.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from taskly.api import messages, tasks
from taskly.models.profile import PreferencesUpdate
from taskly.models.tasks import ShareRequest, TaskCreate, TaskUpdate

REQUEST_MODELS: tuple[type[BaseModel], ...] = (
    TaskCreate,
    TaskUpdate,
    ShareRequest,
    PreferencesUpdate,
)


def _query_parameters() -> set[str]:
    signature = inspect.signature(tasks.list_tasks)
    return {name for name in signature.parameters if name not in {"caller", "service"}}


FIELDS = sorted(
    {name for model in REQUEST_MODELS for name in model.model_fields} | _query_parameters()
)


@pytest.mark.parametrize("field", FIELDS)
def test_every_field_a_client_sends_has_legacy_wording(field: str) -> None:
    assert field in messages.FIELD_MESSAGES or field in messages.STRING_FIELDS


def errors_of(model: type[BaseModel], body: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as invalid:
        model.model_validate(body)
    return [{**error, "loc": ("body", *error["loc"])} for error in invalid.value.errors()]


@pytest.mark.parametrize(
    ("model", "body", "expected"),
    [
        (TaskCreate, {"title": 5}, ("body.title", "must be a string", "value_error")),
        (TaskCreate, {"title": ""}, ("body.title", "must be 1 to 200 characters", "value_error")),
        (TaskCreate, {}, ("body.title", "field required", "missing")),
        (TaskCreate, {"title": "t", "x": 1}, ("body.x", "unknown field", "extra_forbidden")),
        (TaskUpdate, {"title": None}, ("body.title", "must be a string", "value_error")),
        (
            TaskUpdate,
            {"version": None},
            ("body.version", "must be an integer of at least 1", "value_error"),
        ),
        (
            TaskUpdate,
            {},
            ("body", "send at least one field to change", "value_error"),
        ),
        (
            ShareRequest,
            {"email": "a@b"},
            ("body.email", "must be an email address", "value_error"),
        ),
    ],
)
def test_a_pydantic_error_becomes_legacys_detail(
    model: type[BaseModel], body: dict[str, Any], expected: tuple[str, str, str]
) -> None:
    [error] = errors_of(model, body)
    detail = (
        messages.location(error["loc"]),
        messages.detail_message(error),
        messages.detail_type(error["type"]),
    )
    assert detail == expected


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            {"type": "enum", "loc": ("body", "x"), "ctx": {"expected": "'a', 'b' or 'c'"}},
            "must be one of a, b, c",
        ),
        (
            {"type": "string_too_long", "loc": ("header", "h"), "ctx": {"max_length": 9}},
            "must be at most 9 characters",
        ),
        (
            {"type": "greater_than_equal", "loc": ("query", "n"), "ctx": {"ge": 1}},
            "must be at least 1",
        ),
        (
            {"type": "something_new", "loc": ("query", "n"), "msg": "Input should be ..."},
            "is not valid",
        ),
    ],
)
def test_a_field_legacy_does_not_know_gets_a_sentence_for_the_kind_of_error(
    error: dict[str, Any], message: str
) -> None:
    assert messages.detail_message(error) == message
