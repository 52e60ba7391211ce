"""``make bench``: cold import time per handler module and warm in-process latency.

Cold: each handler module is imported in fresh interpreters (bytecode compiled first, median of
5), next to the import of exactly the third-party modules that handler loads, alone; then, in
that same interpreter, the handler on top of them: that last time is what the handler's own
code adds at cold start (target: at most 25% of its dependencies' time).

Warm: 1,000 calls each of GET /health, POST /tasks and GET /tasks through the full decorated
handler (logger, metrics, the origin check; tracing off as there is no X-Ray daemon here) with
in-memory stores, the origin-verify secret included.
Target: p50 of GET /health at most 1 ms. Numbers are printed, never asserted.
"""

from __future__ import annotations

import compileall
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
LAMBDA_SRC = REPO / "lambda_src"
HANDLERS = ("taskly.handlers.tasks", "taskly.handlers.profile", "taskly.handlers.email_worker")
RUNS = 5
CALLS = 1000
OWN_CODE_BUDGET = 0.25
HEALTH_P50_BUDGET_MS = 1.0

ENVIRONMENT = {
    "POWERTOOLS_SERVICE_NAME": "taskly-bench",
    "POWERTOOLS_METRICS_NAMESPACE": "Taskly",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "DOCDB_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:docdb-AbCdEf",
    "ORIGIN_VERIFY_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:ov-AbCdEf",
    "IDEMPOTENCY_TABLE_NAME": "taskly-bench-idempotency",
    "EMAIL_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/taskly-email",
    "APP_STATE_TABLE_NAME": "taskly-bench-app-state",
    "SENDER_EMAIL": "no-reply@taskly.example.com",
    "AWS_DEFAULT_REGION": "us-east-1",
}

# Runs in a fresh interpreter: import the handler, report its time and the third-party
# modules it pulled in (in import order), so the second probe can import exactly those.
HANDLER_PROBE = """
import sys, time, json
before = set(sys.modules)
start = time.perf_counter()
import {module}
elapsed = time.perf_counter() - start
stdlib = sys.stdlib_module_names
loaded = [name for name in sys.modules if name not in before]
third_party = [n for n in loaded if n.split(".")[0] not in stdlib and n.split(".")[0] != "taskly"]
print(json.dumps({{"seconds": elapsed, "third_party": third_party}}))
"""
# Imports the handler's third-party modules alone (timed), then the handler on top of them:
# the second number is the handler's own code, measured without cross-process noise.
DEPENDENCY_PROBE = """
import importlib, json, sys, time
names = json.loads(sys.argv[1])
start = time.perf_counter()
for name in names:
    try:
        importlib.import_module(name)
    except ImportError:  # aliases such as six.moves.* that only exist once their parent ran
        pass
dependencies = time.perf_counter() - start
start = time.perf_counter()
importlib.import_module(sys.argv[2])
print(json.dumps({"seconds": dependencies, "own": time.perf_counter() - start}))
"""


def _probe(code: str, *args: str) -> dict[str, Any]:
    environment = {**os.environ, **ENVIRONMENT, "PYTHONPATH": str(LAMBDA_SRC)}
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=LAMBDA_SRC,
        check=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def cold_imports() -> list[tuple[str, float, float, float, int]]:
    compileall.compile_dir(str(LAMBDA_SRC / "taskly"), quiet=1)
    rows = []
    for module in HANDLERS:
        # The first run warms the OS file cache and names the handler's third-party modules.
        dependencies = _probe(HANDLER_PROBE.format(module=module))["third_party"]
        names = json.dumps(dependencies)
        handler_runs, dependency_runs, own_runs = [], [], []
        for _ in range(RUNS):
            handler_runs.append(_probe(HANDLER_PROBE.format(module=module))["seconds"])
            split = _probe(DEPENDENCY_PROBE, names, module)
            dependency_runs.append(split["seconds"])
            own_runs.append(split["own"])
        rows.append(
            (
                module,
                statistics.median(dependency_runs) * 1000,
                statistics.median(handler_runs) * 1000,
                statistics.median(own_runs) * 1000,
                len(dependencies),
            )
        )
    return rows


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (
        ordered[len(ordered) // 2] * 1000,
        ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    )


def warm_latency() -> list[tuple[str, float, float]]:
    os.environ.update(ENVIRONMENT)
    sys.path[:0] = [str(LAMBDA_SRC), str(REPO)]
    from taskly.api import preferences as preferences_api
    from taskly.api import tasks as tasks_api
    from taskly.api.origin import ORIGIN_VERIFY_HEADER, OriginCheck
    from taskly.data.memory import (
        InMemoryEmailQueue,
        InMemoryOriginSecret,
        InMemoryPreferencesRepository,
        InMemoryTaskRepository,
        in_memory_idempotency_store,
    )
    from taskly.handlers import profile, tasks
    from taskly.logic.profile import PreferencesService
    from taskly.logic.tasks import TasksService
    from taskly.models.tasks import TaskCreate

    from tools.local_api.events import LocalLambdaContext, http_api_event

    def service(repository: InMemoryTaskRepository) -> TasksService:
        return TasksService(
            repository=repository,
            email_queue=InMemoryEmailQueue(),
            idempotency_store=in_memory_idempotency_store,
        )

    writer, reader = service(InMemoryTaskRepository()), service(InMemoryTaskRepository())
    for n in range(50):
        reader.create(owner="reader", task=TaskCreate(title=f"task {n}"), idempotency_key=None)
    profile.app.dependency_overrides[preferences_api.preferences_service] = lambda: (
        PreferencesService(repository=InMemoryPreferencesRepository())
    )
    origin_value = "b" * 64
    tasks.origin = OriginCheck(secret=InMemoryOriginSecret(current=origin_value))
    claims = {"sub": "writer", "scope": "taskly/api", "token_use": "access"}

    def event(method: str, path: str, *, user: str, body: bytes = b"") -> dict[str, Any]:
        return http_api_event(
            method=method,
            raw_path=path,
            headers=[("content-type", "application/json"), (ORIGIN_VERIFY_HEADER, origin_value)],
            body=body,
            claims={**claims, "sub": user} if path != "/api/health" else None,
        )

    scenarios = [
        ("GET /api/health", profile.handler, event("GET", "/api/health", user=""), None),
        (
            "POST /api/tasks",
            tasks.handler,
            event("POST", "/api/tasks", user="writer", body=b'{"title": "Bench"}'),
            writer,
        ),
        ("GET /api/tasks", tasks.handler, event("GET", "/api/tasks", user="reader"), reader),
    ]
    rows = []
    for name, handler, request, tasks_service in scenarios:
        if tasks_service is not None:
            tasks.app.dependency_overrides[tasks_api.tasks_service] = lambda s=tasks_service: s
        context = LocalLambdaContext(function_name="bench", timeout_seconds=3600)
        samples = []
        # Metrics flush an EMF line to stdout per call, as in Lambda; keep it off the table.
        with contextlib.redirect_stdout(io.StringIO()) as sink:
            for iteration in range(CALLS + 50):
                start = time.perf_counter()
                response = handler(request, context)
                elapsed = time.perf_counter() - start
                if response["statusCode"] >= 400:
                    status, body = response["statusCode"], response["body"]
                    raise SystemExit(f"{name} answered {status}: {body}")
                if iteration >= 50:  # the first calls build caches: that is cold, not warm
                    samples.append(elapsed)
                sink.seek(0)
                sink.truncate()
        rows.append((name, *_percentiles(samples)))
    return rows


def main() -> int:
    # Powertools warns on every request that publishes no business metric (health, reads).
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    print(
        f"Cold import, median of {RUNS} fresh interpreters (bytecode compiled), "
        f"Python {sys.version.split()[0]}"
    )
    print(
        f"{'handler module':<30} {'deps alone':>10} {'handler':>10} {'own code':>9} "
        f"{'own/deps':>8}  target <= 25%"
    )
    for module, deps_ms, handler_ms, own_ms, count in cold_imports():
        share = own_ms / deps_ms
        verdict = "ok" if share <= OWN_CODE_BUDGET else "OVER"
        print(
            f"{module:<30} {deps_ms:>7.1f} ms {handler_ms:>7.1f} ms {own_ms:>6.1f} ms "
            f"{share:>8.1%}  {verdict} ({count} third-party modules)"
        )
    print()
    print(f"Warm in-process latency, {CALLS} calls each, in-memory stores")
    print(f"{'request':<20} {'p50':>9} {'p99':>9}")
    for name, p50, p99 in warm_latency():
        note = ""
        if name == "GET /api/health":
            note = "  target p50 <= 1 ms: " + ("ok" if p50 <= HEALTH_P50_BUDGET_MS else "OVER")
        print(f"{name:<20} {p50:>6.3f} ms {p99:>6.3f} ms{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
