"""What the API says about a bad field: legacy's words, never pydantic's, a regex or a type code.

The one place that turns a validation error (pydantic's ``type``, ``loc`` and ``ctx``) into the
``{location, message, type}`` detail clients read. A field legacy validates gets legacy's own
sentence (legacy/src/validate.js), whatever pydantic found wrong with it, so a client shows
the same text whichever backend answered; any other field gets a sentence for the kind of
error. ``type`` is one of legacy's four kinds (``missing``, ``extra_forbidden``,
``model_type``, ``value_error``): pydantic's own codes are an implementation detail.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from taskly.models.tasks import TaskStatus

_STATUSES = ", ".join(status.value for status in TaskStatus)

# Field name -> legacy's message, whatever is wrong with the value (validate.js `rules`).
FIELD_MESSAGES: Mapping[str, str] = {
    "status": f"must be one of {_STATUSES}",
    "due_date": "must be a date as YYYY-MM-DD or null",
    "due_before": "must be a date as YYYY-MM-DD",
    "due_after": "must be a date as YYYY-MM-DD",
    "version": "must be an integer of at least 1",
    "email": "must be an email address",
    "theme": "must be one of light, dark, system",
    "language": "must be a language tag like en or pt-BR",
    "email_notifications": "must be true or false",
    "tasks_page_size": "must be an integer from 1 to 100",
    "limit": "must be an integer from 1 to 100",
    "cursor": "must be at most 200 characters",
    "idempotency-key": "must be 1 to 255 printable ASCII characters without spaces",
}

# Legacy's string fields: "must be a string" for another JSON type (or null), else the bounds.
STRING_FIELDS: Mapping[str, str] = {
    "title": "must be 1 to 200 characters",
    "description": "must be at most 4000 characters",
    "name": "must be 1 to 100 characters",
}

# The error types that mean "not a string at all" (null where null means nothing is one).
_NOT_A_STRING = frozenset({"string_type", "null_not_allowed", "none_required"})

_BY_TYPE: Mapping[str, str] = {
    "missing": "field required",
    "extra_forbidden": "unknown field",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "list_type": "must be a list",
    "string_pattern_mismatch": "is not in the expected format",
    "null_not_allowed": "cannot be null",
}

# Legacy's kinds of invalid field; everything else is a bad value.
_KIND = {
    "missing": "missing",
    "extra_forbidden": "extra_forbidden",
    "model_type": "model_type",
    "model_attributes_type": "model_type",
    "dict_type": "model_type",
}


def location(loc: Any) -> str:
    """``body.title``, ``query.limit``: the dotted path of names, as legacy writes it."""
    parts = loc if isinstance(loc, (list, tuple)) else (loc,)
    return ".".join(str(part) for part in parts)


def detail_type(error_type: str) -> str:
    return _KIND.get(error_type, "value_error")


def detail_message(error: Mapping[str, Any]) -> str:
    """The sentence for one pydantic error, in the words legacy uses for that field."""
    error_type = str(error.get("type", ""))
    loc = error.get("loc") or ()
    field = str(loc[-1]) if isinstance(loc, (list, tuple)) and loc else ""
    if error_type in {"missing", "extra_forbidden"} or field in {"body", "query", ""}:
        return _BY_TYPE.get(error_type) or _own_sentence(error) or "is not valid"
    if field in FIELD_MESSAGES:
        return FIELD_MESSAGES[field]
    if field in STRING_FIELDS:
        return "must be a string" if error_type in _NOT_A_STRING else STRING_FIELDS[field]
    return _BY_TYPE.get(error_type) or _bounds(error_type, error.get("ctx") or {}) or "is not valid"


def _own_sentence(error: Mapping[str, Any]) -> str | None:
    """A ``ValueError`` our own validators raised: its text is already written for people."""
    if error.get("type") != "value_error":
        return None
    reason = (error.get("ctx") or {}).get("error")
    return str(reason) if reason is not None else None


def _bounds(error_type: str, ctx: Mapping[str, Any]) -> str | None:
    sentences = {
        "string_too_short": "must be at least {min_length} characters",
        "string_too_long": "must be at most {max_length} characters",
        "greater_than_equal": "must be at least {ge}",
        "less_than_equal": "must be at most {le}",
        "greater_than": "must be more than {gt}",
        "less_than": "must be less than {lt}",
    }
    if error_type == "enum" and "expected" in ctx:
        # ctx["expected"] reads "'a', 'b' or 'c'": the values, without Python's quoting.
        values = str(ctx["expected"]).replace("'", "").replace(" or ", ", ")
        return f"must be one of {values}"
    sentence = sentences.get(error_type)
    try:
        return sentence.format(**ctx) if sentence else None
    except KeyError:
        return None
