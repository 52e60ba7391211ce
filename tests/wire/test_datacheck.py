"""`python -m tools.ops.datacheck` as a subprocess against two real servers, each with its own CA.

Both sides are read with the servers' read-only users, so a run that tried to write anything
would fail (Unauthorized) instead of passing: datacheck never writes.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymongo
import pytest
from bson import ObjectId
from bson.int64 import Int64

from tools.local.db import LocalDb, running
from tools.local.db.certs import write_ca

REPO = Path(__file__).resolve().parents[2]
# An unreachable or refused server must be reported within seconds, not after pymongo's 30 s.
FAST = "&serverSelectionTimeoutMS=1500"

IDS = {
    "oid": ObjectId("65f000000000000000000001"),
    "late": ObjectId("65f000000000000000000002"),
    "typed": ObjectId("65f000000000000000000003"),
    "nested": ObjectId("65f000000000000000000004"),
}


@pytest.fixture(scope="module")
def target_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDb]:
    """A second server with a CA of its own: each side is verified against its own CA file."""
    with running(state_dir=tmp_path_factory.mktemp("wire-target")) as db:
        yield db


def reader_uri(db: LocalDb, database: str) -> str:
    return db.uri_for(db.reader_username, db.reader_password, database=database, with_ca_file=False)


def datacheck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.ops.datacheck", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def check(
    source: LocalDb, target: LocalDb, database: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    return datacheck(
        "--source", reader_uri(source, database),
        "--target", reader_uri(target, database),
        "--source-ca", str(source.ca_file),
        "--target-ca", str(target.ca_file),
        *extra,
    )  # fmt: skip


def documents() -> list[dict[str, Any]]:
    return [
        {"_id": IDS["oid"], "owner": "alice", "title": "a", "version": 1},
        {"_id": IDS["late"], "owner": "alice", "title": "b", "due": None, "tags": ["x", "y"]},
        {"_id": IDS["typed"], "owner": "bob", "count": 5, "ratio": 0.5},
        {"_id": IDS["nested"], "owner": "bob", "meta": {"a": 1, "b": {"c": [1, {"d": 2}]}}},
        {"_id": 7, "kind": "int id"},
        {"_id": "legacy-key", "kind": "string id"},
    ]


def reordered(document: dict[str, Any]) -> dict[str, Any]:
    """The same document with its fields (and its embedded documents' fields) reversed."""
    return {
        key: reordered(value) if isinstance(value, dict) else value
        for key, value in reversed(document.items())
    }


def seed(db: LocalDb, database: str, docs: list[dict[str, Any]], *, names: str = "") -> None:
    with pymongo.MongoClient(db.uri) as client:
        tasks = client[database].tasks
        tasks.insert_many(docs)
        tasks.create_index([("owner", 1), ("_id", -1)], name=f"{names}owner_newest")
        tasks.create_index([("title", 1)], name=f"{names}title", unique=True, sparse=True)
        tasks.create_index([("expires", 1)], name=f"{names}ttl", expireAfterSeconds=3600)
        client[database].audit.insert_one({"_id": 1, "event": "created"})


def test_equal_databases_match_whatever_the_field_order_and_index_names(
    wire_db: LocalDb, target_db: LocalDb
) -> None:
    seed(wire_db, "same", documents())
    seed(target_db, "same", [reordered(doc) for doc in reversed(documents())], names="dms_")

    result = check(wire_db, target_db, "same")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "MATCH: 2 collections, 7 source and 7 target documents compared" in result.stdout
    assert result.stderr == ""


def test_differences_are_reported_with_their_ids_and_exit_1(
    wire_db: LocalDb, target_db: LocalDb
) -> None:
    seed(wire_db, "drift", documents())
    changed = {doc["_id"]: dict(doc) for doc in documents()}
    del changed[IDS["late"]]  # missing in the target
    changed[IDS["typed"]]["count"] = Int64(5)  # same number, another BSON type
    changed[IDS["nested"]]["meta"] = {"a": 1, "b": {"c": [1, {"d": 3}]}}  # deep change
    changed["extra"] = {"_id": "extra", "kind": "only in target"}
    seed(target_db, "drift", list(changed.values()))
    with pymongo.MongoClient(target_db.uri) as client:
        client.drift.tasks.drop_index("title")
        client.drift.tasks.drop_index("ttl")
        client.drift.tasks.create_index([("expires", 1)], name="ttl", expireAfterSeconds=60)

    result = check(wire_db, target_db, "drift")

    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert f"tasks: 1 missing in target: {IDS['late']}" in out
    assert 'tasks: 1 extra in target: "extra"' in out
    assert f"tasks: 2 content differs: {IDS['typed']}, {IDS['nested']}" in out
    assert (
        'tasks: index missing in target: {"key": {"title": 1}, "unique": true, "sparse": true}'
        in out
    )
    assert (
        '"expireAfterSeconds": 3600}, target {"key": {"expires": 1}, "expireAfterSeconds": 60}'
        in out
    )
    assert "audit" in out and "DIFFERENT: 2 collections" in out

    as_json = json.loads(check(wire_db, target_db, "drift", "--format", "json").stdout)
    tasks = next(c for c in as_json["collections"] if c["name"] == "tasks")
    assert as_json["match"] is False and tasks["match"] is False
    assert (tasks["source_count"], tasks["target_count"]) == (6, 6)
    assert tasks["missing_in_target"] == {"count": 1, "sample": [{"$oid": str(IDS["late"])}]}
    assert tasks["extra_in_target"] == {"count": 1, "sample": ["extra"]}
    assert tasks["content_differs"]["count"] == 2
    assert tasks["indexes"]["missing_in_target"] == [
        {"key": {"title": 1}, "unique": True, "sparse": True}
    ]
    audit = next(c for c in as_json["collections"] if c["name"] == "audit")
    assert audit["match"] is True


def test_streams_past_one_batch_and_caps_the_sample(wire_db: LocalDb, target_db: LocalDb) -> None:
    many = [{"_id": n, "n": n} for n in range(1100)]  # 2 batches of 1,000 per side
    seed(wire_db, "many", many)
    seed(target_db, "many", [{**doc, "n": -1} if doc["_id"] % 250 == 7 else doc for doc in many])

    result = check(wire_db, target_db, "many", "--collections", "tasks", "--sample", "2")

    assert result.returncode == 1, result.stderr
    assert "tasks: 5 content differs: 7, 257 (and 3 more)" in result.stdout
    assert "1 collections, 1100 source and 1100 target documents" in result.stdout


def test_a_collection_missing_in_the_target(wire_db: LocalDb, target_db: LocalDb) -> None:
    with pymongo.MongoClient(wire_db.uri) as client:
        client.partial.users.insert_one({"_id": "u1"})
    with pymongo.MongoClient(target_db.uri) as client:
        client.partial.other.insert_one({"_id": "o1"})

    result = check(wire_db, target_db, "partial", "--collections", "users")

    assert result.returncode == 1
    assert "users: not in the target" in result.stdout
    assert 'users: 1 missing in target: "u1"' in result.stdout


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_a_wrong_password_is_one_line(wire_db: LocalDb, target_db: LocalDb) -> None:
    bad = wire_db.uri_for(wire_db.reader_username, "wrong", database="same", with_ca_file=False)
    line = one_line_error(
        datacheck("--source", bad, "--target", reader_uri(target_db, "same"),
                  "--source-ca", str(wire_db.ca_file), "--target-ca", str(target_db.ca_file))
    )  # fmt: skip
    assert line.startswith(
        f"datacheck: error: cannot use the source at 127.0.0.1:{wire_db.port}/same:"
    )
    assert "the login failed" in line
    assert wire_db.reader_password not in line


def test_the_other_sides_ca_is_one_line(wire_db: LocalDb, target_db: LocalDb) -> None:
    line = one_line_error(
        datacheck("--source", reader_uri(wire_db, "same") + FAST,
                  "--target", reader_uri(target_db, "same"),
                  "--source-ca", str(target_db.ca_file), "--target-ca", str(target_db.ca_file))
    )  # fmt: skip
    assert "source" in line and "TLS certificate verification failed" in line


def test_an_unreachable_server_is_one_line(wire_db: LocalDb, tmp_path: Path) -> None:
    closed = "mongodb://u:p@127.0.0.1:9/db?tls=true" + FAST  # the discard port: nothing listens
    line = one_line_error(
        datacheck("--source", reader_uri(wire_db, "same"), "--target", closed,
                  "--source-ca", str(wire_db.ca_file),
                  "--target-ca", str(write_ca(tmp_path / "ca.pem")))
    )  # fmt: skip
    assert line.startswith("datacheck: error: cannot use the target at 127.0.0.1:9/db:")
    assert "refused" in line.lower()


def test_a_refused_connection_is_reported_without_waiting_for_server_selection(
    wire_db: LocalDb,
) -> None:
    """No FAST here: the URI keeps datacheck's 10 s server selection. A refusal is final, so
    the probe in front of pymongo reports it; pymongo itself would retry until the timeout and
    word it differently ("... Connection refused" after 10 s), which this message rules out."""
    closed = "mongodb://u:p@127.0.0.1:9/db?tls=true"
    line = one_line_error(
        datacheck("--source", reader_uri(wire_db, "same"), "--target", closed,
                  "--source-ca", str(wire_db.ca_file))
    )  # fmt: skip
    assert line.startswith("datacheck: error: cannot use the target at 127.0.0.1:9/db:")
    assert "connection refused (nothing listens there" in line


# Hosts are loopback addresses only: a bad-input test must not even resolve a name.
GOOD = "mongodb://127.0.0.1:9/db"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--source", "http://nope", "--target", GOOD], "the source URI is not valid"),
        (["--source", GOOD, "--target", "mongodb://127.0.0.1:9"], "target URI names no database"),
        (["--source", GOOD], "the following arguments are required: --target"),
        (["--source", GOOD, "--target", GOOD, "--sample", "-1"], "--sample must be 0 or more"),
        (["--source", GOOD, "--target", GOOD, "--collections", "a,,b"], "--collections takes"),
        (["--source", GOOD, "--target", GOOD, "--target-ca", "/nonexistent.pem"],
         "--target-ca /nonexistent.pem: no such file"),
        (["--source", GOOD, "--target", GOOD, "--format", "xml"], "invalid choice: 'xml'"),
    ],
)  # fmt: skip
def test_bad_arguments_are_one_line_before_any_connection(
    arguments: list[str], message: str
) -> None:
    assert message in one_line_error(datacheck(*arguments))


def test_a_collection_on_neither_side_is_bad_input(wire_db: LocalDb, target_db: LocalDb) -> None:
    line = one_line_error(check(wire_db, target_db, "same", "--collections", "taks"))
    assert "collection 'taks' exists on neither side" in line


def test_preferences_are_compared_like_tasks(wire_db: LocalDb, target_db: LocalDb) -> None:
    """Legacy's ``preferences`` collection moves with the database (docs/data-migration.md,
    "Preferences: one store"): a run without ``--collections`` checks it, and a preference that
    changed BSON type on the way, or did not arrive, fails the run."""
    at = dt.datetime(2030, 1, 2, 3, 4, 5, 123000, tzinfo=dt.UTC)
    saved = [
        {"_id": f"user-{n}", "theme": "dark", "language": "en", "email_notifications": True,
         "tasks_page_size": 20, "updated_at": at}
        for n in range(3)
    ]  # fmt: skip
    with pymongo.MongoClient(wire_db.uri) as client:
        client.prefs.tasks.insert_one({"_id": IDS["oid"], "owner": "user-0"})
        client.prefs.preferences.insert_many(saved)
    arrived = [dict(document) for document in saved[:2]]
    arrived[1]["tasks_page_size"] = Int64(20)  # same number, another BSON type
    with pymongo.MongoClient(target_db.uri) as client:
        client.prefs.tasks.insert_one({"_id": IDS["oid"], "owner": "user-0"})
        client.prefs.preferences.insert_many(arrived)

    result = check(wire_db, target_db, "prefs", "--format", "json")

    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    preferences = next(c for c in report["collections"] if c["name"] == "preferences")
    assert (preferences["source_count"], preferences["target_count"]) == (3, 2)
    assert preferences["missing_in_target"]["sample"] == ["user-2"]
    assert preferences["content_differs"]["sample"] == ["user-1"]


def test_the_local_servers_uri_comes_from_one_command(wire_db: LocalDb) -> None:
    """`python -m tools.local.db uri` prints what datacheck needs for the local server
    (reader credentials, authSource=admin, replica set, CA file): no digging in
    connection.json. Both sides here are the same database, so they match."""
    seed(wire_db, "local_uri", documents())
    printed = subprocess.run(
        [sys.executable, "-m", "tools.local.db", "uri", "--state-dir", str(wire_db.state_dir),
         "--database", "local_uri"],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert printed.returncode == 0, printed.stderr
    uri = printed.stdout.strip()
    assert "authSource=admin" in uri and wire_db.reader_password not in printed.stderr

    result = datacheck("--source", uri, "--target", uri)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "MATCH" in result.stdout


def test_the_uri_command_without_a_running_server_is_one_line(tmp_path: Path) -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "tools.local.db", "uri", "--state-dir", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert printed.returncode == 1
    assert printed.stderr.strip().endswith("does not exist: start make local")
