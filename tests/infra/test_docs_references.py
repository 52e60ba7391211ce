"""The repository stands on its own: its documents point only at files it contains.

A path in backquotes that starts at a top-level folder of the repository, and a relative
Markdown link, must name something that exists; nothing may point outside the repository
(a design file or notes that only some machines have).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def tracked(*patterns: str) -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [ROOT / name for name in listed.split()]


TOP_LEVEL = tuple(
    sorted({f"{path.relative_to(ROOT).parts[0]}/" for path in tracked() if path.parent != ROOT})
)
# Generated or per-run paths that documents describe but git does not hold.
GENERATED = ("build/", "cdk.out/", "node_modules/", "legacy/node_modules/", ".local/")
OUTSIDE = re.compile(r"\.\./shared|\bseeds/|\bDESIGN\.md\b")


def referenced_paths(document: Path) -> list[str]:
    text = document.read_text()
    missing = []
    for token in re.findall(r"`([^`\s]+)`", text):
        path = token.split(":", 1)[0]
        if (
            not path.startswith(TOP_LEVEL)
            or path.startswith(GENERATED)
            or re.search(r"[<*{$]", path)
        ):
            continue
        if not (ROOT / path).exists():
            missing.append(token)
    for link in re.findall(r"\]\(([^)\s]+)\)", text):
        target = link.split("#", 1)[0]
        if not target or re.match(r"[a-z]+:", target):
            continue
        if not (document.parent / target).exists():
            missing.append(link)
    return missing


def test_documents_name_only_files_that_exist() -> None:
    """Given every tracked Markdown file, each repository path it names exists."""
    missing = {
        str(document.relative_to(ROOT)): refs
        for document in tracked("*.md")
        if (refs := referenced_paths(document))
    }
    assert missing == {}


def test_nothing_refers_to_files_outside_the_repository() -> None:
    """Given every tracked text file, none points at a design file or notes outside the repo."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in tracked("*.md", "*.py", "*.toml", "*.js", "*.mjs", "*.json", "*.yml", "*.mk")
        if path.is_file() and path.name != "package-lock.json" and OUTSIDE.search(path.read_text())
    ]
    assert offenders == []
