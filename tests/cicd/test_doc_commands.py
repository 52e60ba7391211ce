"""The commands README.md and docs/*.md show are commands that exist today.

Every ``make <target>`` shown as a command (in a code block or an inline code span) names a
target the Makefiles define; every ``python -m tools.<module> [subcommand] --flag`` names a
module that exists, subcommands its parser offers and flags it accepts. ``make X ARGS="..."``
is checked the same way against the module X's recipe runs (read from ``make -n``). Module
paths come from the documents, so a moved tool is checked under whatever path they name.

A flag must be spelled out in full (argparse would also take a unique prefix; a document
should not). The flags are checked against each parser's own ``--help`` (every module run once,
in one subprocess per subcommand depth); a module is run with ``--help`` only when a document
passes it arguments.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
# An inline span may wrap onto the next line, never across a paragraph.
SPAN = re.compile(r"`([^`]+?)`")
# `make` where a command starts: line start, a `$ ` prompt, `$(`, `&&`, `;`, `|`.
MAKE = re.compile(r"(?:^|\$ |\$\(|&& |; |\| )make((?: +-[\w=-]+)*) +([a-z][a-z0-9-]*)([^\n)]*)")
MODULE = re.compile(r"python3?(?:\.\d+)? -m (tools(?:\.\w+)+)([^\n]*)")
SHELL_END = {"|", "||", "&&", ";", ">", ">>", "2>", "<"}
FLAG = re.compile(r"^\[?(--?[A-Za-z][\w-]*)")


@dataclass(frozen=True)
class Shown:
    """One command as a document shows it: where, which module or target, and its arguments."""

    where: str
    name: str
    args: tuple[str, ...]


def snippets(text: str) -> Iterator[str]:
    """Each fenced block's lines (backslash continuations joined), then each inline span."""
    for block in FENCE.findall(text):
        yield from block.replace("\\\n", " ").splitlines()
    for span in SPAN.findall(FENCE.sub("", text)):
        if "\n\n" not in span:
            yield span.replace("\n", " ")


def words(rest: str) -> list[str]:
    """The shell words of a command's arguments, up to a redirection, separator or prose."""
    try:
        tokens = shlex.split(rest, comments=True)
    except ValueError:
        tokens = rest.split()
    kept: list[str] = []
    for token in tokens:
        if token in SHELL_END or token.startswith((">", "2>", ")")):
            break
        kept.append(token)
        if token.endswith((",", ";", ".")) and not token.startswith("-"):
            break  # the command is quoted in a sentence (a tool's own message): the rest is prose
    return kept


def shown_commands() -> tuple[list[Shown], list[Shown]]:
    """``(make commands, python -m tools.* commands)`` shown in the documents."""
    makes: list[Shown] = []
    modules: list[Shown] = []
    for document in DOCUMENTS:
        where = str(document.relative_to(ROOT))
        for snippet in snippets(document.read_text()):
            for _options, target, rest in MAKE.findall(snippet):
                makes.append(Shown(where, target, tuple(words(rest))))
            for module, rest in MODULE.findall(snippet):
                modules.append(Shown(where, module, tuple(words(rest))))
    return makes, modules


def make_environment() -> dict[str, str]:
    """This environment without what an enclosing ``make test`` passes down (jobserver, -j)."""
    return {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}


@cache
def make_targets() -> frozenset[str]:
    """Every target the Makefiles define (make's own database, nothing run)."""
    database = subprocess.run(
        ["make", "-pRrq", "help"],
        cwd=ROOT,
        env=make_environment(),
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    names: set[str] = set()
    for line in database.splitlines():
        match = re.match(r"^([^\s#:=%][^:=]*?):(?!=)", line)
        if match:
            names.update(match.group(1).split())
    return frozenset(names)


MARK = "@@DOC-ARGS@@"


def recipe_module(target: str, variable: str) -> str | None:
    """The ``tools.*`` module whose arguments ``make <target> <variable>=...`` sets."""
    dry_run = subprocess.run(
        ["make", "-n", target, f"{variable}={MARK}"],
        cwd=ROOT,
        env=make_environment(),
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    for line in dry_run.splitlines():
        match = re.search(r"-m (tools(?:\.\w+)+) .*" + MARK, line)
        if match:
            return match.group(1)
    return None


# Runs each parser's --help in one interpreter (imports shared), as ``python -m`` would.
HELP_DRIVER = """
import contextlib, io, json, runpy, sys
texts = []
for argv in json.load(sys.stdin):
    sys.argv, out, code = [argv[0], *argv[1:], "--help"], io.StringIO(), 1
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            runpy.run_module(argv[0], run_name="__main__", alter_sys=True)
    except SystemExit as exit:
        code = exit.code
    except Exception:
        code = 1
    texts.append(out.getvalue() if code in (0, None) else "")
print(json.dumps(texts))
"""
HelpKey = tuple[str, tuple[str, ...]]
HELP: dict[HelpKey, str] = {}


class NotFetchedError(Exception):
    """A parser's help is needed that ``fetch_help`` has not read yet."""


def fetch_help(keys: set[HelpKey]) -> None:
    """Read ``python -m module [subcommands] --help`` of each key; '' when it is not argparse's."""
    todo = sorted(keys - HELP.keys())
    if not todo:
        return
    environment = {
        **os.environ,
        "COLUMNS": "120",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "lambda_src")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", HELP_DRIVER],
        input=json.dumps([[module, *path] for module, path in todo]),
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    texts = json.loads(result.stdout.splitlines()[-1])
    for key, text in zip(todo, texts, strict=True):
        HELP[key] = text if text.startswith("usage:") else ""


def help_text(module: str, path: tuple[str, ...], *, fetch: bool = True) -> str:
    if (module, path) not in HELP:
        if not fetch:
            raise NotFetchedError((module, path))
        fetch_help({(module, path)})
    return HELP[(module, path)]


def choices(help_output: str) -> set[str]:
    """The subcommands a parser offers: its usage's ``{a,b,c}``, or the names argparse lists
    one level deeper under "positional arguments" when the subparsers have a metavar."""
    usage = help_output.split("\n\n", 1)[0]
    offered = {
        name
        for before, names in re.findall(r"(\S+)\s+\{([\w,-]+)\}", usage)
        if not before.lstrip("[(").startswith("-")  # an option's choices, not subcommands
        for name in names.split(",")
    }
    positional = help_output.partition("\npositional arguments:\n")[2].split("\n\n", 1)[0]
    offered.update(re.findall(r"(?m)^    ([a-z][\w-]*)(?:\s|$)", positional))
    return offered


def options(help_output: str) -> set[str]:
    """The option strings a parser accepts, from the option column of its help."""
    accepted = {"-h", "--help"}
    for line in help_output.splitlines():
        stripped = line.strip()
        if stripped.startswith("-"):
            head = re.split(r"\s{2,}", stripped)[0]
            accepted.update(re.findall(r"(?<![\w-])--?[A-Za-z][\w-]*", head))
    return accepted


def placeholder(word: str) -> bool:
    return word.startswith(("<", "[")) or "..." in word or "…" in word or word.isupper()


def problems_of(module: str, args: tuple[str, ...], *, fetch: bool = True) -> list[str]:
    """What is wrong with ``python -m module args`` as a document shows it; [] when nothing."""
    if importlib.util.find_spec(module) is None:
        return [f"no module {module}"]
    if not args:
        return []
    path: list[str] = []
    rest = list(args)
    text = help_text(module, (), fetch=fetch)
    if not text:
        return [f"{module} --help does not print a parser's help"]
    while (offered := choices(text)) and rest and not rest[0].startswith("-"):
        if placeholder(rest[0]) or not re.fullmatch(r"[a-z][\w-]*", rest[0]):
            return []  # a placeholder or a diagram's arrow, not a subcommand
        if rest[0] not in offered:
            label = " ".join([module, *path])
            return [f"{label}: no subcommand {rest[0]!r} (offers {sorted(offered)})"]
        path.append(rest.pop(0))
        text = help_text(module, tuple(path), fetch=fetch)
    accepted = options(text)
    flags = [m.group(1) for word in rest if (m := FLAG.match(word))]
    label = " ".join([module, *path])
    return [f"{label}: no option {flag}" for flag in flags if flag.split("=")[0] not in accepted]


def prefetch_help(shown: list[Shown]) -> None:
    """Read every parser help the commands need, one interpreter per subcommand depth."""
    while True:
        needed: set[HelpKey] = set()
        for command in shown:
            try:
                problems_of(command.name, command.args, fetch=False)
            except NotFetchedError as missing:
                needed.add(missing.args[0])
        if not needed:
            return
        fetch_help(needed)


def test_documents_show_make_commands_and_python_tools() -> None:
    """Guards the extraction itself: the documents' commands are found, a few known ones too."""
    makes, modules = shown_commands()
    assert {"synth", "test", "local", "cutover", "parity"} <= {shown.name for shown in makes}
    assert len(modules) >= 10
    assert any(shown.args[:1] == ("serve",) for shown in modules)


def test_every_make_command_names_a_real_target() -> None:
    makes, _ = shown_commands()
    unknown = sorted({f"{s.where}: make {s.name}" for s in makes if s.name not in make_targets()})
    assert unknown == [], "\n".join(unknown)


def argument_commands() -> list[Shown]:
    """Each ``make X VAR="..."`` whose recipe passes VAR to a tools module, as that module."""
    makes, _ = shown_commands()
    found: list[Shown] = []
    for shown in makes:
        for word in shown.args:
            variable, equals, value = word.partition("=")
            if (
                re.fullmatch(r"[A-Z_]*ARGS", variable)
                and equals
                and value
                and not placeholder(value)
            ):
                module = recipe_module(shown.name, variable)
                assert module, f"{shown.where}: make {shown.name} {variable}= runs no tools module"
                found.append(Shown(shown.where, module, tuple(words(value))))
    return found


def test_every_python_tool_command_matches_its_parser() -> None:
    """Given each shown ``python -m tools...`` and ``make X ARGS=...``, its parser accepts it."""
    _, modules = shown_commands()
    shown = modules + argument_commands()
    assert len(shown) > len(modules)
    prefetch_help(shown)
    problems = sorted(
        {f"{s.where}: {problem}" for s in shown for problem in problems_of(s.name, s.args)}
    )
    assert problems == [], "\n".join(problems)


def test_a_stale_command_is_reported() -> None:
    """Given a renamed subcommand, a removed flag or a moved module, the check names each."""
    cutover = recipe_module("cutover", "ARGS")
    assert cutover is not None
    _, modules = shown_commands()
    local_api = next(s.name for s in modules if s.args[:1] == ("serve",) and "api" in s.name)
    assert problems_of(cutover, ("set", "25", "--stage", "prod", "--parity-report", "r")) == []
    assert problems_of(cutover, ("shift", "25")) == [
        f"{cutover}: no subcommand 'shift' (offers {sorted(choices(help_text(cutover, ())))})"
    ]
    assert problems_of(cutover, ("set", "25", "--no-gate")) == [
        f"{cutover} set: no option --no-gate"
    ]
    assert problems_of(local_api, ("serve", "--mongomock")) == [
        f"{local_api} serve: no option --mongomock"
    ]
    assert problems_of(f"{cutover}oever", ("status",)) == [f"no module {cutover}oever"]
