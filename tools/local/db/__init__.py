"""A real MongoDB-wire-protocol server on 127.0.0.1 with TLS and SCRAM, for tests and local runs.

SecantusDB (PyPI, pinned in requirements-wire.txt; GPL-2.0 and beta, so development and test
only: never in a Lambda bundle) runs in a child process started from here and stopped by its
PID. Each start generates a fresh CA and server certificate, random passwords for an
application user and a read-only user, and names the replica set ``rs0`` like DocumentDB::

    from tools.local.db import running

    with running() as db:              # a fresh in-memory server on a free port
        client = pymongo.MongoClient(db.uri)   # TLS, SCRAM, replicaSet=rs0, retryWrites=false
        ...

or keep it running beside other processes (``make local``)::

    server = start(state_dir=Path(".local/db"), persistent=True)
    ... server.info.uri ...
    server.stop()

The same server runs in the foreground with ``python -m tools.local.db serve --state-dir DIR``;
it writes the connection details to ``DIR/connection.json`` once it accepts authenticated
connections. What it proves and what it does not: docs/api.md, "The wire-protocol suite".
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from tools.local.db.paths import CONNECTION_FILE, LOG_FILE

__all__ = ["LocalDb", "LocalDbError", "LocalDbProcess", "running", "start", "stop_by_pid"]

# Measured: 3-7 s on 2 busy cores (SCRAM user creation is ~1 s of that); the margin is for
# a machine running other test suites in parallel.
STARTUP_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0


class LocalDbError(RuntimeError):
    """The server could not be started (the message carries the end of its log)."""


@dataclass(frozen=True)
class LocalDb:
    """How to reach a running server. ``uri`` carries everything a pymongo client needs."""

    host: str
    port: int
    pid: int
    ca_file: Path
    username: str
    password: str
    reader_username: str
    reader_password: str
    replica_set: str
    auth_source: str
    state_dir: Path

    @property
    def uri(self) -> str:
        """The application user's URI (read and write)."""
        return self.uri_for(self.username, self.password)

    @property
    def reader_uri(self) -> str:
        """A read-only user's URI: writes fail with ``Unauthorized`` (code 13)."""
        return self.uri_for(self.reader_username, self.reader_password)

    def uri_for(
        self,
        username: str,
        password: str,
        *,
        database: str = "",
        ca_file: Path | None = None,
        with_ca_file: bool = True,
    ) -> str:
        """A URI with the settings the tasks function uses against DocumentDB.

        ``with_ca_file=False`` leaves ``tlsCAFile`` out, for tools that take the CA apart.
        """
        options = {
            "tls": "true",
            **({"tlsCAFile": str(ca_file or self.ca_file)} if with_ca_file else {}),
            "replicaSet": self.replica_set,
            "retryWrites": "false",
            "authSource": self.auth_source,
        }
        credentials = f"{quote(username, safe='')}:{quote(password, safe='')}"
        return f"mongodb://{credentials}@{self.host}:{self.port}/{database}?{urlencode(options)}"

    def secret(self) -> dict[str, object]:
        """The shape of the tasks function's database secret (see docs/api.md)."""
        return {
            "host": self.host,
            "port": self.port,
            "username": self.username,
            "password": self.password,
            "tls_ca_pem": self.ca_file.read_text(),
            "replicaSet": self.replica_set,
            "authSource": self.auth_source,
        }

    @classmethod
    def from_connection_file(cls, path: Path) -> LocalDb:
        data = json.loads(path.read_text())
        return cls(
            host=data["host"],
            port=int(data["port"]),
            pid=int(data["pid"]),
            ca_file=Path(data["ca_file"]),
            username=data["username"],
            password=data["password"],
            reader_username=data["reader_username"],
            reader_password=data["reader_password"],
            replica_set=data["replica_set"],
            auth_source=data["auth_source"],
            state_dir=path.parent,
        )


def stop_by_pid(process: subprocess.Popen[bytes], *, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    """SIGTERM to the child's PID, SIGKILL if it is still there after ``timeout``; then reap it."""
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


class LocalDbProcess:
    """A server child process; :meth:`stop` ends it by its PID (SIGTERM, then SIGKILL)."""

    def __init__(self, process: subprocess.Popen[bytes], info: LocalDb) -> None:
        self._process = process
        self.info = info

    @property
    def pid(self) -> int:
        return self._process.pid

    def stop(self) -> None:
        stop_by_pid(self._process)

    def __enter__(self) -> LocalDb:
        return self.info

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _log_tail(path: Path, lines: int = 15) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return "(no log)"


def start(
    *,
    state_dir: Path | None = None,
    port: int = 0,
    persistent: bool = False,
    timeout: float = STARTUP_TIMEOUT_SECONDS,
) -> LocalDbProcess:
    """Start a server in a child process and wait until it accepts authenticated clients.

    ``state_dir`` holds the certificates, the credentials, ``connection.json``, ``server.log``
    and (``persistent=True``) the data; a temporary directory when omitted. ``port=0`` picks a
    free port. Raises :class:`LocalDbError` when the server does not come up in ``timeout``.
    """
    if state_dir is None:
        state_dir = Path(tempfile.mkdtemp(prefix="taskly-local-db-"))
    state_dir.mkdir(parents=True, exist_ok=True)
    connection_file = state_dir / CONNECTION_FILE
    connection_file.unlink(missing_ok=True)
    log_path = state_dir / LOG_FILE
    command = [
        sys.executable,
        "-m",
        "tools.local.db",
        "serve",
        "--state-dir",
        str(state_dir),
        "--port",
        str(port),
        "--parent-pid",
        str(os.getpid()),
        *([] if persistent else ["--memory"]),
    ]
    repo_root = Path(__file__).resolve().parents[3]
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(repo_root), os.environ.get("PYTHONPATH", "")])
        ),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=environment,
            cwd=repo_root,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LocalDbError(
                f"the local MongoDB-wire server exited with code {process.returncode} "
                f"before it was ready; its log ({log_path}):\n{_log_tail(log_path)}"
            )
        if connection_file.is_file():
            info = LocalDb.from_connection_file(connection_file)
            if info.pid == process.pid:
                return LocalDbProcess(process, info)
        time.sleep(0.05)
    LocalDbProcess(process, None).stop()  # type: ignore[arg-type]
    raise LocalDbError(
        f"the local MongoDB-wire server was not ready within {timeout:.0f} s; "
        f"its log ({log_path}):\n{_log_tail(log_path)}"
    )


@contextlib.contextmanager
def running(
    *,
    state_dir: Path | None = None,
    port: int = 0,
    persistent: bool = False,
    timeout: float = STARTUP_TIMEOUT_SECONDS,
) -> Iterator[LocalDb]:
    """:func:`start` as a context manager: the server is stopped (by PID) on exit."""
    process = start(state_dir=state_dir, port=port, persistent=persistent, timeout=timeout)
    try:
        yield process.info
    finally:
        process.stop()
