"""tools.ops.dms_user against a real wire server (SecantusDB, TLS + SCRAM) and a moto server.

The user is created from a secret read over HTTP from the emulated Secrets Manager, then
used: it logs in with the secret's password, writes the Taskly database, and is refused
elsewhere (the server enforces roles: its read-only user's writes fail the same way). What this
does not prove: that DocumentDB itself accepts the same commands (it documents createUser,
updateUser and dropUser with built-in roles), and that DMS needs nothing beyond readWrite.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pymongo
import pytest
from pymongo import errors

from tests.preflight.moto_account import REGION, MotoAccount
from tools.local.db import LocalDb
from tools.ops.dms_user.__main__ import main

DMS_USER = "taskly_dms"


@pytest.fixture(scope="module")
def secrets_server() -> Iterator[MotoAccount]:
    account = MotoAccount()
    yield account
    account.stop()


@pytest.fixture
def secret(secrets_server: MotoAccount, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A TargetCredentials-shaped secret; the environment points boto3 at the emulator."""
    secrets_server.reset()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": secrets_server.endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    client = secrets_server.client("secretsmanager")

    def put(password: str) -> str:
        body = json.dumps({"username": DMS_USER, "password": password, "port": 27017})
        try:
            return str(client.create_secret(Name="dms-target", SecretString=body)["ARN"])
        except client.exceptions.ResourceExistsException:
            return str(client.put_secret_value(SecretId="dms-target", SecretString=body)["ARN"])

    return put


def _run(wire_db: LocalDb, arn: str, *extra: str) -> int:
    return main(
        ["--admin-uri", wire_db.uri, "--ca", str(wire_db.ca_file), "--secret-id", arn, *extra]
    )


def _as_dms(wire_db: LocalDb, password: str) -> pymongo.MongoClient[dict[str, Any]]:
    return pymongo.MongoClient(wire_db.uri_for(DMS_USER, password), serverSelectionTimeoutMS=5_000)


def test_the_user_writes_the_taskly_database_only(
    wire_db: LocalDb, secret: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = secret("first-Password-1")
    assert _run(wire_db, arn) == 0
    assert capsys.readouterr().out == (
        "dms_user: taskly_dms created with readWrite on taskly only\n"
    )
    with _as_dms(wire_db, "first-Password-1") as client:
        client.taskly.dms_probe.insert_one({"_id": "written-by-dms"})
        assert client.taskly.dms_probe.find_one({"_id": "written-by-dms"}) is not None
        with pytest.raises(errors.OperationFailure) as refused:
            client.other.dms_probe.insert_one({"_id": "not-here"})
        assert refused.value.code == 13  # Unauthorized
    assert _run(wire_db, arn, "--drop") == 0


def test_a_second_run_takes_the_secret_new_password(
    wire_db: LocalDb, secret: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(wire_db, secret("old-Password-1")) == 0
    assert _run(wire_db, secret("new-Password-2")) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "dms_user: taskly_dms updated: the secret's password, readWrite on taskly only"
    )
    with _as_dms(wire_db, "new-Password-2") as client:
        client.taskly.command("ping")
    with _as_dms(wire_db, "old-Password-1") as client, pytest.raises(errors.OperationFailure):
        client.taskly.command("ping")
    assert _run(wire_db, secret("new-Password-2"), "--drop") == 0
    with _as_dms(wire_db, "new-Password-2") as client, pytest.raises(errors.OperationFailure):
        client.taskly.command("ping")


def test_a_missing_secret_is_one_line_and_changes_nothing(
    wire_db: LocalDb, secret: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    secret("unused-Password-3")
    code = _run(wire_db, "arn:aws:secretsmanager:eu-west-1:123456789012:secret:nope-AbCdEf")
    err = capsys.readouterr().err
    assert code == 2
    assert (
        err.startswith("dms_user: error: cannot read arn:aws:secretsmanager:") and err[-1] == "\n"
    )
    assert err.count("\n") == 1 and "Traceback" not in err
    admin: pymongo.MongoClient[dict[str, Any]]
    with pymongo.MongoClient(wire_db.uri, serverSelectionTimeoutMS=5_000) as admin:
        users = admin.admin.command("usersInfo", DMS_USER)["users"]
    assert users == []
