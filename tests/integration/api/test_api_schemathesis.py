"""Schemathesis (its real CLI) over docs/openapi.json against the running local API.

Every check runs except `unsupported_method` (see schemathesis.toml for why). The example count
is kept modest so `make test` stays fast; `make test-api-contract SCHEMATHESIS_EXAMPLES=200`
runs a deeper pass.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from api_http_support import REPO, LocalApi

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))


def test_openapi_contract_holds(local_api: LocalApi) -> None:
    schemathesis = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [
            str(schemathesis),
            "--config-file",
            str(CONFIG),
            "run",
            str(REPO / "docs" / "openapi.json"),
            "--url",
            local_api.base_url,
            "--header",
            f"Authorization: Bearer {local_api.token_for('schemathesis')}",
            "--checks",
            "all",
            "--exclude-checks",
            "unsupported_method",
            "--max-examples",
            str(EXAMPLES),
            "--workers",
            "1",
            "--seed",
            "20261122",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    tested = re.search(r"Tested: (\d+)", output)
    cases = re.search(r"(\d+) generated, (\d+) passed", output)
    summary = f"schemathesis: {tested.group(1) if tested else '?'} operations, "
    summary += f"{cases.group(1) if cases else '?'} cases generated" if cases else "no case summary"
    print("\n" + summary)
    assert result.returncode == 0, output[-6000:]
    assert tested and int(tested.group(1)) == 10, "every operation of the spec was exercised"
    assert cases and int(cases.group(1)) == int(cases.group(2)) > 0
