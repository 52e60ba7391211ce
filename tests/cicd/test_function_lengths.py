"""The function-length check that `make lint` runs (tests/function_lengths.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cicd.make_dry_run import make_dry_run
from tests.function_lengths import MAX_LINES, PATHS, function_lengths, too_long

ROOT = Path(__file__).resolve().parents[2]


def _function(name: str, body_lines: int, indent: str = "") -> str:
    body = "".join(f"{indent}    x{i} = {i}\n" for i in range(body_lines))
    return f"{indent}def {name}() -> None:\n{body}"


def test_a_function_one_line_over_the_limit_is_named_with_its_length(tmp_path: Path) -> None:
    """Given a module with an 81-line method and an 80-line function, only the method fails."""
    package = tmp_path / "cdk_constructs"
    package.mkdir()
    (package / "thing.py").write_text(
        "class Thing:\n"
        + _function("__init__", MAX_LINES, indent="    ")
        + "\n\n"
        + _function("short_enough", MAX_LINES - 1)
    )

    offenders = too_long(tmp_path, ["cdk_constructs"])

    assert [str(offender) for offender in offenders] == [
        f"cdk_constructs/thing.py:Thing.__init__: {MAX_LINES + 1} lines (max {MAX_LINES})"
    ]


def test_nested_functions_count_in_their_parent_and_on_their_own() -> None:
    """Given a function whose nested helper is long, both are measured, by qualified name."""
    source = "def outer():\n" + _function("inner", 90, indent="    ") + "    return inner\n"

    lengths = {length.name: length.lines for length in function_lengths(source, "m.py")}

    assert lengths == {"outer": 93, "outer.inner": 91}


def test_the_command_exits_1_and_prints_one_line_per_offender(tmp_path: Path) -> None:
    """Given a too-long function in a file passed on the command line, the CLI fails on it."""
    (tmp_path / "long.py").write_text(_function("long", MAX_LINES + 5))
    script = (
        "import sys, tests.function_lengths as f; from pathlib import Path; "
        f"f.ROOT = Path({str(tmp_path)!r}); sys.exit(f.main(['long.py']))"
    )

    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )

    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"long.py:long: {MAX_LINES + 6} lines (max 80)"]


def test_every_python_file_of_the_repository_is_checked() -> None:
    """A new folder of Python (or a renamed one) must not silently drop out of the check."""
    tracked = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked
    unchecked = [path for path in tracked if not path.startswith(PATHS)]
    assert unchecked == []


def test_make_lint_runs_the_check() -> None:
    assert ".venv/bin/python -m tests.function_lengths" in make_dry_run("lint")
