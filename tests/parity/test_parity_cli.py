"""``python -m tools.ops.parity`` end to end against two real HTTP servers on 127.0.0.1
(tests/parity/conftest.py).

The contract cases (equal answers, an injected difference, noise, bad input, skipped writes)
run the CLI as a subprocess, exactly as an operator does; the variations run the same
``main`` in-process, because each subprocess spends about a second importing pydantic,
requests and DeepDiff.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.parity.conftest import TASKS, TOKEN, FakeApi
from tools.ops.parity.cli import main
from tools.ops.parity.routing import MIGRATED

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"

REPO = Path(__file__).resolve().parents[2]
FIRST, SECOND = sorted(TASKS)


@pytest.fixture
def requests_file(tmp_path: Path) -> Path:
    lines = [
        {"method": "GET", "path": "/api/health"},
        {"method": "GET", "path": "/api/tasks?limit=5"},
        {"method": "GET", "path": f"/api/tasks/{FIRST}"},
        {"method": "GET", "path": f"/api/tasks/{SECOND}"},
        {"method": "GET", "path": "/api/tasks/stats"},
        {"method": "GET", "path": "/api/users/me"},
    ]
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def _argv(legacy: FakeApi, new: FakeApi, requests: Path, extra: tuple[str, ...]) -> list[str]:
    return [
        "--legacy",
        legacy.url,
        "--new",
        new.url,
        "--requests",
        str(requests),
        "--header",
        f"Authorization: {TOKEN}",
        *extra,
    ]


def cli(legacy: FakeApi, new: FakeApi, requests: Path, *extra: str) -> Result:
    """The CLI as a subprocess: ``python -m tools.ops.parity ...``."""
    done = subprocess.run(
        [sys.executable, "-m", "tools.ops.parity", *_argv(legacy, new, requests, extra)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def parity(legacy: FakeApi, new: FakeApi, requests: Path, *extra: str) -> Result:
    """The same ``main`` in-process."""
    out, err = io.StringIO(), io.StringIO()
    code = main(_argv(legacy, new, requests, extra), out=out, err=err)
    return Result(code, out.getvalue(), err.getvalue())


def routes_of(result: Result) -> dict[str, dict[str, Any]]:
    report = json.loads(result.stdout)
    return {route["route"]: route for route in report["routes"] + report["unmigrated"]}


def test_equal_answers_pass(legacy: FakeApi, new: FakeApi, requests_file: Path) -> None:
    legacy.noisy = False
    result = cli(legacy, new, requests_file)
    assert (result.returncode, result.stderr) == (0, "")
    uncovered = [
        "GET /api/me/preferences",
        "PUT /api/me/preferences",
        "POST /api/tasks",
        "PATCH /api/tasks/{id}",
        "DELETE /api/tasks/{id}",
        "POST /api/tasks/{id}/share",
    ]
    assert result.stdout.splitlines()[-2:] == [
        "PASS: every compared migrated route at or below 0%",
        f"NOT COVERED: 6 of 10 migrated route(s) had no compared request: {', '.join(uncovered)}; "
        "the cut-over gate refuses this report unless each is named with --accept-uncovered",
    ]
    report = json.loads(cli(legacy, new, requests_file, "--format", "json").stdout)
    assert report["passed"] is True
    # Every migrated route of the table, in its order, with how many requests were compared.
    assert [(r["route"], r["compared"], r["mismatches"]) for r in report["routes"]] == [
        ("GET /api/health", 1, 0),
        ("GET /api/me/preferences", 0, 0),
        ("PUT /api/me/preferences", 0, 0),
        ("GET /api/tasks", 1, 0),
        ("POST /api/tasks", 0, 0),
        ("GET /api/tasks/stats", 1, 0),
        ("GET /api/tasks/{id}", 2, 0),
        ("PATCH /api/tasks/{id}", 0, 0),
        ("DELETE /api/tasks/{id}", 0, 0),
        ("POST /api/tasks/{id}/share", 0, 0),
    ]
    assert report["uncovered"] == uncovered
    # Legacy twice, the new API once, per request.
    assert legacy.calls.count(("GET", f"/api/tasks/{FIRST}")) == 4
    assert new.calls.count(("GET", f"/api/tasks/{FIRST}")) == 2


def test_an_injected_difference_on_one_field_is_found_and_named(
    legacy: FakeApi, new: FakeApi, requests_file: Path
) -> None:
    new.tasks[SECOND]["title"] = "Ship it!"
    result = cli(legacy, new, requests_file, "--format", "json")
    assert result.returncode == 1, result.stderr
    routes = routes_of(result)
    one = routes["GET /api/tasks/{id}"]
    assert (one["compared"], one["mismatches"], one["mismatch_rate"], one["passed"]) == (
        2,
        1,
        50.0,
        False,
    )
    assert one["top_paths"] == [
        {
            "path": "$.title",
            "requests": 1,
            "example": {
                "request": f"line 4 GET /api/tasks/{SECOND}",
                "legacy": "Ship it",
                "new": "Ship it!",
            },
        }
    ]
    listing = routes["GET /api/tasks"]
    assert [p["path"] for p in listing["top_paths"]] == ["$.items[*].title"]
    assert routes["GET /api/health"]["passed"] is True

    text = cli(legacy, new, requests_file)
    assert text.returncode == 1
    assert (
        f"GET /api/tasks/{{id}}  differs at $.title in 1 request(s), e.g. line 4 GET "
        f'/api/tasks/{SECOND}: legacy "Ship it", new "Ship it!"'
    ) in text.stdout
    assert text.stdout.splitlines()[-2] == (
        "FAIL: 2 migrated route(s) above 0%: GET /api/tasks, GET /api/tasks/{id}"
    )


def test_a_field_that_differs_between_two_legacy_answers_is_noise(
    legacy: FakeApi, new: FakeApi, requests_file: Path
) -> None:
    # legacy stamps requestId/servedAt on every answer; new has neither.
    result = cli(legacy, new, requests_file, "--format", "json")
    assert result.returncode == 0, result.stdout
    one = routes_of(result)["GET /api/tasks/{id}"]
    assert (one["mismatches"], one["noise_only"]) == (0, 2)
    assert {p["path"]: p["requests"] for p in one["noise_paths"]} == {
        "$.requestId": 2,
        "$.servedAt": 2,
    }


def test_noise_does_not_hide_a_real_difference_elsewhere(
    legacy: FakeApi, new: FakeApi, requests_file: Path
) -> None:
    new.tasks[FIRST]["status"] = "done"
    one = routes_of(parity(legacy, new, requests_file, "--format", "json"))["GET /api/tasks/{id}"]
    assert (one["mismatches"], one["noise_only"]) == (1, 1)
    assert [p["path"] for p in one["top_paths"]] == ["$.status"]


def test_a_status_difference_is_one_mismatch(
    legacy: FakeApi, new: FakeApi, requests_file: Path
) -> None:
    del new.tasks[FIRST]
    one = routes_of(parity(legacy, new, requests_file, "--format", "json"))["GET /api/tasks/{id}"]
    assert one["top_paths"][0] == {
        "path": "status",
        "requests": 1,
        "example": {"request": f"line 3 GET /api/tasks/{FIRST}", "legacy": 200, "new": 404},
    }
    assert len(one["top_paths"]) == 1


def test_unmigrated_routes_are_reported_apart_and_not_gated(
    legacy: FakeApi, new: FakeApi, requests_file: Path
) -> None:
    new.override = lambda method, path: (200, {"user": "bob"}) if path == "/api/users/me" else None
    result = parity(legacy, new, requests_file, "--format", "json")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert [r["route"] for r in report["unmigrated"]] == ["GET /api/users/me"]
    assert report["unmigrated"][0]["mismatches"] == 1
    assert "GET /api/users/me" not in [r["route"] for r in report["routes"]]
    text = parity(legacy, new, requests_file).stdout
    assert "Unmigrated routes (legacy answers either way; not gated):" in text


def test_threshold_allows_a_mismatch_rate_up_to_it(
    legacy: FakeApi, new: FakeApi, requests_file: Path
) -> None:
    new.tasks[SECOND]["title"] = "changed"
    new.tasks[SECOND]["tags"] = ["work"]
    args = ("--rules", str(_rules(requests_file.parent, 'path = "$.items"\n', kind="ignore")))
    assert parity(legacy, new, requests_file, *args, "--threshold", "50").returncode == 0
    assert parity(legacy, new, requests_file, *args, "--threshold", "49.9").returncode == 1


def _rules(folder: Path, body: str, *, kind: str) -> Path:
    path = folder / f"rules-{kind}.toml"
    path.write_text(f'[[{kind}]]\n{body}reason = "a documented, deliberate difference"\n')
    return path


def test_rules_ignore_paths_with_wildcards(
    legacy: FakeApi, new: FakeApi, requests_file: Path
) -> None:
    new.tasks[FIRST]["title"] = "renamed"
    rules = _rules(requests_file.parent, 'path = "$..title"\n', kind="ignore")
    assert parity(legacy, new, requests_file, "--rules", str(rules)).returncode == 0
    scoped = _rules(
        requests_file.parent, 'path = "$.items[*].title"\nroute = "GET /api/tasks"\n', kind="ignore"
    )
    result = parity(legacy, new, requests_file, "--rules", str(scoped), "--format", "json")
    routes = routes_of(result)
    assert routes["GET /api/tasks"]["mismatches"] == 0
    assert routes["GET /api/tasks/{id}"]["mismatches"] == 1


def test_rules_compare_arrays_without_order(
    legacy: FakeApi, new: FakeApi, requests_file: Path
) -> None:
    new.tasks[FIRST]["tags"] = ["shop", "home"]
    assert parity(legacy, new, requests_file).returncode == 1
    rules = _rules(requests_file.parent, 'path = "$..tags"\n', kind="unordered")
    assert parity(legacy, new, requests_file, "--rules", str(rules)).returncode == 0


def test_rules_numeric_tolerance(legacy: FakeApi, new: FakeApi, requests_file: Path) -> None:
    new.override = lambda m, p: (
        (200, {"open": 1, "done": 1, "ratio": 0.3334}) if p.endswith("/stats") else None
    )
    assert parity(legacy, new, requests_file).returncode == 1
    close = _rules(requests_file.parent, 'path = "$.ratio"\nabsolute = 0.001\n', kind="tolerance")
    assert parity(legacy, new, requests_file, "--rules", str(close)).returncode == 0
    tight = _rules(requests_file.parent, 'path = "$.ratio"\nabsolute = 0.00001\n', kind="tolerance")
    assert parity(legacy, new, requests_file, "--rules", str(tight)).returncode == 1


def test_writes_are_skipped_and_counted_unless_allowed(
    legacy: FakeApi, new: FakeApi, requests_file: Path
) -> None:
    with requests_file.open("a") as lines:
        lines.write(
            json.dumps({"method": "POST", "path": "/api/tasks", "body": {"title": "x"}}) + "\n"
        )
        lines.write(json.dumps({"method": "delete", "path": f"/api/tasks/{FIRST}"}) + "\n")
    result = cli(legacy, new, requests_file, "--format", "json")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["skipped_writes"] == {"DELETE": 1, "POST": 1}
    post = routes_of(result)["POST /api/tasks"]
    assert (post["requests"], post["compared"], post["skipped"]) == (1, 0, 1)
    # A skipped write is no evidence: its route stays uncovered.
    assert {"POST /api/tasks", "DELETE /api/tasks/{id}"} <= set(report["uncovered"])
    assert not [call for call in legacy.calls + new.calls if call[0] in ("POST", "DELETE")]
    text = parity(legacy, new, requests_file).stdout
    assert "skipped 2 write request(s) (DELETE 1, POST 1); --allow-writes sends them" in text

    legacy.calls.clear()
    new.calls.clear()
    allowed = cli(legacy, new, requests_file, "--allow-writes", "--format", "json")
    assert routes_of(allowed)["POST /api/tasks"]["compared"] == 1
    assert not {"POST /api/tasks", "DELETE /api/tasks/{id}"} & set(
        json.loads(allowed.stdout)["uncovered"]
    )
    # The created id differs between the two legacy answers too: noise, not a mismatch.
    assert routes_of(allowed)["POST /api/tasks"]["noise_only"] == 1
    assert (
        legacy.calls.count(("POST", "/api/tasks")),
        new.calls.count(("POST", "/api/tasks")),
    ) == (2, 1)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            '{"method": "GET", "path": "/api/health"}\nnot json\n',
            "requests.jsonl:2: not a JSON object",
        ),
        (
            '{"method": "GET", "path": "/api/health"}\n\n[1]\n',
            "requests.jsonl:3: not a JSON object",
        ),
        ('{"method": "GET"}\n', "requests.jsonl:1: path: Field required"),
        ('{"method": "FETCH", "path": "/x"}\n', "requests.jsonl:1: method: Input should be"),
        ('{"method": "GET", "path": "http://evil/x"}\n', "requests.jsonl:1: path: must be a path"),
        ("", "has no requests"),
    ],
)
def test_a_malformed_requests_file_is_one_line_naming_the_line(
    legacy: FakeApi, new: FakeApi, tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_text(content)
    result = parity(legacy, new, path)
    assert (result.returncode, result.stdout) == (2, "")
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("parity: error: ")
    assert expected in result.stderr
    assert legacy.calls == new.calls == []


def test_a_malformed_line_stops_the_cli_before_anything_is_sent(
    legacy: FakeApi, new: FakeApi, tmp_path: Path
) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_text('{"method": "GET", "path": "/api/health"}\n{"method": "GET", "path": }\n')
    result = cli(legacy, new, path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"parity: error: {path}:2: not a JSON object: Expecting value: line 1 column 27 (char 26)\n"
    )
    assert legacy.calls == new.calls == []


def test_an_unreadable_requests_file_is_one_line(
    legacy: FakeApi, new: FakeApi, tmp_path: Path
) -> None:
    result = cli(legacy, new, tmp_path / "missing.jsonl")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"parity: error: cannot read requests file {tmp_path / 'missing.jsonl'}: "
        "No such file or directory\n"
    )


def test_an_unreachable_url_is_one_line(legacy: FakeApi, requests_file: Path) -> None:
    stopped = FakeApi(noisy=False, url=_closed_port_url())
    result = cli(legacy, stopped, requests_file)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"parity: error: cannot reach {stopped.url} (line 1 GET /api/health): "
        "connection refused or host unknown\n"
    )


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--threshold", "150"), "argument --threshold: must be a percentage from 0 to 100"),
        (("--header", "no-colon"), "argument --header: header must look like 'Name: value'"),
        (("--format", "xml"), "argument --format: invalid choice"),
    ],
)
def test_bad_arguments_are_one_line(
    legacy: FakeApi, new: FakeApi, requests_file: Path, args: tuple[str, ...], expected: str
) -> None:
    result = parity(legacy, new, requests_file, *args)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert expected in result.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('[[ignore]]\npath = "$.x"\n', "ignore.0.reason: Field required"),
        ('[[ignore]]\npath = "x"\nreason = "a good long reason"\n', "must start with $"),
        (
            '[[tolerance]]\npath = "$.x"\nreason = "a good long reason"\n',
            "absolute: Field required",
        ),
        ('[[ignored]]\npath = "$.x"\n', "ignored: Extra inputs are not permitted"),
        ("[[ignore]\n", "is not valid TOML"),
    ],
)
def test_a_bad_rules_file_is_one_line(
    legacy: FakeApi, new: FakeApi, requests_file: Path, content: str, expected: str
) -> None:
    rules = requests_file.parent / "rules.toml"
    rules.write_text(content)
    result = parity(legacy, new, requests_file, "--rules", str(rules))
    assert (result.returncode, result.stdout) == (2, "")
    assert len(result.stderr.splitlines()) == 1
    assert expected in result.stderr


def test_from_openapi_generates_reads_and_discovers_ids(
    legacy: FakeApi, new: FakeApi, tmp_path: Path
) -> None:
    document = {
        "paths": {
            "/api/health": {"get": {}},
            "/api/tasks": {"get": {}, "post": {}},
            "/api/tasks/{id}": {"get": {}, "patch": {}},
            "/api/tasks/{id}/share": {"post": {}},
        }
    }
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document))
    out, err = io.StringIO(), io.StringIO()
    argv = ["--legacy", legacy.url, "--new", new.url, "--from-openapi", str(spec)]
    code = main(
        [*argv, "--header", f"Authorization: {TOKEN}", "--format", "json"], out=out, err=err
    )
    assert (code, err.getvalue()) == (0, "")
    report = json.loads(out.getvalue())
    routes = {r["route"]: r["compared"] for r in report["routes"] if r["compared"]}
    assert routes == {"GET /api/health": 1, "GET /api/tasks": 1, "GET /api/tasks/{id}": 2}
    # Its writes were generated too, and skipped without --allow-writes.
    assert report["skipped_writes"] == {"PATCH": 1, "POST": 2}
    assert ("GET", f"/api/tasks/{SECOND}") in new.calls
    assert not [call for call in legacy.calls + new.calls if call[0] != "GET"]


def test_from_openapi_with_writes_covers_every_migrated_route(
    legacy: FakeApi, new: FakeApi
) -> None:
    # The project's own document: every operation the new API serves, with its request schemas.
    argv = ["--legacy", legacy.url, "--new", new.url, "--from-openapi", str(OPENAPI)]
    out, err = io.StringIO(), io.StringIO()
    flags = ["--header", f"Authorization: {TOKEN}", "--allow-writes", "--format", "json"]
    assert main([*argv, *flags], out=out, err=err) == 0, err.getvalue()
    report = json.loads(out.getvalue())
    assert report["uncovered"] == []
    assert {r["route"] for r in report["routes"] if r["compared"]} == {t.key for t in MIGRATED}
    # Created before it is read, deleted last; bodies are valid by the request schemas.
    writes = [call for call in new.calls if call[0] != "GET"]
    assert writes[0] == ("POST", "/api/tasks")
    assert writes[-1] == ("DELETE", f"/api/tasks/{FIRST}")
    assert new.bodies[0] == {"title": "parity"}
    assert {
        "theme": "light",
        "language": "en",
        "email_notifications": False,
        "tasks_page_size": 1,
    } in new.bodies
    assert {"email": "parity@example.com"} in new.bodies


def test_id_in_a_path_is_the_first_item_of_the_list_endpoint(
    legacy: FakeApi, new: FakeApi, tmp_path: Path
) -> None:
    requests = tmp_path / "requests.jsonl"
    requests.write_text('{"method": "GET", "path": "/api/tasks/{id}"}\n')
    result = parity(legacy, new, requests, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert routes_of(result)["GET /api/tasks/{id}"]["compared"] == 1
    assert ("GET", f"/api/tasks/{FIRST}") in new.calls

    legacy.tasks.clear()
    empty = parity(legacy, new, requests)
    assert (empty.returncode, empty.stdout) == (2, "")
    assert empty.stderr == (
        f"parity: error: line 1: {{id}} needs an item at GET /api/tasks on {legacy.url}, "
        "which lists none\n"
    )


def test_a_rule_can_apply_to_one_status_only(
    legacy: FakeApi, new: FakeApi, requests_file: Path
) -> None:
    missing = "/api/tasks/64b7f0c2a1e4d3b2c1a09fff"
    new.override = lambda _m, p: (404, {"message": "Task not found"}) if p == missing else None
    new.tasks[FIRST]["title"] = "renamed"
    with requests_file.open("a") as lines:
        lines.write(json.dumps({"method": "GET", "path": missing}) + "\n")
    rules = _rules(requests_file.parent, 'path = "$..*"\nstatus = 404\n', kind="ignore")
    result = parity(legacy, new, requests_file, "--rules", str(rules), "--format", "json")
    one = routes_of(result)["GET /api/tasks/{id}"]
    # The 404's wording is ignored; the 200's changed title is not.
    assert (one["compared"], one["mismatches"]) == (3, 1)
    assert [p["path"] for p in one["top_paths"]] == ["$.title"]
