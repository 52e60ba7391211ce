"""Where the cutover CLI looks for its region, and the plan's dry run needing nothing at all.

Region: the AWS CLI reads ``--region``, then ``AWS_REGION``, then ``AWS_DEFAULT_REGION``, then
the profile; botocore alone skips ``AWS_REGION``. The edge stack exists in moto's ap-south-1
only, and every botocore client goes to the moto server (``AWS_ENDPOINT_URL``), so a tool that
picked another region would not find it.
"""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from pytest_socket import disable_socket, enable_socket

from tests.edge.conftest import deploy_edge
from tests.edge.fakes import InMemoryKeyValueStore
from tests.edge.test_cutover_cli import run
from tests.parity.reports import write_parity_report
from tools.ops.cutover.cli import default_client_factory, main

STACK_REGION = "ap-south-1"


@pytest.fixture
def edge_in_ap_south_1(moto: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto)
    deploy_edge(lambda service: boto3.client(service, region_name=STACK_REGION))


@pytest.mark.parametrize(
    ("env", "args"),
    [
        ({"AWS_REGION": STACK_REGION, "AWS_DEFAULT_REGION": "eu-west-1"}, []),
        ({"AWS_DEFAULT_REGION": STACK_REGION}, []),
        (
            {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"},
            ["--region", STACK_REGION],
        ),
    ],
    ids=["AWS_REGION before AWS_DEFAULT_REGION", "AWS_DEFAULT_REGION", "--region before both"],
)
def test_the_region_is_chosen_as_the_aws_cli_does(
    edge_in_ap_south_1: None,
    kvs: InMemoryKeyValueStore,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    args: list[str],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    used: list[tuple[str, str | None]] = []

    def clients(service: str, region: str | None) -> Any:
        used.append((service, region))
        client = default_client_factory(service, region)
        # No emulator implements the KeyValueStore API: keep the real client, answer in memory.
        return kvs.attach(client) if service == "cloudfront-keyvaluestore" else client

    result = run(clients, "status", "--stage", "dev", *args)
    assert result.code == 0, result.err
    assert f"stage        dev (stack Taskly-dev-Edge, {STACK_REGION})" in result.out
    assert used == [
        ("cloudformation", STACK_REGION),
        ("cloudfront-keyvaluestore", STACK_REGION),
        ("cloudwatch", STACK_REGION),
    ]


def test_plan_dry_run_is_offline_and_needs_no_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    created: list[str] = []

    def clients(service: str, region: str | None) -> Any:
        created.append(service)
        return default_client_factory(service, region)

    out, err = io.StringIO(), io.StringIO()
    disable_socket(allow_unix_socket=False)
    try:
        code = main(
            ["plan", "--stage", "prod", "--dry-run", "--steps", "5,50,100", "--over", "2h"],
            client_factory=clients,
            out=out,
            err=err,
        )
    finally:
        enable_socket()
    assert (code, err.getvalue(), created) == (0, "", [])
    lines = out.getvalue().splitlines()
    assert lines[0] == (
        "prod (dry run, from 0%: the store is not read, see --from-weight; nothing read or "
        "written): 3 steps over 2h00m, "
        "watching the rollback alarms of Taskly-prod-Edge"
    )
    assert [line.split(" at ")[0] for line in lines[1:4]] == [
        "  step 1:   5%",
        "  step 2:  50%",
        "  step 3: 100%",
    ]
    assert lines[4].startswith("parity gate: raising the weight needs a parity report")
    assert lines[4].endswith("(a real run would refuse to raise the weight)")


def test_plan_dry_run_from_a_weight_shows_the_gate_verdict(tmp_path: Path) -> None:
    report = write_parity_report(
        tmp_path / "p.json",
        generated_at=datetime.now(UTC),
        mismatch_rates={"GET /api/tasks": 12.5},
    )
    out = io.StringIO()
    code = main(
        ["plan", "--local", "--dry-run", "--from-weight", "25", "--parity-report", str(report)],
        out=out,
        err=io.StringIO(),
    )
    assert code == 0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(
        "local (dry run, from 25%: --from-weight; nothing read or written): 2 steps"
    )
    assert lines[0].endswith("watching no alarms (local)")
    assert "GET /api/tasks 12.5% mismatches" in lines[-1]
    assert lines[-1].endswith("(a real run would refuse to raise the weight)")


def test_a_local_dry_run_starts_from_the_stored_weight(tmp_path: Path) -> None:
    """The local store is a file: the dry run reads it (and writes nothing) instead of
    claiming `from 0%` while the local edge sends half the viewers to the new API."""
    store = tmp_path / "kvs.json"
    assert main(["set", "--local", "--local-store", str(store), "50", "--no-parity-gate"],
                out=io.StringIO(), err=io.StringIO()) == 0  # fmt: skip
    before = store.read_bytes()
    out = io.StringIO()
    code = main(
        ["plan", "--local", "--local-store", str(store), "--dry-run", "--no-parity-gate"],
        out=out,
        err=io.StringIO(),
    )
    assert code == 0
    first = out.getvalue().splitlines()[0]
    assert first.startswith(f"local (dry run, from 50%: stored in {store}; nothing written): ")
    assert ": 1 step over " in first  # of the default steps, only 100 is above 50
    assert store.read_bytes() == before


def test_set_help_names_every_option_it_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    """--local-store is accepted, so --help documents it rather than hiding it."""
    with pytest.raises(SystemExit) as exit_info:
        main(["set", "--help"])
    assert exit_info.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--local-store FILE" in help_text
    assert "another state directory's store" in help_text
