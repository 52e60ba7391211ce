"""Which route template of the migration table a request belongs to.

API Gateway picks the most specific matching route: a literal segment wins over a
``{parameter}``, so ``GET /api/tasks/stats`` is its own route, not ``GET /api/tasks/{id}``. A
request no migrated route matches goes to the legacy backend through ``ANY /api/{proxy+}``;
it is grouped by its path with id-like segments written as ``{id}``. Methods are matched
exactly, as API Gateway does: a ``HEAD`` is not a ``GET``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from taskly.routes import MIGRATED_ROUTES

# Mongo ObjectIds, UUIDs and numbers: what the legacy API uses as ids in paths.
_ID_SEGMENT = re.compile(
    r"[0-9a-fA-F]{24}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|\d+"
)


@dataclass(frozen=True, kw_only=True)
class RouteTemplate:
    method: str
    path: str

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    def specificity(self, method: str, segments: list[str]) -> tuple[bool, ...] | None:
        """Literal-segment flags when this template matches, else None (higher is more specific)."""
        own = self.path.strip("/").split("/")
        if method != self.method or len(own) != len(segments):
            return None
        flags = []
        for mine, theirs in zip(own, segments, strict=True):
            is_parameter = mine.startswith("{") and mine.endswith("}")
            if not is_parameter and mine != theirs:
                return None
            if is_parameter and not theirs:
                return None
            flags.append(not is_parameter)
        return tuple(flags)


MIGRATED = tuple(RouteTemplate(method=route.method, path=route.path) for route in MIGRATED_ROUTES)


@dataclass(frozen=True, kw_only=True)
class RouteMatch:
    key: str
    migrated: bool


def match_route(
    method: str, target: str, templates: tuple[RouteTemplate, ...] = MIGRATED
) -> RouteMatch:
    path = urlsplit(target).path
    segments = path.strip("/").split("/")
    best: tuple[tuple[bool, ...], RouteTemplate] | None = None
    for template in templates:
        score = template.specificity(method, segments)
        if score is not None and (best is None or score > best[0]):
            best = (score, template)
    if best is not None:
        return RouteMatch(key=best[1].key, migrated=True)
    general = "/".join("{id}" if _ID_SEGMENT.fullmatch(s) else s for s in path.split("/"))
    return RouteMatch(key=f"{method} {general}", migrated=False)
