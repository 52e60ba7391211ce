"""The parity gate in ``cutover set`` and ``cutover plan``: no higher weight without a clean,
recent parity report; lowering the weight and rolling back are never gated.

Same doubles as test_cutover_cli.py (moto server over HTTP for CloudFormation/CloudWatch, the
fake KeyValueStore); one test feeds the gate a report the real parity tool wrote against two
real HTTP servers.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.edge.fakes import InMemoryKeyValueStore
from tests.edge.test_cutover_cli import Run
from tests.parity.conftest import TASKS, TOKEN, FakeApi, serve
from tests.parity.reports import write_parity_report
from tools.ops.cutover.cli import main
from tools.ops.parity.cli import main as parity_main
from tools.ops.parity.routing import MIGRATED

NOW = datetime.now(UTC)


def run(client_factory: Any, *argv: str) -> Run:
    """The CLI with its clock stopped at NOW: report ages are exact however slow the machine."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), client_factory=client_factory, now=lambda: NOW, out=out, err=err)
    return Run(code, out.getvalue(), err.getvalue())


def report_at(tmp_path: Path, age: timedelta, **rates: float) -> str:
    kwargs: dict[str, Any] = {"mismatch_rates": rates} if rates else {}
    return str(write_parity_report(tmp_path / "parity.json", generated_at=NOW - age, **kwargs))


def test_raising_without_a_report_is_refused_and_writes_nothing(
    aws: Any, kvs: InMemoryKeyValueStore
) -> None:
    result = run(aws, "set", "10", "--stage", "dev")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "cutover: error: parity gate: raising the weight needs a parity report: run python -m "
        "tools.ops.parity --format json > FILE and pass --parity-report FILE "
        "(or --no-parity-gate)\n"
    )
    assert kvs.updates() == []


def test_no_parity_gate_raises_with_a_warning(aws: Any, kvs: InMemoryKeyValueStore) -> None:
    result = run(aws, "set", "10", "--stage", "dev", "--no-parity-gate")
    assert result.code == 0
    assert result.err == (
        "cutover: warning: parity gate skipped (--no-parity-gate): nothing shows that the new "
        "API answers like legacy\n"
    )
    assert kvs.values["weight"] == "10"


def test_a_route_above_threshold_is_refused_naming_it(
    aws: Any, kvs: InMemoryKeyValueStore, tmp_path: Path
) -> None:
    report = report_at(
        tmp_path, timedelta(hours=1), **{"GET /api/tasks": 0.0, "GET /api/tasks/{id}": 20.0}
    )
    result = run(aws, "set", "10", "--stage", "dev", "--parity-report", report)
    assert result.code == 1
    assert result.err == (
        "cutover: error: parity gate: 1 migrated route(s) above the report's threshold of 0% in "
        f"{report}: GET /api/tasks/{{id}} 20% mismatches (first at $.title)\n"
    )
    assert kvs.updates() == []


@pytest.mark.parametrize(
    ("age", "allowed"),
    [(timedelta(hours=23, minutes=59), True), (timedelta(hours=24, minutes=1), False)],
)
def test_a_report_older_than_24_hours_is_refused(
    aws: Any, kvs: InMemoryKeyValueStore, tmp_path: Path, age: timedelta, allowed: bool
) -> None:
    report = report_at(tmp_path, age)
    result = run(aws, "set", "10", "--stage", "dev", "--parity-report", report)
    assert (result.code == 0) is allowed, result.err
    if not allowed:
        assert result.err == (
            f"cutover: error: parity gate: report {report} is 1d0h01m old (limit 1d0h00m); "
            "run python -m tools.ops.parity again\n"
        )
        assert kvs.updates() == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not a parity report (python -m tools.ops.parity --format json)"),
        ('{"format": "other"}', "is not a parity report"),
    ],
)
def test_a_file_that_is_not_a_report_is_refused_in_one_line(
    aws: Any, kvs: InMemoryKeyValueStore, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "parity.json"
    path.write_text(content)
    result = run(aws, "set", "10", "--stage", "dev", "--parity-report", str(path))
    assert result.code == 1
    assert len(result.err.splitlines()) == 1
    assert message in result.err


def test_a_missing_report_file_is_refused(aws: Any, tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    result = run(aws, "set", "10", "--stage", "dev", "--parity-report", str(missing))
    assert result.err == (
        f"cutover: error: parity gate: cannot read parity report {missing}: "
        "No such file or directory\n"
    )


def test_a_report_that_compares_no_migrated_route_is_refused(
    aws: Any, kvs: InMemoryKeyValueStore, tmp_path: Path
) -> None:
    report = str(write_parity_report(tmp_path / "p.json", generated_at=NOW, covered=()))
    result = run(aws, "set", "10", "--stage", "dev", "--parity-report", report)
    assert (
        result.err == f"cutover: error: parity gate: report {report} compares no migrated route\n"
    )


# The read-only run of the README before coverage was gated: 2 of the 10 migrated routes.
PARTIAL = ("GET /api/health", "GET /api/tasks")
UNCOVERED = [template.key for template in MIGRATED if template.key not in PARTIAL]


def test_a_report_that_leaves_migrated_routes_uncovered_is_refused_naming_each(
    aws: Any, kvs: InMemoryKeyValueStore, tmp_path: Path
) -> None:
    report = str(write_parity_report(tmp_path / "p.json", generated_at=NOW, covered=PARTIAL))
    result = run(aws, "set", "50", "--stage", "dev", "--parity-report", report)
    assert (result.code, result.out) == (1, "")
    names = " ".join(f"--accept-uncovered '{key}'" for key in UNCOVERED)
    assert result.err == (
        f"cutover: error: parity gate: report {report} leaves 8 of 10 migrated route(s) without "
        f"a compared request: {', '.join(UNCOVERED)}; run python -m tools.ops.parity with "
        "--allow-writes against a disposable stage or the local database, or go on without "
        f"that evidence by naming each: {names}\n"
    )
    assert kvs.updates() == []


def test_a_route_missing_from_the_report_is_uncovered(
    aws: Any, kvs: InMemoryKeyValueStore, tmp_path: Path
) -> None:
    # Given a report made before DELETE /api/tasks/{id} was in the migration table
    listed = [template.key for template in MIGRATED if template.key != "DELETE /api/tasks/{id}"]
    report = str(write_parity_report(tmp_path / "p.json", generated_at=NOW, listed=listed))
    result = run(aws, "set", "10", "--stage", "dev", "--parity-report", report)
    assert result.code == 1
    assert "leaves 1 of 10 migrated route(s) without a compared request: DELETE" in result.err
    assert kvs.updates() == []


def test_accepting_some_uncovered_routes_still_refuses_naming_the_rest(
    aws: Any, kvs: InMemoryKeyValueStore, tmp_path: Path
) -> None:
    report = str(write_parity_report(tmp_path / "p.json", generated_at=NOW, covered=PARTIAL))
    accepted = [arg for key in UNCOVERED[:7] for arg in ("--accept-uncovered", key)]
    result = run(aws, "set", "50", "--stage", "dev", "--parity-report", report, *accepted)
    assert result.code == 1
    assert (
        "leaves 1 of 10 migrated route(s) without a compared request: POST /api/tasks/{id}/share;"
        in result.err
    )
    assert kvs.updates() == []


def test_naming_every_uncovered_route_goes_on_prints_and_records_the_choice(
    aws: Any, kvs: InMemoryKeyValueStore, tmp_path: Path
) -> None:
    report = str(write_parity_report(tmp_path / "p.json", generated_at=NOW, covered=PARTIAL))
    accepted = [arg for key in UNCOVERED for arg in ("--accept-uncovered", key)]
    result = run(aws, "set", "50", "--stage", "dev", "--parity-report", report, *accepted)
    assert (result.code, result.err) == (0, "")
    lines = result.out.splitlines()
    assert lines[0].startswith("parity gate: passed (2 of 10 migrated route(s) compared")
    assert lines[1].startswith(f"parity gate: accepted uncovered: {', '.join(UNCOVERED)} (by ")
    assert lines[2] == "dev: weight 0% -> 50% (kill switch off)"
    assert kvs.values["weight"] == "50"
    assert kvs.values["last_change"].endswith(
        f"(cutover set; accepted uncovered: {', '.join(UNCOVERED)})"
    )


def test_a_full_report_records_no_acceptance(
    aws: Any, kvs: InMemoryKeyValueStore, tmp_path: Path
) -> None:
    report = str(write_parity_report(tmp_path / "p.json", generated_at=NOW))
    extra = ("--accept-uncovered", "DELETE /api/tasks/{id}")
    result = run(aws, "set", "50", "--stage", "dev", "--parity-report", report, *extra)
    assert result.code == 0, result.err
    assert result.out.splitlines()[0].startswith(
        "parity gate: passed (10 of 10 migrated route(s) compared, at or below 0%"
    )
    assert "accepted" not in result.out + kvs.values["last_change"]
    assert kvs.values["last_change"].endswith("(cutover set)")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--accept-uncovered", "DELETE /api/tasks"],
            "argument --accept-uncovered: 'DELETE /api/tasks': not a migrated route; "
            "the migrated routes are: GET /api/health,",
        ),
        (
            ["--no-parity-gate", "--accept-uncovered", "GET /api/tasks"],
            "--accept-uncovered needs --parity-report, not --no-parity-gate",
        ),
    ],
)
def test_accept_uncovered_takes_only_migrated_routes_with_a_report(
    extra: list[str], message: str
) -> None:
    result = run(None, "set", "10", "--stage", "dev", *extra)
    assert (result.code, result.out) == (2, "")
    assert len(result.err.splitlines()) == 1
    assert result.err.startswith(f"cutover: error: {message}")


def test_a_plan_refuses_a_partial_report_and_records_an_accepted_one(
    aws: Any, kvs: InMemoryKeyValueStore, tmp_path: Path
) -> None:
    report = str(write_parity_report(tmp_path / "p.json", generated_at=NOW, covered=PARTIAL))
    argv = ["plan", "--stage", "dev", "--steps", "10,50", "--over", "1m", "--poll", "1"]
    clock = {"now": NOW}

    def sleep(seconds: float) -> None:
        clock["now"] += timedelta(seconds=seconds)

    def plan(*extra: str) -> Run:
        out, err = io.StringIO(), io.StringIO()
        code = main(
            [*argv, "--parity-report", report, *extra],
            client_factory=aws,
            now=lambda: clock["now"],
            sleep=sleep,
            out=out,
            err=err,
        )
        return Run(code, out.getvalue(), err.getvalue())

    refused = plan()
    assert refused.code == 1
    assert f"without a compared request: {', '.join(UNCOVERED)};" in refused.err
    assert kvs.updates() == []

    accepted = plan(*[arg for key in UNCOVERED for arg in ("--accept-uncovered", key)])
    assert (accepted.code, accepted.err) == (0, "")
    assert f"parity gate: accepted uncovered: {', '.join(UNCOVERED)} (by " in accepted.out
    changes = [
        put["Value"] for u in kvs.updates() for put in u["Puts"] if put["Key"] == "last_change"
    ]
    assert len(changes) == 2
    assert all(
        c.endswith(f"(cutover plan; accepted uncovered: {', '.join(UNCOVERED)})") for c in changes
    )


def test_plan_dry_run_shows_the_refusal_naming_the_uncovered_routes(tmp_path: Path) -> None:
    report = str(write_parity_report(tmp_path / "p.json", generated_at=NOW, covered=PARTIAL))
    out = io.StringIO()
    argv = ["plan", "--local", "--dry-run", "--parity-report", report]
    assert main(argv, now=lambda: NOW, out=out, err=io.StringIO()) == 0
    last = out.getvalue().splitlines()[-1]
    assert f"without a compared request: {', '.join(UNCOVERED)};" in last
    assert last.endswith("(a real run would refuse to raise the weight)")


def test_lowering_the_weight_and_rolling_back_are_never_gated(
    aws: Any, kvs: InMemoryKeyValueStore
) -> None:
    kvs.values["weight"] = "50"
    lower = run(aws, "set", "20", "--stage", "dev")
    assert (lower.code, lower.err) == (0, "")
    assert kvs.values["weight"] == "20"
    same = run(aws, "set", "20", "--stage", "dev")
    assert same.code == 0
    rollback = run(aws, "rollback", "--stage", "dev")
    assert (rollback.code, rollback.err) == (0, "")
    assert kvs.values["kill_switch"] == "on"


def test_releasing_the_kill_switch_is_raising(aws: Any, kvs: InMemoryKeyValueStore) -> None:
    kvs.values.update({"weight": "30", "kill_switch": "on"})
    assert run(aws, "set", "30", "--stage", "dev").code == 1
    assert kvs.updates() == []


def test_report_and_no_gate_together_are_a_usage_error(tmp_path: Path) -> None:
    result = run(None, "set", "10", "--stage", "dev", "--parity-report", "x", "--no-parity-gate")
    assert result.code == 2
    assert "not allowed with argument" in result.err


def test_plan_refuses_to_start_without_a_report(aws: Any, kvs: InMemoryKeyValueStore) -> None:
    result = run(aws, "plan", "--stage", "dev", "--over", "1h")
    assert result.code == 1
    assert "parity gate: raising the weight needs a parity report" in result.err
    assert kvs.updates() == []


def test_a_plan_stops_when_its_report_ages_past_24_hours(
    aws: Any, kvs: InMemoryKeyValueStore, tmp_path: Path
) -> None:
    start = NOW
    clock = {"now": start}
    report = str(
        write_parity_report(
            tmp_path / "p.json", generated_at=start - timedelta(hours=23, minutes=30)
        )
    )
    out, err = io.StringIO(), io.StringIO()

    def sleep(seconds: float) -> None:
        clock["now"] += timedelta(seconds=seconds)

    argv = ["plan", "--stage", "dev", "--steps", "10,50,100", "--over", "2h", "--poll", "600"]
    code = main(
        [*argv, "--parity-report", report],
        client_factory=aws,
        now=lambda: clock["now"],
        sleep=sleep,
        out=out,
        err=err,
    )
    assert code == 1
    # Step 1 (now) passes; step 2 (in 1 h) would rely on a 24.5 h old report: hold at 10 %.
    assert [update["Puts"][0]["Value"] for update in kvs.updates()] == ["10"]
    assert (
        out.getvalue().splitlines()[-1]
        == (
            f"plan stopped before 50%: parity gate: report {report} is 1d0h00m old "
            "(limit 1d0h00m); run python -m tools.ops.parity again"
        )
        or "plan stopped before 50%: parity gate: report" in out.getvalue()
    )
    assert kvs.values["kill_switch"] == "off"


@pytest.fixture
def servers() -> Iterator[tuple[FakeApi, FakeApi]]:
    legacy_servers = serve(FakeApi(noisy=True))
    new_servers = serve(FakeApi(noisy=False))
    legacy, new = next(legacy_servers), next(new_servers)
    yield legacy, new
    for generator in (legacy_servers, new_servers):
        generator.close()


def test_the_gate_reads_what_the_parity_tool_writes(
    aws: Any, kvs: InMemoryKeyValueStore, tmp_path: Path, servers: tuple[FakeApi, FakeApi]
) -> None:
    legacy, new = servers
    reads = ["/api/tasks", *(f"/api/tasks/{key}" for key in sorted(TASKS))]
    every_route = [{"method": t.method, "path": t.path, "body": {"title": "x"}} for t in MIGRATED]

    def parity_report(lines: list[dict[str, Any]], *flags: str) -> str:
        requests = tmp_path / "requests.jsonl"
        requests.write_text("\n".join(json.dumps(line) for line in lines))
        out = io.StringIO()
        argv = ["--legacy", legacy.url, "--new", new.url, "--requests", str(requests), *flags]
        parity_main(
            [*argv, "--header", f"Authorization: {TOKEN}", "--format", "json"],
            out=out,
            err=io.StringIO(),
        )
        path = tmp_path / "parity.json"
        path.write_text(out.getvalue())
        return str(path)

    read_only = parity_report([{"method": "GET", "path": path} for path in reads])
    partial = run(aws, "set", "10", "--stage", "dev", "--parity-report", read_only)
    assert partial.code == 1
    uncovered = [t.key for t in MIGRATED if t.key not in ("GET /api/tasks", "GET /api/tasks/{id}")]
    assert (
        f"leaves 8 of 10 migrated route(s) without a compared request: {', '.join(uncovered)};"
        in partial.err
    )
    # Writes in the file but not sent (no --allow-writes) are not coverage either.
    skipped = run(aws, "set", "10", "--stage", "dev", "--parity-report", parity_report(every_route))
    assert "leaves 5 of 10 migrated route(s) without a compared request: PUT" in skipped.err
    assert kvs.updates() == []

    full = parity_report(every_route, "--allow-writes")
    clean = run(aws, "set", "10", "--stage", "dev", "--parity-report", full)
    assert clean.code == 0, clean.err
    assert clean.out.startswith("parity gate: passed (10 of 10 migrated route(s) compared, at")

    new.tasks[sorted(TASKS)[0]]["status"] = "done"
    dirty_report = parity_report([{"method": "GET", "path": path} for path in reads])
    dirty = run(aws, "set", "20", "--stage", "dev", "--parity-report", dirty_report)
    assert dirty.code == 1
    assert "GET /api/tasks 100% mismatches (first at $.items[*].status)" in dirty.err
    assert "GET /api/tasks/{id} 50% mismatches (first at $.status)" in dirty.err
    assert kvs.values["weight"] == "10"
