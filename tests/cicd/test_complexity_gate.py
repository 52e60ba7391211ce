"""The complexity gate of `make lint` (xenon over radon's cyclomatic ranks) fails where it should.

The gate's command is taken from `make -n lint`, so these tests check the thresholds the
Makefile really uses: a function of complexity 30 (rank D, today's worst is 21) passes, one
of 31 (rank E) fails and is named.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

from tests.cicd.make_dry_run import make_dry_run

ROOT = Path(__file__).resolve().parents[2]


def _xenon_command() -> list[str]:
    (line,) = [line for line in make_dry_run("lint") if line.startswith(".venv/bin/xenon ")]
    words = shlex.split(line)
    # The options (each with its value) only: the project's paths after them are replaced.
    command, rest = [str(ROOT / words[0])], words[1:]
    while rest and rest[0].startswith("--"):
        command, rest = [*command, *rest[:2]], rest[2:]
    assert rest, "the gate names the folders it checks"
    return command


def _module_with_complexity(complexity: int) -> str:
    """One function of cyclomatic complexity ``complexity`` (1 + one per ``if``), padded with
    trivial functions so the module's average stays low: only the absolute bar is tested."""
    branches = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(complexity - 1))
    padding = "".join(f"def simple_{i}():\n    return {i}\n\n\n" for i in range(40))
    return f"def branchy(x):\n{branches}    return -1\n\n\n{padding}"


def _run(tmp_path: Path, complexity: int) -> subprocess.CompletedProcess[str]:
    (tmp_path / "sample.py").write_text(_module_with_complexity(complexity))
    return subprocess.run(
        [*_xenon_command(), "sample.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )


def test_a_function_of_rank_d_passes(tmp_path: Path) -> None:
    result = _run(tmp_path, 30)
    assert result.returncode == 0, result.stderr


def test_a_function_of_rank_e_fails_and_is_named(tmp_path: Path) -> None:
    result = _run(tmp_path, 31)
    assert result.returncode != 0
    assert 'block "sample.py:1 branchy" has a rank of E' in result.stderr
