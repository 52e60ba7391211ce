"""States of the CloudWatch alarms that guard a cut-over."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from lambda_src.cutover_rollback.weight_store import CutoverError

FIRING = "ALARM"


@dataclass(frozen=True, kw_only=True)
class AlarmState:
    name: str
    state: str
    reason: str

    @property
    def firing(self) -> bool:
        return self.state == FIRING


def alarm_states(cloudwatch: Any, names: tuple[str, ...]) -> list[AlarmState]:
    """Current state of each named alarm, in the given order; unknown names are an error."""
    if not names:
        return []
    found: dict[str, AlarmState] = {}
    try:
        paginator = cloudwatch.get_paginator("describe_alarms")
        pages = paginator.paginate(
            AlarmNames=list(names), AlarmTypes=["MetricAlarm", "CompositeAlarm"]
        )
        for page in pages:
            for alarm in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]:
                found[alarm["AlarmName"]] = AlarmState(
                    name=alarm["AlarmName"],
                    state=alarm["StateValue"],
                    reason=alarm.get("StateReason", ""),
                )
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", "")
        raise CutoverError(f"cannot read alarms {', '.join(names)}: {message}") from error
    missing = [name for name in names if name not in found]
    if missing:
        # Advancing a cut-over while its guard is missing would be flying blind.
        raise CutoverError(f"rollback alarm not found: {', '.join(missing)}")
    return [found[name] for name in names]
