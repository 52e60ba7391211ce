"""Automatic cut-over rollback: a CloudWatch alarm on the new API's 5xx rate invokes this.

CloudWatch invokes the function directly (alarm Lambda action) when the alarm enters ALARM.
It sends every viewer back to the legacy origin with one conditional KeyValueStore write
(weight 0, kill switch on), the same write ``python -m tools.ops.cutover rollback`` makes.
Its role may only touch that one store.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import CloudWatchAlarmEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from .weight_store import WeightStore

KVS_ARN_VARIABLE = "CUTOVER_KVS_ARN"

logger = Logger(service="cutover-rollback")


@cache
def _store() -> WeightStore:
    kvs_arn = os.environ.get(KVS_ARN_VARIABLE, "")
    if not kvs_arn.startswith("arn:"):
        raise RuntimeError(f"{KVS_ARN_VARIABLE} must hold the cut-over KeyValueStore ARN")
    return WeightStore(client=boto3.client("cloudfront-keyvaluestore"), kvs_arn=kvs_arn)


def roll_back_on_alarm(event: CloudWatchAlarmEvent, store: WeightStore) -> dict[str, Any]:
    """Roll the cut-over back when ``event`` reports an alarm entering ALARM."""
    alarm = event.alarm_data
    if alarm.state.value != "ALARM":
        logger.info("alarm is not firing; nothing to do", extra={"state": alarm.state.value})
        return {"rolled_back": False, "reason": f"alarm state {alarm.state.value}"}
    before = store.read()
    if before.is_rolled_back:
        # Keep the first rollback's record: it says which alarm fired first.
        logger.info("already rolled back", extra={"last_change": before.last_change})
        return {"rolled_back": False, "reason": "already rolled back"}
    after = store.roll_back(actor=f"alarm {alarm.alarm_name}")
    logger.warning(
        "cut-over rolled back to legacy",
        extra={
            "alarm": alarm.alarm_name,
            "alarm_reason": alarm.state.reason,
            "weight_before": before.raw_weight,
            "etag": after.etag,
        },
    )
    return {"rolled_back": True, "weight_before": before.raw_weight, "etag": after.etag}


@logger.inject_lambda_context
@event_source(data_class=CloudWatchAlarmEvent)
def handler(event: CloudWatchAlarmEvent, context: LambdaContext) -> dict[str, Any]:
    return roll_back_on_alarm(event, _store())
