"""Reading a stage file: ``config/<stage>.toml`` into a validated ``StageConfig``.

The TOML tables are checked against the schema's dataclass fields and type hints: no unknown,
missing or mistyped key, each reported in one line naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from typing import Any, cast

from stacks import services
from stacks.config import stages
from stacks.config.rules import ACCOUNT_PLACEHOLDER, ConfigError, _fail
from stacks.config.schema import (
    SERVICE_TABLES,
    StageConfig,
    _check_environment,
    default_settings,
    settings_type,
)

# Set by stage_config's arguments, never by the stage file or an override.
_ENVIRONMENT_FIELDS = ("name", "account", "region")


def _describe(hint: Any) -> str:
    """What a value of type ``hint`` looks like, for the one-line error."""
    inner = _optional_inner(hint)
    if inner is not None:
        return _describe(inner)
    if dataclasses.is_dataclass(hint):
        return "a table"
    origin = typing.get_origin(hint)
    if origin is tuple:
        return "a list of " + _describe(typing.get_args(hint)[0]).removeprefix("a ") + "s"
    if origin is dict:
        return "a table of " + _describe(typing.get_args(hint)[1]).removeprefix("a ") + "s"
    return _TYPE_NAMES[hint]


_TYPE_NAMES: dict[Any, str] = {
    bool: "true or false",
    int: "an integer",
    float: "a number",
    str: "a string",
}


def _optional_inner(hint: Any) -> Any | None:
    """``X`` for ``X | None``, else None."""
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) and type(None) in args:
        (inner,) = (arg for arg in args if arg is not type(None))
        return inner
    return None


def _is_optional(hint: Any) -> bool:
    return _optional_inner(hint) is not None


def _typed(value: object, hint: Any, path: str) -> Any:
    """``value`` checked against ``hint`` (lists become tuples); ConfigError names ``path``."""
    inner = _optional_inner(hint)
    if inner is not None:
        return None if value is None else _typed(value, inner, path)
    if dataclasses.is_dataclass(hint):
        return _build(cast(type, hint), value, path=path)
    origin = typing.get_origin(hint)
    if origin is tuple and isinstance(value, list | tuple):
        item = typing.get_args(hint)[0]
        if all(_matches(element, item) for element in value):
            return tuple(value)
    elif origin is dict and isinstance(value, dict):
        key_type, value_type = typing.get_args(hint)
        if all(_matches(k, key_type) and _matches(v, value_type) for k, v in value.items()):
            return dict(value)
    elif origin is None and _matches(value, hint):
        return value
    _fail(path, value, _describe(hint))


def _matches(value: object, hint: type) -> bool:
    if hint is float:
        # TOML writes 2 for 2.0; both are numbers of DocumentDB capacity units.
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _build(cls: type[Any], table: object, *, path: str) -> Any:
    """An instance of dataclass ``cls`` from a TOML table (see ``_field_values``)."""
    return cls(**_field_values(cls, table, path=path))


def _field_values(
    cls: type[Any], table: object, *, path: str, skip: tuple[str, ...] = ()
) -> dict[str, Any]:
    """``cls``'s field values from a TOML table: no unknown, missing or mistyped key.

    A field with a default, or an optional (``X | None``) one, may be left out; TOML has no
    null, so leaving an optional key out is how a file says "unset". A field marked
    ``SERVICE_TABLES`` is read from one sub-table per service instead (``_service_tables``).
    """
    if not isinstance(table, dict):
        _fail(path, table, "a table")
    hints = typing.get_type_hints(cls)
    fields = [f for f in dataclasses.fields(cls) if f.name not in skip]
    tables = [f for f in fields if f.metadata.get(SERVICE_TABLES)]
    fields = [f for f in fields if f not in tables]
    names = sorted([f.name for f in fields] + [e.name for e in services.SERVICES if tables])
    for key in table:
        if key not in names:
            where = f"[{path}]" if path else "the top level"
            raise ConfigError(
                f"unknown key {_dotted(path, key)!r}; valid keys in {where}: {', '.join(names)}"
            )
    values: dict[str, Any] = {f.name: _service_tables(table, path) for f in tables}
    for f in fields:
        dotted = _dotted(path, f.name)
        if f.name in table:
            values[f.name] = _typed(table[f.name], hints[f.name], dotted)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            if not _is_optional(hints[f.name]):
                raise ConfigError(f"missing key {dotted!r}; expected {_describe(hints[f.name])}")
            values[f.name] = None
    return values


def _service_tables(table: dict[str, Any], path: str) -> dict[str, Any]:
    """One settings table per service: ``[<path>.<service>]`` over the entry's defaults."""
    values: dict[str, Any] = {}
    for entry in services.SERVICES:
        given = table.get(entry.name, {})
        if not isinstance(given, dict):
            _fail(_dotted(path, entry.name), given, "a table")
        values[entry.name] = _build(
            settings_type(entry),
            {**default_settings(entry), **given},
            path=_dotted(path, entry.name),
        )
    return values


def _dotted(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def stage_config(name: str, *, account: str | None, region: str | None) -> StageConfig:
    """Load, type-check and validate ``config/<name>.toml`` (``ConfigError``: one line)."""
    if name not in stages.STAGES:
        raise ConfigError(f"unknown stage {name!r}; choose one of: {', '.join(stages.STAGES)}")
    _check_environment(account, region)
    path = stages.CONFIG_DIR / f"{name}.toml"
    source = f"{path.parent.name}/{path.name}"
    try:
        with path.open("rb") as stream:
            table = tomllib.load(stream)
        values = _field_values(StageConfig, table, path="", skip=_ENVIRONMENT_FIELDS)
        if account is not None:
            auth = values["auth"]
            values["auth"] = dataclasses.replace(
                auth, domain_prefix=auth.domain_prefix.replace(ACCOUNT_PLACEHOLDER, account)
            )
        return StageConfig(name=name, account=account, region=region, **values)
    except OSError as error:
        raise ConfigError(f"{source}: cannot read the stage file ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: not valid TOML: {error}") from None
    except ConfigError as error:
        raise ConfigError(f"{source}: {error}") from None
