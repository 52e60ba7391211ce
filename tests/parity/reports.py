"""Parity reports for the tests of their readers (the cut-over gate, ``make routes``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tools.parity.report import (
    FORMAT,
    Example,
    ParityReport,
    PathCount,
    RouteResult,
    render_json,
)
from tools.parity.routing import MIGRATED


def write_parity_report(
    path: Path,
    *,
    generated_at: datetime,
    mismatch_rates: dict[str, float] | None = None,
    threshold: float = 0.0,
) -> Path:
    """A report as ``python -m tools.parity --format json`` writes it (10 requests per route).

    By default every migrated GET route of the table, all clean.
    """
    reads = {template.key: 0.0 for template in MIGRATED if template.method == "GET"}
    rates = reads if mismatch_rates is None else mismatch_rates
    routes = [
        RouteResult(
            route=route,
            migrated=True,
            requests=10,
            compared=10,
            skipped=0,
            mismatches=round(rate / 10),
            noise_only=0,
            mismatch_rate=rate,
            passed=rate <= threshold,
            top_paths=[
                PathCount(path="$.title", requests=1, example=Example(request="line 3 GET /x"))
            ]
            if rate
            else [],
            noise_paths=[],
        )
        for route, rate in rates.items()
    ]
    report = ParityReport(
        format=FORMAT,
        generated_at=generated_at,
        legacy="http://127.0.0.1:3100",
        new="http://127.0.0.1:3000",
        threshold=threshold,
        passed=all(route.passed for route in routes),
        routes=routes,
        unmigrated=[],
        skipped_writes={},
    )
    path.write_text(render_json(report))
    return path
