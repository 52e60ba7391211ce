"""The make recipes speak the pinned CDK CLI's language, on the pinned Node.

The recipe tests (test_make_recipes.py) replace the CLI with a script that accepts anything,
so an option the pinned CLI does not know ("Unknown option(s): --all" from `cdk diff`) would
only show up against an account. Here every ``--option`` a recipe passes is looked up in the
real pinned CLI's ``--help`` for that command; nothing is deployed or synthesized.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAKEFILES = [ROOT / "Makefile", *sorted((ROOT / "mk").glob("*.mk"))]
CDK_CALL = re.compile(r"\$\(CDK\) (\w[\w-]*)([^\n;|&]*(?:\\\n[^\n;|&]*)*)")
# Options every command accepts (the CLI's global options, not listed per command).
GLOBAL_OPTIONS = {"--context", "--app", "--ci", "--verbose", "--profile", "--no-color"}


def pinned_env() -> dict[str, str]:
    """The environment the Makefile gives the CLI: the pinned Node first on PATH."""
    return {
        **os.environ,
        "PATH": f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}",
    }


def recipe_calls() -> list[tuple[str, str, str]]:
    """``(makefile, command, option)`` for every long option of every ``$(CDK)`` call."""
    calls = []
    for makefile in MAKEFILES:
        for command, rest in CDK_CALL.findall(makefile.read_text()):
            for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", rest):
                calls.append((makefile.name, command, option))
    return calls


def cli_help(command: str) -> str:
    return subprocess.run(
        ["npx", "--no-install", "cdk", command, "--help"],
        cwd=ROOT,
        env=pinned_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_the_recipes_call_the_cli_at_all() -> None:
    """Given the Makefiles, the scan finds the diff and deploy options (or it proves nothing)."""
    options = {(command, option) for _, command, option in recipe_calls()}
    assert ("diff", "--method") in options
    assert ("deploy", "--require-approval") in options


@pytest.mark.parametrize("command", sorted({command for _, command, _ in recipe_calls()}))
def test_every_option_a_recipe_passes_is_one_the_pinned_cli_accepts(command: str) -> None:
    """Given a recipe's ``cdk <command> --option``, then the pinned CLI's help lists it."""
    accepted = set(re.findall(r"(?m)^\s+(--[a-z][a-z-]*)", cli_help(command))) | GLOBAL_OPTIONS
    used = {(makefile, option) for makefile, cmd, option in recipe_calls() if cmd == command}
    unknown = sorted(
        f"{makefile}: cdk {command} {option}"
        for makefile, option in used
        if option not in accepted and option.removeprefix("--no-") not in accepted
    )
    assert unknown == []


def test_the_pinned_node_is_the_one_nvmrc_names_and_jsii_prints_no_banner() -> None:
    """Given the Makefile's PATH, jsii runs on .nvmrc's Node and prints nothing to stderr.

    A Node that jsii considers end-of-life makes every synth print a boxed banner (as Python
    byte strings); the pinned `node` package keeps every machine on a supported release.
    """
    version = subprocess.run(
        ["node", "--version"], env=pinned_env(), capture_output=True, text=True, check=True
    ).stdout.strip()
    assert version.removeprefix("v") == (ROOT / ".nvmrc").read_text().strip()
    package = json.loads((ROOT / "package.json").read_text())
    assert package["devDependencies"]["node"] == version.removeprefix("v")
    silenced = {key for key in os.environ if key.startswith("JSII_SILENCE")}
    env = {key: value for key, value in pinned_env().items() if key not in silenced}
    result = subprocess.run(
        [sys.executable, "-c", "import aws_cdk; aws_cdk.App()"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stderr == ""


FAKE_SYNTH = """#!/usr/bin/env bash
# Prints what the pinned CLI prints after a quiet multi-stack synth, writes one template.
while [ $# -gt 0 ]; do
  if [ "$1" = -o ]; then out=$2; fi
  shift
done
mkdir -p "$out" && echo '{}' > "$out/Taskly-dev-Network.template.json"
echo "Successfully synthesized to $out" >&2
echo "Supply a stack id (Taskly-dev-Network, Taskly-dev-Data) to display its template." >&2
exit "${FAKE_CDK_EXIT:-0}"
"""


@pytest.mark.parametrize("exit_code", [0, 1])
def test_make_synth_drops_the_stack_id_hint_and_keeps_the_exit_code(
    tmp_path: Path, exit_code: int
) -> None:
    """Given a CLI that ends with "Supply a stack id", `make synth` prints the rest only.

    The CLI is a stand-in script (the real synth is exercised by every suite that
    synthesizes); what is under test is the recipe's filter and its exit status.
    """
    fake = tmp_path / "fake-cdk"
    fake.write_text(FAKE_SYNTH)
    fake.chmod(0o755)
    out = tmp_path / "cdk.out"
    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "synth",
            f"CDK={fake}",
            f"CDK_OUT={out}",
            f"VENV={Path(sys.executable).parent.parent}",
            "-o",
            "requirements.txt",
            "-o",
            "package-lock.json",
        ],
        cwd=ROOT,
        env={**os.environ, "FAKE_CDK_EXIT": str(exit_code)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Successfully synthesized" in result.stdout
    assert "Supply a stack id (" not in result.stdout + result.stderr
    if exit_code:
        assert result.returncode != 0
    else:
        assert result.returncode == 0, result.stderr
        assert "synthesized stage dev: 1 templates" in result.stdout
