"""Shared names of the HTTP API tests (a uniquely named module: conftest is not importable).

``run_local_api`` starts `python -m tools.local.api serve` as a real process; the wire suite
(tests/wire) uses it too, with the tasks function on a real wire-protocol server.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import requests

from tools.local.api.devjwt import issue_token, load_or_create_key

REPO = Path(__file__).resolve().parents[3]
STARTUP_TIMEOUT_SECONDS = 20


@dataclass
class LocalApi:
    base_url: str  # through the local CloudFront stand-in: x-origin-verify is added
    direct_url: str  # like the public execute-api URL: no x-origin-verify
    moto_endpoint: str
    token_for: Callable[[str], str]
    banner: str = ""
    output: list[str] = field(default_factory=list)

    def aws(self, service: str) -> Any:
        """A boto3 client of the local API's moto server."""
        return boto3.client(
            service,
            endpoint_url=self.moto_endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def run_local_api(
    state_dir: Path,
    *extra: str,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
) -> Iterator[LocalApi]:
    """The local API on two free ports; stopped with SIGTERM, which must exit 0 cleanly."""
    port, direct_port = _free_port(), _free_port()
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "lambda_src")]),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tools.local.api",
            "serve",
            "--port",
            str(port),
            "--direct-port",
            str(direct_port),
            "--state-dir",
            str(state_dir),
            *extra,
        ],
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    banner = ""
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline and "Ctrl-C stops" not in banner:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        banner += line
    if "Ctrl-C stops" not in banner:
        process.kill()
        raise AssertionError(f"the local API did not start:\n{banner}")
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
        banner=banner,
        output=output,
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
