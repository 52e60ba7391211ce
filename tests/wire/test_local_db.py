"""The local wire server itself: TLS only, SCRAM, the replica set name, stop by PID, restarts.

What this server proves and what it does not is written down in docs/api.md ("The
wire-protocol suite"): it is SecantusDB, which reports MongoDB 8.2, not DocumentDB.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pymongo
import pytest
from pymongo import errors

from tools.local.db import LocalDb, running
from tools.local.db.certs import write_ca

FAST_FAIL_MS = 1500


def _client(uri: str, **options: object) -> pymongo.MongoClient[dict[str, object]]:
    return pymongo.MongoClient(uri, serverSelectionTimeoutMS=FAST_FAIL_MS, **options)


def test_advertises_replica_set_rs0_over_tls_with_authentication(wire_db: LocalDb) -> None:
    with _client(wire_db.uri) as client:
        hello = client.admin.command("hello")
        assert hello["setName"] == "rs0"
        assert hello["hosts"] == [f"127.0.0.1:{wire_db.port}"]
        assert hello.get("accessControlEnabled") is True
        status = client.admin.command("connectionStatus")
        assert status["authInfo"]["authenticatedUsers"] == [
            {"user": wire_db.username, "db": "admin"}
        ]


def test_refuses_plaintext_clients(wire_db: LocalDb) -> None:
    plain = f"mongodb://{wire_db.username}:{wire_db.password}@127.0.0.1:{wire_db.port}/?tls=false"
    started = time.monotonic()
    with pytest.raises(errors.ServerSelectionTimeoutError), _client(plain) as client:
        client.admin.command("ping")
    assert time.monotonic() - started < 10


def test_unauthenticated_commands_are_refused(wire_db: LocalDb) -> None:
    anonymous = f"mongodb://127.0.0.1:{wire_db.port}/?tls=true&replicaSet=rs0"
    with (
        _client(anonymous, tlsCAFile=str(wire_db.ca_file)) as client,
        pytest.raises(errors.OperationFailure) as refused,
    ):
        client.taskly.tasks.find_one()
    assert refused.value.code == 13  # Unauthorized


def test_wrong_ca_is_refused_by_certificate_verification(wire_db: LocalDb, tmp_path: Path) -> None:
    wrong_ca = write_ca(tmp_path / "other-ca.pem", "Some other CA")
    uri = wire_db.uri_for(wire_db.username, wire_db.password, ca_file=wrong_ca)
    with (
        pytest.raises(errors.ServerSelectionTimeoutError, match="CERTIFICATE_VERIFY_FAILED"),
        _client(uri) as client,
    ):
        client.admin.command("ping")


def test_wrong_password_is_refused(wire_db: LocalDb) -> None:
    with (
        _client(wire_db.uri_for(wire_db.username, "not-the-password")) as client,
        pytest.raises(errors.OperationFailure) as refused,
    ):
        client.admin.command("ping")
    assert refused.value.code == 18  # AuthenticationFailed


def test_reader_cannot_write(wire_db: LocalDb) -> None:
    with _client(wire_db.uri) as writer, _client(wire_db.reader_uri) as reader:
        writer.launcher_checks.things.insert_one({"_id": "one"})
        assert reader.launcher_checks.things.find_one() == {"_id": "one"}
        with pytest.raises(errors.OperationFailure) as refused:
            reader.launcher_checks.things.insert_one({"_id": "two"})
    assert refused.value.code == 13


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_persistent_store_survives_a_restart_and_stop_ends_the_process(tmp_path: Path) -> None:
    """What `make local` relies on: data and users survive; stop leaves no process or port."""
    with running(state_dir=tmp_path, persistent=True) as first, _client(first.uri) as client:
        client.taskly.tasks.insert_one({"_id": "kept"})
    assert not _pid_alive(first.pid)
    assert not _port_open(first.port)
    assert not (tmp_path / "connection.json").exists()

    with running(state_dir=tmp_path, persistent=True) as second, _client(second.uri) as client:
        assert second.pid != first.pid
        assert client.taskly.tasks.find_one() == {"_id": "kept"}
        assert second.password == first.password


def test_the_wire_server_stays_out_of_the_lambda_bundles() -> None:
    """SecantusDB is GPL-2.0 and beta: no function's requirements, lock or code may use it."""
    lambda_src = Path(__file__).resolve().parents[2] / "lambda_src"
    pinned = [*lambda_src.glob("requirements*.txt"), *lambda_src.glob("requirements*.lock")]
    assert pinned
    for path in pinned:
        assert "secantus" not in path.read_text().lower(), path
    for source in lambda_src.rglob("*.py"):
        assert "secantus" not in source.read_text().lower(), source
