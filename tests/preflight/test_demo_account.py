"""`python -m tests.preflight.moto_account`, the demo account the docs point newcomers to.

Runs the real module in a child process with no AWS settings at all, follows its printed
instructions (the `export` line and PREFLIGHT_ARGS) for a real preflight run, then stops it
with SIGINT as Ctrl-C would, and checks it cleaned up after itself.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

from tests.preflight.conftest import READY_CONTEXT
from tests.preflight.moto_account import ACCOUNT, REGION

ROOT = Path(__file__).resolve().parents[2]
BARE_ENV = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}


def _instructions(demo: subprocess.Popen[str]) -> tuple[dict[str, str], list[str]]:
    assert demo.stdout is not None
    exports: dict[str, str] = {}
    for line in demo.stdout:
        if line.startswith("export "):
            exports = dict(pair.split("=", 1) for pair in shlex.split(line)[1:])
        if line.startswith("PREFLIGHT_ARGS="):
            return exports, shlex.split(shlex.split(line.split("=", 1)[1])[0])
    raise AssertionError("the demo ended before printing its instructions")


def test_the_demo_needs_no_credentials_and_its_export_line_is_enough(tmp_path: Path) -> None:
    env = {**BARE_ENV, "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}
    demo = subprocess.Popen(
        [sys.executable, "-m", "tests.preflight.moto_account"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        exports, args = _instructions(demo)
        # Only what the demo printed: no credentials or region from anywhere else.
        result = subprocess.run(
            [sys.executable, "-m", "tools.ops.preflight", "--stage", "dev",
             *READY_CONTEXT, *args],
            cwd=ROOT, env={**env, **exports}, capture_output=True, text=True, timeout=120,
            check=False,
        )  # fmt: skip
        assert result.stdout.startswith(f"preflight dev: account {ACCOUNT}, region {REGION}\n"), (
            result.stdout + result.stderr
        )
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        demo.send_signal(signal.SIGINT)
        _, stderr = demo.communicate(timeout=60)
    assert "Traceback" not in stderr, stderr
    assert list(tmp_path.glob("preflight-demo-*")) == []
