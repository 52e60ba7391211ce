"""What the tracer patches at init, in a fresh interpreter set up like Lambda (tracing on).

X-Ray only records outside Lambda when a daemon listens; this imports the module and inspects
the patched libraries, it sends nothing and does not prove the segments reach X-Ray.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

LAMBDA_SRC = Path(__file__).resolve().parents[3] / "lambda_src"

PROBE = """
import json, sys
import taskly.observability as observability
import botocore.client
import pymongo.monitoring
listeners = pymongo.monitoring._LISTENERS.command_listeners
print(json.dumps({
    "traced": list(observability.TRACED_LIBRARIES),
    "tracing": not observability.tracer.disabled,
    "botocore_patched": hasattr(botocore.client.BaseClient._make_api_call, "__wrapped__"),
    "pymongo_listener": [type(listener).__name__ for listener in listeners],
    "unused": sorted(
        name for name in sys.modules
        if name == "sqlite3" or name.startswith(("aws_xray_sdk.ext.requests",
            "aws_xray_sdk.ext.psycopg", "aws_xray_sdk.ext.sqlite3", "aws_xray_sdk.ext.httplib"))
    ),
}))
"""


def test_the_tracer_patches_the_aws_sdk_and_pymongo_and_nothing_else() -> None:
    environment = {
        key: value for key, value in os.environ.items() if key != "POWERTOOLS_TRACE_DISABLED"
    }
    environment.update(
        LAMBDA_TASK_ROOT=str(LAMBDA_SRC),
        POWERTOOLS_SERVICE_NAME="taskly-test",
        PYTHONPATH=str(LAMBDA_SRC),
        AWS_DEFAULT_REGION="us-east-1",
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=environment,
        cwd=LAMBDA_SRC,
        check=True,
    )
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["tracing"] is True
    assert seen["traced"] == ["botocore", "pymongo"]
    assert seen["botocore_patched"] is True
    assert seen["pymongo_listener"] == ["XrayCommandListener"]
    assert seen["unused"] == []
