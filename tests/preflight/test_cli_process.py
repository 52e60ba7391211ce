"""`python -m tools.ops.preflight` as its own process, as `make preflight` runs it.

The account is the moto server with ``MissingApis`` enabled: Lambda GetAccountSettings, SES v2
GetAccount and DocumentDB's orderable options come from that stand-in (see moto_account.py for
what it does not prove); everything else is moto over HTTP. The legacy origin is the real TLS
server, trusted through SSL_CERT_FILE.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.preflight.conftest import FAKE_AWS_ENV, READY_CONTEXT, SENDER_DOMAIN
from tests.preflight.moto_account import ACCOUNT, MotoAccount, ready
from tests.preflight.tls_origin import Origin
from tools.ops.preflight.cli import main

ROOT = Path(__file__).resolve().parents[2]


def preflight_process(
    *argv: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        **FAKE_AWS_ENV,
        **(extra_env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "tools.ops.preflight", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_ready_account_exits_0(account: MotoAccount, legacy_origin: Origin) -> None:
    account.state.enabled = True
    ready(account, sender_domain=SENDER_DOMAIN)
    result = preflight_process(
        "--stage",
        "dev",
        "--endpoint-url",
        account.endpoint,
        *READY_CONTEXT,
        *legacy_origin.connect_to(),
        extra_env={"SSL_CERT_FILE": str(legacy_origin.ca)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "✗" not in result.stdout
    assert result.stdout.endswith("ready to deploy.\n")
    # The stand-ins were really asked, over HTTP, by the child process.
    assert sorted(set(account.state.calls)) == [
        "docdb:DescribeOrderableDBInstanceOptions",
        "lambda:GetAccountSettings",
        "sesv2:GetAccount",
    ]


def test_a_fresh_account_exits_1_with_a_fix_per_failure(account: MotoAccount) -> None:
    # AWS_ENDPOINT_URL instead of --endpoint-url: boto3's own switch works the same.
    result = preflight_process(
        "--stage", "dev", "--format", "json", extra_env={"AWS_ENDPOINT_URL": account.endpoint}
    )
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert (document["stage"], document["account"], document["ok"]) == ("dev", ACCOUNT, False)
    failures = [check for check in document["checks"] if check["status"] == "fail"]
    assert {check["check"] for check in failures} >= {"cdk bootstrap", "placeholder", "documentdb"}
    assert all(check["fix"] for check in failures)
    assert result.stderr == ""


def test_bad_input_is_one_line_and_exit_2(account: MotoAccount) -> None:
    result = preflight_process("--stage", "dev", "-c", "taskly:data.docdb_instance_count=-2")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "preflight: error: dev.data.docdb_instance_count: -2 is invalid; "
        "expected an integer from 1 to 16\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--stage", "qa"], "argument --stage: invalid choice: 'qa'"),
        (["--stage", "dev", "--connect-to", "x"], "'x' is not HOST:PORT:TARGET_HOST:TARGET_PORT"),
        (["--stage", "dev", "-c", "novalue"], "-c 'novalue': expected KEY=VALUE"),
        (["--stage", "dev", "-c", "taskly:nope.x=1"], "unknown override 'nope.x'"),
    ],
)
def test_each_bad_argument_is_named_in_one_line(argv: list[str], message: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(argv, out=out, err=err) == 2
    assert out.getvalue() == ""
    assert err.getvalue().startswith("preflight: error: ")
    assert err.getvalue().count("\n") == 1
    assert message in err.getvalue()
