"""cutover plan: the schedule, the guards while it waits, and stopping or rolling back.

Time is simulated (a clock whose sleep advances it); everything else is as in
test_cutover_cli.py: moto server for CloudFormation/CloudWatch, fake KeyValueStore.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.edge.conftest import ALARM, fire
from tests.edge.fakes import InMemoryKeyValueStore
from tests.parity.reports import write_parity_report
from tools.ops.cutover.cli import main
from tools.ops.cutover.plan import human, parse_duration, parse_steps, schedule

START = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


class Clock:
    """Simulated time: sleeping advances it and runs the events that fall due."""

    def __init__(self) -> None:
        self.now = START
        self.events: list[tuple[datetime, Callable[[], None]]] = []

    def __call__(self) -> datetime:
        return self.now

    def at(self, offset: timedelta, event: Callable[[], None]) -> None:
        self.events.append((START + offset, event))

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += timedelta(seconds=seconds)
        for due, event in [e for e in self.events if e[0] <= self.now]:
            self.events.remove((due, event))
            event()


@pytest.fixture
def report(tmp_path: Path) -> Path:
    """A clean parity report made an hour before the simulated clock starts."""
    return write_parity_report(tmp_path / "parity.json", generated_at=START - timedelta(hours=1))


def plan(aws: Any, clock: Clock, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["plan", "--stage", "dev", *extra],
        client_factory=aws,
        now=clock,
        sleep=clock.sleep,
        out=out,
        err=err,
    )
    return code, out.getvalue(), err.getvalue()


def test_schedule_spreads_the_steps_over_the_duration() -> None:
    steps = schedule(
        (1, 5, 10, 25, 50, 100), current_weight=0, start=START, duration=parse_duration("48h")
    )
    assert [(s.weight, s.at - START) for s in steps] == [
        (1, timedelta(0)),
        (5, timedelta(hours=9, minutes=36)),
        (10, timedelta(hours=19, minutes=12)),
        (25, timedelta(hours=28, minutes=48)),
        (50, timedelta(hours=38, minutes=24)),
        (100, timedelta(hours=48)),
    ]


def test_schedule_resumes_above_the_current_weight() -> None:
    steps = schedule(
        (1, 5, 10, 25, 50, 100), current_weight=10, start=START, duration=timedelta(hours=2)
    )
    assert [(s.weight, s.at - START) for s in steps] == [
        (25, timedelta(0)),
        (50, timedelta(hours=1)),
        (100, timedelta(hours=2)),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("48h", timedelta(hours=48)),
        ("90m", timedelta(minutes=90)),
        ("1d12h", timedelta(hours=36)),
        ("45s", timedelta(seconds=45)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "48", "h", "2 days", "1h-5m", "-1h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration must look like"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["0,5", "5,5", "10,5", "1,101", "a,b", ""])
def test_bad_steps(text: str) -> None:
    with pytest.raises(ValueError, match="steps"):
        parse_steps(text)


@pytest.mark.parametrize(
    ("minutes", "text"), [(0, "0m"), (5, "5m"), (60, "1h00m"), (576, "9h36m"), (2881, "2d0h01m")]
)
def test_human_durations(minutes: int, text: str) -> None:
    assert human(timedelta(minutes=minutes)) == text


def test_dry_run_prints_the_schedule_and_writes_nothing(
    aws: Any, kvs: InMemoryKeyValueStore, report: Path
) -> None:
    code, out, err = plan(
        aws, Clock(), "--over", "48h", "--dry-run", "--parity-report", str(report)
    )
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "dev (dry run, from 0%: the store is not read, see --from-weight; nothing read or "
        "written): 6 steps over 2d0h00m, "
        "watching the rollback alarms of Taskly-dev-Edge",
        "  step 1:   1% at 2026-11-22T08:00Z",
        "  step 2:   5% at 2026-11-22T17:36Z",
        "  step 3:  10% at 2026-11-23T03:12Z",
        "  step 4:  25% at 2026-11-23T12:48Z",
        "  step 5:  50% at 2026-11-23T22:24Z",
        "  step 6: 100% at 2026-11-24T08:00Z",
        "parity gate: passed (10 of 10 migrated route(s) compared, at or below 0% in "
        f"{report}, 1h00m old)",
    ]
    assert kvs.updates() == []


def test_a_quiet_plan_reaches_100_step_by_step(
    aws: Any, kvs: InMemoryKeyValueStore, report: Path
) -> None:
    clock = Clock()
    code, out, err = plan(
        aws, clock, "--parity-report", str(report), "--over", "50m", "--poll", "60"
    )
    assert (code, err) == (0, "")
    assert [update["Puts"][0]["Value"] for update in kvs.updates()] == [
        "1",
        "5",
        "10",
        "25",
        "50",
        "100",
    ]
    assert kvs.values["weight"] == "100"
    assert clock.now == START + timedelta(minutes=50)
    lines = out.splitlines()
    assert lines[7].startswith("parity gate: passed (10 of 10 migrated route(s) compared")
    assert lines[8] == "[1/6] 2026-11-22T08:00Z weight 1%; next 5% at 2026-11-22T08:10Z (in 10m)"
    assert lines[-1] == "[6/6] 2026-11-22T08:50Z weight 100%; cut-over plan complete"


def test_an_alarm_while_waiting_rolls_back_and_stops(
    aws: Any, kvs: InMemoryKeyValueStore, report: Path
) -> None:
    clock = Clock()
    clock.at(timedelta(minutes=14, seconds=30), lambda: fire(aws))
    code, out, _ = plan(aws, clock, "--parity-report", str(report), "--over", "50m", "--poll", "60")
    assert code == 1
    assert [update["Puts"][0]["Value"] for update in kvs.updates()] == ["1", "5", "0"]
    assert (kvs.values["weight"], kvs.values["kill_switch"]) == ("0", "on")
    assert "in ALARM (5xx at 9%); rolled back: weight 0, kill switch on" in out.splitlines()[-1]
    # Noticed at the first poll after the alarm fired, not at the next step.
    assert clock.now == START + timedelta(minutes=15)


def test_a_kill_switch_engaged_elsewhere_stops_the_plan(
    aws: Any, kvs: InMemoryKeyValueStore, report: Path
) -> None:
    clock = Clock()
    clock.at(
        timedelta(minutes=25),
        lambda: kvs.write_concurrently(weight="0", kill_switch="on", last_change="rollback by bob"),
    )
    code, out, _ = plan(aws, clock, "--parity-report", str(report), "--over", "50m", "--poll", "60")
    assert code == 1
    assert out.splitlines()[-1] == "plan stopped: kill switch engaged (rollback by bob)"
    assert [update["Puts"][0]["Value"] for update in kvs.updates()] == ["1", "5", "10"]
    assert kvs.values["weight"] == "0"


def test_a_plan_will_not_start_while_the_kill_switch_is_engaged(
    aws: Any, kvs: InMemoryKeyValueStore
) -> None:
    kvs.values.update({"weight": "0", "kill_switch": "on", "last_change": "rollback by alarm X"})
    code, out, err = plan(aws, Clock())
    assert (code, out) == (1, "")
    assert err == (
        "cutover: error: kill switch is engaged (rollback by alarm X); investigate, then "
        "release it with: set <weight>\n"
    )


def test_an_alarm_already_firing_stops_the_first_step(
    aws: Any, kvs: InMemoryKeyValueStore, report: Path
) -> None:
    fire(aws)
    code, _, _ = plan(aws, Clock(), "--parity-report", str(report), "--over", "1h")
    assert code == 1
    assert [update["Puts"][0]["Value"] for update in kvs.updates()] == ["0"]


def test_a_resumed_plan_starts_above_the_current_weight(
    aws: Any, kvs: InMemoryKeyValueStore, report: Path
) -> None:
    kvs.values["weight"] = "25"
    code, out, _ = plan(aws, Clock(), "--parity-report", str(report), "--over", "20m")
    assert code == 0
    assert out.splitlines()[0] == f"dev: 2 steps from 25% over 20m, watching {ALARM}"
    assert [update["Puts"][0]["Value"] for update in kvs.updates()] == ["50", "100"]


def test_nothing_left_to_do_at_100(aws: Any, kvs: InMemoryKeyValueStore) -> None:
    kvs.values["weight"] = "100"
    code, out, _ = plan(aws, Clock())
    assert (code, out) == (0, "dev: weight is 100%; no step left\n")
