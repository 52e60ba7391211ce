"""The parity gate: no weight goes up without evidence that the new API answers like legacy.

``cutover set`` (to a higher weight) and ``cutover plan`` (before every step) read the JSON
report of ``python -m tools.ops.parity`` passed with ``--parity-report FILE`` and refuse when it
is missing, unreadable, older than ``MAX_REPORT_AGE``, compares no migrated route, shows a
migrated route whose mismatch rate is above the report's threshold, or leaves a migrated route
(read or write, from ``lambda_src/taskly/routes.py``) without a compared request. An operator
who goes on without evidence for a route names it with ``--accept-uncovered 'METHOD PATH'``
(repeatable): the choice is printed and recorded in the cut-over state's ``last_change``.
``--no-parity-gate`` skips the check with a warning. Lowering the weight and rolling back are
never gated: the way back must always be open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from lambda_src.cutover_rollback.weight_store import CutoverError
from tools.ops.cutover.plan import human
from tools.ops.parity.report import MAX_REPORT_AGE, ParityReport, ReportError, read_report
from tools.ops.parity.routing import MIGRATED

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
    # Migrated routes the report did not cover and the operator went on without, by name.
    accepted_uncovered: tuple[str, ...] = ()


def check_accepted(accepted: tuple[str, ...]) -> None:
    """ParityGateError when a name given to --accept-uncovered is not a migrated route."""
    known = {template.key for template in MIGRATED}
    unknown = [name for name in accepted if name not in known]
    if unknown:
        raise ParityGateError(
            f"--accept-uncovered {', '.join(repr(name) for name in unknown)}: not a migrated "
            f"route; the migrated routes are: {', '.join(template.key for template in MIGRATED)}"
        )


def check_parity(
    report_path: Path | None, *, skip: bool, now: datetime, accepted: tuple[str, ...] = ()
) -> GateResult:
    """Why the weight may go up (summary, warnings), or ParityGateError why it may not."""
    check_accepted(accepted)
    if skip:
        return GateResult(summary="parity gate skipped", warnings=(SKIPPED_WARNING,))
    if report_path is None:
        raise ParityGateError(
            "parity gate: raising the weight needs a parity report: run python -m tools.ops.parity "
            "--format json > FILE and pass --parity-report FILE (or --no-parity-gate)"
        )
    try:
        report = read_report(report_path)
    except ReportError as error:
        raise ParityGateError(f"parity gate: {error}") from error
    return _judge(report, report_path, now, accepted)


def _judge(
    report: ParityReport, path: Path, now: datetime, accepted: tuple[str, ...]
) -> GateResult:
    age = now - report.generated_at
    if age > MAX_REPORT_AGE:
        raise ParityGateError(
            f"parity gate: report {path} is {human(age)} old (limit {human(MAX_REPORT_AGE)}); "
            "run python -m tools.ops.parity again"
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
    uncovered = _uncovered(report, accepted, path)
    return GateResult(
        summary=(
            f"parity gate: passed ({len(compared)} of {len(MIGRATED)} migrated route(s) "
            f"compared, at or below {report.threshold:g}% in {path}, "
            f"{human(max(age, timedelta(0)))} old)"
        ),
        accepted_uncovered=tuple(uncovered),
    )


def accepted_line(result: GateResult) -> str | None:
    """The operator's choice to go on without evidence, as printed and recorded; None if none."""
    if not result.accepted_uncovered:
        return None
    return f"accepted uncovered: {', '.join(result.accepted_uncovered)}"


def _uncovered(report: ParityReport, accepted: tuple[str, ...], path: Path) -> list[str]:
    """The uncovered migrated routes the operator accepted; ParityGateError if any is not.

    Coverage is judged against the migration table, not the report's own list, so a report
    made before a route was migrated cannot cover it.
    """
    compared = {route.route: route.compared for route in report.routes if route.migrated}
    uncovered = [t.key for t in MIGRATED if not compared.get(t.key)]
    refused = [key for key in uncovered if key not in accepted]
    if refused:
        names = " ".join(f"--accept-uncovered '{key}'" for key in refused)
        raise ParityGateError(
            f"parity gate: report {path} leaves {len(refused)} of {len(MIGRATED)} migrated "
            f"route(s) without a compared request: {', '.join(refused)}; run python -m "
            "tools.ops.parity with --allow-writes against a disposable stage or the local "
            f"database, or go on without that evidence by naming each: {names}"
        )
    return uncovered
