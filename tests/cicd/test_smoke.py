"""tools.ops.smoke against a real HTTP server on localhost standing in for the deployed stage."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tools.ops import smoke


class Handler(BaseHTTPRequestHandler):
    # /flaky answers 503 twice, then 200: what CloudFront does while a new origin settles.
    flaky_calls = 0

    def do_GET(self) -> None:
        status = {"/": 200, "/tasks": 401, "/broken": 502}.get(self.path, 404)
        if self.path == "/flaky":
            Handler.flaky_calls += 1
            status = 503 if Handler.flaky_calls <= 2 else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_: object) -> None:
        return None


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("localhost", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()


def write_outputs(path: Path, outputs: dict[str, dict[str, str]]) -> Path:
    path.write_text(json.dumps(outputs))
    return path


def run(argv: list[str]) -> int:
    return smoke.main([*argv, "--attempts", "3", "--delay", "0", "--timeout", "5"])


def test_url_outputs_and_expectations_pass(tmp_path: Path, base_url: str, capsys) -> None:
    outputs = write_outputs(
        tmp_path / "outputs.json",
        {
            "Taskly-staging-Compute": {"ApiEndpoint": base_url, "FunctionName": "not-a-url"},
            "Taskly-staging-Edge": {"SiteUrl": f"{base_url}/"},
        },
    )
    assert run(["--outputs", str(outputs), "--expect", "ApiEndpoint", "/tasks", "401"]) == 0
    out = capsys.readouterr().out
    assert "ok   Taskly-staging-Compute.ApiEndpoint: GET " in out
    assert "/tasks expects 401: HTTP 401" in out
    assert "FunctionName" not in out  # not a URL, not checked
    assert "all 3 checks answered as expected" in out


def test_a_5xx_fails_after_retries(tmp_path: Path, base_url: str, capsys) -> None:
    outputs = write_outputs(tmp_path / "o.json", {"S": {"ApiEndpoint": f"{base_url}/broken"}})
    assert run(["--outputs", str(outputs)]) == 1
    assert "FAIL S.ApiEndpoint: GET" in capsys.readouterr().out


def test_a_wrong_status_fails_at_once(tmp_path: Path, base_url: str, capsys) -> None:
    outputs = write_outputs(tmp_path / "o.json", {"S": {"Api": base_url}})
    # The authorizer is missing: / answers 200 where 401 was expected.
    assert run(["--outputs", str(outputs), "--expect", "Api", "/", "401"]) == 1
    assert "expects 401: HTTP 200" in capsys.readouterr().out


def test_transient_5xx_is_retried_until_it_recovers(tmp_path: Path, base_url: str) -> None:
    Handler.flaky_calls = 0
    outputs = write_outputs(tmp_path / "o.json", {"S": {"Site": f"{base_url}/flaky"}})
    assert run(["--outputs", str(outputs)]) == 0
    assert Handler.flaky_calls == 3


def test_no_answer_is_a_failure(tmp_path: Path, capsys) -> None:
    # Port 9 on localhost: nothing listens, the connection is refused.
    outputs = write_outputs(tmp_path / "o.json", {"S": {"Api": "http://localhost:9"}})
    assert run(["--outputs", str(outputs)]) == 1
    assert "no answer" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "argv", "message"),
    [
        (None, [], "does not exist; run `make deploy-ci` first"),
        ("not json", [], "is not a cdk deploy outputs file"),
        ('["a"]', [], "is not a cdk deploy outputs file"),
        (
            '{"S": {"Api": "x.example"}}',
            ["--expect", "Nope", "/", "200"],
            "no stack output named Nope",
        ),
        ('{"S": {"Api": "x.example"}}', ["--expect", "Api", "/", "abc"], "must be an HTTP code"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    tmp_path: Path, capsys, content: str | None, argv: list[str], message: str
) -> None:
    path = tmp_path / "outputs.json"
    if content is not None:
        path.write_text(content)
    assert run(["--outputs", str(path), *argv]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("smoke: ") and message in error
    assert "\n" not in error


def test_nothing_to_check_fails_instead_of_passing_vacuously(tmp_path: Path, capsys) -> None:
    outputs = write_outputs(tmp_path / "o.json", {"Taskly-dev-Network": {"VpcId": "vpc-123"}})
    assert run(["--outputs", str(outputs)]) == 1
    assert "nothing to check" in capsys.readouterr().err
