"""What each handler loads and patches at init, at first use and when primed, in a fresh
interpreter set up like Lambda (tracing on).

Init imports no AWS SDK, no database driver and no X-Ray patch module: those load on first use
(``taskly.data.aws.client``, ``taskly.data.documentdb.create_client``), which patches them for
X-Ray before the first client, or before a SnapStart snapshot (the handlers' ``prime`` hooks,
run here through the local registry as the runtime would).

X-Ray only records outside Lambda when a daemon listens; these probes inspect the patched
libraries, they send nothing and do not prove the segments reach X-Ray.
"""

from __future__ import annotations

from typing import Any

import pytest
from api_unit_support import LAMBDA_SRC, run_fresh

CA_BUNDLE = LAMBDA_SRC.parent / "certs" / "global-bundle.pem"
HANDLERS = ("tasks", "profile", "email_worker")
# Loaded only on first use (or when primed); sqlite3 and the other X-Ray patch modules never.
FIRST_USE = ("boto3", "botocore.client", "pymongo", "bson", "aws_xray_sdk.ext.botocore")
NEVER = (
    "sqlite3",
    "aws_xray_sdk.ext.requests",
    "aws_xray_sdk.ext.psycopg",
    "aws_xray_sdk.ext.httplib",
)

REPORT = """
def report():
    loaded = sorted(n for n in FIRST_USE + NEVER if n in sys.modules)
    botocore_client = sys.modules.get("botocore.client")
    monitoring = sys.modules.get("pymongo.monitoring")
    wrapper = botocore_client and botocore_client.BaseClient.__dict__["_make_api_call"]
    return {
        "loaded": loaded,
        # X-Ray wraps the method with wrapt; botocore's own decorator only sets __wrapped__.
        "botocore_traced": type(wrapper).__name__ == "FunctionWrapper",
        "pymongo_listeners": [
            type(listener).__name__
            for listener in (monitoring._LISTENERS.command_listeners if monitoring else [])
        ],
        "boto3_session": getattr(sys.modules.get("boto3"), "DEFAULT_SESSION", None) is not None,
    }
"""


def run_probe(body: str) -> dict[str, Any]:
    code = "\n".join(
        (
            "import json, sys",
            f"FIRST_USE = {FIRST_USE!r}",
            f"NEVER = {NEVER!r}",
            REPORT,
            body,
            "print(json.dumps(seen))",
        )
    )
    return dict(run_fresh(code, tracing=True))


@pytest.mark.parametrize("handler", HANDLERS)
def test_init_loads_no_sdk_no_driver_and_patches_nothing(handler: str) -> None:
    seen = run_probe(f"import taskly.handlers.{handler}\nseen = report()")
    assert seen["loaded"] == []
    assert seen["botocore_traced"] is False
    assert seen["pymongo_listeners"] == []


@pytest.mark.parametrize("handler", HANDLERS)
def test_priming_loads_and_patches_what_first_use_needs_and_creates_no_client(
    handler: str,
) -> None:
    seen = run_probe(
        f"import taskly.handlers.{handler}\nfrom taskly import snapshot\n"
        "snapshot.run_before_snapshot_hooks()\n"
        "from taskly.data import aws\nseen = report()\n"
        "seen['clients'] = aws.client.cache_info().currsize\n"
        "from taskly.models.common import ApiModel\n"
        "models, unbuilt = list(ApiModel.__subclasses__()), []\n"
        "while models:\n"
        "    model = models.pop()\n"
        "    models.extend(model.__subclasses__())\n"
        "    unbuilt += [] if model.__pydantic_complete__ else [model.__name__]\n"
        "seen['unbuilt_models'] = unbuilt"
    )
    assert seen["botocore_traced"] is True
    assert seen["clients"] == 0
    assert seen["unbuilt_models"] == []
    assert seen["boto3_session"] is False
    assert not set(seen["loaded"]) & set(NEVER)
    if handler in ("tasks", "profile"):  # both use the shared database
        assert {"boto3", "pymongo", "bson"} <= set(seen["loaded"])
        assert seen["pymongo_listeners"] == ["XrayCommandListener"]
    else:
        assert "boto3" in seen["loaded"]
        assert "pymongo" not in seen["loaded"]


def test_the_first_aws_client_is_traced() -> None:
    seen = run_probe(
        "import taskly.handlers.profile\nfrom taskly.data import aws\n"
        "aws.client('dynamodb')\nseen = report()"
    )
    assert seen["botocore_traced"] is True


def test_the_first_database_client_carries_the_xray_listener() -> None:
    # A client to a closed local port: built, inspected and closed, never used.
    seen = run_probe(
        "import taskly.handlers.tasks\nfrom pathlib import Path\n"
        "loaded_at_init = 'pymongo' in sys.modules\n"
        "from taskly.data.database_secret import DocDbSecret\n"
        "from taskly.data.documentdb import create_client\n"
        "secret = DocDbSecret.parse({'host': 'localhost', 'port': 9, 'username': 'u',"
        " 'password': 'p', 'replicaSet': None, 'directConnection': True})\n"
        f"client = create_client(secret, Path({str(CA_BUNDLE)!r}))\n"
        "listeners = [type(listener).__name__ for listener in client.options.event_listeners]\n"
        "client.close()\nseen = report()\n"
        "seen.update(loaded_at_init=loaded_at_init, client_listeners=listeners)"
    )
    assert seen["loaded_at_init"] is False
    assert seen["client_listeners"] == ["XrayCommandListener"]
