"""The local API's tasks and preferences routes over real HTTP, on the wire server.

Nothing of the tasks or profile function is swapped: each reads its database secret (the
legacy-MongoDB shape, with the server's CA as PEM text) from moto's Secrets Manager through
Powertools, writes the CA to /tmp, and connects with TLS, SCRAM and replica set rs0 through the
same ``create_client`` as in Lambda. The tests then read the documents straight from the server.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pymongo
import pytest
import requests
from bson import ObjectId

from tests.integration.api.api_http_support import LocalApi, run_local_api
from tools.local.api.__main__ import DOCDB_SECRET_VARIABLE
from tools.local.db import LocalDb


@pytest.fixture(scope="module")
def wire_api(wire_db: LocalDb, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    # How `make local` hands its wire server to the new API (tools/local/edge).
    environment = {DOCDB_SECRET_VARIABLE: json.dumps(wire_db.secret())}
    with run_local_api(tmp_path_factory.mktemp("wire-api"), env=environment) as api:
        yield api


def test_banner_names_the_wire_server(wire_api: LocalApi) -> None:
    assert "DocumentDB by the MongoDB-wire server" in wire_api.banner


def test_the_secret_in_secrets_manager_is_the_legacy_shape(
    wire_api: LocalApi, wire_db: LocalDb
) -> None:
    secrets = wire_api.aws("secretsmanager")
    secret = json.loads(secrets.get_secret_value(SecretId="taskly-local-docdb")["SecretString"])
    assert secret["tls_ca_pem"] == wire_db.ca_file.read_text()
    assert secret["password"] == wire_db.password
    assert (secret["host"], secret["port"], secret["replicaSet"]) == (
        "127.0.0.1",
        wire_db.port,
        "rs0",
    )


def test_tasks_routes_read_and_write_the_wire_server(wire_api: LocalApi, wire_db: LocalDb) -> None:
    headers = {"Authorization": f"Bearer {wire_api.token_for('wire-alice')}"}
    tasks = f"{wire_api.base_url}/api/tasks"
    with requests.Session() as http:
        created = http.post(
            tasks,
            json={"title": "over the wire", "due_date": "2030-01-02"},
            headers=headers,
            timeout=15,
        )
        assert created.status_code == 201, created.text
        task = created.json()
        with pymongo.MongoClient(wire_db.uri) as client:
            stored = client.taskly.tasks.find_one({"_id": ObjectId(task["id"])})
            index_names = {index["name"] for index in client.taskly.tasks.list_indexes()}
        assert stored is not None and stored["owner"] == "wire-alice"
        assert {"owner_newest", "owner_status_newest", "owner_due"} <= index_names

        listed = http.get(tasks, headers=headers, timeout=15).json()
        assert [item["id"] for item in listed["items"]] == [task["id"]]
        updated = http.patch(
            f"{tasks}/{task['id']}",
            json={"status": "done", "version": 1},
            headers=headers,
            timeout=15,
        )
        assert (updated.status_code, updated.json()["version"]) == (200, 2)
        stale = http.patch(
            f"{tasks}/{task['id']}", json={"title": "x", "version": 1}, headers=headers, timeout=15
        )
        assert stale.status_code == 409
        stats = http.get(f"{tasks}/stats", headers=headers, timeout=15).json()
        assert stats["total"] == 1 and stats["by_status"]["done"] == 1
        other = {"Authorization": f"Bearer {wire_api.token_for('wire-bob')}"}
        assert http.get(f"{tasks}/{task['id']}", headers=other, timeout=15).status_code == 404
        assert http.delete(f"{tasks}/{task['id']}", headers=headers, timeout=15).status_code == 204
        assert http.get(f"{tasks}/{task['id']}", headers=headers, timeout=15).status_code == 404


def test_preferences_routes_read_and_write_legacys_collection(
    wire_api: LocalApi, wire_db: LocalDb
) -> None:
    """The profile function keeps preferences where legacy does (legacy/src/profile.js): the
    ``preferences`` collection, ``_id`` = the user, BSON types as Node writes them."""
    headers = {"Authorization": f"Bearer {wire_api.token_for('wire-carol')}"}
    url = f"{wire_api.base_url}/api/me/preferences"
    body = {"theme": "dark", "language": "pt-BR", "email_notifications": False}
    with requests.Session() as http:
        saved = http.put(url, json={**body, "tasks_page_size": 50}, headers=headers, timeout=15)
        assert saved.status_code == 200, saved.text
        with pymongo.MongoClient(wire_db.uri) as client:
            stored = client.taskly.preferences.find_one({"_id": "wire-carol"})
            assert stored is not None
            assert {name: type(value).__name__ for name, value in stored.items()} == {
                "_id": "str",
                "theme": "str",
                "language": "str",
                "email_notifications": "bool",
                "tasks_page_size": "int",  # int32, as Node writes 50 (an int64 reads as Int64)
                "updated_at": "datetime",
            }
            answered = dt.datetime.fromisoformat(saved.json()["updated_at"])
            assert stored["updated_at"].replace(tzinfo=dt.UTC) == answered
            # What legacy wrote for another user (missing fields) is read with its defaults.
            client.taskly.preferences.insert_one({"_id": "wire-dan", "theme": "light"})
        read = http.get(url, headers=headers, timeout=15).json()
        assert read == saved.json()
        assert read == {**body, "tasks_page_size": 50, "updated_at": saved.json()["updated_at"]}
        dan = {"Authorization": f"Bearer {wire_api.token_for('wire-dan')}"}
        assert http.get(url, headers=dan, timeout=15).json() == {
            "theme": "light",
            "language": "en",
            "email_notifications": True,
            "tasks_page_size": 20,
            "updated_at": None,
        }
