"""Median wall time of ``cdk synth`` for the full app and for an empty one-stack app.

Both runs use the pinned CLI (``npx --no-install cdk``) and the project's virtualenv, so
the ratio shows what this app adds over the fixed cost of the CLI, Node and jsii.

Usage: python -m tools.bench.synth [--runs N] [--stage dev]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EMPTY_APP = """\
import aws_cdk as cdk

app = cdk.App()
cdk.Stack(app, "Empty")
app.synth()
"""


def _median_seconds(command: list[str], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per app (default 5)")
    parser.add_argument("--stage", default="dev", help="stage of the full app (default dev)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    cdk = ["npx", "--no-install", "cdk", "synth", "--quiet"]
    with tempfile.TemporaryDirectory() as tmp:
        empty_app = Path(tmp) / "empty_app.py"
        empty_app.write_text(EMPTY_APP)
        try:
            full = _median_seconds(
                [*cdk, "--all", "-c", f"stage={args.stage}", "-o", f"{tmp}/full"], args.runs
            )
            empty = _median_seconds(
                [*cdk, "--app", f"{sys.executable} {empty_app}", "-o", f"{tmp}/empty"],
                args.runs,
            )
        except subprocess.CalledProcessError as error:
            stderr = error.stderr.decode(errors="replace").strip().splitlines()
            print(f"error: cdk synth failed: {stderr[-1] if stderr else error}", file=sys.stderr)
            return 1
    print(f"cdk synth, median of {args.runs} runs")
    print(f"  full app (stage {args.stage}): {full:6.2f} s")
    print(f"  empty one-stack app:   {empty:6.2f} s")
    print(f"  ratio full/empty:      {full / empty:6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
