"""The rules file: what the comparison deliberately ignores or relaxes, each with its reason.

TOML, three kinds of rule (docs/parity.md)::

    [[ignore]]                      # never compare these paths (and what is below them)
    path = "$.items[*].etag"
    reason = "legacy has no etag; the new API adds it for conditional updates"
    route = "GET /api/tasks"        # optional: only for this route template
    status = 422                    # optional: only when legacy answers with this status

    [[unordered]]                   # compare this array as a multiset
    path = "$.tags"
    reason = "..."

    [[tolerance]]                   # numbers within `absolute` of each other are equal
    path = "$.completion_rate"
    absolute = 0.001
    reason = "..."

Every rule needs a reason: a rule is a documented, deliberate difference, not a way to make
a report green.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tools.ops.parity.paths import Element, PathPattern, parse_pattern

Reason = Annotated[str, Field(min_length=10, description="why this difference is acceptable")]


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    reason: Reason
    route: str | None = None
    status: Annotated[int | None, Field(ge=100, le=599)] = None

    @field_validator("path")
    @classmethod
    def _pattern(cls, value: str) -> str:
        parse_pattern(value)  # raises ValueError with the reason
        return value

    @field_validator("route")
    @classmethod
    def _route(cls, value: str | None) -> str | None:
        if value is not None and (
            len(value.split(" ")) != 2 or not value.split(" ")[1].startswith("/")
        ):
            raise ValueError(f"route {value!r} must look like 'GET /api/tasks/{{id}}'")
        return value

    def applies_to(self, route: str, status: int) -> bool:
        return (self.route is None or self.route == route) and (
            self.status is None or self.status == status
        )


class IgnoreRule(_Rule):
    pass


class UnorderedRule(_Rule):
    pass


class ToleranceRule(_Rule):
    absolute: Annotated[float, Field(ge=0)]


class RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ignore: tuple[IgnoreRule, ...] = ()
    unordered: tuple[UnorderedRule, ...] = ()
    tolerance: tuple[ToleranceRule, ...] = ()


class RulesError(Exception):
    """The rules file cannot be used; the message is one line."""


@dataclass(frozen=True, kw_only=True)
class RouteRules:
    """The rules that apply to one route template, with their paths parsed."""

    ignore: tuple[PathPattern, ...] = ()
    unordered: tuple[PathPattern, ...] = ()
    tolerance: tuple[tuple[PathPattern, float], ...] = ()

    def ignored(self, path: Sequence[Element]) -> bool:
        return any(pattern.covers(path) for pattern in self.ignore)

    def is_unordered(self, path: Sequence[Element]) -> bool:
        return any(pattern.matches(path) for pattern in self.unordered)

    def tolerance_at(self, path: Sequence[Element]) -> float | None:
        allowed = [absolute for pattern, absolute in self.tolerance if pattern.matches(path)]
        return max(allowed) if allowed else None


@dataclass(frozen=True, kw_only=True)
class Rules:
    document: RulesFile

    def for_answer(self, route: str, status: int) -> RouteRules:
        """The rules for a request of ``route`` that legacy answered with ``status``."""
        doc = self.document
        return RouteRules(
            ignore=tuple(parse_pattern(r.path) for r in doc.ignore if r.applies_to(route, status)),
            unordered=tuple(
                parse_pattern(r.path) for r in doc.unordered if r.applies_to(route, status)
            ),
            tolerance=tuple(
                (parse_pattern(r.path), r.absolute)
                for r in doc.tolerance
                if r.applies_to(route, status)
            ),
        )


NO_RULES = Rules(document=RulesFile())


def load_rules(path: Path) -> Rules:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise RulesError(f"cannot read rules file {path}: {error.strerror or error}") from error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise RulesError(f"rules file {path} is not valid TOML: {error}") from error
    try:
        return Rules(document=RulesFile.model_validate(data))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise RulesError(f"rules file {path}: {where}: {message}") from error
