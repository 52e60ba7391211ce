"""Median wall and CPU time of ``cdk synth`` for the full app and for an empty one-stack app.

Both runs use the pinned CLI (``npx --no-install cdk``) and the project's virtualenv, so
the ratio shows what this app adds over the fixed cost of the CLI, Node and jsii. Then the
warm ``make synth`` (what a developer runs; bundles come from the cache under build/) against
the same empty app, and the profile of one synth (tools/bench/synth_profile.py) that says
where the difference goes (docs/synth-profile.md reads it).

Usage: python -m tools.bench.synth [--runs N] [--stage dev] [--no-profile]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EMPTY_APP = """\
import aws_cdk as cdk

app = cdk.App()
cdk.Stack(app, "Empty")
app.synth()
"""


@dataclass(frozen=True)
class Timing:
    """Medians of one command's runs: wall seconds and CPU seconds (user + system, the whole
    process tree: CLI, Python and the jsii Node process). On a shared machine wall time also
    measures the other processes; CPU time hardly moves."""

    wall: float
    cpu: float


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _median(command: list[str], runs: int) -> Timing:
    walls, cpus = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), _children_cpu()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        walls.append(time.perf_counter() - started)
        cpus.append(_children_cpu() - started_cpu)
    return Timing(statistics.median(walls), statistics.median(cpus))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per app (default 5)")
    parser.add_argument("--stage", default="dev", help="stage of the full app (default dev)")
    parser.add_argument("--no-profile", action="store_true", help="skip the synth profile")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    cdk = ["npx", "--no-install", "cdk", "synth", "--quiet"]
    with tempfile.TemporaryDirectory() as tmp:
        empty_app = Path(tmp) / "empty_app.py"
        empty_app.write_text(EMPTY_APP)
        try:
            full = _median([*cdk, "-c", f"stage={args.stage}", "-o", f"{tmp}/full"], args.runs)
            empty = _median(
                [*cdk, "--app", f"{sys.executable} {empty_app}", "-o", f"{tmp}/empty"],
                args.runs,
            )
            make_synth = ["make", "--no-print-directory", "synth", f"STAGE={args.stage}"]
            subprocess.run(make_synth, cwd=ROOT, check=True, capture_output=True)  # warm-up
            warm_make = _median(make_synth, max(1, args.runs // 2 + 1))
        except subprocess.CalledProcessError as error:
            stderr = error.stderr.decode(errors="replace").strip().splitlines()
            print(f"error: cdk synth failed: {stderr[-1] if stderr else error}", file=sys.stderr)
            return 1
    print(f"cdk synth, median of {args.runs} runs      wall      CPU")
    print(f"  full app (stage {args.stage}):  {full.wall:6.2f} s  {full.cpu:6.2f} s")
    print(f"  empty one-stack app:    {empty.wall:6.2f} s  {empty.cpu:6.2f} s")
    print(
        f"  ratio full/empty:       {full.wall / empty.wall:6.2f}x  "
        f"{full.cpu / empty.cpu:6.2f}x   (target: wall <= 1.5x)"
    )
    print(f"warm `make synth STAGE={args.stage}`, median of {max(1, args.runs // 2 + 1)} runs")
    print(f"  time:                   {warm_make.wall:6.2f} s  {warm_make.cpu:6.2f} s")
    print(
        f"  ratio to empty app:     {warm_make.wall / empty.wall:6.2f}x  "
        f"{warm_make.cpu / empty.cpu:6.2f}x"
    )
    if not args.no_profile:
        print()
        sys.stdout.flush()
        for profiled in (["--stage", args.stage], ["--empty"]):
            command = [sys.executable, "-m", "tools.bench.synth_profile", *profiled]
            subprocess.run(command, cwd=ROOT, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
