"""Requests through the local edge: the real cutover.js picks legacy or the new API by weight
and cookie, unmigrated routes reach legacy through the new API's proxy route, and both sides
share one database (a real MongoDB-wire server).

What it does not prove: CloudFront itself (edge locations, TLS, how fast a KeyValueStore write
propagates), API Gateway itself (tools/local/api is its stand-in), or DocumentDB (SecantusDB is
a MongoDB-wire server; see docs/api.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
import requests

from tools.local.api.devjwt import DevKey, issue_token
from tools.local.edge.launch import LocalPath
from tools.local.edge.measure import answered_by, measure_share, viewer_token
from tools.ops.cutover.cli import main as cutover

VIEWERS = 100
COOKIE = "__Host-taskly-cutover"


def set_weight(path: LocalPath, *argv: str) -> None:
    assert cutover([*argv, "--local", "--local-store", str(path.store_file)]) == 0


@pytest.fixture
def weight(local_path: LocalPath) -> Iterator[object]:
    # The routing is under test here, not the parity gate (tests/edge/test_parity_gate.py).
    def apply(value: int) -> None:
        set_weight(local_path, "set", str(value), "--no-parity-gate")

    yield apply
    set_weight(local_path, "set", "0")


def expected_new(subject: str, weight: int) -> bool:
    """The function's rule, from docs/edge.md: sha256("sub:" + sub), 8 hex digits, mod 100."""
    bucket = int(hashlib.sha256(f"sub:{subject}".encode()).hexdigest()[:8], 16) % 100
    return bucket < weight


def get(path: LocalPath, route: str, token: str, **kwargs: object) -> requests.Response:
    return requests.get(
        f"{path.url(path.ports.edge)}{route}",
        headers={"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})},  # type: ignore[dict-item]
        timeout=30,
        **kwargs,  # type: ignore[arg-type]
    )


def test_weights_0_50_100_send_exactly_the_viewers_the_function_picks(
    local_path: LocalPath, dev_key: DevKey, weight: object
) -> None:
    edge = local_path.url(local_path.ports.edge)
    for value in (0, 50, 100):
        weight(value)  # type: ignore[operator]
        share = measure_share(edge, dev_key, viewers=VIEWERS)
        expected = sum(expected_new(f"viewer-{i:04d}", value) for i in range(VIEWERS))
        print(f"weight {value}: {share.new_percent:.1f}% of {VIEWERS} viewers on the new API")
        assert share.by_origin == {
            **({"new": expected} if expected else {}),
            **({"legacy": VIEWERS - expected} if expected < VIEWERS else {}),
        }
    # At 50 both sides answered a fair share (checked exactly above; this guards the rule).
    assert 35 <= sum(expected_new(f"viewer-{i:04d}", 50) for i in range(VIEWERS)) <= 65


def test_the_cookie_keeps_a_viewer_on_its_origin(
    local_path: LocalPath, dev_key: DevKey, weight: object
) -> None:
    weight(50)  # type: ignore[operator]
    moved = 0
    for index in range(20):
        first = get(local_path, "/api/tasks/stats", viewer_token(dev_key, index))
        pinned = first.cookies.get(COOKIE)
        assert pinned is not None, first.headers
        origin = answered_by(first.headers)
        # Signed in as someone else, same browser: the cookie, not the new subject, decides.
        other = issue_token(dev_key, subject=f"someone-else-{index}")
        again = get(local_path, "/api/tasks/stats", other, cookies={COOKIE: pinned})
        assert answered_by(again.headers) == origin
        assert COOKIE not in again.cookies, "a valid cookie is not issued again"
        moved += origin != answered_by(get(local_path, "/api/tasks/stats", other).headers)
    assert moved > 0, "without the cookie some of these viewers would have switched origin"


def test_data_written_through_one_side_is_read_through_the_other(
    local_path: LocalPath, dev_key: DevKey, weight: object
) -> None:
    token = issue_token(dev_key, subject="sharer")
    edge = local_path.url(local_path.ports.edge)
    auth = {"Authorization": f"Bearer {token}"}
    weight(0)  # type: ignore[operator]
    created = requests.post(
        f"{edge}/api/tasks",
        json={"title": "from legacy", "due_date": "2030-01-02"},
        headers=auth,
        timeout=30,
    )
    assert (created.status_code, answered_by(created.headers)) == (201, "legacy")
    task = created.json()

    weight(100)  # type: ignore[operator]
    read = requests.get(f"{edge}/api/tasks/{task['id']}", headers=auth, timeout=30)
    assert (read.status_code, answered_by(read.headers)) == (200, "new")
    assert read.json() == task
    changed = requests.patch(
        f"{edge}/api/tasks/{task['id']}",
        json={"status": "done", "version": 1},
        headers=auth,
        timeout=30,
    )
    assert (changed.status_code, answered_by(changed.headers)) == (200, "new")

    weight(0)  # type: ignore[operator]
    again = requests.get(f"{edge}/api/tasks/{task['id']}", headers=auth, timeout=30)
    assert answered_by(again.headers) == "legacy"
    assert again.json() == changed.json()
    assert again.json()["status"] == "done"
    assert again.json()["version"] == 2
    stats = requests.get(f"{edge}/api/tasks/stats", headers=auth, timeout=30).json()
    assert stats["by_status"]["done"] == 1


def test_routes_that_are_not_migrated_reach_legacy_through_the_new_api(
    local_path: LocalPath, dev_key: DevKey, weight: object
) -> None:
    weight(100)  # type: ignore[operator]
    token = issue_token(dev_key, subject="projects-user")
    me = get(local_path, "/api/users/me", token)
    assert (me.status_code, answered_by(me.headers)) == (200, "new->legacy")
    assert me.json()["id"] == "projects-user"
    projects = get(local_path, "/api/projects", token)
    assert (projects.status_code, answered_by(projects.headers)) == (200, "new->legacy")
    # A migrated route at weight 100 is answered by the function, not proxied.
    assert answered_by(get(local_path, "/api/tasks", token).headers) == "new"


def test_a_tester_override_needs_the_rotated_token(
    local_path: LocalPath, dev_key: DevKey, weight: object, capsys: pytest.CaptureFixture[str]
) -> None:
    weight(0)  # type: ignore[operator]
    set_weight(local_path, "override-token", "rotate")
    printed = capsys.readouterr().out
    token = printed.rsplit("x-taskly-override-token: ", 1)[1].strip()
    viewer = issue_token(dev_key, subject="tester")

    def origin(headers: dict[str, str]) -> str:
        return answered_by(get(local_path, "/api/tasks/stats", viewer, headers=headers).headers)

    assert origin({}) == "legacy"
    assert origin({"x-taskly-origin": "new", "x-taskly-override-token": token}) == "new"
    assert origin({"x-taskly-origin": "new", "x-taskly-override-token": "wrong" * 9}) == "legacy"
    assert origin({"x-taskly-origin": "new"}) == "legacy"
    weight(100)  # type: ignore[operator]
    assert origin({"x-taskly-origin": "legacy", "x-taskly-override-token": token}) == "legacy"
    assert origin({"x-taskly-origin": "legacy", "x-taskly-override-token": token[:-1]}) == "new"


def test_an_oversized_body_is_a_json_413_through_the_edge(
    local_path: LocalPath, dev_key: DevKey, weight: object
) -> None:
    """Over API Gateway's 10 MB payload quota: its JSON 413, not a transport error at the edge.

    The 413 is tools/local/api's stand-in for API Gateway's; the edge streams the body on.
    """
    weight(100)  # type: ignore[operator]
    token = issue_token(dev_key, subject="oversized-body")
    response = requests.post(
        f"{local_path.url(local_path.ports.edge)}/api/tasks",
        data=b"{" + b" " * (11 * 1024 * 1024) + b"}",
        headers={"Authorization": f"Bearer {token}", "content-type": "application/json"},
        timeout=60,
    )
    assert (response.status_code, answered_by(response.headers)) == (413, "new"), response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"message": "Request Entity Too Large"}
