"""Bad inputs and the error contract every 4xx of the API keeps (a uniquely named module).

The contract (docs/api.md, "Errors"): a JSON object with a non-empty ``message``; ``details``,
when present, is a list of ``{location, message, type}`` where ``location`` names the field as
legacy does (``body.title``, ``query.limit``; never a character offset), ``type`` is one of
legacy's four kinds, and no text anywhere comes from a validator, a regex or a library.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import requests

# What legacy's validate.js reports as a detail's type; pydantic's own codes are not the API's.
DETAIL_TYPES = frozenset({"missing", "extra_forbidden", "value_error", "model_type"})

# Fragments no error body may contain: validator, regex engine, JSON parser and JWT library
# wording, Python's HTML error page, the edge's transport errors, and stack traces.
FORBIDDEN_FRAGMENTS = (
    "Input should",
    "String should",
    "Value error",
    "value_error,",
    "should match pattern",
    "[^@",
    "\\x00",
    "{1,64}",
    "a-z]",
    "valid integer",
    "unable to parse",
    "date_from_datetime",
    "datetime_parsing",
    "json_invalid",
    "string_pattern_mismatch",
    "string_type",
    "int_parsing",
    "model_attributes_type",
    "enum",
    "Field required",
    "Extra inputs",
    "pydantic",
    "Traceback",
    'File "',
    "Not enough segments",
    "Invalid header",
    "Invalid payload",
    "Signature verification",
    "EOF while",
    "Expecting",
    "<html",
    "<!DOCTYPE",
    "EPIPE",
    "ECONNRESET",
    "unreachable",
)

# A location ending in a number is a character offset or an index, never a field name.
_OFFSET = re.compile(r"(^|\.)\d+$")

TASK_ID = "0123456789abcdef01234567"
VALID_PREFERENCES = {
    "theme": "dark",
    "language": "en",
    "email_notifications": True,
    "tasks_page_size": 20,
}


@dataclass(frozen=True)
class BadInput:
    name: str
    method: str
    path: str
    status: int
    # The fields legacy names for this input (empty: the body has no details).
    locations: tuple[str, ...] = ()
    json_body: Any = None
    raw_body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # The wording legacy's validate.js uses, where it has one for this input.
    message: str | None = None
    authorized: bool = True


def _prefs(**changes: Any) -> dict[str, Any]:
    return {**VALID_PREFERENCES, **changes}


CORPUS: tuple[BadInput, ...] = (
    BadInput(
        "share: not an email",
        "POST",
        f"/api/tasks/{TASK_ID}/share",
        422,
        ("body.email",),
        {"email": "not-an-email"},
        message="body.email: must be an email address",
    ),
    BadInput(
        "preferences: language",
        "PUT",
        "/api/me/preferences",
        422,
        ("body.language",),
        _prefs(language="english!"),
        message="body.language: must be a language tag like en or pt-BR",
    ),
    BadInput(
        "create: title is a number",
        "POST",
        "/api/tasks",
        422,
        ("body.title",),
        {"title": 5},
        message="body.title: must be a string",
    ),
    BadInput(
        "create: due date is a datetime",
        "POST",
        "/api/tasks",
        422,
        ("body.due_date",),
        {"title": "t", "due_date": "2026-01-01T10:00:00Z"},
        message="body.due_date: must be a date as YYYY-MM-DD or null",
    ),
    BadInput(
        "create: due date does not exist",
        "POST",
        "/api/tasks",
        422,
        ("body.due_date",),
        {"title": "t", "due_date": "2026-02-30"},
        message="body.due_date: must be a date as YYYY-MM-DD or null",
    ),
    BadInput(
        "create: status not in the enum",
        "POST",
        "/api/tasks",
        422,
        ("body.status",),
        {"title": "t", "status": "doing"},
        message="body.status: must be one of todo, in_progress, done",
    ),
    BadInput(
        "create: title too long",
        "POST",
        "/api/tasks",
        422,
        ("body.title",),
        {"title": "x" * 201},
        message="body.title: must be 1 to 200 characters",
    ),
    BadInput(
        "create: title missing",
        "POST",
        "/api/tasks",
        422,
        ("body.title",),
        {"description": "d"},
        message="body.title: field required",
    ),
    BadInput(
        "create: unknown field",
        "POST",
        "/api/tasks",
        422,
        ("body.colour",),
        {"title": "t", "colour": "red"},
        message="body.colour: unknown field",
    ),
    BadInput(
        "create: body is an array",
        "POST",
        "/api/tasks",
        422,
        ("body",),
        [1, 2],
        message="body: must be a JSON object",
    ),
    BadInput(
        "create: body is a string",
        "POST",
        "/api/tasks",
        422,
        ("body",),
        "a task",
        message="body: must be a JSON object",
    ),
    BadInput(
        "create: malformed JSON",
        "POST",
        "/api/tasks",
        400,
        raw_body=b'{"title": "x",',
        headers={"content-type": "application/json"},
        message="the request body is not valid JSON",
    ),
    BadInput(
        "update: nothing to change",
        "PATCH",
        f"/api/tasks/{TASK_ID}",
        422,
        ("body",),
        {},
        message="body: send at least one field to change",
    ),
    BadInput(
        "update: null title",
        "PATCH",
        f"/api/tasks/{TASK_ID}",
        422,
        ("body.title",),
        {"title": None},
        message="body.title: must be a string",
    ),
    BadInput(
        "update: version is a string",
        "PATCH",
        f"/api/tasks/{TASK_ID}",
        422,
        ("body.version",),
        {"title": "t", "version": "1"},
        message="body.version: must be an integer of at least 1",
    ),
    BadInput(
        "preferences: page size out of range",
        "PUT",
        "/api/me/preferences",
        422,
        ("body.tasks_page_size",),
        _prefs(tasks_page_size=0),
        message="body.tasks_page_size: must be an integer from 1 to 100",
    ),
    BadInput(
        "preferences: notifications not a boolean",
        "PUT",
        "/api/me/preferences",
        422,
        ("body.email_notifications",),
        _prefs(email_notifications="yes"),
        message="body.email_notifications: must be true or false",
    ),
    BadInput(
        "preferences: theme",
        "PUT",
        "/api/me/preferences",
        422,
        ("body.theme",),
        _prefs(theme="neon"),
        message="body.theme: must be one of light, dark, system",
    ),
    BadInput(
        "create: three problems, listed like legacy",
        "POST",
        "/api/tasks",
        422,
        ("body.colour", "body.status", "body.title"),
        {"colour": "red", "status": "doing"},
        message=(
            "body.title: field required; body.colour: unknown field; "
            "body.status: must be one of todo, in_progress, done"
        ),
    ),
    BadInput(
        "preferences: two problems, in the order sent",
        "PUT",
        "/api/me/preferences",
        422,
        ("body.tasks_page_size", "body.theme"),
        {"tasks_page_size": 0, "email_notifications": True, "language": "en", "theme": "neon"},
        message=(
            "body.tasks_page_size: must be an integer from 1 to 100; "
            "body.theme: must be one of light, dark, system"
        ),
    ),
    BadInput(
        "list: limit is not a number",
        "GET",
        "/api/tasks?limit=abc",
        422,
        ("query.limit",),
        message="query.limit: must be an integer from 1 to 100",
    ),
    BadInput(
        "list: limit out of range",
        "GET",
        "/api/tasks?limit=0",
        422,
        ("query.limit",),
        message="query.limit: must be an integer from 1 to 100",
    ),
    BadInput(
        "list: status",
        "GET",
        "/api/tasks?status=doing",
        422,
        ("query.status",),
        message="query.status: must be one of todo, in_progress, done",
    ),
    BadInput(
        "list: due_before is a datetime",
        "GET",
        "/api/tasks?due_before=2026-01-01T10:00:00",
        422,
        ("query.due_before",),
        message="query.due_before: must be a date as YYYY-MM-DD",
    ),
    BadInput(
        "list: cursor too long",
        "GET",
        "/api/tasks?cursor=" + "c" * 201,
        422,
        ("query.cursor",),
        message="query.cursor: must be at most 200 characters",
    ),
    BadInput(
        "create: not JSON",
        "POST",
        "/api/tasks",
        415,
        raw_body=b"title=x",
        headers={"content-type": "text/plain"},
    ),
    BadInput(
        "create: over the function's limit",
        "POST",
        "/api/tasks",
        413,
        json_body={"title": "t", "description": "d" * 20_000},
    ),
    BadInput(
        "create: over API Gateway's 10 MB",
        "POST",
        "/api/tasks",
        413,
        raw_body=b"{" + b" " * (11 * 1024 * 1024) + b"}",
        headers={"content-type": "application/json"},
    ),
    BadInput(
        "garbage token",
        "GET",
        "/api/tasks",
        401,
        headers={"authorization": "Bearer not-a-jwt"},
        authorized=False,
    ),
)


def send(session: requests.Session, base_url: str, case: BadInput, token: str) -> requests.Response:
    headers = dict(case.headers)
    if case.authorized:
        headers.setdefault("authorization", f"Bearer {token}")
    data = case.raw_body
    if data is None and case.method in {"POST", "PUT", "PATCH"}:
        data = json.dumps(case.json_body).encode()
        headers.setdefault("content-type", "application/json")
    return session.request(
        case.method, f"{base_url}{case.path}", data=data, headers=headers, timeout=30
    )


def contract_violations(case: BadInput, response: requests.Response) -> list[str]:
    """Every way ``response`` breaks the error contract for ``case`` (empty: it keeps it)."""
    problems: list[str] = []
    if response.status_code != case.status:
        problems.append(f"status {response.status_code}, expected {case.status}")
    challenge = response.headers.get("www-authenticate", "")
    text = response.text + challenge
    problems += [f"contains {fragment!r}" for fragment in FORBIDDEN_FRAGMENTS if fragment in text]
    try:
        body = response.json()
    except ValueError:
        return [*problems, f"not JSON: {response.text[:200]!r}"]
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("message"), str)
        or not body["message"]
    ):
        return [*problems, "no message"]
    if case.message is not None and body["message"] != case.message:
        problems.append(f"message {body['message']!r}, legacy says {case.message!r}")
    details = body.get("details", [])
    if not isinstance(details, list):
        return [*problems, "details is not a list"]
    for detail in details:
        if set(detail) != {"location", "message", "type"}:
            problems.append(f"detail keys {sorted(detail)}")
            continue
        if _OFFSET.search(detail["location"]):
            problems.append(f"location {detail['location']!r} is an offset, not a field")
        if detail["type"] not in DETAIL_TYPES:
            problems.append(f"detail type {detail['type']!r}")
    locations = tuple(sorted(detail.get("location", "") for detail in details))
    if locations != tuple(sorted(case.locations)):
        problems.append(f"locations {locations}, legacy names {case.locations}")
    return problems
