"""``-c taskly:<section>.<field>=<value>``: one-off stage values without editing a file."""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
import typing
from typing import Any

from stacks import services
from stacks.config.loading import (
    _ENVIRONMENT_FIELDS,
    _describe,
    _dotted,
    _optional_inner,
    _typed,
)
from stacks.config.rules import ConfigError, _fail
from stacks.config.schema import SERVICE_TABLES, StageConfig, settings_type

# Context keys with this prefix are stage overrides: -c taskly:compute.tasks.memory_mb=512.
OVERRIDE_PREFIX = "taskly:"


def _override_keys() -> dict[str, Any]:
    """Every value an override can set, dotted (``compute.tasks.memory_mb``), with its type."""
    keys: dict[str, Any] = {}

    def walk(cls: type[Any], prefix: str) -> None:
        hints = typing.get_type_hints(cls)
        for item in dataclasses.fields(cls):
            if not prefix and item.name in _ENVIRONMENT_FIELDS:
                continue
            path = _dotted(prefix, item.name)
            if item.metadata.get(SERVICE_TABLES):
                for entry in services.SERVICES:
                    walk(settings_type(entry), _dotted(prefix, entry.name))
            elif dataclasses.is_dataclass(hints[item.name]):
                walk(hints[item.name], path)
            else:
                keys[path] = hints[item.name]

    walk(StageConfig, "")
    return keys


# How a ``-c`` string spells each scalar type, and how it becomes one.
_OVERRIDE_SCALARS: dict[Any, tuple[str, typing.Callable[[str], Any]]] = {
    bool: ("true|false", lambda raw: raw == "true"),
    int: (r"-?\d+", int),
    float: (r"-?\d+(\.\d+)?", float),
    str: (r"(?s).*", str),
}


def _override_value(raw: object, hint: Any, key: str, path: str) -> Any:
    """A ``-c`` string parsed for a field of type ``hint``; other context values are typed.

    Strict on purpose: ``no``, ``False`` or ``1`` for a boolean would otherwise become a
    truthy string, and a bare string for a list a one-item list nobody asked for.
    """
    if not isinstance(raw, str):
        return _typed(raw, hint, path)
    inner = _optional_inner(hint)
    if inner is not None:
        return None if raw == "null" else _override_value(raw, inner, key, path)
    if hint in _OVERRIDE_SCALARS:
        pattern, parse = _OVERRIDE_SCALARS[hint]
        if not re.fullmatch(pattern, raw):
            _fail(path, raw, _describe(hint))
        return parse(raw)
    container = list if typing.get_origin(hint) is tuple else dict
    example = '["..."]' if container is list else '{"key": "value"}'
    noun = _describe(hint).removeprefix("a ").replace("table", "object")
    expected = f"a JSON {noun}, e.g. -c 'taskly:{key}={example}'"
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        _fail(path, raw, expected)
    if not isinstance(value, container):
        _fail(path, raw, expected)
    return _typed(value, hint, path)


def _replaced(config: Any, parts: list[str], value: object) -> Any:
    """``config`` with the field at ``parts`` set to ``value`` (validated on the way back)."""
    head, *rest = parts
    if isinstance(config, dict):
        return {**config, head: value if not rest else _replaced(config[head], rest, value)}
    names = {item.name for item in dataclasses.fields(config)}
    if head not in names:
        # A service's table: it lives in the field marked SERVICE_TABLES.
        (tables,) = (f.name for f in dataclasses.fields(config) if f.metadata.get(SERVICE_TABLES))
        return dataclasses.replace(
            config, **{tables: _replaced(getattr(config, tables), parts, value)}
        )
    new = value if not rest else _replaced(getattr(config, head), rest, value)
    return dataclasses.replace(config, **{head: new})


def apply_overrides(config: StageConfig, overrides: dict[str, object]) -> StageConfig:
    """Return ``config`` with ``{"section.field": value}`` replaced, validated again.

    Values from ``-c`` arrive as strings: booleans take ``true``/``false``, numbers their
    digits, lists and tables JSON, optional values ``null``. All overrides apply before the
    one validation, so values that are valid only together (``migration.enabled`` with its
    source settings) can be given together.
    """
    keys = _override_keys()
    sections: dict[str, Any] = {}
    for key, raw in sorted(overrides.items()):
        if key not in keys:
            raise ConfigError(_unknown_key_message(key, keys))
        value = _override_value(raw, keys[key], key, f"{config.name}.{key}")
        head, *rest = key.split(".")
        # Sections validate only inside StageConfig, so replacing them here checks nothing yet.
        sections[head] = (
            _replaced(sections.get(head, getattr(config, head)), rest, value) if rest else value
        )
    return dataclasses.replace(config, **sections) if sections else config


def _unknown_key_message(key: str, keys: dict[str, Any]) -> str:
    """The unknown key and the valid keys of the one table it names (the TOML loader's form)."""
    parts = key.split(".")
    for depth in range(len(parts) - 1, 0, -1):
        table = ".".join(parts[:depth])
        inside = sorted(k.removeprefix(f"{table}.") for k in keys if k.startswith(f"{table}."))
        if inside:
            return f"unknown override {key!r}; valid keys in [{table}]: {', '.join(inside)}"
    sections = sorted({k.split(".")[0] for k in keys})
    return f"unknown override {key!r}; valid sections: {', '.join(sections)}"


def context_overrides(context: dict[str, object]) -> dict[str, object]:
    """The ``taskly:`` context values as ``{"section.field": value}``."""
    return {
        key.removeprefix(OVERRIDE_PREFIX): value
        for key, value in context.items()
        if key.startswith(OVERRIDE_PREFIX)
    }


def check_override_arguments(argv: list[str]) -> None:
    """ConfigError for a ``-c taskly:...`` argument without ``=``.

    The CDK CLI drops such an argument with a warning and runs the app without it, so the app
    finds it in the command line of the ``cdk`` process that started it (``app.cdk_cli_arguments``).
    """
    for flag, value in itertools.pairwise(argv):
        if flag in ("-c", "--context") and value.startswith(OVERRIDE_PREFIX) and "=" not in value:
            raise ConfigError(
                f"-c {value} is not an assignment; write -c {value}=<value> "
                f"(e.g. -c {OVERRIDE_PREFIX}compute.tasks.memory_mb=512)"
            )
    for item in argv:
        for flag in ("-c", "--context="):
            value = item.removeprefix(flag)
            if item.startswith(flag + OVERRIDE_PREFIX) and "=" not in value:
                check_override_arguments(["-c", value])
