"""The parity gate: no weight goes up without evidence that the new API answers like legacy.

``cutover set`` (to a higher weight) and ``cutover plan`` (before every step) read the JSON
report of ``python -m tools.parity`` passed with ``--parity-report FILE`` and refuse when it
is missing, unreadable, older than ``MAX_REPORT_AGE``, compares no migrated route, or shows a
migrated route whose mismatch rate is above the report's threshold. ``--no-parity-gate``
skips the check with a warning. Lowering the weight and rolling back are never gated: the way
back must always be open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from lambda_src.cutover_rollback.weight_store import CutoverError
from tools.cutover.plan import human
from tools.parity.report import MAX_REPORT_AGE, ParityReport, ReportError, read_report
from tools.parity.routing import MIGRATED

# Clocks of the machine that ran the parity tool and this one may disagree a little.
CLOCK_SKEW = timedelta(minutes=5)
SKIPPED_WARNING = (
    "parity gate skipped (--no-parity-gate): nothing shows that the new API answers like legacy"
)


class ParityGateError(CutoverError):
    """The gate refuses to raise the weight; the message says why and what to run."""


@dataclass(frozen=True, kw_only=True)
class GateResult:
    summary: str
    warnings: tuple[str, ...] = ()


def check_parity(report_path: Path | None, *, skip: bool, now: datetime) -> GateResult:
    """Why the weight may go up (summary, warnings), or ParityGateError why it may not."""
    if skip:
        return GateResult(summary="parity gate skipped", warnings=(SKIPPED_WARNING,))
    if report_path is None:
        raise ParityGateError(
            "parity gate: raising the weight needs a parity report: run python -m tools.parity "
            "--format json > FILE and pass --parity-report FILE (or --no-parity-gate)"
        )
    try:
        report = read_report(report_path)
    except ReportError as error:
        raise ParityGateError(f"parity gate: {error}") from error
    return _judge(report, report_path, now)


def _judge(report: ParityReport, path: Path, now: datetime) -> GateResult:
    age = now - report.generated_at
    if age > MAX_REPORT_AGE:
        raise ParityGateError(
            f"parity gate: report {path} is {human(age)} old (limit {human(MAX_REPORT_AGE)}); "
            "run python -m tools.parity again"
        )
    if age < -CLOCK_SKEW:
        raise ParityGateError(
            f"parity gate: report {path} is dated in the future ({report.generated_at})"
        )
    compared = [route for route in report.routes if route.migrated and route.compared]
    if not compared:
        raise ParityGateError(f"parity gate: report {path} compares no migrated route")
    failed = [
        route
        for route in compared
        if not route.passed or (route.mismatch_rate or 0.0) > report.threshold
    ]
    if failed:
        details = "; ".join(
            f"{route.route} {route.mismatch_rate:g}% mismatches"
            + (f" (first at {route.top_paths[0].path})" if route.top_paths else "")
            for route in failed
        )
        raise ParityGateError(
            f"parity gate: {len(failed)} migrated route(s) above the report's threshold of "
            f"{report.threshold:g}% in {path}: {details}"
        )
    # Reads only: writes are compared only with --allow-writes on a disposable stage, so a
    # warning about them would fire on every normal run and stop being read.
    covered = {route.route for route in compared}
    missing = [t.key for t in MIGRATED if t.method == "GET" and t.key not in covered]
    warnings = (
        (f"parity report {path} compared no request of: {', '.join(missing)}",) if missing else ()
    )
    return GateResult(
        summary=(
            f"parity gate: passed ({len(compared)} migrated route(s) at or below "
            f"{report.threshold:g}% in {path}, {human(max(age, timedelta(0)))} old)"
        ),
        warnings=warnings,
    )
