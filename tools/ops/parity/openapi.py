"""Requests that need ids: ``--from-openapi`` and ``{id}`` in a requests file's paths.

``--from-openapi`` generates one request per operation (every method) of an OpenAPI document,
so a run with ``--allow-writes`` covers every migrated route and a run without it skips the
writes and reports them as not covered.

An operation with no path parameter is one request. A ``GET`` with one path parameter at the
end (``/api/tasks/{id}``) gets one request per id (at most ``IDS_PER_ROUTE``) found by asking
legacy's list endpoint — the same path without its last segment (``/api/tasks``) — and reading
the ``id`` (or ``_id``) of the objects in its answer (a top-level array, or the first array in
the object). Any other operation with one path parameter gets ``{id}`` (below), resolved when it
is sent; operations with more parameters are left out. Query parameters are left out, so the
defaults are what is compared. A write's body is the smallest valid one the request schema
describes (``body_from_schema``). The order creates before it reads, reads before it changes,
and deletes last, so each request finds what it needs.

A requests file may write ``{id}`` in a path (``/api/tasks/{id}/share``): it becomes the first
id legacy's list endpoint for that path returns, found the same way, so one file serves any
stage's data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from tools.ops.parity.compare import Answer
from tools.ops.parity.inputs import InputError, ParityRequest

IDS_PER_ROUTE = 3
_METHODS = ("get", "post", "put", "patch", "delete")
# Strings tried, in order, against a schema's pattern: what the Taskly models' patterns accept.
_PATTERN_CANDIDATES = ("parity", "en", "parity@example.com", "2026-01-01", "1")
_FORMATS = {
    "date": "2026-12-24",
    "date-time": "2026-12-24T12:00:00Z",
    "email": "parity@example.com",
}


def requests_from_openapi(
    path: Path, *, base: str, send: Callable[[str, ParityRequest], Answer]
) -> list[ParityRequest]:
    document = _load(path)
    generated: list[tuple[int, str, str, Any]] = []
    for template, operations in document["paths"].items():
        if not isinstance(operations, dict):
            continue
        parameters = [part for part in template.split("/") if part.startswith("{")]
        for method in (m for m in _METHODS if isinstance(operations.get(m), dict)):
            if len(parameters) > 1:
                continue
            body = _body(document, operations[method], f"{method.upper()} {template}")
            phase = _phase(method, bool(parameters))
            if not parameters:
                generated.append((phase, method.upper(), template, body))
                continue
            target = template.replace(parameters[0], ID_PLACEHOLDER)
            ids = _read_ids(template, parameters[0], base, send) if method == "get" else []
            targets = [template.replace(parameters[0], found) for found in ids] or [target]
            generated += [(phase, method.upper(), one, body) for one in targets]
    if not generated:
        raise InputError(f"OpenAPI document {path} has no operation to compare")
    ordered = sorted(generated, key=lambda item: item[0])
    return [
        ParityRequest(line=number, method=method, path=target, headers={}, body=body)
        for number, (_, method, target, body) in enumerate(ordered, start=1)
    ]


def _load(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(
            f"cannot read OpenAPI document {path}: {error.strerror or error}"
        ) from error
    except ValueError as error:
        raise InputError(f"OpenAPI document {path} is not JSON: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise InputError(f"OpenAPI document {path} has no paths")
    return document


def _phase(method: str, has_parameter: bool) -> int:
    """Create first, then read, then change, then delete."""
    if method == "post" and not has_parameter:
        return 0
    if method == "get":
        return 1
    return 3 if method == "delete" else 2


def _read_ids(
    template: str, parameter: str, base: str, send: Callable[[str, ParityRequest], Answer]
) -> list[str]:
    if not template.endswith(parameter):
        return []
    listing = template.rsplit("/", 1)[0]
    probe = ParityRequest(line=0, method="GET", path=listing, headers={}, body=None)
    return _ids(send(base, probe).body)[:IDS_PER_ROUTE]


def _body(document: dict[str, Any], operation: dict[str, Any], name: str) -> Any:
    content = (operation.get("requestBody") or {}).get("content") or {}
    schema = (content.get("application/json") or {}).get("schema")
    if schema is None:
        return None
    try:
        return body_from_schema(document, schema)
    except ValueError as error:
        raise InputError(
            f"{name}: cannot build a request body from its schema ({error}); "
            "list the request in a --requests file instead"
        ) from error


def body_from_schema(document: dict[str, Any], schema: dict[str, Any]) -> Any:  # noqa: PLR0911 (one return per JSON Schema type)
    """The smallest value ``schema`` accepts: required fields only, first enum, examples first.

    ValueError when it cannot tell (a pattern none of the candidates match, an unknown type).
    """
    schema = _resolve(document, schema)
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if schema.get("examples"):
        return schema["examples"][0]
    if schema.get("enum"):
        return schema["enum"][0]
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        usable = [o for o in options if _resolve(document, o).get("type") != "null"]
        return body_from_schema(document, (usable or options)[0])
    kind = schema.get("type")
    if kind == "object":
        return _object(document, schema)
    if kind == "string":
        return _string(schema)
    if kind in ("integer", "number"):
        value = min(max(1, schema.get("minimum", 1)), schema.get("maximum", float("inf")))
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    raise ValueError(f"schema type {kind!r} is not supported")


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    reference = schema.get("$ref")
    if not isinstance(reference, str):
        return schema
    node: Any = document
    for part in reference.removeprefix("#/").split("/"):
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        raise ValueError(f"unresolvable $ref {reference}")
    return node


def _object(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = schema.get("properties") or {}
    names = list(schema.get("required") or [])
    if not names and schema.get("minProperties", 0) > 0 and properties:
        names = [next(iter(properties))]
    return {name: body_from_schema(document, properties.get(name, {})) for name in names}


def _string(schema: dict[str, Any]) -> str:
    if schema.get("format") in _FORMATS:
        return _FORMATS[schema["format"]]
    pattern = schema.get("pattern")
    low, high = schema.get("minLength", 0), schema.get("maxLength", 10**6)
    for candidate in _PATTERN_CANDIDATES:
        if low <= len(candidate) <= high and (pattern is None or re.search(pattern, candidate)):
            return candidate
    raise ValueError(f"no value for a string with pattern {pattern!r}")


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
