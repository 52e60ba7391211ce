"""The README documents every make target (a new target without a line there fails here)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_make_target_is_in_the_readme() -> None:
    listed = subprocess.run(
        ["make", "--no-print-directory", "help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    targets = re.findall(r"^[ \t]+(\S+)[ \t]", listed, flags=re.MULTILINE)
    assert len(targets) > 20
    readme = (ROOT / "README.md").read_text()
    missing = [target for target in targets if f"`make {target}" not in readme]
    assert missing == []
