"""Requests that need ids: ``--from-openapi`` and ``{id}`` in a requests file's paths.

``--from-openapi`` generates read-only requests from an OpenAPI document.

Every GET operation without path parameters becomes one request. An operation with one path
parameter (``/api/tasks/{id}``) gets one request per id (at most ``IDS_PER_ROUTE``) found by
asking legacy's list endpoint — the same path without its last segment (``/api/tasks``) — and
reading the ``id`` (or ``_id``) of the objects in its answer (a top-level array, or the first
array in the object). Query parameters are left out, so the defaults are what is compared.

A requests file may write ``{id}`` in a path (``/api/tasks/{id}/share``): it becomes the first
id legacy's list endpoint for that path returns, found the same way, so one file serves any
stage's data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from tools.parity.compare import Answer
from tools.parity.inputs import InputError, ParityRequest

IDS_PER_ROUTE = 3


def requests_from_openapi(
    path: Path, *, base: str, send: Callable[[str, ParityRequest], Answer]
) -> list[ParityRequest]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(
            f"cannot read OpenAPI document {path}: {error.strerror or error}"
        ) from error
    except ValueError as error:
        raise InputError(f"OpenAPI document {path} is not JSON: {error}") from error
    paths = document.get("paths") if isinstance(document, dict) else None
    if not isinstance(paths, dict):
        raise InputError(f"OpenAPI document {path} has no paths")
    generated: list[ParityRequest] = []

    def add(target: str) -> None:
        generated.append(
            ParityRequest(line=len(generated) + 1, method="GET", path=target, headers={}, body=None)
        )

    for template, operations in paths.items():
        if not isinstance(operations, dict) or "get" not in operations:
            continue
        parameters = [part for part in template.split("/") if part.startswith("{")]
        if not parameters:
            add(template)
        elif len(parameters) == 1 and template.endswith(parameters[0]):
            listing = template.rsplit("/", 1)[0]
            probe = ParityRequest(line=0, method="GET", path=listing, headers={}, body=None)
            for found in _ids(send(base, probe).body)[:IDS_PER_ROUTE]:
                add(template.replace(parameters[0], found))
    if not generated:
        raise InputError(f"OpenAPI document {path} has no GET operation to compare")
    return generated


ID_PLACEHOLDER = "{id}"


class IdFiller:
    """Replaces ``{id}`` with the first id of the list endpoint before it, when first needed.

    Resolved just before the request is sent (so a file can create the item it then reads),
    and once per list endpoint (so every line of the file acts on the same item).
    """

    def __init__(self, *, base: str, send: Callable[[str, ParityRequest], Answer]) -> None:
        self._base = base
        self._send = send
        self._found: dict[str, str] = {}

    def __call__(self, request: ParityRequest) -> ParityRequest:
        if ID_PLACEHOLDER not in request.path:
            return request
        listing = request.path.split(ID_PLACEHOLDER, 1)[0].rstrip("/")
        if listing not in self._found:
            probe = replace(request, method="GET", path=listing, body=None)
            ids = _ids(self._send(self._base, probe).body)
            if not ids:
                raise InputError(
                    f"line {request.line}: {ID_PLACEHOLDER} needs an item at GET {listing} "
                    f"on {self._base}, which lists none"
                )
            self._found[listing] = ids[0]
        return replace(request, path=request.path.replace(ID_PLACEHOLDER, self._found[listing]))


def _ids(body: Any) -> list[str]:
    items = body
    if isinstance(body, dict):
        items = next((value for value in body.values() if isinstance(value, list)), [])
    if not isinstance(items, list):
        return []
    found = []
    for item in items:
        if isinstance(item, dict):
            value = item.get("id", item.get("_id"))
            if isinstance(value, str | int) and not isinstance(value, bool):
                found.append(str(value))
    return found
