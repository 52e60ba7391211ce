"""The local API (`python -m tools.local_api serve`) as a real process, over real HTTP.

One server per test session: moto server for DynamoDB, SQS, Secrets Manager and SES, mongomock
for DocumentDB (see docs/api.md for what that stand-in does not cover). Tokens are signed with
a key generated into the session's temporary directory. It serves two ports, as `make local`
does: one through the CloudFront stand-in, one direct (no x-origin-verify).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
import requests
from api_http_support import REPO, LocalApi

from tools.local_api.devjwt import issue_token, load_or_create_key

STARTUP_TIMEOUT_SECONDS = 20


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def local_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    state_dir = tmp_path_factory.mktemp("local-api")
    port, direct_port = _free_port(), _free_port()
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "lambda_src")]),
        "PYTHONUNBUFFERED": "1",
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tools.local_api",
            "serve",
            "--port",
            str(port),
            "--direct-port",
            str(direct_port),
            "--state-dir",
            str(state_dir),
        ],
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    banner = ""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline and "Ctrl-C stops" not in banner:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        banner += line
    startup = time.perf_counter() - started
    if "Ctrl-C stops" not in banner:
        process.kill()
        pytest.fail(f"the local API did not start:\n{banner}")
    # Keep draining the server's output so a chatty run can never fill the pipe and stall it.
    output: list[str] = []
    drain = threading.Thread(target=lambda: output.extend(process.stdout), daemon=True)
    drain.start()
    moto = re.search(r"moto on (http://localhost:\d+)", banner)
    assert moto, banner
    key = load_or_create_key(state_dir)
    api = LocalApi(
        base_url=f"http://127.0.0.1:{port}",
        direct_url=f"http://127.0.0.1:{direct_port}",
        moto_endpoint=moto.group(1),
        token_for=lambda user: issue_token(key, subject=user),
        startup_seconds=startup,
    )
    assert requests.get(f"{api.base_url}/api/health", timeout=5).status_code == 200
    assert "Direct calls, like the public execute-api URL" in banner
    yield api
    # Stops cleanly on SIGTERM: exit code 0 and its goodbye line.
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)
    drain.join(timeout=5)
    log = "".join(output)
    assert process.returncode == 0, log
    assert "local API stopped" in log


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session
