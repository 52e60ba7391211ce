"""The server side of the launcher: runs SecantusDB in this process until SIGTERM/SIGINT.

Started by ``python -m tools.local.db serve`` (directly for ``make local``, or as the child
process of :func:`tools.local.db.start`). Order matters for what a client can observe:

1. a fresh CA and server certificate (TLS from the first byte: no plaintext listener);
2. the server starts with authentication off, and the launcher creates the users over a TLS
   connection of its own (SecantusDB has no localhost exception and no user bootstrap flag);
3. authentication is switched on for every later connection, and only then is
   ``connection.json`` written: no client learns the port while auth is still off.

The replica set name is set here because SecantusDB exposes it only through its Python API
(its daemon always calls itself ``secantus``); DocumentDB always calls its set ``rs0``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pymongo
from secantus import SecantusDBServer

from tools.local.db.certs import write_server_tls
from tools.local.db.paths import CONNECTION_FILE

logger = logging.getLogger("taskly.local_db")

REPLICA_SET = "rs0"
HOST = "127.0.0.1"
CREDENTIALS_FILE = "credentials.json"
DATA_DIR = "data"
TLS_DIR = "tls"
# WiredTiger's cache; the default 1G is sized for production, not for a test fixture.
CACHE_SIZE = "256M"
USER_ALREADY_EXISTS = 51003
# The application user (like DocumentDB's master user for the tasks function, which can also
# manage users: tools.ops.dms_user creates DMS's user with it) and a read-only user, so a tool
# that must never write (datacheck) can be run with credentials that cannot.
APP_ROLES = [
    {"role": "readWriteAnyDatabase", "db": "admin"},
    {"role": "userAdminAnyDatabase", "db": "admin"},
]
READER_ROLES = [{"role": "readAnyDatabase", "db": "admin"}]


def _write_json_private(path: Path, data: dict[str, Any]) -> None:
    """Atomically, readable by the owner only (it holds passwords)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
    tmp.replace(path)


def _credentials(state_dir: Path) -> dict[str, str]:
    """Random passwords, kept in the state directory so a persistent store can be reopened."""
    path = state_dir / CREDENTIALS_FILE
    if path.is_file():
        stored = json.loads(path.read_text())
        if {"username", "password", "reader_username", "reader_password"} <= stored.keys():
            return {key: str(stored[key]) for key in stored}
    credentials = {
        "username": "taskly",
        "password": secrets.token_urlsafe(18),
        "reader_username": "taskly-reader",
        "reader_password": secrets.token_urlsafe(18),
    }
    _write_json_private(path, credentials)
    return credentials


def _provision_users(port: int, ca_file: Path, credentials: dict[str, str]) -> None:
    client: pymongo.MongoClient[dict[str, Any]]
    with pymongo.MongoClient(
        host=HOST,
        port=port,
        tls=True,
        tlsCAFile=str(ca_file),
        directConnection=True,
        serverSelectionTimeoutMS=10_000,
    ) as client:
        for user, password, roles in (
            (credentials["username"], credentials["password"], APP_ROLES),
            (credentials["reader_username"], credentials["reader_password"], READER_ROLES),
        ):
            try:
                client.admin.command("createUser", user, pwd=password, roles=roles)
            except pymongo.errors.OperationFailure as exc:
                if exc.code != USER_ALREADY_EXISTS:
                    raise
                # A persistent store from an earlier run: make its password the current one.
                client.admin.command("updateUser", user, pwd=password, roles=roles)


def _watch_parent(parent_pid: int, stop: threading.Event) -> None:
    """Stop when the process that started us is gone (a killed test run leaves no server)."""
    while not stop.wait(1.0):
        if os.getppid() != parent_pid:
            stop.set()


def serve(
    *,
    state_dir: Path,
    port: int = 0,
    memory: bool = False,
    parent_pid: int | None = None,
    on_ready: Any = None,
) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / CONNECTION_FILE).unlink(missing_ok=True)
    tls = write_server_tls(state_dir / TLS_DIR)
    credentials = _credentials(state_dir)
    started = time.perf_counter()
    server = SecantusDBServer(
        host=HOST,
        port=port,
        storage_path=":memory:" if memory else str(state_dir / DATA_DIR),
        replica_set_name=REPLICA_SET,
        require_auth=False,
        # configureFailPoint lets any authenticated client close every connection.
        enable_test_commands=False,
        cache_size=CACHE_SIZE,
        tls_cert_file=str(tls.cert_file),
        tls_key_file=str(tls.key_file),
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    try:
        _provision_users(server.port, tls.ca_file, credentials)
        # Read by SecantusDB for each new connection: the provisioning connection is closed.
        server.require_auth = True
        connection = {
            "host": HOST,
            "port": server.port,
            "pid": os.getpid(),
            "replica_set": REPLICA_SET,
            "auth_source": "admin",
            "ca_file": str(tls.ca_file.resolve()),
            "storage": "memory" if memory else str((state_dir / DATA_DIR).resolve()),
            "startup_seconds": round(time.perf_counter() - started, 2),
            **credentials,
        }
        _write_json_private(state_dir / CONNECTION_FILE, connection)
        if on_ready is not None:
            on_ready(connection)
        if parent_pid is not None:
            threading.Thread(
                target=_watch_parent, args=(parent_pid, stop), name="parent-watch", daemon=True
            ).start()
        while not stop.wait(0.5):
            pass
    finally:
        (state_dir / CONNECTION_FILE).unlink(missing_ok=True)
        _wake_accept_thread(server)
        server.stop()


def _wake_accept_thread(server: Any) -> None:
    """Shut the listening socket down so the blocked accept() returns now.

    SecantusDB's stop() only closes it, which does not wake accept() on Linux, and then waits
    2 s for the accept thread on every stop.
    """
    listening = getattr(server, "_socket", None)
    if listening is not None:
        with contextlib.suppress(OSError):
            listening.shutdown(socket.SHUT_RDWR)
