"""The cutover CLI end to end: real argparse, real boto3 clients, CloudFormation and CloudWatch
from a moto server over HTTP, and the KeyValueStore from tests/edge/fakes.py (no emulator has it).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.edge.conftest import ALARM, KVS_ARN, REGION, REPO, fire
from tests.edge.fakes import InMemoryKeyValueStore
from tools.ops.cutover.cli import main


@dataclass
class Run:
    code: int
    out: str
    err: str


def run(client_factory: Any, *argv: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), client_factory=client_factory, out=out, err=err)
    return Run(code, out.getvalue(), err.getvalue())


def test_status_shows_weight_kill_switch_and_alarms(aws: Any, kvs: InMemoryKeyValueStore) -> None:
    kvs.values.update({"weight": "30", "last_change": "2026-11-22T08:00:00Z weight 30 by alice"})
    result = run(aws, "status", "--stage", "dev")
    assert (result.code, result.err) == (0, "")
    assert "stage        dev (stack Taskly-dev-Edge, eu-west-1)" in result.out
    assert "weight       30% of /api/* viewers go to the new HTTP API" in result.out
    assert "kill switch  off" in result.out
    assert "last change  2026-11-22T08:00:00Z weight 30 by alice" in result.out
    assert f"OK                {ALARM}" in result.out


def test_status_json_for_scripts(aws: Any, kvs: InMemoryKeyValueStore) -> None:
    kvs.values.update({"weight": "30", "kill_switch": "on"})
    fire(aws)
    document = json.loads(run(aws, "status", "--stage", "dev", "--json").out)
    assert document["weight"] == 30
    assert document["kill_switch"] is True
    assert document["effective_weight"] == 0
    assert document["alarms"] == [{"name": ALARM, "state": "ALARM"}]


def test_status_explains_a_malformed_weight(aws: Any, kvs: InMemoryKeyValueStore) -> None:
    kvs.values["weight"] = "30%"
    result = run(aws, "status", "--stage", "dev")
    assert "'30%' is malformed: every viewer stays on legacy" in result.out


def test_set_changes_the_weight_and_releases_the_kill_switch(
    aws: Any, kvs: InMemoryKeyValueStore, parity_report: Path
) -> None:
    kvs.values.update({"weight": "0", "kill_switch": "on"})
    result = run(aws, "set", "25", "--stage", "dev", "--parity-report", str(parity_report))
    assert result.code == 0, result.err
    gate, change = result.out.splitlines()
    assert gate.startswith(
        "parity gate: passed (10 of 10 migrated route(s) compared, at or below 0% in "
        f"{parity_report}"
    )
    assert change == "dev: weight 0% (kill switch on) -> 25% (kill switch off)"
    assert (kvs.values["weight"], kvs.values["kill_switch"]) == ("25", "off")


def test_set_refuses_to_raise_the_weight_while_an_alarm_fires(
    aws: Any, kvs: InMemoryKeyValueStore, parity_report: Path
) -> None:
    fire(aws)
    result = run(aws, "set", "50", "--stage", "dev")
    assert result.code == 1
    assert result.err == (
        f"cutover: error: rollback alarm {ALARM} is in ALARM; fix the cause first or pass --force\n"
    )
    assert kvs.updates() == []
    forced = run(
        aws, "set", "50", "--stage", "dev", "--force", "--parity-report", str(parity_report)
    )
    assert forced.code == 0
    assert kvs.values["weight"] == "50"


def test_rollback_sends_everyone_to_legacy_at_once(aws: Any, kvs: InMemoryKeyValueStore) -> None:
    kvs.values.update({"weight": "60"})
    result = run(aws, "rollback", "--stage", "dev")
    assert result.code == 0, result.err
    assert "rolled back, every viewer on legacy (weight 0, kill switch on; was 60%)" in result.out
    assert (kvs.values["weight"], kvs.values["kill_switch"]) == ("0", "on")
    assert len(kvs.updates()) == 1


def test_rollback_twice_keeps_the_first_record(aws: Any, kvs: InMemoryKeyValueStore) -> None:
    kvs.values.update({"weight": "0", "kill_switch": "on", "last_change": "rollback by alarm X"})
    result = run(aws, "rollback", "--stage", "dev")
    assert (result.code, result.out) == (0, "dev: already rolled back (rollback by alarm X)\n")
    assert kvs.updates() == []


def test_explicit_arn_and_alarm_skip_the_stack_lookup(
    moto: str, kvs: InMemoryKeyValueStore
) -> None:
    calls: list[str] = []

    def client(service: str, region: str | None = None) -> Any:
        calls.append(service)
        if service == "cloudfront-keyvaluestore":
            return kvs.attach(boto3.client(service, region_name=REGION))
        return boto3.client(service, region_name=REGION, endpoint_url=moto)

    boto3.client("cloudwatch", region_name=REGION, endpoint_url=moto).put_metric_alarm(
        AlarmName="other",
        Namespace="N",
        MetricName="M",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )
    result = run(client, "status", "--stage", "prod", "--kvs-arn", KVS_ARN, "--alarm", "other")
    assert result.code == 0, result.err
    assert "stage        prod (arguments, eu-west-1)" in result.out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["set", "150", "--stage", "dev"],
            "argument weight: weight must be an integer from 0 to 100, got '150'",
        ),
        (
            ["set", "-1", "--stage", "dev"],
            "argument weight: weight must be an integer from 0 to 100, got '-1'",
        ),
        (
            ["set", "ten", "--stage", "dev"],
            "argument weight: weight must be an integer from 0 to 100, got 'ten'",
        ),
        (
            ["status", "--stage", "qa"],
            "argument --stage: unknown stage 'qa'; choose one of dev, staging, prod",
        ),
        (["status"], "one of the arguments --stage --local is required"),
        (
            ["plan", "--stage", "dev", "--steps", "5,1"],
            "argument --steps: steps must increase, got '5,1'",
        ),
        (
            ["plan", "--stage", "dev", "--over", "2 days"],
            "argument --over: duration must look like 48h, 90m or 1d12h, got '2 days'",
        ),
        (
            ["plan", "--stage", "dev", "--poll", "0"],
            "argument --poll: poll must be 1 to 3600 seconds, got '0'",
        ),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_bad_arguments_get_one_line_and_exit_2(argv: list[str], message: str) -> None:
    def no_aws(service: str, region: str | None = None) -> Any:
        raise AssertionError("bad arguments must fail before any AWS call")

    result = run(no_aws, *argv)
    assert (result.code, result.out) == (2, "")
    assert result.err == f"cutover: error: {message}\n"


def test_a_stage_that_was_never_deployed_is_one_line(moto: str) -> None:
    def client(service: str, region: str | None = None) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=moto)

    result = run(client, "status", "--stage", "staging")
    assert result.code == 1
    assert result.err == (
        "cutover: error: stack Taskly-staging-Edge not found in eu-west-1: deploy the edge "
        "stack, check --region, or pass --kvs-arn\n"
    )


def test_a_missing_store_is_one_line(aws: Any, kvs: InMemoryKeyValueStore) -> None:
    gone = KVS_ARN.replace("0f1e2d3c", "deadbeef")
    result = run(aws, "status", "--stage", "dev", "--kvs-arn", gone)
    assert result.code == 1
    assert result.err == f"cutover: error: key value store {gone} not found\n"


def test_missing_credentials_are_one_line_from_the_real_command() -> None:
    # A real process with no credentials anywhere: botocore gives up before any request.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") or key == "AWS_EC2_METADATA_DISABLED"
    }
    env.update(
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONPATH=str(REPO),
    )
    result = subprocess.run(
        [sys.executable, "-m", "tools.ops.cutover", "status", "--stage", "dev", "--region", REGION],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "cutover: error: no AWS credentials found; set AWS_PROFILE or run: aws sso login\n"
    )
