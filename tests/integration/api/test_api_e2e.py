"""End to end over real HTTP: `make local`'s server, moto and the real handlers."""

from __future__ import annotations

import time
import uuid

import requests
from api_http_support import LocalApi


def auth(api: LocalApi, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.token_for(user)}"}


def test_task_lifecycle_and_isolation(local_api: LocalApi, http: requests.Session) -> None:
    alice, bob = f"alice-{uuid.uuid4()}", f"bob-{uuid.uuid4()}"
    base = f"{local_api.base_url}/api"

    # Create (retried with the same Idempotency-Key: one task).
    body = {"title": "Quarterly report", "due_date": "2000-01-31"}
    headers = {**auth(local_api, alice), "Idempotency-Key": str(uuid.uuid4())}
    created = http.post(f"{base}/tasks", json=body, headers=headers, timeout=5)
    retried = http.post(f"{base}/tasks", json=body, headers=headers, timeout=5)
    assert created.status_code == retried.status_code == 201
    assert created.json() == retried.json()
    task = created.json()
    task_url = f"{base}/tasks/{task['id']}"
    assert created.headers["Location"] == f"/api/tasks/{task['id']}"

    # List and get.
    listed = http.get(f"{base}/tasks", headers=auth(local_api, alice), timeout=5).json()
    assert [item["id"] for item in listed["items"]] == [task["id"]]
    assert http.get(task_url, headers=auth(local_api, alice), timeout=5).json() == task

    # Update (conditional on the version just read).
    updated = http.patch(
        task_url,
        json={"status": "in_progress", "version": 1},
        headers=auth(local_api, alice),
        timeout=5,
    )
    assert updated.status_code == 200 and updated.json()["version"] == 2
    stale = http.patch(
        task_url, json={"title": "x", "version": 1}, headers=auth(local_api, alice), timeout=5
    )
    assert stale.status_code == 409

    # Stats: in progress and overdue (due in 2000).
    stats = http.get(f"{base}/tasks/stats", headers=auth(local_api, alice), timeout=5).json()
    assert stats == {
        "total": 1,
        "by_status": {"todo": 0, "in_progress": 1, "done": 0},
        "overdue": 1,
    }

    # Share: 202, and the email worker sends it through (emulated) SES.
    shared = http.post(
        f"{task_url}/share",
        json={"email": "bob@example.com"},
        headers=auth(local_api, alice),
        timeout=5,
    )
    assert shared.status_code == 202
    assert wait_for_sent_emails(local_api, at_least=1), "the share email was not sent"

    # Another user sees nothing and can touch nothing.
    assert http.get(f"{base}/tasks", headers=auth(local_api, bob), timeout=5).json()["items"] == []
    assert http.get(task_url, headers=auth(local_api, bob), timeout=5).status_code == 404
    assert http.delete(task_url, headers=auth(local_api, bob), timeout=5).status_code == 404
    bobs_stats = http.get(f"{base}/tasks/stats", headers=auth(local_api, bob), timeout=5).json()
    assert bobs_stats["total"] == 0

    # Delete.
    assert http.delete(task_url, headers=auth(local_api, alice), timeout=5).status_code == 204
    assert http.get(task_url, headers=auth(local_api, alice), timeout=5).status_code == 404


def wait_for_sent_emails(api: LocalApi, *, at_least: int, timeout: float = 10) -> bool:
    ses = api.aws("ses")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ses.get_send_quota()["SentLast24Hours"] >= at_least:
            return True
        time.sleep(0.2)
    return False


def test_preferences_round_trip(local_api: LocalApi, http: requests.Session) -> None:
    user = f"carol-{uuid.uuid4()}"
    url = f"{local_api.base_url}/api/me/preferences"
    assert http.get(url, headers=auth(local_api, user), timeout=5).json()["updated_at"] is None
    wanted = {
        "theme": "dark",
        "language": "pt-BR",
        "email_notifications": False,
        "tasks_page_size": 30,
    }
    assert http.put(url, json=wanted, headers=auth(local_api, user), timeout=5).status_code == 200
    stored = http.get(url, headers=auth(local_api, user), timeout=5).json()
    assert {name: stored[name] for name in wanted} == wanted


def test_gateway_answers_like_api_gateway(local_api: LocalApi, http: requests.Session) -> None:
    base = f"{local_api.base_url}/api"
    assert http.get(f"{base}/health", timeout=5).json()["status"] == "ok"
    no_token = http.get(f"{base}/tasks", timeout=5)
    assert (no_token.status_code, no_token.json()) == (401, {"message": "Unauthorized"})
    bad_token = http.get(f"{base}/tasks", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert bad_token.status_code == 401
    assert "invalid_token" in bad_token.headers["WWW-Authenticate"]
    legacy = http.get(f"{base}/invoices", headers=auth(local_api, "dave"), timeout=5)
    assert (legacy.status_code, legacy.json()) == (404, {"message": "Not Found"})


def test_only_requests_through_cloudfront_reach_the_functions(
    local_api: LocalApi, http: requests.Session
) -> None:
    # Given a signed-in user who calls the API directly (the execute-api URL, no CloudFront),
    refused = {"code": "forbidden", "message": "use the public endpoint"}
    for method, path in (("GET", "/api/tasks"), ("GET", "/api/me/preferences")):
        direct = http.request(
            method, f"{local_api.direct_url}{path}", headers=auth(local_api, "frank"), timeout=5
        )
        # then every route but health refuses them, the same way for each service,
        assert (direct.status_code, direct.json()) == (403, refused), path
    assert http.get(f"{local_api.direct_url}/api/health", timeout=5).status_code == 200
    # and guessing does not help, while the secret's real value (read from Secrets Manager,
    # as CloudFront's template reads it) does: the functions compare against the store.
    guessed = {**auth(local_api, "frank"), "x-origin-verify": "guess"}
    guess = http.get(f"{local_api.direct_url}/api/tasks", headers=guessed, timeout=5)
    assert guess.status_code == 403
    secret = origin_verify_value(local_api)
    known = {**auth(local_api, "frank"), "x-origin-verify": secret}
    assert http.get(f"{local_api.direct_url}/api/tasks", headers=known, timeout=5).ok
    # Through CloudFront a viewer's own x-origin-verify is replaced, never passed on.
    through = http.get(f"{local_api.base_url}/api/tasks", headers=guessed, timeout=5)
    assert through.status_code == 200


def origin_verify_value(api: LocalApi) -> str:
    secrets = api.aws("secretsmanager")
    return str(secrets.get_secret_value(SecretId="taskly-local-origin-verify")["SecretString"])


def test_bad_input_is_a_clear_4xx(local_api: LocalApi, http: requests.Session) -> None:
    base = f"{local_api.base_url}/api"
    headers = {**auth(local_api, "erin"), "Content-Type": "application/json"}
    broken = http.post(f"{base}/tasks", data=b'{"title": ', headers=headers, timeout=5)
    assert (broken.status_code, broken.json()["code"]) == (400, "invalid_json")
    unknown = http.post(
        f"{base}/tasks", json={"title": "t", "colour": "red"}, headers=headers, timeout=5
    )
    assert unknown.status_code == 422
    assert "body.colour" in unknown.json()["message"]
    huge = http.post(
        f"{base}/tasks", json={"title": "t", "description": "x" * 20000}, headers=headers, timeout=5
    )
    assert huge.status_code == 413
    assert http.get(f"{base}/tasks?cursor=bogus", headers=headers, timeout=5).status_code == 400
