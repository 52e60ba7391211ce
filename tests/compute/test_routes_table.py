"""``make routes`` prints the table the API is built from."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cdk_constructs.api_user_pool import API_SCOPE_NAME, RESOURCE_SERVER_ID
from stacks.route_table import load_route_table
from tests.compute.conftest import REPOSITORY
from tests.parity.reports import write_parity_report
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


def make_routes(*variables: str) -> subprocess.CompletedProcess[str]:
    """The command a user types; it must not need credentials (none are set here)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    venv = Path(sys.executable).parent.parent
    return subprocess.run(
        ["make", "--no-print-directory", f"VENV={venv}", "routes", *variables],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )


def test_make_routes_runs_without_aws_or_cdk() -> None:
    result = make_routes()
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


def test_a_parity_report_adds_each_migrated_routes_coverage_and_result(tmp_path: Path) -> None:
    report = write_parity_report(
        tmp_path / "parity.json",
        generated_at=datetime.now(UTC) - timedelta(hours=2),
        mismatch_rates={"GET /api/tasks": 0.0, "GET /api/tasks/{id}": 20.0},
        covered=["GET /api/tasks", "GET /api/tasks/{id}"],
    )
    result = make_routes(f"PARITY={report}")
    assert result.returncode == 0, result.stderr
    rows = {" ".join(line.split()[:2]): line for line in result.stdout.splitlines()}
    assert rows["METHOD PATH"].split()[-2:] == ["COMPARED", "PARITY"]
    assert rows["GET /api/tasks"].endswith("10        ok 0/10 mismatched (0%, threshold 0%)")
    assert rows["GET /api/tasks/{id}"].endswith(
        "10        FAIL 2/10 mismatched (20%, threshold 0%), first at $.title"
    )
    assert rows["POST /api/tasks"].endswith("0         NOT COVERED: the cut-over gate refuses")
    assert rows["ANY /api/{proxy+}"].endswith("-         -")
    lines = result.stdout.splitlines()
    uncovered = [key for key in rows if key.split()[0] in {"GET", "PUT", "POST", "PATCH", "DELETE"}]
    uncovered = [k for k in uncovered if k not in ("GET /api/tasks", "GET /api/tasks/{id}")]
    assert (
        lines[-2]
        == f"coverage: 2 of 10 migrated routes compared; not covered: {', '.join(uncovered)}"
    )
    assert lines[-1].startswith(f"parity: {report} of ")
    # The report is two hours old when written; the machine's own pace may add a minute.
    assert re.search(
        r"2h0[01]m ago; legacy http://127.0.0.1:3100, new http://127.0.0.1:3000\.$",
        result.stdout.strip(),
    )


def test_a_full_parity_report_shows_every_route_covered(tmp_path: Path) -> None:
    report = write_parity_report(tmp_path / "parity.json", generated_at=datetime.now(UTC))
    result = make_routes(f"PARITY={report}")
    assert result.returncode == 0, result.stderr
    assert "coverage: 10 of 10 migrated routes compared\n" in result.stdout
    assert "NOT COVERED" not in result.stdout


def test_a_bad_parity_report_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "parity.json"
    report.write_text("{}")
    assert routes_tool.main(["--parity", str(report)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "is not a parity report" in error
