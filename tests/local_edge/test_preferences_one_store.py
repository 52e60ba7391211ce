"""Preferences saved through one side are read through the other, at weight 50, both ways.

At weight 50 the edge function sends half the viewers to legacy and half to the new API; a
viewer moved by the weight (or back by a rollback) must keep what they saved. Each user here
saves through the side its own bucket picks, then reads with the cookie of a viewer the function
put on the other side (the cookie, not the token, decides the origin: docs/edge.md), so the read
is answered by the other backend. Both backends are the real ones: legacy (Node, its own
MongoDB driver) and the new API's profile handler, on one MongoDB-wire server.

What it does not prove: DocumentDB itself (SecantusDB is a MongoDB-wire server), nor CloudFront
(see test_local_path.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pymongo
import pytest
import requests

from tests.local_edge.test_local_path import COOKIE, expected_new, set_weight
from tools.local.api.devjwt import DevKey, issue_token
from tools.local.edge.launch import LocalPath
from tools.local.edge.measure import answered_by

WEIGHT = 50
ROUTE = "/api/me/preferences"


@pytest.fixture
def at_weight_50(local_path: LocalPath) -> Iterator[None]:
    # The routing and the store are under test, not the parity gate (test_parity_gate.py).
    set_weight(local_path, "set", str(WEIGHT), "--no-parity-gate")
    yield
    set_weight(local_path, "set", "0")


def subject_on(side: str, prefix: str) -> str:
    """The first ``prefix-N`` subject the function buckets to ``side`` at WEIGHT."""
    return next(
        f"{prefix}-{n}"
        for n in range(1000)
        if expected_new(f"{prefix}-{n}", WEIGHT) == (side == "new")
    )


def pinning_cookie(path: LocalPath, key: DevKey, side: str) -> str:
    """The cookie the edge gives a first-time viewer it sends to ``side``."""
    viewer = issue_token(key, subject=subject_on(side, "cookie-viewer"))
    first = requests.get(
        f"{path.url(path.ports.edge)}{ROUTE}",
        headers={"Authorization": f"Bearer {viewer}"},
        timeout=30,
    )
    assert answered_by(first.headers) == side, first.headers
    cookie = first.cookies.get(COOKIE)
    assert cookie is not None
    return cookie


def call(
    path: LocalPath, method: str, token: str, *, cookie: str | None = None, **kwargs: Any
) -> requests.Response:
    return requests.request(
        method,
        f"{path.url(path.ports.edge)}{ROUTE}",
        headers={"Authorization": f"Bearer {token}"},
        cookies={COOKIE: cookie} if cookie else None,
        timeout=30,
        **kwargs,
    )


def round_trip(
    path: LocalPath, key: DevKey, *, saved_on: str, read_on: str, body: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    user = subject_on(saved_on, f"prefs-{saved_on}-user")
    token = issue_token(key, subject=user)
    saved = call(path, "PUT", token, json=body)
    assert (saved.status_code, answered_by(saved.headers)) == (200, saved_on), saved.text
    read = call(path, "GET", token, cookie=pinning_cookie(path, key, read_on))
    assert (read.status_code, answered_by(read.headers)) == (200, read_on), read.text
    print(f"PUT {ROUTE} as {user} via {saved_on}: {saved.json()}")
    print(f"GET {ROUTE} as {user} via {read_on}: {read.json()}")
    return saved.json(), read.json()


def test_saved_on_legacy_read_on_the_new_api(
    local_path: LocalPath, dev_key: DevKey, at_weight_50: None
) -> None:
    body = {"theme": "dark", "language": "pt-BR", "email_notifications": False}
    saved, read = round_trip(
        local_path, dev_key, saved_on="legacy", read_on="new", body={**body, "tasks_page_size": 7}
    )
    assert read == saved
    assert read == {**body, "tasks_page_size": 7, "updated_at": saved["updated_at"]}


def test_saved_on_the_new_api_read_on_legacy(
    local_path: LocalPath, dev_key: DevKey, at_weight_50: None
) -> None:
    body = {"theme": "light", "language": "fr", "email_notifications": True}
    saved, read = round_trip(
        local_path, dev_key, saved_on="new", read_on="legacy", body={**body, "tasks_page_size": 99}
    )
    assert read == saved
    assert read == {**body, "tasks_page_size": 99, "updated_at": saved["updated_at"]}


def test_both_sides_write_the_same_document_shape(
    local_path: LocalPath, dev_key: DevKey, at_weight_50: None
) -> None:
    """Field names and BSON types of what legacy's driver and the profile function store."""
    body = {"theme": "dark", "language": "en", "email_notifications": True, "tasks_page_size": 20}
    users = {side: subject_on(side, f"shape-{side}") for side in ("legacy", "new")}
    for side, user in users.items():
        saved = call(local_path, "PUT", issue_token(dev_key, subject=user), json=body)
        assert (saved.status_code, answered_by(saved.headers)) == (200, side)
    with pymongo.MongoClient(local_path.db.uri) as client:
        shapes = {
            side: {
                name: type(value).__name__
                for name, value in client.taskly.preferences.find_one({"_id": user}).items()
            }
            for side, user in users.items()
        }
    assert shapes["new"] == shapes["legacy"]
    assert shapes["legacy"]["updated_at"] == "datetime"
