"""The README documents every make target (a new target without a line there fails here), and
`make help` groups them as the README's table does."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def make_help() -> str:
    return subprocess.run(
        ["make", "--no-print-directory", "help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_every_make_target_is_in_the_readme() -> None:
    listed = make_help()
    targets = re.findall(r"^[ \t]+(\S+)[ \t]", listed, flags=re.MULTILINE)
    assert len(targets) > 20
    readme = (ROOT / "README.md").read_text()
    missing = [target for target in targets if f"`make {target}" not in readme]
    assert missing == []


def test_make_help_groups_targets_as_the_readme_table_does() -> None:
    """Given README's "Make targets" table, `make help` prints the same groups, in order."""
    readme = (ROOT / "README.md").read_text().partition("## Make targets")[2]
    readme_groups = re.findall(r"(?m)^\|\s*\*\*(.+?)\*\*", readme.split("\n## ", 1)[0])
    listed = make_help()
    help_groups = re.findall(r"(?m)^(\S.*):$", listed)
    assert help_groups == readme_groups
    under_tests = listed.partition("Tests and checks:")[2].partition("\n\n")[0]
    assert re.search(r"(?m)^\s+test-infra\s", under_tests)
