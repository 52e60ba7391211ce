"""The shared KeyValueStore logic: the edge's interpretation of values, ETags, conflict retries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from lambda_src.cutover_rollback.weight_store import (
    CutoverError,
    CutoverState,
    KillSwitchEngagedError,
    StoreNotFoundError,
    WeightStore,
    parse_weight,
)
from tests.edge.conftest import KVS_ARN, REGION
from tests.edge.fakes import InMemoryKeyValueStore

NOW = datetime(2026, 11, 22, 8, 40, tzinfo=UTC)


def store_for(client: Any, **kwargs: Any) -> WeightStore:
    sleeps: list[float] = []
    return WeightStore(
        client=client, kvs_arn=KVS_ARN, sleep=sleeps.append, now=lambda: NOW, **kwargs
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", 0),
        ("7", 7),
        ("30", 30),
        ("100", 100),
        (None, None),
        ("", None),
        ("101", None),
        ("-1", None),
        ("030", None),
        (" 30", None),
        ("30%", None),
        ("3.5", None),
        ("1e2", None),
    ],
)
def test_weights_are_read_exactly_as_the_edge_function_reads_them(
    raw: str | None, expected: int | None
) -> None:
    assert parse_weight(raw) == expected


@pytest.mark.parametrize(
    ("weight", "kill_switch", "effective"),
    [
        ("30", "off", 30),
        ("30", None, 30),
        ("30", "on", 0),
        ("30", "maybe", 0),
        ("abc", "off", 0),
        (None, "off", 0),
    ],
)
def test_effective_weight_matches_the_edge(
    weight: str | None, kill_switch: str | None, effective: int
) -> None:
    state = CutoverState(etag="E", raw_weight=weight, raw_kill_switch=kill_switch, last_change=None)
    assert state.effective_weight == effective


def test_read_returns_the_values_and_the_etag(kvs: InMemoryKeyValueStore, kvs_client: Any) -> None:
    kvs.values.update({"weight": "25", "last_change": "x"})
    state = store_for(kvs_client).read()
    assert (state.etag, state.weight, state.kill_switch_engaged) == (kvs.etag, 25, False)
    assert [name for name, _ in kvs.calls] == ["DescribeKeyValueStore", "ListKeys"]


def test_set_weight_writes_with_the_etag_it_read(
    kvs: InMemoryKeyValueStore, kvs_client: Any
) -> None:
    etag = kvs.etag
    state = store_for(kvs_client).set_weight(25, actor="alice (cutover set)")
    assert state.weight == 25
    assert kvs.values == {
        "weight": "25",
        "kill_switch": "off",
        "last_change": "2026-11-22T08:40:00Z weight 25 by alice (cutover set)",
    }
    assert kvs.updates()[0]["IfMatch"] == etag


def test_a_conflicting_write_is_retried_against_fresh_state(
    kvs: InMemoryKeyValueStore, kvs_client: Any
) -> None:
    kvs.before_update = lambda fake: fake.write_concurrently(weight="10")
    state = store_for(kvs_client).set_weight(25, actor="alice")
    assert state.weight == 25
    updates = kvs.updates()
    assert len(updates) == 2
    assert updates[0]["IfMatch"] != updates[1]["IfMatch"], "the retry must use the new ETag"
    assert kvs.values["weight"] == "25"


def test_a_step_never_undoes_a_rollback_that_happened_in_between(
    kvs: InMemoryKeyValueStore, kvs_client: Any
) -> None:
    # Given a plan step about to write 25, when the rollback function wins the race,
    # then the step's retry sees the kill switch and stops instead of writing 25.
    kvs.before_update = lambda fake: fake.write_concurrently(weight="0", kill_switch="on")
    with pytest.raises(KillSwitchEngagedError, match="kill switch is engaged"):
        store_for(kvs_client).advance(25, actor="plan")
    assert kvs.values["weight"] == "0"
    assert kvs.values["kill_switch"] == "on"


def test_advance_never_lowers_the_weight(kvs: InMemoryKeyValueStore, kvs_client: Any) -> None:
    kvs.values["weight"] = "50"
    state = store_for(kvs_client).advance(25, actor="plan")
    assert state.weight == 50
    assert kvs.updates() == []


def test_roll_back_sets_weight_zero_and_the_kill_switch_in_one_write(
    kvs: InMemoryKeyValueStore, kvs_client: Any
) -> None:
    kvs.values.update({"weight": "60"})
    state = store_for(kvs_client).roll_back(actor="alarm Taskly-dev-Edge-Rollback")
    assert state.is_rolled_back
    assert len(kvs.updates()) == 1
    assert kvs.values["weight"] == "0"
    assert kvs.values["kill_switch"] == "on"
    assert kvs.values["last_change"].endswith("rollback by alarm Taskly-dev-Edge-Rollback")


def test_roll_back_keeps_the_first_rollback_record(
    kvs: InMemoryKeyValueStore, kvs_client: Any
) -> None:
    # Given the alarm function rolled back while a plan was about to, the plan's rollback
    # must not overwrite the record of who rolled back first.
    kvs.values.update({"weight": "40"})
    kvs.before_update = lambda fake: fake.write_concurrently(
        weight="0", kill_switch="on", last_change="rollback by alarm X"
    )
    state = store_for(kvs_client).roll_back(actor="alice (cutover plan)")
    assert state.is_rolled_back
    assert kvs.values["last_change"] == "rollback by alarm X"
    assert len(kvs.updates()) == 1, "the losing write is not retried"


def test_conflicts_that_never_end_give_up_with_one_line(
    kvs: InMemoryKeyValueStore, kvs_client: Any
) -> None:
    store = store_for(kvs_client, max_attempts=3)
    kvs.always_conflict = True
    with pytest.raises(CutoverError, match="kept changing during 3 attempts") as raised:
        store.set_weight(10, actor="alice")
    assert len(kvs.updates()) == 3
    assert "\n" not in str(raised.value)


def test_a_missing_store_is_reported_by_arn(kvs_client: Any) -> None:
    other = KVS_ARN.replace("0f1e2d3c", "deadbeef")
    with pytest.raises(StoreNotFoundError, match=f"key value store {other} not found"):
        WeightStore(client=kvs_client, kvs_arn=other).read()


def test_access_denied_is_one_line(kvs: InMemoryKeyValueStore, kvs_client: Any) -> None:
    kvs.fail_next["UpdateKeys"] = "AccessDeniedException"
    with pytest.raises(CutoverError, match="access denied to key value store"):
        store_for(kvs_client).roll_back(actor="alice")


@pytest.mark.parametrize("weight", [-1, 101, True, 2.5])
def test_out_of_range_weights_are_refused_before_any_call(
    kvs: InMemoryKeyValueStore, kvs_client: Any, weight: Any
) -> None:
    with pytest.raises(CutoverError, match="weight must be an integer from 0 to 100"):
        store_for(kvs_client).set_weight(weight, actor="alice")
    assert kvs.calls == []


def test_the_wire_requests_carry_if_match_from_describe() -> None:
    # The exact request sequence against botocore's Stubber: ETag from DescribeKeyValueStore
    # goes into UpdateKeys' If-Match, and a 409 makes the store read and write again.
    client = boto3.client("cloudfront-keyvaluestore", region_name=REGION)
    stubber = Stubber(client)
    described = {"KvsARN": KVS_ARN, "Created": NOW, "ItemCount": 2, "TotalSizeInBytes": 20}
    items = {"Items": [{"Key": "weight", "Value": "5"}, {"Key": "kill_switch", "Value": "off"}]}
    puts = [
        {"Key": "weight", "Value": "10"},
        {"Key": "kill_switch", "Value": "off"},
        {"Key": "last_change", "Value": "2026-11-22T08:40:00Z weight 10 by bob"},
    ]
    stubber.add_response(
        "describe_key_value_store", {**described, "ETag": "E1"}, {"KvsARN": KVS_ARN}
    )
    stubber.add_response("list_keys", items, {"KvsARN": KVS_ARN})
    stubber.add_client_error(
        "update_keys",
        service_error_code="ConflictException",
        http_status_code=409,
        expected_params={"KvsARN": KVS_ARN, "IfMatch": "E1", "Puts": puts},
    )
    stubber.add_response(
        "describe_key_value_store", {**described, "ETag": "E2"}, {"KvsARN": KVS_ARN}
    )
    stubber.add_response("list_keys", items, {"KvsARN": KVS_ARN})
    stubber.add_response(
        "update_keys",
        {"ETag": "E3", "ItemCount": 3, "TotalSizeInBytes": 60},
        {"KvsARN": KVS_ARN, "IfMatch": "E2", "Puts": puts},
    )
    with stubber:
        state = store_for(client).set_weight(10, actor="bob")
    stubber.assert_no_pending_responses()
    assert state.etag == "E3"
