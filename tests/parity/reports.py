"""Parity reports for the tests of their readers (the cut-over gate, ``make routes``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from tools.ops.parity.report import (
    FORMAT,
    Example,
    ParityReport,
    PathCount,
    RouteResult,
    render_json,
)
from tools.ops.parity.routing import MIGRATED


def write_parity_report(
    path: Path,
    *,
    generated_at: datetime,
    mismatch_rates: dict[str, float] | None = None,
    threshold: float = 0.0,
    covered: Iterable[str] | None = None,
    listed: Iterable[str] | None = None,
) -> Path:
    """A report as ``python -m tools.ops.parity --format json`` writes it (10 requests per route).

    By default every migrated route of the table (reads and writes) compared, all clean;
    ``mismatch_rates`` sets some routes' rates. ``covered`` names the only routes with compared
    requests (the others have none, as when a run skipped them); ``listed`` the only routes
    the report has at all (as a report made before the others were migrated).
    """
    keys = [template.key for template in MIGRATED]
    rates = dict.fromkeys(keys, 0.0) | (mismatch_rates or {})
    with_requests = set(keys if covered is None else covered)
    routes = [
        _route(key, rates[key] if key in with_requests else None, threshold)
        for key in (keys if listed is None else list(listed))
    ]
    report = ParityReport(
        format=FORMAT,
        generated_at=generated_at,
        legacy="http://127.0.0.1:3100",
        new="http://127.0.0.1:3000",
        threshold=threshold,
        passed=all(route.passed for route in routes),
        routes=routes,
        uncovered=[route.route for route in routes if not route.compared],
        unmigrated=[],
        skipped_writes={},
    )
    path.write_text(render_json(report))
    return path


def _route(key: str, rate: float | None, threshold: float) -> RouteResult:
    """One route's result: 10 compared requests at ``rate``, or none compared (None)."""
    count = 0 if rate is None else 10
    return RouteResult(
        route=key,
        migrated=True,
        requests=count,
        compared=count,
        skipped=0,
        mismatches=round((rate or 0.0) / 10),
        noise_only=0,
        mismatch_rate=rate,
        passed=rate is None or rate <= threshold,
        top_paths=[PathCount(path="$.title", requests=1, example=Example(request="line 3 GET /x"))]
        if rate
        else [],
        noise_paths=[],
    )
