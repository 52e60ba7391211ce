"""What a make target would run, as make prints it in a dry run (nothing is executed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def make_dry_run(target: str) -> list[str]:
    """The recipe lines of ``target``; ``-W requirements-dev.txt`` keeps the install stamps
    from looking up to date or not, so the lines are the same on a fresh clone."""
    printed = subprocess.run(
        ["make", "--no-print-directory", "-n", "-W", "requirements-dev.txt", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return printed.splitlines()
