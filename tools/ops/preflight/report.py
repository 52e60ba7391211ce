"""Check results and how they are printed: a ✓/✗ checklist, or JSON for scripts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum


class Status(Enum):
    PASS = "pass"  # noqa: S105 (a status, not a password)
    # Deploys, but something will not work as expected (e.g. the SES sandbox): no failure.
    WARN = "warn"
    FAIL = "fail"
    # Not applicable to this stage (nothing configured) or not checkable after an earlier ✗.
    SKIP = "skip"


MARKS = {Status.PASS: "✓", Status.WARN: "!", Status.FAIL: "✗", Status.SKIP: "-"}


@dataclass(frozen=True)
class Result:
    check: str
    status: Status
    detail: str
    # For ✗ and !: what to do, one or two lines (a command or a config value to set).
    fix: tuple[str, ...] = ()


def passed(check: str, detail: str) -> Result:
    return Result(check, Status.PASS, detail)


def failed(check: str, detail: str, *fix: str) -> Result:
    return Result(check, Status.FAIL, detail, fix)


def warned(check: str, detail: str, *fix: str) -> Result:
    return Result(check, Status.WARN, detail, fix)


def skipped(check: str, detail: str) -> Result:
    return Result(check, Status.SKIP, detail)


def render_text(header: str, results: list[Result]) -> str:
    width = max(len(result.check) for result in results)
    lines = [header]
    for result in results:
        lines.append(f"{MARKS[result.status]} {result.check.ljust(width)}  {result.detail}")
        lines.extend(f"  {' ' * width}  fix: {line}" for line in result.fix)
    failures = sum(result.status is Status.FAIL for result in results)
    warnings = sum(result.status is Status.WARN for result in results)
    if failures:
        lines.append(f"{failures} check(s) failed: fix them and run preflight again.")
    else:
        suffix = f" ({warnings} warning(s) above)" if warnings else ""
        lines.append(f"ready to deploy{suffix}.")
    return "\n".join(lines) + "\n"


def render_json(header: dict[str, object], results: list[Result]) -> str:
    document = {
        **header,
        "ok": not any(result.status is Status.FAIL for result in results),
        "checks": [
            {
                "check": result.check,
                "status": result.status.value,
                "detail": result.detail,
                "fix": list(result.fix),
            }
            for result in results
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
