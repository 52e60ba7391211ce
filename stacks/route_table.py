"""The migration table, read from the runtime's ``taskly/routes.py`` (its one source of truth).

The file is loaded on its own, by path: it imports only the standard library, so the CDK app
reads the table without putting the runtime package (pydantic, Powertools) on its path.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from cdk_constructs.strangler_http_api import LEGACY_PROXY_PATH
from stacks import services

LAMBDA_SRC = Path(__file__).resolve().parent.parent / "lambda_src"
ROUTES_FILE = LAMBDA_SRC / "taskly" / "routes.py"
LEGACY = "legacy"


@dataclass(frozen=True, kw_only=True)
class TableRoute:
    method: str
    path: str
    service: str
    public: bool


@dataclass(frozen=True, kw_only=True)
class RouteTable:
    routes: tuple[TableRoute, ...]
    api_scope: str

    def rows(self) -> list[tuple[str, str, str]]:
        """(method, path, target) for every route, the legacy catch-all last."""
        migrated = [(route.method, route.path, route.service) for route in self.routes]
        return [*migrated, ("ANY", LEGACY_PROXY_PATH, LEGACY)]


def load_route_table(path: Path | None = None) -> RouteTable:
    """Read ``MIGRATED_ROUTES`` and ``API_SCOPE`` from ``path`` (default ``ROUTES_FILE``).

    Every route must name an HTTP service of ``stacks/services.py``, and every HTTP service
    must serve a route.
    """
    path = ROUTES_FILE if path is None else path
    if not path.is_file():
        raise FileNotFoundError(f"route table {path} is missing (lambda_src/taskly/routes.py)")
    spec = importlib.util.spec_from_file_location("taskly_route_table", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    routes = tuple(
        TableRoute(method=route.method, path=route.path, service=route.service, public=route.public)
        for route in module.MIGRATED_ROUTES
    )
    http = {entry.name for entry in services.http()}
    for route in routes:
        if route.service not in http:
            raise ValueError(
                f"route {route.method} {route.path} names {route.service!r}, not an HTTP "
                f"service of stacks/services.py ({', '.join(sorted(http))})"
            )
    idle = sorted(http - {route.service for route in routes})
    if idle:
        raise ValueError(f"HTTP service {idle[0]!r} serves no route in {path.name}")
    return RouteTable(routes=routes, api_scope=str(module.API_SCOPE))
