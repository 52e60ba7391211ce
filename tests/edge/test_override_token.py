"""The tester override token: the CLI rotates it, the store keeps only its hash, and the real
CloudFront Function (under Node, tests/edge/js/harness.mjs) honours exactly the printed token.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.edge.conftest import EDGE_TESTS
from tests.edge.fakes import InMemoryKeyValueStore
from tests.edge.test_cutover_cli import run

TOKEN_LINE = re.compile(r"^x-taskly-override-token: ([\w-]{43})$", re.MULTILINE)

# Routes one request through cutover.js with the given store values and headers.
ROUTE_ONE = """
import { loadCutover, route, viewerRequest } from './harness.mjs';
const [values, headers] = JSON.parse(process.argv[1]);
console.log(await route(loadCutover(values), viewerRequest({ extraHeaders: headers })));
"""


def route_with(values: dict[str, str], headers: dict[str, str]) -> str:
    node = shutil.which("node")
    assert node
    result = subprocess.run(
        [node, "--input-type=module", "-e", ROUTE_ONE, json.dumps([values, headers])],
        cwd=EDGE_TESTS / "js",
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip()


def test_rotate_prints_a_token_once_and_stores_only_its_hash(
    aws: Any, kvs: InMemoryKeyValueStore
) -> None:
    kvs.values.update({"weight": "30", "kill_switch": "off", "last_change": "x by y"})
    result = run(aws, "override-token", "rotate", "--stage", "dev")
    assert result.code == 0, result.err
    tokens = TOKEN_LINE.findall(result.out)
    assert len(tokens) == 1
    token = tokens[0]
    assert result.out.count(token) == 1
    stored = kvs.values["override_token_sha256"]
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(kvs.values)
    # Weight, kill switch and the record of the last weight change are untouched.
    assert kvs.values["weight"] == "30"
    assert kvs.values["kill_switch"] == "off"
    assert kvs.values["last_change"] == "x by y"
    (update,) = kvs.updates()
    assert update["IfMatch"] == "ETAG1"


def test_the_printed_token_forces_the_origin_and_the_previous_one_stops_working(
    aws: Any, kvs: InMemoryKeyValueStore
) -> None:
    first = TOKEN_LINE.findall(run(aws, "override-token", "rotate", "--stage", "dev").out)[0]
    at_zero = {**kvs.values, "weight": "0", "kill_switch": "off"}
    assert (
        route_with(at_zero, {"x-taskly-origin": "new", "x-taskly-override-token": first}) == "new"
    )
    second = TOKEN_LINE.findall(run(aws, "override-token", "rotate", "--stage", "dev").out)[0]
    assert second != first
    rotated = {**kvs.values, "weight": "0", "kill_switch": "off"}
    assert route_with(rotated, {"x-taskly-origin": "new", "x-taskly-override-token": first}) == (
        "legacy"
    )
    assert route_with(rotated, {"x-taskly-origin": "new", "x-taskly-override-token": second}) == (
        "new"
    )


def test_status_says_whether_an_override_token_is_set(aws: Any, kvs: InMemoryKeyValueStore) -> None:
    assert (
        "override     not set: tester overrides are ignored"
        in run(aws, "status", "--stage", "dev").out
    )
    run(aws, "override-token", "rotate", "--stage", "dev")
    assert "override     set" in run(aws, "status", "--stage", "dev").out
    document = json.loads(run(aws, "status", "--stage", "dev", "--json").out)
    assert document["override_token_set"] is True
    assert kvs.values["override_token_sha256"] not in json.dumps(document)


def test_rotate_needs_an_action(tmp_path: Path) -> None:
    result = run(None, "override-token", "--local", "--local-store", str(tmp_path / "kvs.json"))
    assert result.code == 2
    assert result.err.startswith("cutover: error: ")
    assert len(result.err.strip().splitlines()) == 1
