"""Turn one stage's ``cdk diff`` output (and cost diff) into a pull-request comment.

``make pr-report`` runs ``cdk diff`` into a file and calls this module; the pull-request
workflow posts the result as one sticky comment per stage. The comment leads with what a
reviewer must see first (did the diff fail, does it broaden IAM or security groups, which
stacks change), then the full diff folded away, then the cost comparison.

Usage::

    python -m tools.ops.pr_report --stage dev --diff build/cicd/diff-dev.txt --diff-exit-code 0 \
        [--cost build/cicd/cost-dev.md | --cost-note "why there is none"] \
        --output build/cicd/pr-report-dev.md
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from tools.cli import USAGE, Parser, UsageError, error_line

# GitHub rejects comment bodies over 65,536 characters; leave room for the rest of the comment.
MAX_DIFF_CHARS = 55_000
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_STACK_HEADER = re.compile(r"^Stack (\S+)")
_STACKS_CHANGED = re.compile(r"Number of stacks with differences: (\d+)")
SECURITY_SECTIONS = ("IAM Statement Changes", "Security Group Changes")


class ReportError(Exception):
    """An input file is missing or unreadable; the message is one line."""


@dataclass(frozen=True)
class DiffSummary:
    """What a reviewer needs before reading the diff itself."""

    changed_stacks: tuple[str, ...]
    unchanged_stacks: tuple[str, ...]
    stacks_with_differences: int | None
    security_sections: tuple[str, ...]


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def summarize(diff: str) -> DiffSummary:
    """Read the stack sections of ``cdk diff`` output.

    A stack section starts with ``Stack NAME``; ``There were no differences`` inside it
    marks it unchanged. The CLI's closing line gives the number of stacks with differences.
    """
    changed: list[str] = []
    unchanged: list[str] = []
    current: str | None = None
    current_changed = False

    def close() -> None:
        if current is not None:
            (changed if current_changed else unchanged).append(current)

    for line in diff.splitlines():
        header = _STACK_HEADER.match(line)
        if header:
            close()
            current, current_changed = header.group(1), True
        elif current is not None and line.startswith("There were no differences"):
            current_changed = False
    close()
    counted = _STACKS_CHANGED.search(diff)
    security = tuple(section for section in SECURITY_SECTIONS if section in diff)
    return DiffSummary(
        changed_stacks=tuple(changed),
        unchanged_stacks=tuple(unchanged),
        stacks_with_differences=int(counted.group(1)) if counted else None,
        security_sections=security,
    )


def _fence(text: str, language: str = "") -> str:
    """A code fence longer than any backtick run inside ``text`` (diffs may contain ```)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def render(
    *,
    stage: str,
    diff: str,
    diff_exit_code: int,
    cost_markdown: str | None,
    cost_note: str | None,
) -> str:
    """The comment body for one stage."""
    diff = strip_ansi(diff)
    summary = summarize(diff)
    lines = [f"## `{stage}`: infrastructure diff", ""]
    if diff_exit_code != 0:
        lines += [
            f"> [!CAUTION]\n> `cdk diff` failed (exit code {diff_exit_code}); "
            "the output below says why.",
            "",
        ]
    elif summary.security_sections:
        lines += [
            "> [!WARNING]\n> This change touches "
            + " and ".join(f"**{section}**" for section in summary.security_sections)
            + "; the security gate fails the check if it broadens access.",
            "",
        ]
    if summary.changed_stacks:
        lines.append("Stacks that change: " + ", ".join(f"`{s}`" for s in summary.changed_stacks))
    elif diff_exit_code == 0:
        lines.append("No stack changes.")
    if summary.unchanged_stacks:
        lines.append("Unchanged: " + ", ".join(f"`{s}`" for s in summary.unchanged_stacks))
    lines.append("")

    shown = diff
    if len(shown) > MAX_DIFF_CHARS:
        omitted = len(shown) - MAX_DIFF_CHARS
        shown = (
            shown[:MAX_DIFF_CHARS]
            + f"\n... {omitted} more characters: see the job log or run `make pr-report`"
        )
    lines += [
        "<details><summary>Full <code>cdk diff</code> (template method)</summary>",
        "",
        _fence(shown or "(no output)"),
        "",
        "</details>",
        "",
        "### Cost",
        "",
    ]
    if cost_markdown is not None and cost_markdown.strip():
        lines.append(cost_markdown.strip())
    else:
        lines.append(f"_No cost comparison: {cost_note or 'the cost report was empty'}._")
    return "\n".join(lines) + "\n"


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise ReportError(f"cannot read the {what} file {path}: {error.strerror}") from error


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m tools.ops.pr_report", description=__doc__)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--diff", required=True, type=Path, help="cdk diff output")
    parser.add_argument("--diff-exit-code", required=True, type=int)
    cost = parser.add_mutually_exclusive_group(required=True)
    cost.add_argument("--cost", type=Path, help="markdown from python -m tools.ops.cost")
    cost.add_argument("--cost-note", help="why there is no cost comparison")
    parser.add_argument("--output", required=True, type=Path)
    try:
        args = parser.parse_args(argv)
    except UsageError as error:
        print(error_line("pr_report", error), file=sys.stderr)
        return USAGE
    try:
        body = render(
            stage=args.stage,
            diff=_read(args.diff, "diff"),
            diff_exit_code=args.diff_exit_code,
            cost_markdown=_read(args.cost, "cost") if args.cost else None,
            cost_note=args.cost_note,
        )
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(body, encoding="utf-8")
    except (ReportError, OSError) as error:
        print(error_line("pr_report", error), file=sys.stderr)
        return 2
    print(f"pr_report: wrote {args.output} ({len(body)} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
