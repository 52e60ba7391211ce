"""The route table is the single source of truth: routers, handlers and the CDK app agree on it."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from taskly import routes
from taskly.api.openapi import security_schemes
from taskly.handlers import profile, tasks

from stacks.services import SERVICES
from tools.local.api.events import match_route

ROUTES_FILE = Path(routes.__file__)
APPS = {"tasks": tasks.app, "profile": profile.app}


def registered(app: object) -> set[tuple[str, str]]:
    schema = app.get_openapi_schema(security_schemes=security_schemes())  # type: ignore[attr-defined]
    return {
        (method.upper(), path)
        for path, item in (schema.paths or {}).items()
        for method in ("get", "put", "post", "delete", "patch")
        if getattr(item, method) is not None
    }


@pytest.mark.parametrize("service", sorted(APPS))
def test_routers_register_exactly_the_migrated_routes(service: str) -> None:
    expected = {(route.method, route.path) for route in routes.routes_for(service)}
    assert registered(APPS[service]) == expected


def test_every_route_has_a_handler_and_every_handler_resolves() -> None:
    handlers = {entry.name: entry.handler for entry in SERVICES}
    assert {route.service for route in routes.MIGRATED_ROUTES} <= set(handlers)
    for handler in handlers.values():
        module, _, name = handler.rpartition(".")
        assert callable(getattr(importlib.import_module(module), name))


def test_only_health_is_public() -> None:
    assert [route.route_key for route in routes.MIGRATED_ROUTES if route.public] == [
        "GET /api/health"
    ]


def test_paths_use_api_gateway_syntax() -> None:
    for route in routes.MIGRATED_ROUTES:
        assert route.path.startswith(routes.API_PREFIX + "/")
        assert re.fullmatch(r"(/[a-z]+|/\{[a-z_]+\})+", route.path), route.path
        assert route.method in {"GET", "POST", "PUT", "PATCH", "DELETE"}


def test_routes_module_imports_only_the_standard_library() -> None:
    tree = ast.parse(ROUTES_FILE.read_text())
    imported = {
        (node.module or "").split(".")[0]
        if isinstance(node, ast.ImportFrom)
        else alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}
    # And it imports alone, as the CDK app does (no package __init__ side effects needed).
    code = (
        "import importlib.util as u; "
        f"s = u.spec_from_file_location('r', {str(ROUTES_FILE)!r}); "
        "m = u.module_from_spec(s); s.loader.exec_module(m); print(m.API_SCOPE)"
    )
    output = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "taskly/api"


def test_static_segment_beats_parameter_like_api_gateway() -> None:
    stats = match_route("GET", "/api/tasks/stats")
    assert stats is not None and stats[0].path == "/api/tasks/stats"
    one = match_route("GET", "/api/tasks/abc")
    assert one is not None and one[0].path == "/api/tasks/{id}" and one[1] == {"id": "abc"}
    assert match_route("GET", "/api/tasks/abc/share") is None
    assert match_route("PUT", "/api/tasks") is None
