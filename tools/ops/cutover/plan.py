"""A cut-over plan: weights raised step by step over a duration, guarded by the rollback alarms.

The plan only ever raises the weight, and only while every rollback alarm is out of ALARM and
the kill switch is off. While it waits for the next step it keeps watching: an alarm firing
rolls the cut-over back at once (the rollback function does the same, and the two writes agree),
and a kill switch engaged by anyone stops the plan. Re-running a plan resumes it: steps at or
below the current weight are already done.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TextIO

from lambda_src.cutover_rollback.weight_store import (
    MAX_WEIGHT,
    MIN_WEIGHT,
    KillSwitchEngagedError,
    WeightStore,
)
from tools.ops.cutover.alarms import AlarmState

DEFAULT_STEPS = (1, 5, 10, 25, 50, 100)
_DURATION_PART = re.compile(r"(\d+)([dhms])")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_steps(text: str) -> tuple[int, ...]:
    """``"1,5,10"`` -> ``(1, 5, 10)``; steps are strictly increasing weights from 1 to 100."""
    try:
        steps = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"steps must be comma-separated integers, got {text!r}") from None
    if any(not MIN_WEIGHT < step <= MAX_WEIGHT for step in steps):
        raise ValueError(f"steps must be weights from 1 to {MAX_WEIGHT}, got {text!r}")
    if any(later <= earlier for earlier, later in itertools.pairwise(steps)):
        raise ValueError(f"steps must increase, got {text!r}")
    return steps


def parse_duration(text: str) -> timedelta:
    """``"48h"``, ``"90m"``, ``"1d12h"`` -> timedelta."""
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise ValueError(f"duration must look like 48h, 90m or 1d12h, got {text!r}")
    return timedelta(seconds=sum(int(number) * _UNIT_SECONDS[unit] for number, unit in parts))


@dataclass(frozen=True, kw_only=True)
class Step:
    weight: int
    at: datetime


def schedule(
    steps: tuple[int, ...], *, current_weight: int, start: datetime, duration: timedelta
) -> list[Step]:
    """The steps still ahead, the first now and the last at ``start + duration``."""
    remaining = [weight for weight in steps if weight > current_weight]
    if len(remaining) <= 1:
        return [Step(weight=weight, at=start) for weight in remaining]
    interval = duration / (len(remaining) - 1)
    return [Step(weight=w, at=start + index * interval) for index, w in enumerate(remaining)]


def timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%MZ")


def human(span: timedelta) -> str:
    """``9h36m``, ``2d0h01m``, ``5m``."""
    minutes = max(0, round(span.total_seconds() / 60))
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d{hours}h{minutes:02d}m"
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m"


class PlanRunner:
    """Applies a schedule, checking the guards before every step and while waiting."""

    def __init__(
        self,
        *,
        store: WeightStore,
        read_alarms: Callable[[], list[AlarmState]],
        actor: str,
        now: Callable[[], datetime],
        sleep: Callable[[float], None],
        poll_seconds: float,
        out: TextIO,
        gate_refusal: Callable[[], str | None] = lambda: None,
        note: str = "",
    ) -> None:
        self._store = store
        self._read_alarms = read_alarms
        self._actor = actor
        self._now = now
        self._sleep = sleep
        self._poll_seconds = poll_seconds
        self._out = out
        self._gate_refusal = gate_refusal
        # Recorded with every step, e.g. the uncovered routes the operator accepted.
        self._note = note

    def run(self, steps: list[Step]) -> int:
        """0 when every step was applied; 1 when the plan stopped or rolled back."""
        for index, step in enumerate(steps, start=1):
            stopped = self._wait_until(step.at)
            if stopped is not None:
                return stopped
            stopped = self._guard()
            if stopped is not None:
                return stopped
            refusal = self._gate_refusal()
            if refusal is not None:
                # Hold the weight reached so far: the new API has not failed, the evidence aged.
                self._say(f"plan stopped before {step.weight}%: {refusal}")
                return 1
            try:
                state = self._store.advance(
                    step.weight, actor=f"{self._actor} (cutover plan{self._note})"
                )
            except KillSwitchEngagedError as error:
                self._say(f"plan stopped: {error}")
                return 1
            moment = self._now()
            if state.weight is not None and state.weight > step.weight:
                done = f"weight already {state.weight}%, step {step.weight}% skipped"
            else:
                done = f"weight {step.weight}%"
            upcoming = steps[index] if index < len(steps) else None
            after = (
                f"next {upcoming.weight}% at {timestamp(upcoming.at)} "
                f"(in {human(upcoming.at - moment)})"
                if upcoming is not None
                else "cut-over plan complete"
            )
            self._say(f"[{index}/{len(steps)}] {timestamp(moment)} {done}; {after}")
        return 0

    def _wait_until(self, moment: datetime) -> int | None:
        while (current := self._now()) < moment:
            stopped = self._guard()
            if stopped is not None:
                return stopped
            self._sleep(min(self._poll_seconds, (moment - current).total_seconds()))
        return None

    def _guard(self) -> int | None:
        firing = [alarm for alarm in self._read_alarms() if alarm.firing]
        if firing:
            names = ", ".join(alarm.name for alarm in firing)
            self._store.roll_back(actor=f"{self._actor} (cutover plan: {names} in ALARM)")
            self._say(
                f"{timestamp(self._now())} alarm {names} in ALARM ({firing[0].reason}); "
                "rolled back: weight 0, kill switch on"
            )
            return 1
        state = self._store.read()
        if state.kill_switch_engaged:
            self._say(
                f"plan stopped: kill switch engaged ({state.last_change or 'no change recorded'})"
            )
            return 1
        return None

    def _say(self, line: str) -> None:
        print(line, file=self._out, flush=True)
