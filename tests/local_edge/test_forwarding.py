"""What the local edge and the local gateway forward to an origin, seen by recording servers.

The edge (tools/local/edge/edge.mjs, running the real cutover.js) must forward the request the
function returns (override headers removed), without the viewer's Host; the gateway's
``ANY /api/{proxy+}`` must pass requests to legacy unchanged except ``x-origin-verify``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from tools.local.api.devjwt import load_or_create_key
from tools.local.api.gateway import LocalGateway
from tools.local.edge.launch import EDGE_SCRIPT, REPO, Child, free_port, wait_for_port
from tools.local.edge.store import FileKeyValueStore

TOKEN = "tester-token-0123456789-abcdefghijklmnopq"


@dataclass
class Recorder:
    name: str
    seen: list[dict[str, object]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_port}"


@pytest.fixture
def recorders() -> Iterator[dict[str, Recorder]]:
    made = {name: Recorder(name) for name in ("new", "legacy")}
    for recorder in made.values():

        class Handler(BaseHTTPRequestHandler):
            target = recorder

            def _record(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.target.seen.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": self.rfile.read(length).decode(),
                    }
                )
                body = json.dumps({"origin": self.target.name}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _record  # noqa: N815

            def log_message(self, *_args: object) -> None:
                pass

        recorder.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=recorder.server.serve_forever, daemon=True).start()
    yield made
    for recorder in made.values():
        assert recorder.server is not None
        recorder.server.shutdown()
        recorder.server.server_close()


@pytest.fixture
def edge(tmp_path: Path, recorders: dict[str, Recorder]) -> Iterator[tuple[str, FileKeyValueStore]]:
    node = shutil.which("node")
    assert node, "node is needed for the local edge"
    store = FileKeyValueStore(tmp_path / "kvs.json")
    store.initialise()
    port = free_port()
    command = [
        node, str(EDGE_SCRIPT), "--port", str(port), "--store", str(store.path),
        "--new-origin", recorders["new"].url, "--legacy-origin", recorders["legacy"].url,
    ]  # fmt: skip
    child = Child("edge", subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL))
    try:
        wait_for_port(child, port)
        yield f"http://127.0.0.1:{port}", store
    finally:
        child.stop()


def put(store: FileKeyValueStore, **values: str) -> None:
    etag = store.describe_key_value_store(KvsARN=store.arn)["ETag"]
    puts = [{"Key": key, "Value": value} for key, value in values.items()]
    store.update_keys(KvsARN=store.arn, IfMatch=etag, Puts=puts)


def test_the_edge_forwards_what_the_function_returns(
    edge: tuple[str, FileKeyValueStore], recorders: dict[str, Recorder]
) -> None:
    url, store = edge
    put(store, override_token_sha256=hashlib.sha256(TOKEN.encode()).hexdigest())
    headers = {
        "x-taskly-origin": "new",
        "x-taskly-override-token": TOKEN,
        "x-custom": "kept",
        "cookie": "a=1; b=2",
    }
    answer = requests.post(
        f"{url}/api/tasks?limit=5&x=%2F", headers=headers, json={"t": 1}, timeout=10
    )
    assert answer.json() == {"origin": "new"}
    (seen,) = recorders["new"].seen
    forwarded = seen["headers"]
    assert isinstance(forwarded, dict)
    assert "x-taskly-override-token" not in forwarded
    assert "x-taskly-origin" not in forwarded
    assert forwarded["x-custom"] == "kept"
    assert forwarded["host"] == recorders["new"].url.removeprefix("http://")
    assert forwarded["cookie"] == "a=1; b=2"
    assert forwarded["x-forwarded-for"] == "127.0.0.1"
    assert seen["path"] == "/api/tasks?limit=5&x=%2F"
    assert seen["body"] == '{"t": 1}'
    # The first answer pins the viewer with the function's cookie.
    assert answer.cookies.get("__Host-taskly-cutover")

    # A wrong token at weight 0: legacy, and the token still does not travel.
    requests.get(
        f"{url}/api/tasks", headers={**headers, "x-taskly-override-token": "x" * 40}, timeout=10
    )
    (wrong,) = recorders["legacy"].seen
    assert "x-taskly-override-token" not in wrong["headers"]  # type: ignore[operator]


def test_the_edge_follows_the_store_on_every_request(
    edge: tuple[str, FileKeyValueStore], recorders: dict[str, Recorder]
) -> None:
    url, store = edge
    assert requests.get(f"{url}/api/tasks", timeout=10).json() == {"origin": "legacy"}
    put(store, weight="100")
    assert requests.get(f"{url}/api/tasks", timeout=10).json() == {"origin": "new"}
    put(store, kill_switch="on")
    assert requests.get(f"{url}/api/tasks", timeout=10).json() == {"origin": "legacy"}
    assert requests.get(f"{url}/index.html", timeout=10).status_code == 404


def test_the_proxy_route_drops_only_x_origin_verify(
    tmp_path: Path, recorders: dict[str, Recorder]
) -> None:
    legacy = recorders["legacy"]
    gateway = LocalGateway(key=load_or_create_key(tmp_path), functions={}, legacy_url=legacy.url)
    response = gateway.handle(
        method="DELETE",
        raw_path="/api/projects/7",
        raw_query="force=true",
        headers=[("X-Origin-Verify", "the-secret"), ("Authorization", "Bearer t"), ("X-A", "b")],
        body=b"",
    )
    assert response.status == 200
    (seen,) = legacy.seen
    assert seen["method"] == "DELETE"
    assert seen["path"] == "/api/projects/7?force=true"
    headers = seen["headers"]
    assert isinstance(headers, dict)
    assert "x-origin-verify" not in headers
    assert headers["authorization"] == "Bearer t"
    assert headers["x-a"] == "b"
    # Migrated routes never reach the proxy; /api/ alone matches no route at all.
    assert (
        gateway.handle(method="GET", raw_path="/api/", raw_query="", headers=[], body=b"").status
        == 404
    )
    assert len(legacy.seen) == 1


def test_a_legacy_backend_that_is_down_is_a_503_not_a_crash(tmp_path: Path) -> None:
    gateway = LocalGateway(
        key=load_or_create_key(tmp_path), functions={}, legacy_url=f"http://127.0.0.1:{free_port()}"
    )
    response = gateway.handle(
        method="GET", raw_path="/api/projects", raw_query="", headers=[], body=b""
    )
    assert response.status == 503
    assert json.loads(response.body) == {"message": "Service Unavailable"}


def test_no_stack_deploys_the_legacy_backend() -> None:
    for source in [REPO / "app.py", *REPO.glob("stacks/*.py"), *REPO.glob("cdk_constructs/*.py")]:
        text = source.read_text()
        assert '"legacy/' not in text and "'legacy/" not in text and "legacy/src" not in text, (
            source
        )
