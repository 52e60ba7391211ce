"""What a fork expects: a licence as package.json says, pre-commit = `make lint`, fast installs."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import yaml

from tests.cicd.make_dry_run import make_dry_run

ROOT = Path(__file__).resolve().parents[2]


def test_the_licence_file_is_the_one_package_json_declares() -> None:
    """Given package.json's SPDX id MIT-0, the LICENSE file is MIT No Attribution."""
    assert json.loads((ROOT / "package.json").read_text())["license"] == "MIT-0"
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT No Attribution\n")
    # MIT-0 is MIT without the condition to keep the notice: that sentence must be absent.
    assert "shall be included in all copies" not in licence


def lint_commands() -> list[str]:
    """What `make lint` runs, as make prints it (dry run), without the path arguments."""
    return [
        line.removesuffix(" .")
        for line in make_dry_run("lint")
        if line.startswith(".venv/bin/") and "pip" not in line
    ]


def test_pre_commit_runs_exactly_the_checks_of_make_lint() -> None:
    """Given .pre-commit-config.yaml, then its hooks are `make lint`'s commands, no more, no less.

    ``--force-exclude`` only makes ruff honour pyproject's excludes for the file names
    pre-commit passes; it does not change what is checked.
    """
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    entries = [re.sub(r"\s+--force-exclude\b", "", hook["entry"]) for hook in hooks]
    assert sorted(entries) == sorted(lint_commands())
    assert {hook["language"] for hook in hooks} == {"system"}


def make_eval(expression: str, env: dict[str, str]) -> str:
    """What make's recipes see: ``expression`` evaluated by a throwaway target."""
    result = subprocess.run(
        ["make", "--no-print-directory", "--eval", f"probe: ; @echo {expression}", "probe"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_recipes_write_bytecode_even_where_the_machine_forbids_it() -> None:
    """Nothing is byte-compiled at install; the first import writes it. With the machine's
    PYTHONDONTWRITEBYTECODE=1 passed through, every test process and every synth would compile
    the aws-cdk-lib modules it imports from source again."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    flag = make_eval("$$($(PYTHON) -c 'import sys; print(sys.flags.dont_write_bytecode)')", env)
    assert flag == "0"


def test_the_installer_is_the_uv_that_requirements_dev_pins() -> None:
    pinned = re.search(r"^uv==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.M)
    assert pinned
    assert make_eval("$(UV_VERSION)", dict(os.environ)) == pinned.group(1)


def _imported_modules(path: Path) -> set[str]:
    import ast  # noqa: PLC0415 - only this check parses source

    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_tools_and_tests_import_the_route_table_one_way() -> None:
    """`taskly.routes`, as the Lambda code itself does: never `lambda_src.taskly...`, which
    would load a second copy of the module (two `Route` classes, two tables)."""
    spelled_twice = sorted(
        f"{path.relative_to(ROOT)}: {module}"
        for folder in ("tools", "tests")
        for path in (ROOT / folder).rglob("*.py")
        for module in _imported_modules(path)
        if module == "lambda_src.taskly" or module.startswith("lambda_src.taskly.")
    )
    assert spelled_twice == []
