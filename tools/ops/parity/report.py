"""The parity report: per route template, what was compared and what still differs.

The JSON form (``--format json``) is what ``tools/ops/cutover`` reads as its gate and
``make routes PARITY=...`` shows; ``ParityReport`` is its schema, used both to write it and
to read it back.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from tabulate import tabulate

from tools.ops.parity.compare import ABSENT, Comparison, Difference, describe, sample
from tools.ops.parity.inputs import ParityRequest

# /2: every migrated route of the table is in ``routes`` (compared or not) and ``uncovered``
# names those with no compared request; the gate does not read /1 reports, which left them out.
FORMAT: Literal["taskly-parity/2"] = "taskly-parity/2"
TOP_PATHS = 5
# How long the cut-over gate accepts a report: data, code and configuration drift after that.
MAX_REPORT_AGE = timedelta(hours=24)


class Example(BaseModel):
    """One request that showed the difference; a side without the value has no key."""

    model_config = ConfigDict(extra="forbid")

    request: str
    legacy: Any = None
    new: Any = None


class PathCount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    requests: int
    example: Example


class RouteResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    route: str
    migrated: bool
    requests: int = Field(description="requests in the file for this route")
    compared: int = Field(description="requests sent (the others were skipped writes)")
    skipped: int
    mismatches: int = Field(description="compared requests with a difference that is not noise")
    noise_only: int = Field(description="requests whose only differences were noise")
    mismatch_rate: float | None = Field(description="mismatches / compared in %, None if none")
    passed: bool = Field(description="mismatch_rate is at most the threshold (or nothing compared)")
    top_paths: list[PathCount]
    noise_paths: list[PathCount]


class ParityReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["taskly-parity/2"]
    generated_at: AwareDatetime
    legacy: str
    new: str
    threshold: float
    passed: bool = Field(description="every compared migrated route is at or below the threshold")
    routes: list[RouteResult] = Field(
        description="every migrated route of the table, in its order, compared or not"
    )
    uncovered: list[str] = Field(
        description="migrated routes with no compared request: the gate refuses them unless "
        "each is accepted by name"
    )
    unmigrated: list[RouteResult] = Field(description="served by legacy either way; not gated")
    skipped_writes: dict[str, int] = Field(description="requests not sent, per method")


class ReportError(Exception):
    """A report cannot be read; the message is one line."""


def read_report(path: Path) -> ParityReport:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ReportError(f"cannot read parity report {path}: {error.strerror or error}") from error
    try:
        return ParityReport.model_validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "document"
        raise ReportError(
            f"{path} is not a parity report (python -m tools.ops.parity --format json): "
            f"{where}: {first['msg']}"
        ) from error


@dataclass
class RouteTally:
    """Results of one route template, accumulated request by request."""

    key: str
    migrated: bool
    requests: int = 0
    skipped: int = 0
    compared: int = 0
    mismatches: int = 0
    noise_only: int = 0
    paths: Counter[str] = field(default_factory=Counter)
    noise: Counter[str] = field(default_factory=Counter)
    examples: dict[str, Example] = field(default_factory=dict)
    noise_examples: dict[str, Example] = field(default_factory=dict)

    def skip(self) -> None:
        self.requests += 1
        self.skipped += 1

    def add(self, request: ParityRequest, comparison: Comparison) -> None:
        self.requests += 1
        self.compared += 1
        self.mismatches += comparison.mismatched
        self.noise_only += comparison.noise_only
        _count(self.paths, self.examples, request, comparison.mismatches)
        _count(self.noise, self.noise_examples, request, comparison.noise)

    def result(self, threshold: float) -> RouteResult:
        rate = round(100 * self.mismatches / self.compared, 2) if self.compared else None
        return RouteResult(
            route=self.key,
            migrated=self.migrated,
            requests=self.requests,
            compared=self.compared,
            skipped=self.skipped,
            mismatches=self.mismatches,
            noise_only=self.noise_only,
            mismatch_rate=rate,
            passed=rate is None or rate <= threshold,
            top_paths=_top(self.paths, self.examples),
            noise_paths=_top(self.noise, self.noise_examples),
        )


def _count(
    counter: Counter[str],
    examples: dict[str, Example],
    request: ParityRequest,
    differences: list[Difference],
) -> None:
    seen: dict[str, Difference] = {}
    for difference in differences:
        seen.setdefault(difference.general_name, difference)
    for name, difference in seen.items():
        counter[name] += 1
        if name not in examples:
            values = {
                side: sample(value)
                for side, value in (("legacy", difference.legacy), ("new", difference.new))
                if value is not ABSENT
            }
            examples[name] = Example(request=request.label, **values)


def _top(counter: Counter[str], examples: dict[str, Example]) -> list[PathCount]:
    return [
        PathCount(path=name, requests=count, example=examples[name])
        for name, count in counter.most_common(TOP_PATHS)
    ]


def build_report(
    *,
    generated_at: datetime,
    legacy: str,
    new: str,
    threshold: float,
    tallies: list[RouteTally],
    skipped_writes: dict[str, int],
) -> ParityReport:
    routes = [tally.result(threshold) for tally in tallies if tally.migrated]
    uncovered = [route.route for route in routes if not route.compared]
    unmigrated = [tally.result(threshold) for tally in tallies if not tally.migrated]
    return ParityReport(
        format=FORMAT,
        generated_at=generated_at,
        legacy=legacy,
        new=new,
        threshold=threshold,
        passed=all(route.passed for route in routes),
        routes=routes,
        uncovered=uncovered,
        unmigrated=sorted(unmigrated, key=lambda route: route.route),
        skipped_writes=skipped_writes,
    )


def render_json(report: ParityReport) -> str:
    return report.model_dump_json(indent=2, exclude_unset=True) + "\n"


def _rate(route: RouteResult) -> str:
    return "-" if route.mismatch_rate is None else f"{route.mismatch_rate:.1f}%"


def _result(route: RouteResult, *, gated: bool) -> str:
    if not route.compared:
        return "NOT COVERED" if gated else "not compared"
    if gated:
        return "ok" if route.passed else "FAIL"
    return "differs" if route.mismatches else "same"


def _table(routes: list[RouteResult], *, gated: bool) -> list[str]:
    headers = ["ROUTE", "REQUESTS", "MISMATCHES", "NOISE-ONLY", "RATE", "RESULT"]
    rows = [
        [
            route.route,
            f"{route.compared}" + (f" (+{route.skipped} skipped)" if route.skipped else ""),
            route.mismatches,
            route.noise_only,
            _rate(route),
            _result(route, gated=gated),
        ]
        for route in routes
    ]
    lines = tabulate(rows, headers=headers, tablefmt="plain", disable_numparse=True).splitlines()
    for route in routes:
        for found in route.top_paths:
            lines.append(f"  {route.route}  differs at {_path_line(found)}")
        if route.noise_paths:
            noise = ", ".join(f"{found.path} ({found.requests})" for found in route.noise_paths)
            lines.append(f"  {route.route}  noise (differs between two legacy answers): {noise}")
    return lines


def _path_line(found: PathCount) -> str:
    example = found.example
    sides = example.model_dump(exclude_unset=True)
    legacy = describe(sides["legacy"]) if "legacy" in sides else "(absent)"
    new = describe(sides["new"]) if "new" in sides else "(absent)"
    return (
        f"{found.path} in {found.requests} request(s), e.g. {example.request}: "
        f"legacy {legacy}, new {new}"
    )


def render_text(report: ParityReport, *, requests_file: str) -> str:
    lines = [
        f"parity: legacy {report.legacy} vs new {report.new}, requests from {requests_file}, "
        f"threshold {report.threshold:g}%",
        "",
        *(
            _table(report.routes, gated=True)
            if report.routes
            else ["no request for a migrated route"]
        ),
    ]
    if report.unmigrated:
        lines += ["", "Unmigrated routes (legacy answers either way; not gated):"]
        lines += _table(report.unmigrated, gated=False)
    if report.skipped_writes:
        counts = ", ".join(
            f"{method} {count}" for method, count in sorted(report.skipped_writes.items())
        )
        total = sum(report.skipped_writes.values())
        lines += ["", f"skipped {total} write request(s) ({counts}); --allow-writes sends them"]
    failed = [route.route for route in report.routes if not route.passed]
    lines.append("")
    if failed:
        above = f"above {report.threshold:g}%"
        lines.append(f"FAIL: {len(failed)} migrated route(s) {above}: {', '.join(failed)}")
    elif report.uncovered:
        lines.append(f"PASS: every compared migrated route at or below {report.threshold:g}%")
    else:
        lines.append(f"PASS: every migrated route at or below {report.threshold:g}%")
    lines += coverage_lines(report)
    return "\n".join(lines) + "\n"


def coverage_lines(report: ParityReport) -> list[str]:
    """What the cut-over gate will say about coverage: nothing when every route was compared."""
    if not report.uncovered:
        return []
    return [
        f"NOT COVERED: {len(report.uncovered)} of {len(report.routes)} migrated route(s) had no "
        f"compared request: {', '.join(report.uncovered)}; the cut-over gate refuses this "
        "report unless each is named with --accept-uncovered"
    ]
