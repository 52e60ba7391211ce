"""Smoke-test a freshly deployed stage from its ``cdk deploy --outputs-file`` JSON.

Every stack output whose value is an ``http(s)://`` URL must answer below 500 (a broken
integration, a missing origin or a failed deployment shows up as 5xx or no answer at all).
``--expect KEY PATH STATUS`` adds exact checks against the output named ``KEY``, e.g.
``--expect ApiEndpoint /tasks 401``: the JWT authorizer is attached and rejects anonymous calls.
Transient failures (5xx, connection errors) are retried, since CloudFront and API Gateway
can take a few seconds after a deploy. A run with nothing to check fails: a smoke test
that checks nothing would pass every broken deploy.

Usage::

    python -m tools.ops.smoke --outputs build/cicd/outputs-staging.json \
        [--expect KEY PATH STATUS ...]
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tools.cli import USAGE, Parser, UsageError, error_line


class SmokeError(Exception):
    """The outputs file or an expectation is unusable; the message is one line."""


@dataclass(frozen=True)
class Check:
    name: str
    url: str
    expected_status: int | None  # None: anything below 500

    def passes(self, status: int) -> bool:
        if self.expected_status is None:
            return status < 500
        return status == self.expected_status

    def describe(self) -> str:
        wanted = "< 500" if self.expected_status is None else str(self.expected_status)
        return f"{self.name}: GET {self.url} expects {wanted}"


def load_outputs(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise SmokeError(f"{path} does not exist; run `make deploy-ci` first") from error
    except (OSError, json.JSONDecodeError) as error:
        raise SmokeError(f"{path} is not a cdk deploy outputs file: {error}") from error
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise SmokeError(
            f"{path} is not a cdk deploy outputs file: expected {{stack: {{key: value}}}}"
        )
    return data


def _join(base: str, path: str) -> str:
    if "://" not in base:
        base = f"https://{base}"
    return base.rstrip("/") + "/" + path.lstrip("/")


def build_checks(
    outputs: dict[str, dict[str, str]], expectations: list[tuple[str, str, int]]
) -> list[Check]:
    checks = [
        Check(name=f"{stack}.{key}", url=value, expected_status=None)
        for stack, values in sorted(outputs.items())
        for key, value in sorted(values.items())
        if isinstance(value, str) and value.startswith(("https://", "http://"))
    ]
    for key, path, status in expectations:
        matches = [(stack, values[key]) for stack, values in outputs.items() if key in values]
        if not matches:
            known = sorted({k for values in outputs.values() for k in values})
            raise SmokeError(f"--expect {key}: no stack output named {key}; outputs: {known}")
        if len(matches) > 1:
            stacks = [stack for stack, _ in matches]
            raise SmokeError(f"--expect {key}: output found in several stacks {stacks}")
        stack, base = matches[0]
        checks.append(Check(name=f"{stack}.{key}", url=_join(base, path), expected_status=status))
    return checks


def fetch_status(url: str, timeout: float) -> int:
    """The HTTP status of a GET to ``url``; an error status is a status, not an exception."""
    request = urllib.request.Request(url, headers={"User-Agent": "taskly-smoke"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def run_checks(
    checks: list[Check],
    *,
    attempts: int,
    delay: float,
    timeout: float,
    emit: Callable[[str], None],
    fetch: Callable[[str, float], int] = fetch_status,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run every check, retrying transient failures; return the number that failed."""
    failures = 0
    for check in checks:
        passed, outcome = _attempt(
            check, attempts=attempts, delay=delay, timeout=timeout, fetch=fetch, sleep=sleep
        )
        emit(f"{'ok  ' if passed else 'FAIL'} {check.describe()}: {outcome}")
        failures += 0 if passed else 1
    return failures


def _attempt(
    check: Check,
    *,
    attempts: int,
    delay: float,
    timeout: float,
    fetch: Callable[[str, float], int],
    sleep: Callable[[float], None],
) -> tuple[bool, str]:
    """Try ``check`` up to ``attempts`` times; only 5xx and no answer are worth a retry."""
    outcome = "not tried"
    for attempt in range(1, attempts + 1):
        try:
            status = fetch(check.url, timeout)
        except OSError as error:  # URLError, timeouts, refused connections
            outcome = f"no answer ({getattr(error, 'reason', error)})"
        else:
            outcome = f"HTTP {status}"
            if check.passes(status):
                return True, outcome
            if status < 500:
                return False, outcome
        if attempt < attempts:
            sleep(delay)
    return False, outcome


def _expectation(values: list[str]) -> tuple[str, str, int]:
    key, path, status = values
    if not status.isdigit() or not 100 <= int(status) <= 599:
        raise SmokeError(f"--expect {key} {path} {status}: the status must be an HTTP code")
    return key, path, int(status)


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m tools.ops.smoke", description=__doc__)
    parser.add_argument("--outputs", required=True, type=Path)
    parser.add_argument(
        "--expect", nargs=3, action="append", default=[], metavar=("KEY", "PATH", "STATUS")
    )
    parser.add_argument("--attempts", type=int, default=5)
    parser.add_argument("--delay", type=float, default=6.0, help="seconds between attempts")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    try:
        args = parser.parse_args(argv)
    except UsageError as error:
        print(error_line("smoke", error), file=sys.stderr)
        return USAGE
    try:
        expectations = [_expectation(values) for values in args.expect]
        checks = build_checks(load_outputs(args.outputs), expectations)
    except SmokeError as error:
        print(error_line("smoke", error), file=sys.stderr)
        return 2
    if not checks:
        print(
            f"smoke: nothing to check in {args.outputs}: no URL outputs and no --expect",
            file=sys.stderr,
        )
        return 1
    failures = run_checks(
        checks,
        attempts=args.attempts,
        delay=args.delay,
        timeout=args.timeout,
        emit=lambda line: print(line, flush=True),
    )
    if failures:
        print(f"smoke: {failures} of {len(checks)} checks failed", file=sys.stderr)
        return 1
    print(f"smoke: all {len(checks)} checks answered as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
