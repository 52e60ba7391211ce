"""`make help`: every documented target, grouped and ordered as README's "Make targets" table.

The README table is the one place that groups targets; the descriptions are the ``## ...``
comments next to each target in the Makefiles. A target that the README does not list is
printed last under its own heading (and tests/infra/test_readme.py fails on it).

Standard library only: `make help` must work before anything is installed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
TARGET_LINE = re.compile(r"^([a-zA-Z0-9_-]+):.*?## (.+)$")
GROUP_ROW = re.compile(r"^\|\s*\*\*(.+?)\*\*")
TARGET_IN_ROW = re.compile(r"`make ([a-zA-Z0-9_-]+)")
UNLISTED = "Not in README's table yet"


def documented_targets(makefiles: list[str]) -> dict[str, str]:
    """``{target: description}`` from ``target: ... ## description`` lines, in file order."""
    targets: dict[str, str] = {}
    for makefile in makefiles:
        for line in Path(makefile).read_text().splitlines():
            match = TARGET_LINE.match(line)
            if match:
                targets.setdefault(match.group(1), match.group(2).strip())
    return targets


def readme_groups(readme: str) -> list[tuple[str, list[str]]]:
    """The "Make targets" table as ``[(group heading, [target, ...]), ...]``."""
    section = readme.partition("## Make targets")[2].split("\n## ", 1)[0]
    groups: list[tuple[str, list[str]]] = []
    for line in section.splitlines():
        heading = GROUP_ROW.match(line)
        if heading:
            groups.append((heading.group(1), []))
        elif line.startswith("| `make") and groups:
            first_cell = line.split("|")[1]
            groups[-1][1].extend(TARGET_IN_ROW.findall(first_cell))
    return groups


def render(targets: dict[str, str], groups: list[tuple[str, list[str]]]) -> str:
    width = max(map(len, targets), default=0) + 2
    lines: list[str] = []
    shown: set[str] = set()
    for heading, names in [*groups, (UNLISTED, list(targets))]:
        rows = [name for name in names if name in targets and name not in shown]
        if not rows:
            continue
        lines.append(f"{heading}:" if lines == [] else f"\n{heading}:")
        for name in rows:
            lines.append(f"  {name:<{width}}{targets[name]}")
            shown.add(name)
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    print(render(documented_targets(argv), readme_groups(README.read_text())))
    return 0


if __name__ == "__main__":
    # Run as a script (stdlib only); the Makefile's PYTHONPATH makes tools.cli importable.
    from tools.cli import exit_with, run

    exit_with(run("make help", lambda: main(sys.argv[1:])))
