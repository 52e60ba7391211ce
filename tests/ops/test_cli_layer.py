"""The command-line layer the operations and local-development commands share (tools/cli.py),
from the outside.

Each command runs as the operator runs it (``python -m tools.<area>.<name>``, another process).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OPS_COMMANDS = (
    "cost",
    "cutover",
    "parity",
    "preflight",
    "datacheck",
    "dms_user",
    "smoke",
    "pr_report",
    "canary_watch",
)
LOCAL_COMMANDS = ("api", "db", "edge", "edge.measure")
MODULES = (
    *(f"tools.ops.{name}" for name in OPS_COMMANDS),
    *(f"tools.local.{name}" for name in LOCAL_COMMANDS),
)


@pytest.mark.parametrize("module", MODULES)
def test_a_bad_argument_is_one_error_line_and_exit_2(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", module, "--no-such-option"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr  # no usage block, no traceback
    assert ": error: " in lines[0]
    assert "--no-such-option" in lines[0] or "required" in lines[0]
