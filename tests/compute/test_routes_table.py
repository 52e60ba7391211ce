"""``make routes`` prints the table the API is built from."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cdk_constructs.api_user_pool import API_SCOPE_NAME, RESOURCE_SERVER_ID
from stacks.route_table import load_route_table
from tests.compute.conftest import REPOSITORY
from tools import routes as routes_tool


def test_render_lists_every_migrated_route_then_legacy() -> None:
    table = load_route_table()
    lines = routes_tool.render().splitlines()
    assert lines[0].split() == ["METHOD", "PATH", "SERVICE", "AUTH"]
    body = [line.split()[:3] for line in lines[1:-1]]
    assert body == [[route.method, route.path, route.service] for route in table.routes] + [
        ["ANY", "/api/{proxy+}", "legacy"]
    ]
    assert lines[-1].startswith(f"{len(table.routes)} routes migrated")


def test_public_routes_are_marked_public() -> None:
    public = [line for line in routes_tool.render().splitlines() if line.endswith("public")]
    assert [line.split()[1] for line in public] == ["/api/health"]


def test_make_routes_runs_without_aws_or_cdk() -> None:
    # The command a user types; it must not need credentials (none are set here).
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    result = subprocess.run(
        ["make", "--no-print-directory", f"VENV={Path(sys.executable).parent.parent}", "routes"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2].split()[:3] == ["ANY", "/api/{proxy+}", "legacy"]


def test_a_missing_table_is_one_readable_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "routes.py"
    monkeypatch.setattr(routes_tool, "load_route_table", lambda: load_route_table(missing))
    assert routes_tool.main() == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "route table" in error


def test_api_scope_of_the_table_matches_the_user_pool() -> None:
    assert load_route_table().api_scope == f"{RESOURCE_SERVER_ID}/{API_SCOPE_NAME}"
