"""Parity fixtures: two small Taskly-like HTTP servers on 127.0.0.1, started and stopped here.

``legacy`` answers like the Express app would, with a fresh ``requestId`` and ``servedAt`` in
every answer (the A/A noise the tool must subtract); ``new`` answers from the same data without
them. A test changes a server's data or answers to inject the difference it looks for.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

TOKEN = "Bearer parity-test-token"
TASKS = {
    "64b7f0c2a1e4d3b2c1a09f01": {"title": "Buy milk", "status": "open", "tags": ["home", "shop"]},
    "64b7f0c2a1e4d3b2c1a09f02": {"title": "Ship it", "status": "done", "tags": ["work"]},
}

Answer = tuple[int, Any]


@dataclass
class FakeApi:
    """A JSON API on an ephemeral 127.0.0.1 port that records what it was asked."""

    noisy: bool
    tasks: dict[str, dict[str, Any]] = field(default_factory=lambda: json.loads(json.dumps(TASKS)))
    calls: list[tuple[str, str]] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)
    override: Callable[[str, str], Answer | None] = lambda _method, _path: None
    url: str = ""

    def answer(self, method: str, path: str, authorization: str | None) -> Answer:  # noqa: PLR0911 (one return per route, like the app it imitates)
        self.calls.append((method, path))
        special = self.override(method, path)
        if special is not None:
            return special
        if path == "/api/health":
            return 200, {"status": "ok"}
        if authorization != TOKEN:
            return 401, {"message": "Unauthorized"}
        route = path.split("?", maxsplit=1)[0]
        if method == "GET" and route == "/api/tasks":
            items = [{"id": key, **task} for key, task in sorted(self.tasks.items())]
            return 200, self._stamp({"items": items, "next_cursor": None})
        if method == "GET" and route == "/api/tasks/stats":
            done = sum(task["status"] == "done" for task in self.tasks.values())
            return 200, {"open": len(self.tasks) - done, "done": done, "ratio": done / 3}
        if method == "GET" and route.startswith("/api/tasks/"):
            key = route.rsplit("/", 1)[1]
            if key not in self.tasks:
                return 404, {"message": "task not found"}
            return 200, self._stamp({"id": key, **self.tasks[key]})
        if method == "POST" and route == "/api/tasks":
            return 201, self._stamp({"id": uuid.uuid4().hex, "title": "created"})
        if method == "GET" and route == "/api/users/me":
            return 200, {"user": "alice"}
        return 404, {"message": f"Cannot {method} {route}"}

    def _stamp(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.noisy:
            return {**body, "requestId": uuid.uuid4().hex, "servedAt": uuid.uuid4().int % 10**9}
        return body


def serve(api: FakeApi) -> Iterator[FakeApi]:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if raw:
                api.bodies.append(json.loads(raw))
            status, body = api.answer(self.command, self.path, self.headers.get("Authorization"))
            payload = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _reply  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def legacy() -> Iterator[FakeApi]:
    yield from serve(FakeApi(noisy=True))


@pytest.fixture
def new() -> Iterator[FakeApi]:
    yield from serve(FakeApi(noisy=False))
