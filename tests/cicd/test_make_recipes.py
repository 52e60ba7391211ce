"""The CI make recipes' shell wiring: exit codes, reports and the background canary watcher.

No AWS account is reachable here, so ``CDK`` is replaced by a small script that prints
what ``cdk diff``/``cdk deploy`` would and exits with a chosen code: a stand-in for the CDK
CLI. ``PREFLIGHT`` gets the same kind of stand-in (tests/preflight runs the real one against
an emulated account). Everything else (make, bash, the other Python tools) is real.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent

FAKE_CDK = """#!/usr/bin/env bash
echo "fake cdk $*"
if [ "$1" = diff ]; then
  echo "Stack Taskly-dev-Api"
  echo "[+] AWS::S3::Bucket Assets AssetsBucket"
fi
if [ "$1" = deploy ]; then
  for arg in "$@"; do
    if [ "$prev" = --outputs-file ]; then echo '{"Taskly-dev-Api": {}}' > "$arg"; fi
    prev=$arg
  done
fi
exit "${FAKE_CDK_EXIT:-0}"
"""
FAKE_PREFLIGHT = """#!/usr/bin/env bash
echo "fake preflight $*"
exit "${FAKE_PREFLIGHT_EXIT:-0}"
"""


@pytest.fixture
def fake_cdk(tmp_path: Path) -> Path:
    script = tmp_path / "fake-cdk"
    script.write_text(FAKE_CDK)
    script.chmod(0o755)
    (tmp_path / "fake-preflight").write_text(FAKE_PREFLIGHT)
    (tmp_path / "fake-preflight").chmod(0o755)
    return script


def make(
    target: str,
    *,
    fake_cdk: Path,
    out: Path,
    exit_code: int,
    preflight_exit_code: int = 0,
    **variables: str,
) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "MAKE", "MFLAGS"))
    }
    env.update(
        FAKE_CDK_EXIT=str(exit_code),
        FAKE_PREFLIGHT_EXIT=str(preflight_exit_code),
        AWS_EC2_METADATA_DISABLED="true",
    )
    assignments = [f"{key}={value}" for key, value in variables.items()]
    preflight = fake_cdk.parent / "fake-preflight"
    return subprocess.run(
        [
            "make",
            target,
            f"VENV={VENV}",
            f"CDK={fake_cdk}",
            f"PREFLIGHT={preflight}",
            f"CICD_OUT={out}",
            *assignments,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_pr_report_writes_the_comment_and_passes_on_a_clean_diff(
    tmp_path: Path, fake_cdk: Path
) -> None:
    result = make("pr-report", fake_cdk=fake_cdk, out=tmp_path / "out", exit_code=0, STAGE="dev")
    assert result.returncode == 0, result.stdout + result.stderr
    report = (tmp_path / "out" / "pr-report-dev.md").read_text()
    assert "fake cdk diff --method=template --no-color -c stage=dev" in report
    assert "Stacks that change: `Taskly-dev-Api`" in report
    assert "no base checkout given (BASE_DIR)" in report


def test_pr_report_still_writes_the_comment_when_the_diff_fails_and_then_fails(
    tmp_path: Path, fake_cdk: Path
) -> None:
    result = make("pr-report", fake_cdk=fake_cdk, out=tmp_path / "out", exit_code=3, STAGE="prod")
    assert result.returncode != 0
    assert "`cdk diff` failed (exit code 3)" in (tmp_path / "out" / "pr-report-prod.md").read_text()


def test_deploy_ci_returns_cdks_exit_code_and_writes_the_outputs(
    tmp_path: Path, fake_cdk: Path
) -> None:
    ok = make("deploy-ci", fake_cdk=fake_cdk, out=tmp_path / "out", exit_code=0, STAGE="staging")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert (
        "fake cdk deploy --all --require-approval never --progress events -c stage=staging"
        in ok.stdout
    )
    assert (tmp_path / "out" / "outputs-staging.json").exists()

    failed = make(
        "deploy-ci", fake_cdk=fake_cdk, out=tmp_path / "out", exit_code=1, STAGE="staging"
    )
    assert failed.returncode != 0


@pytest.mark.parametrize(
    ("target", "preflight_args"),
    [("deploy", "--stage prod"), ("deploy-ci", "--stage prod --via-lookup-role")],
)
def test_deploys_run_preflight_first_and_stop_when_it_fails(
    tmp_path: Path, fake_cdk: Path, target: str, preflight_args: str
) -> None:
    ok = make(target, fake_cdk=fake_cdk, out=tmp_path / "out", exit_code=0, STAGE="prod")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    lines = ok.stdout.splitlines()
    preflight = lines.index(f"fake preflight {preflight_args}")
    deploy = next(i for i, line in enumerate(lines) if line.startswith("fake cdk deploy --all"))
    assert preflight < deploy

    refused = make(
        target,
        fake_cdk=fake_cdk,
        out=tmp_path / "out",
        exit_code=0,
        preflight_exit_code=1,
        STAGE="prod",
    )
    assert refused.returncode != 0
    assert "fake cdk deploy" not in refused.stdout


def _recipe_starts(text: str) -> list[str]:
    """The first line of each recipe line (continuations of a `\\` line are not starts)."""
    starts, continued = [], False
    for line in text.splitlines():
        if line.startswith("\t") and not continued:
            starts.append(line[1:])
        continued = line.endswith("\\")
    return starts


def test_make_targets_that_start_a_tool_do_not_echo_its_command_line() -> None:
    """One echo policy (tools/cli.py): the tool's own first line is the first line shown."""
    makefiles = [ROOT / "Makefile", *sorted((ROOT / "mk").glob("*.mk"))]
    echoed = [
        f"{path.name}: {start}"
        for path in makefiles
        for start in _recipe_starts(path.read_text())
        if (" -m tools." in start or start.startswith("$(PREFLIGHT)"))
        and not start.startswith("@")
        and not start.startswith(("rc=", "if ", "set "))
    ]
    assert echoed == []


def test_make_help_into_a_closed_pipe_ends_quietly() -> None:
    """`make help | head`: the reader goes away early; no BrokenPipeError traceback."""
    process = subprocess.Popen(
        ["make", "--no-print-directory", "help"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr
