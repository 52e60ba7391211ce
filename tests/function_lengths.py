"""Functions a reader can hold: no function of the project's Python is over 80 lines.

A function's length runs from its ``def`` line to its last line (decorators excluded,
docstring and comments included: they are read too). Nested functions count inside their
parent and are checked on their own as well. ``make lint`` runs this over ``PATHS``; every
offender is named on one line, ``path:qualified.name: N lines (max 80)``.

tests/ is checked like the rest: a test longer than a screenful is as hard to review as any
other function, and none is today. legacy/ is JavaScript (the reference monolith, never
deployed) and is outside this check.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_LINES = 80
ROOT = Path(__file__).resolve().parents[1]
# The project's Python: the app, its stacks and constructs, the Lambda code, the tools and
# the tests. Virtualenvs, node_modules and build output are not among these folders.
PATHS = (
    "app.py",
    "stacks",
    "cdk_constructs",
    "lambda_src",
    "tools",
    "certs",
    "tests",
)
SKIPPED_PARTS = frozenset({".venv", "node_modules", "cdk.out", "build", "__pycache__"})


@dataclass(frozen=True)
class FunctionLength:
    path: str
    name: str
    lines: int

    def __str__(self) -> str:
        return f"{self.path}:{self.name}: {self.lines} lines (max {MAX_LINES})"


def python_files(root: Path, paths: Iterable[str]) -> Iterator[Path]:
    for name in paths:
        path = root / name
        candidates = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for candidate in candidates:
            if not SKIPPED_PARTS.intersection(candidate.relative_to(root).parts):
                yield candidate


def function_lengths(source: str, path: str) -> Iterator[FunctionLength]:
    """Every function and method of ``source`` with its qualified name and length."""

    def visit(node: ast.AST, prefix: str) -> Iterator[FunctionLength]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = prefix + child.name
                end = child.end_lineno if child.end_lineno is not None else child.lineno
                yield FunctionLength(path, name, end - child.lineno + 1)
                yield from visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                yield from visit(child, prefix + child.name + ".")
            else:
                yield from visit(child, prefix)

    yield from visit(ast.parse(source, filename=path), "")


def too_long(root: Path, paths: Iterable[str] = PATHS) -> list[FunctionLength]:
    found = [
        length
        for file in python_files(root, paths)
        for length in function_lengths(file.read_text(), file.relative_to(root).as_posix())
        if length.lines > MAX_LINES
    ]
    return sorted(found, key=lambda length: (-length.lines, length.path, length.name))


def main(argv: list[str]) -> int:
    offenders = too_long(ROOT, argv or PATHS)
    for offender in offenders:
        print(offender)
    if offenders:
        print(f"{len(offenders)} functions over {MAX_LINES} lines", file=sys.stderr)
    return 1 if offenders else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
