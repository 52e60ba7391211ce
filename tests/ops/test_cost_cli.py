"""The real ``python -m tools.ops.cost`` command: formats, --against, and one-line errors.

Runs the CLI as a subprocess, the way `make cost` and CI run it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ops.conftest import TEST_PRICES, WriteAssembly, resource

REPO = Path(__file__).resolve().parents[2]

NAT = resource("AWS::EC2::NatGateway")
ENDPOINT = resource(
    "AWS::EC2::VPCEndpoint",
    VpcEndpointType="Interface",
    ServiceName="com.amazonaws.x.sqs",
    SubnetIds=["subnet-a", "subnet-b"],
)


def run_cost(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "tools.ops.cost", "--prices", str(TEST_PRICES), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_json_report_has_the_totals(write_assembly: WriteAssembly) -> None:
    cdk_out = write_assembly({"Taskly-dev-Network": {"Nat": NAT, "Endpoint": ENDPOINT}})

    result = run_cost("--cdk-out", cdk_out, "--format", "json", "--requests-per-day", "1000")

    assert result.returncode == 0, result.stderr
    [stage] = json.loads(result.stdout)["stages"]
    assert stage["stage"] == "dev"
    assert stage["fixed_monthly_usd"] == pytest.approx(720 * 0.05 + 2 * 720 * 0.01)  # 50.40
    assert stage["requests_per_month"] == pytest.approx(30_000)
    assert stage["not_priced"] == []


def test_text_and_markdown_reports_show_each_line(write_assembly: WriteAssembly) -> None:
    cdk_out = write_assembly(
        {"Taskly-dev-Network": {"Nat": NAT, "Mystery": resource("AWS::Foo::Bar")}}
    )

    text = run_cost("--cdk-out", cdk_out)
    markdown = run_cost("--cdk-out", cdk_out, "--format", "markdown")

    assert text.returncode == 0, text.stderr
    assert "== Stage dev ==" in text.stdout
    assert "$36.00" in text.stdout
    assert "AWS::Foo::Bar" in text.stdout  # not priced, still shown
    assert markdown.returncode == 0, markdown.stderr
    assert "### Stage `dev`" in markdown.stdout
    assert "| Network " in markdown.stdout  # a GitHub table row
    assert "<details><summary>Assumptions</summary>" in markdown.stdout


def test_stage_filter(write_assembly: WriteAssembly) -> None:
    cdk_out = write_assembly(
        {"Taskly-dev-Network": {"Nat": NAT}, "Taskly-prod-Network": {"Nat": NAT}}
    )

    result = run_cost("--cdk-out", cdk_out, "--stage", "prod", "--format", "json")

    assert result.returncode == 0, result.stderr
    assert [s["stage"] for s in json.loads(result.stdout)["stages"]] == ["prod"]


def test_against_prints_the_change(write_assembly: WriteAssembly) -> None:
    # Given a base synth with a NAT gateway and a new synth that adds an interface endpoint
    base = write_assembly({"Taskly-dev-Network": {"Nat": NAT}}, name="base")
    head = write_assembly({"Taskly-dev-Network": {"Nat": NAT, "Endpoint": ENDPOINT}}, name="head")

    text = run_cost("--cdk-out", head, "--against", base)
    as_json = run_cost("--cdk-out", head, "--against", base, "--format", "json")

    assert text.returncode == 0, text.stderr
    assert "+$14.40" in text.stdout  # 2 AZs x 720 h x $0.01
    assert "Endpoint" in text.stdout
    [stage] = json.loads(as_json.stdout)["stages"]
    assert stage["change"]["fixed_monthly_usd"] == pytest.approx(14.4)
    assert stage["base"]["fixed_monthly_usd"] == pytest.approx(36)


def test_against_marks_new_stages(write_assembly: WriteAssembly) -> None:
    base = write_assembly({"Taskly-dev-Network": {"Nat": NAT}}, name="base")
    head = write_assembly(
        {"Taskly-dev-Network": {"Nat": NAT}, "Taskly-prod-Network": {"Nat": NAT}}, name="head"
    )

    result = run_cost("--cdk-out", head, "--against", base)

    assert result.returncode == 0, result.stderr
    assert "== Stage prod (new stage) ==" in result.stdout
    assert "No line item changed." in result.stdout  # dev is unchanged


def test_missing_cdk_out_is_one_line(tmp_path: Path) -> None:
    result = run_cost("--cdk-out", tmp_path / "nowhere")

    assert_one_line_error(result, "nowhere does not exist", "make synth")


def test_default_cdk_out_missing_is_one_line(tmp_path: Path) -> None:
    result = run_cost(cwd=tmp_path)

    assert_one_line_error(result, "cdk.out does not exist")


def test_unknown_stage_is_one_line(write_assembly: WriteAssembly) -> None:
    cdk_out = write_assembly({"Taskly-dev-Network": {"Nat": NAT}})

    result = run_cost("--cdk-out", cdk_out, "--stage", "qa")

    assert_one_line_error(result, "stage qa is not in", "found: dev")


@pytest.mark.parametrize("volume", ["-5", "many", "nan", "inf"])
def test_bad_volume_is_one_line(write_assembly: WriteAssembly, volume: str) -> None:
    cdk_out = write_assembly({"Taskly-dev-Network": {"Nat": NAT}})

    result = run_cost("--cdk-out", cdk_out, f"--requests-per-day={volume}")

    assert_one_line_error(result, "--requests-per-day")


def test_broken_manifest_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{not json")

    result = run_cost("--cdk-out", tmp_path)

    assert_one_line_error(result, "manifest", "not valid JSON")


def test_unknown_format_is_one_line(write_assembly: WriteAssembly) -> None:
    cdk_out = write_assembly({"Taskly-dev-Network": {"Nat": NAT}})

    result = run_cost("--cdk-out", cdk_out, "--format", "yaml")

    assert_one_line_error(result, "--format")


def test_invalid_price_file_is_one_line(write_assembly: WriteAssembly, tmp_path: Path) -> None:
    cdk_out = write_assembly({"Taskly-dev-Network": {"Nat": NAT}})
    prices = tmp_path / "prices.toml"
    prices.write_text(TEST_PRICES.read_text().replace("nat_gateway_hour", "nat_gateway_hours"))

    result = run_cost("--cdk-out", cdk_out, "--prices", prices)

    assert_one_line_error(result, "price file", "invalid")


def test_manifest_without_template_file_is_one_line(tmp_path: Path) -> None:
    manifest = {"artifacts": {"Taskly-dev-Network": {"type": "aws:cloudformation:stack"}}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))

    result = run_cost("--cdk-out", tmp_path)

    assert_one_line_error(result, "Taskly-dev-Network has no templateFile")


def test_against_reports_removed_lines_and_new_findings(write_assembly: WriteAssembly) -> None:
    cluster = resource("AWS::DocDB::DBCluster")
    instance = resource(
        "AWS::DocDB::DBInstance",
        DBInstanceClass="db.t4g.medium",
        DBClusterIdentifier={"Ref": "Cluster"},
    )
    base = write_assembly(
        {"Taskly-dev-Data": {"Cluster": cluster, "Instance": instance}}, name="base"
    )
    head = write_assembly({"Taskly-dev-Data": {"Cluster": cluster}}, name="head")

    result = run_cost("--cdk-out", head, "--against", base, "--format", "markdown")

    assert result.returncode == 0, result.stderr
    assert "| -  | Data    | Instance" in result.stdout
    assert "-$72.00" in result.stdout  # 720 h x $0.10
    assert "New finding: Data Cluster: DocumentDB cluster without instances" in result.stdout


def test_an_empty_cdk_out_left_by_a_failed_synth_says_run_make_synth(tmp_path: Path) -> None:
    """A failed `make synth` deletes cdk.out first and can leave it empty."""
    (tmp_path / "cdk.out").mkdir()
    result = run_cost("--cdk-out", tmp_path / "cdk.out")
    assert_one_line_error(result, "has no manifest.json", "run `make synth STAGE=<stage>` first")


def test_a_closed_pipe_ends_the_report_quietly(write_assembly: WriteAssembly) -> None:
    """`make cost | head`: the reader goes away; no BrokenPipeError traceback."""
    cdk_out = write_assembly({"Taskly-dev-Network": {"Nat": NAT}})
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tools.ops.cost",
            "--prices",
            str(TEST_PRICES),
            "--cdk-out",
            str(cdk_out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
        env=env,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr
