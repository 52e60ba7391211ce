"""The automatic rollback function, driven by the event CloudWatch sends for an alarm action."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.data_classes import CloudWatchAlarmEvent

from lambda_src.cutover_rollback import handler as rollback
from lambda_src.cutover_rollback.weight_store import WeightStore
from tests.edge.conftest import KVS_ARN, REGION
from tests.edge.fakes import InMemoryKeyValueStore

ALARM = "Taskly-dev-Edge-RollbackErrorRateAlarm-1A2B3C"


def alarm_event(state: str, previous: str = "OK") -> dict[str, Any]:
    """The payload CloudWatch sends to a Lambda alarm action (documented shape)."""
    return {
        "source": "aws.cloudwatch",
        "alarmArn": f"arn:aws:cloudwatch:{REGION}:123456789012:alarm:{ALARM}",
        "accountId": "123456789012",
        "time": "2026-11-22T08:40:00.000+0000",
        "region": REGION,
        "alarmData": {
            "alarmName": ALARM,
            "state": {
                "value": state,
                "reason": "Threshold Crossed: 2 out of the last 3 datapoints were greater than 5",
                "timestamp": "2026-11-22T08:40:00.000+0000",
            },
            "previousState": {"value": previous, "reason": "", "timestamp": ""},
            "configuration": {"description": "New HTTP API 5xx rate", "metrics": []},
        },
    }


class Context:
    function_name = "rollback"
    memory_limit_in_mb = 256
    invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:rollback"
    aws_request_id = "00000000-0000-0000-0000-000000000000"


def test_an_alarm_entering_alarm_rolls_the_cutover_back(
    kvs: InMemoryKeyValueStore, kvs_client: Any
) -> None:
    kvs.values.update({"weight": "25", "kill_switch": "off"})
    result = rollback.roll_back_on_alarm(
        CloudWatchAlarmEvent(alarm_event("ALARM")), WeightStore(client=kvs_client, kvs_arn=KVS_ARN)
    )
    assert result["rolled_back"] is True
    assert result["weight_before"] == "25"
    assert kvs.values["weight"] == "0"
    assert kvs.values["kill_switch"] == "on"
    assert f"rollback by alarm {ALARM}" in kvs.values["last_change"]


def test_an_alarm_returning_to_ok_changes_nothing(
    kvs: InMemoryKeyValueStore, kvs_client: Any
) -> None:
    kvs.values.update({"weight": "25"})
    result = rollback.roll_back_on_alarm(
        CloudWatchAlarmEvent(alarm_event("OK", previous="ALARM")),
        WeightStore(client=kvs_client, kvs_arn=KVS_ARN),
    )
    assert result == {"rolled_back": False, "reason": "alarm state OK"}
    assert kvs.calls == []


def test_a_second_alarm_keeps_the_first_rollback_record(
    kvs: InMemoryKeyValueStore, kvs_client: Any
) -> None:
    kvs.values.update({"weight": "0", "kill_switch": "on", "last_change": "first alarm"})
    result = rollback.roll_back_on_alarm(
        CloudWatchAlarmEvent(alarm_event("ALARM")), WeightStore(client=kvs_client, kvs_arn=KVS_ARN)
    )
    assert result["rolled_back"] is False
    assert kvs.updates() == []
    assert kvs.values["last_change"] == "first alarm"


def test_the_lambda_entry_point_reads_its_store_from_the_environment(
    kvs: InMemoryKeyValueStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUTOVER_KVS_ARN", KVS_ARN)
    real_client = boto3.client
    monkeypatch.setattr(
        rollback.boto3, "client", lambda name, **kw: kvs.attach(real_client(name, **kw))
    )
    rollback._store.cache_clear()
    try:
        kvs.values.update({"weight": "40"})
        result = rollback.handler(alarm_event("ALARM"), Context())
    finally:
        rollback._store.cache_clear()
    assert result["rolled_back"] is True
    assert kvs.values["weight"] == "0"


def test_a_missing_store_variable_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUTOVER_KVS_ARN", raising=False)
    rollback._store.cache_clear()
    with pytest.raises(RuntimeError, match="CUTOVER_KVS_ARN must hold"):
        rollback.handler(alarm_event("ALARM"), Context())
