"""Opaque pagination cursors: clients pass ``next_cursor`` back unchanged."""

from __future__ import annotations

import base64
import binascii
import json

from taskly.data.interfaces import is_task_id
from taskly.errors import InvalidRequestError

_VERSION = 1
MAX_CURSOR_LENGTH = 200


def encode_cursor(last_task_id: str) -> str:
    raw = json.dumps({"v": _VERSION, "after": last_task_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> str:
    """The task id the next page starts after; InvalidRequestError if we did not issue it."""
    invalid = InvalidRequestError(
        "cursor is not valid: pass the next_cursor of a previous page unchanged"
    )
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise invalid from None
    if not isinstance(payload, dict) or payload.get("v") != _VERSION:
        raise invalid
    after = payload.get("after")
    if not isinstance(after, str) or not is_task_id(after):
        raise invalid
    return after
