"""The whole local path, each server a child process started here and stopped by its PID.

    wire server (tools/local/db, TLS + SCRAM)  <- legacy (Node, legacy/)
                                               <- new API (tools/local/api, pymongo)
    edge (Node, lambda_src/edge/cutover.js) -> new API (through-CloudFront port) | legacy

``make local`` runs it in the foreground (``python -m tools.local.edge``); the local-edge test
starts the same servers with the same code.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TextIO

from tools.local.api.__main__ import DOCDB_SECRET_VARIABLE
from tools.local.api.devjwt import CLIENT_ID, ISSUER, load_or_create_key
from tools.local.db import LocalDb, LocalDbProcess, stop_by_pid
from tools.local.db import start as start_db
from tools.local.edge.store import STORE_IN_STATE_DIR, FileKeyValueStore

REPO = Path(__file__).resolve().parents[3]
EDGE_SCRIPT = REPO / "tools" / "local" / "edge" / "edge.mjs"
LEGACY_SERVER = REPO / "legacy" / "src" / "server.js"
STARTUP_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
# Held (flock) for as long as one local path runs on a state directory; the kernel drops it
# when that process ends, however it ends, so a crash leaves nothing stale behind.
LOCK_FILE = "local.lock"


class LaunchError(RuntimeError):
    """A server did not come up; the message names it and how it ended."""


@dataclass(frozen=True, kw_only=True)
class Ports:
    edge: int = 8080
    api: int = 3000
    direct: int = 3001
    legacy: int = 3002


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        stop_by_pid(self.process, timeout=STOP_TIMEOUT_SECONDS)


def wait_for_port(child: Child, port: int) -> None:
    """Return once ``child`` accepts connections on ``port``; LaunchError if it exits or stalls."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise LaunchError(f"the {child.name} exited with code {child.process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise LaunchError(f"the {child.name} did not listen on port {port} within the time limit")


@dataclass
class LocalPath:
    """Starts and stops the servers; ``state_dir`` holds the dev key, the store and the data."""

    state_dir: Path
    ports: Ports = field(default_factory=Ports)
    persistent_db: bool = True
    output: IO[bytes] | None = None  # None: the servers write to this process's terminal
    children: list[Child] = field(default_factory=list)
    _db: LocalDbProcess | None = None
    _lock: TextIO | None = None

    @property
    def store_file(self) -> Path:
        return self.state_dir / STORE_IN_STATE_DIR

    @property
    def jwks_file(self) -> Path:
        return self.state_dir / "jwt" / "jwks.json"

    @property
    def db(self) -> LocalDb:
        """The shared wire server (both backends' database); LaunchError before ``start``."""
        if self._db is None:
            raise LaunchError("the local path is not running")
        return self._db.info

    def url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}"

    def start(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise LaunchError("node (20.19 or later) is needed for the legacy backend and the edge")
        # Before anything is written: a second start would replace the running database's
        # connection.json and TLS files and then fail on its busy data directory.
        self._lock = take_lock(self.state_dir)
        try:
            self._start(node)
        except BaseException:
            self.stop()
            raise

    def _start(self, node: str) -> None:
        key = load_or_create_key(self.state_dir)
        self.jwks_file.write_text(json.dumps(key.jwks(), indent=2) + "\n")
        FileKeyValueStore(self.store_file).initialise()
        self._db = start_db(state_dir=self.state_dir / "db", persistent=self.persistent_db)
        uri = self._db.info.uri
        legacy_env = {
            "PORT": str(self.ports.legacy),
            "MONGODB_URI": uri,
            "JWKS_FILE": str(self.jwks_file),
            "JWT_ISSUER": ISSUER,
            "JWT_CLIENT_ID": CLIENT_ID,
        }
        self._spawn("legacy", [node, str(LEGACY_SERVER)], legacy_env, self.ports.legacy)
        api_command = [
            sys.executable,
            "-m",
            "tools.local.api",
            "serve",
            "--port",
            str(self.ports.api),
            "--direct-port",
            str(self.ports.direct),
            "--state-dir",
            str(self.state_dir),
            "--legacy-url",
            self.url(self.ports.legacy),
        ]
        api_env = {
            DOCDB_SECRET_VARIABLE: json.dumps(self._db.info.secret()),
            "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "lambda_src")]),
            "PYTHONUNBUFFERED": "1",
        }
        self._spawn("new API", api_command, api_env, self.ports.api)
        edge_command = [
            node,
            str(EDGE_SCRIPT),
            "--port",
            str(self.ports.edge),
            "--store",
            str(self.store_file),
            "--new-origin",
            self.url(self.ports.api),
            "--legacy-origin",
            self.url(self.ports.legacy),
        ]
        self._spawn("edge", edge_command, {}, self.ports.edge)

    def _spawn(self, name: str, command: list[str], env: dict[str, str], port: int) -> None:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=self.output,
            stderr=subprocess.STDOUT if self.output is not None else None,
        )
        child = Child(name, process)
        self.children.append(child)
        wait_for_port(child, port)

    def stop(self) -> None:
        """Stop every server this object started, newest first, each by its PID."""
        while self.children:
            self.children.pop().stop()
        if self._db is not None:
            self._db.stop()
            self._db = None
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def take_lock(state_dir: Path) -> TextIO:
    """The state directory's lock with this process's PID in it; LaunchError if it is held."""
    state_dir.mkdir(parents=True, exist_ok=True)
    handle = (state_dir / LOCK_FILE).open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise LaunchError(
            f"the local path is already running on {state_dir} (pid {holder}); "
            "stop it (Ctrl-C where it runs) or pass another --state-dir"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


@contextlib.contextmanager
def running(path: LocalPath) -> Iterator[LocalPath]:
    path.start()
    try:
        yield path
    finally:
        path.stop()
