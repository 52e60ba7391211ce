"""``make bench``: cold import ratio per handler and warm in-process latency.

Cold: per handler, the median time to import its module in a fresh interpreter, divided by the
median time of ``import boto3`` plus creating one DynamoDB client (the one client every
function creates) in a fresh interpreter, both measured in this run, interleaved. The times
are the probe process's CPU time (``time.process_time``): on a shared machine, wall time
mostly measures the other processes. Target: at most 1.25 for every handler.

Each probe runs as ``python -S`` on a site folder that holds links to exactly the distributions
of the handler's bundle lock and those the Lambda runtime provides (boto3's family), so a
package that is only installed here for tests or tools (awscrt, requests, cryptography) is
not imported, as in Lambda; and with ``LAMBDA_TASK_ROOT`` set and tracing on, as in Lambda
(the X-Ray SDK samples locally there and Powertools patches what is importable).

Two columns, both over the same baseline (boto3 with its bytecode, as the Lambda runtime ships
it): "with .pyc" imports everything from bytecode; "as on Lambda" ignores the bytecode of the
bundled code (``-X pycache_prefix`` pointing at a cache that holds only the standard library's
and boto3's bytecode), because a bundle carries no ``.pyc`` files and a Lambda runtime cannot
write them, so each cold start compiles the bundle from source. The target applies to the
"with .pyc" column (the import work itself); the other column shows what compiling adds (see
docs/compute.md, "No byte-compiling").

The handlers load their data layer (boto3, pymongo, Powertools utilities) on first use, not at
init, so a third column, "+ first use", times the import followed by the handler's ``prime``
hook (``taskly.snapshot.before_snapshot``), which loads exactly that, with bytecode: what a
cold start without SnapStart has paid once its first request has reached AWS and the database
(clients, credentials and the network not counted; the hook also builds every API model's
validator, where one request builds its route's only). With SnapStart the hook runs before the
snapshot and a restored environment pays none of it. Printed for comparison, no target.

Warm: 1,000 calls each of GET /health, POST /tasks and GET /tasks through the full decorated
handler (logger, metrics, the origin check; tracing off as there is no X-Ray daemon here) with
in-memory stores, the origin-verify secret included.
Target: p50 of GET /health at most 1 ms. Numbers are printed, never asserted.
"""

from __future__ import annotations

import compileall
import contextlib
import importlib.metadata
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
LAMBDA_SRC = REPO / "lambda_src"
RUNS = 5
CALLS = 1000
COLD_RATIO_BUDGET = 1.25
HEALTH_P50_BUDGET_MS = 1.0
# Lambda's Python runtime provides these distributions, compiled (mk/compute.mk keeps them
# out of the locks); everything else comes from the bundle.
RUNTIME_DISTRIBUTIONS = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "python-dateutil",
    "six",
    "urllib3",
)

ENVIRONMENT = {
    "POWERTOOLS_SERVICE_NAME": "taskly-bench",
    "POWERTOOLS_METRICS_NAMESPACE": "Taskly",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "DOCDB_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:docdb-AbCdEf",
    "ORIGIN_VERIFY_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:ov-AbCdEf",
    "IDEMPOTENCY_TABLE_NAME": "taskly-bench-idempotency",
    "EMAIL_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/taskly-email",
    "SENDER_EMAIL": "no-reply@taskly.example.com",
    "AWS_DEFAULT_REGION": "us-east-1",
}

# Runs in a fresh interpreter: import the handler, report its time and the modules it loaded.
HANDLER_PROBE = """
import sys, time, json
before = set(sys.modules)
start = time.process_time()
import {module}
elapsed = time.process_time() - start
print(json.dumps({{"seconds": elapsed, "loaded": [n for n in sys.modules if n not in before]}}))
"""
PRIMED_PROBE = """
import sys, time, json
start = time.process_time()
import {module}
from taskly import snapshot
snapshot.run_before_snapshot_hooks()
print(json.dumps({{"seconds": time.process_time() - start}}))
"""
BASELINE_PROBE = """
import json, time
start = time.process_time()
import boto3
boto3.client("dynamodb", region_name="us-east-1")
print(json.dumps({"seconds": time.process_time() - start}))
"""
# Writes bytecode into the pycache prefix for the modules named on the command line (those
# the Lambda runtime has compiled: the standard library and boto3's family).
WARM_PROBE = """
import importlib, json, sys
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except ImportError:  # aliases such as six.moves.* that only exist once their parent ran
        pass
print("{}")
"""


COLD_ENVIRONMENT = {
    **{key: value for key, value in ENVIRONMENT.items() if key != "POWERTOOLS_TRACE_DISABLED"},
    "LAMBDA_TASK_ROOT": str(LAMBDA_SRC),
}
LOCK_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==", re.MULTILINE)


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def bundle_site(lock: Path, site: Path) -> list[str]:
    """Link into ``site`` the installed files of the lock's and the runtime's distributions.

    Returns the distributions the lock pins that are not installed here (their imports fail
    in the probes, as they would not in Lambda: the numbers would be too low).
    """
    wanted = {_normalized(name) for name in LOCK_PIN.findall(lock.read_text())}
    wanted |= {_normalized(name) for name in RUNTIME_DISTRIBUTIONS}
    site.mkdir(parents=True)
    found = set()
    for distribution in importlib.metadata.distributions():
        name = _normalized(distribution.metadata["Name"])
        if name not in wanted or name in found:
            continue
        found.add(name)
        tops = {file.parts[0] for file in distribution.files or () if file.parts[0] != ".."}
        for top in sorted(tops):
            source = Path(str(distribution.locate_file(top)))
            if source.exists() and not (site / top).exists():
                (site / top).symlink_to(source)
    return sorted(wanted - found)


def _probe(
    code: str,
    *args: str,
    site: Path,
    pycache_prefix: str | None = None,
    warm_up: bool = False,
) -> dict[str, Any]:
    environment = {
        **os.environ,
        **COLD_ENVIRONMENT,
        "PYTHONPATH": os.pathsep.join((str(LAMBDA_SRC), str(site))),
    }
    # -S: no site-packages of this virtualenv, only the bundle's and the runtime's packages.
    command = [sys.executable, "-S"]
    if pycache_prefix is not None:
        command += ["-X", f"pycache_prefix={pycache_prefix}"]
        # Only the warm-up writes bytecode; a timed import compiles the bundle every time.
        if warm_up:
            environment.pop("PYTHONDONTWRITEBYTECODE", None)
        else:
            environment["PYTHONDONTWRITEBYTECODE"] = "1"
    result = subprocess.run(
        [*command, "-c", code, *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=LAMBDA_SRC,
        check=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


@dataclass(frozen=True)
class ColdImport:
    module: str
    baseline_ms: float
    compiled_ms: float
    lambda_ms: float
    primed_ms: float

    @property
    def compiled_ratio(self) -> float:
        return self.compiled_ms / self.baseline_ms

    @property
    def lambda_ratio(self) -> float:
        return self.lambda_ms / self.baseline_ms

    @property
    def primed_ratio(self) -> float:
        return self.primed_ms / self.baseline_ms


def runtime_import_names() -> frozenset[str]:
    """Top-level import names of the runtime's distributions (dateutil, six, ...)."""
    runtime = {_normalized(name) for name in RUNTIME_DISTRIBUTIONS}
    return frozenset(
        top
        for top, distributions in importlib.metadata.packages_distributions().items()
        if any(_normalized(name) in runtime for name in distributions)
    )


def _runtime_compiled(name: str, runtime: frozenset[str]) -> bool:
    """Whether Lambda has ``name`` compiled: the standard library and the runtime's boto3."""
    top = name.split(".", maxsplit=1)[0]
    return top in sys.stdlib_module_names or top in runtime


def handler_locks() -> dict[str, Path]:
    """Handler module -> the lock file of its bundle, as the compute stack builds it."""
    from stacks.compute_stack import service_bundles
    from stacks.services import service

    locks = {}
    for name, bundle in service_bundles().items():
        if bundle.requirements is not None:
            locks[service(name).handler.rsplit(".", 1)[0]] = bundle.requirements
    return locks


def cold_imports() -> list[ColdImport]:
    compileall.compile_dir(str(LAMBDA_SRC / "taskly"), quiet=1)
    rows = []
    runtime_names = runtime_import_names()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        prefix = str(Path(scratch) / "pycache")
        for index, (module, lock) in enumerate(handler_locks().items()):
            site = Path(scratch) / f"site-{index}"
            missing = bundle_site(lock, site)
            if missing:
                raise SystemExit(f"not installed here, pinned by {lock.name}: {missing}")
            probe = HANDLER_PROBE.format(module=module)
            primed_probe = PRIMED_PROBE.format(module=module)
            _probe(BASELINE_PROBE, site=site)  # warms the OS file cache
            loaded = _probe(probe, site=site)["loaded"]
            _probe(primed_probe, site=site)  # writes the bytecode of what first use loads
            runtime = [name for name in loaded if _runtime_compiled(name, runtime_names)]
            warm = json.dumps(["boto3", "botocore.session", *runtime])
            _probe(WARM_PROBE, warm, site=site, pycache_prefix=prefix, warm_up=True)
            baseline, compiled, from_source, primed = [], [], [], []
            for _ in range(RUNS):
                baseline.append(_probe(BASELINE_PROBE, site=site)["seconds"])
                compiled.append(_probe(probe, site=site)["seconds"])
                from_source.append(_probe(probe, site=site, pycache_prefix=prefix)["seconds"])
                primed.append(_probe(primed_probe, site=site)["seconds"])
            rows.append(
                ColdImport(
                    module=module,
                    baseline_ms=statistics.median(baseline) * 1000,
                    compiled_ms=statistics.median(compiled) * 1000,
                    lambda_ms=statistics.median(from_source) * 1000,
                    primed_ms=statistics.median(primed) * 1000,
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

    from tools.local.api.events import LocalLambdaContext, http_api_event

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
        f"Cold import ratio: handler import / (import boto3 + one DynamoDB client), CPU time, "
        f"median of {RUNS} fresh interpreters each, Python {sys.version.split()[0]}"
    )
    print(
        f"{'handler module':<30} {'boto3+client':>12} {'with .pyc':>16} {'as on Lambda':>16}"
        f" {'+ first use':>16}  target (with .pyc) <= {COLD_RATIO_BUDGET}"
    )
    for row in cold_imports():
        verdict = "ok" if row.compiled_ratio <= COLD_RATIO_BUDGET else "OVER"
        print(
            f"{row.module:<30} {row.baseline_ms:>9.1f} ms "
            f"{row.compiled_ms:>7.1f} ms {row.compiled_ratio:>5.2f}x "
            f"{row.lambda_ms:>7.1f} ms {row.lambda_ratio:>5.2f}x "
            f"{row.primed_ms:>7.1f} ms {row.primed_ratio:>5.2f}x  {verdict}"
        )
    print(
        "+ first use: the import, then what the handler loads on first use (its SnapStart "
        "prime hook), with .pyc; no target"
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
