"""``cutover ... --local``: the file-backed KeyValueStore that tools/local/edge reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from lambda_src.cutover_rollback.weight_store import WeightStore
from tests.edge.test_cutover_cli import run
from tools.local.edge.store import FileKeyValueStore


def local(store: Path, *argv: str) -> tuple[int, str, str]:
    result = run(None, *argv, "--local", "--local-store", str(store))
    return result.code, result.out, result.err


def values(store: Path) -> dict[str, str]:
    document: dict[str, dict[str, str]] = json.loads(store.read_text())
    return document["values"]


def test_set_status_rollback_act_on_the_file_without_aws(tmp_path: Path) -> None:
    store = tmp_path / "edge" / "kvs.json"
    code, out, err = local(store, "status")
    assert (code, err) == (0, "")
    assert "weight       0% of /api/* viewers go to the new HTTP API" in out
    assert "alarms       none configured" in out
    raised = local(store, "set", "25", "--no-parity-gate")
    assert raised[:2] == (0, "local: weight 0% -> 25% (kill switch off)\n")
    assert values(store)["weight"] == "25"
    assert values(store)["kill_switch"] == "off"
    code, out, _ = local(store, "rollback")
    assert code == 0
    assert values(store)["weight"] == "0"
    assert values(store)["kill_switch"] == "on"
    assert "rollback by" in values(store)["last_change"]


def test_a_stale_etag_is_a_conflict_and_the_weight_store_retries(tmp_path: Path) -> None:
    store = FileKeyValueStore(tmp_path / "kvs.json")
    store.initialise()
    etag = store.describe_key_value_store(KvsARN=store.arn)["ETag"]
    store.update_keys(KvsARN=store.arn, IfMatch=etag, Puts=[{"Key": "weight", "Value": "5"}])
    with pytest.raises(ClientError) as raised:
        store.update_keys(KvsARN=store.arn, IfMatch=etag, Puts=[{"Key": "weight", "Value": "9"}])
    assert raised.value.response["Error"]["Code"] == "ConflictException"
    assert values(store.path)["weight"] == "5"

    # A writer that lost the race reads again and re-checks: advance never lowers the weight.
    weights = WeightStore(client=store, kvs_arn=store.arn, sleep=lambda _s: None)
    state = weights.advance(3, actor="test")
    assert state.weight == 5
    assert weights.advance(10, actor="test").weight == 10


def test_initialise_keeps_an_existing_store(tmp_path: Path) -> None:
    path = tmp_path / "kvs.json"
    assert local(path, "set", "40", "--no-parity-gate")[0] == 0
    FileKeyValueStore(path).initialise()
    assert values(path)["weight"] == "40"


def test_an_unreadable_store_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "kvs.json"
    path.write_text("{not json")
    code, _out, err = local(path, "set", "10")
    assert code == 1
    assert err.startswith("cutover: error: key value store file://")
    assert len(err.strip().splitlines()) == 1
