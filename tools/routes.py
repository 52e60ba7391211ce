"""``make routes``: print the migration table (which /api routes run where).

Reads ``lambda_src/taskly/routes.py`` exactly as the compute stack does, so what this prints
is what API Gateway serves: each migrated route goes to its service's ``live`` alias, and
every other /api request to the legacy backend. ``--parity FILE`` (``make routes
PARITY=FILE``) adds each migrated route's coverage (requests compared, and write requests
skipped) and result from a parity report (``tools/ops/parity``); a route with none compared is
``NOT COVERED``, which the cut-over gate refuses.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from stacks.route_table import LEGACY, load_route_table
from tools.cli import Parser, error_line, run

if TYPE_CHECKING:
    from tools.ops.parity.report import ParityReport, RouteResult


def _coverage_cell(result: RouteResult | None) -> str:
    if result is None:
        return "0 (not in the report)"
    skipped = f" (+{result.skipped} skipped)" if result.skipped else ""
    return f"{result.compared}{skipped}"


def _parity_cell(result: RouteResult | None, threshold: float) -> str:
    if result is None or not result.compared:
        return "NOT COVERED: the cut-over gate refuses"
    verdict = "ok" if result.passed else "FAIL"
    cell = (
        f"{verdict} {result.mismatches}/{result.compared} mismatched "
        f"({result.mismatch_rate:g}%, threshold {threshold:g}%)"
    )
    if result.top_paths:
        cell += f", first at {result.top_paths[0].path}"
    return cell


def render(
    parity: ParityReport | None = None,
    *,
    parity_file: Path | None = None,
    now: datetime | None = None,
) -> str:
    table = load_route_table()
    public = {(route.method, route.path) for route in table.routes if route.public}
    results = {result.route: result for result in parity.routes} if parity else {}
    header = ["METHOD", "PATH", "SERVICE", "AUTH"] + (["COMPARED", "PARITY"] if parity else [])
    rows = [header]
    for method, path, target in table.rows():
        if target == LEGACY:
            auth = "legacy backend"
        elif (method, path) in public:
            auth = "public"
        else:
            auth = f"JWT, scope {table.api_scope}"
        row = [method, path, target, auth]
        if parity and target == LEGACY:
            row += ["-", "-"]
        elif parity:
            result = results.get(f"{method} {path}")
            row += [_coverage_cell(result), _parity_cell(result, parity.threshold)]
        rows.append(row)
    padded = len(header) - 1
    widths = [max(len(row[column]) for row in rows) for column in range(padded)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:padded], widths, strict=True))
        + "  "
        + row[padded]
        for row in rows
    ]
    migrated = len(table.routes)
    lines.append(f"{migrated} routes migrated; every other /api request goes to legacy.")
    if parity:
        keys = [f"{route.method} {route.path}" for route in table.routes]
        uncovered = [key for key in keys if not getattr(results.get(key), "compared", 0)]
        lines.append(
            f"coverage: {migrated - len(uncovered)} of {migrated} migrated routes compared"
            + (f"; not covered: {', '.join(uncovered)}" if uncovered else "")
        )
        from tools.ops.cutover.plan import human  # noqa: PLC0415 (needs botocore, as --parity does)
        from tools.ops.parity.report import MAX_REPORT_AGE  # noqa: PLC0415

        age = (now or datetime.now(UTC)) - parity.generated_at
        stale = " (older than 24 h: the cut-over gate refuses it)" if age > MAX_REPORT_AGE else ""
        lines.append(
            f"parity: {parity_file} of {parity.generated_at:%Y-%m-%dT%H:%MZ}, "
            f"{human(age)} ago{stale}; legacy {parity.legacy}, new {parity.new}."
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    return run("routes", lambda: _main(argv))


def _main(argv: Sequence[str] | None) -> int:
    parser = Parser(prog="python -m tools.routes", description=__doc__)
    parser.add_argument("--parity", type=Path, metavar="FILE", help="JSON parity report to show")
    args = parser.parse_args([] if argv is None else argv)
    report = None
    if args.parity:
        # Only with --parity: plain `make routes` needs nothing beyond the CDK app's dependencies.
        from tools.ops.parity.report import ReportError, read_report  # noqa: PLC0415

        try:
            report = read_report(args.parity)
        except ReportError as error:
            print(error_line("routes", error), file=sys.stderr)
            return 1
    try:
        print(render(report, parity_file=args.parity))
    except (FileNotFoundError, ImportError, AttributeError) as error:
        print(error_line("routes", f"cannot read the route table: {error}"), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
