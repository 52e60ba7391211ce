"""Where one stage's synth spends its time: jsii round trips, Python, and Node by area.

Runs the app in this process (bundling skipped, as `cdk diff` and the tests do) with a
counter on the jsii kernel channel, and asks the jsii Node process for a V8 CPU profile.
Python's share is CPU time; Node's is V8's sampled busy time (wall time while not idle), so
on a busy machine Node's seconds grow but its split between areas stays comparable;
`make bench-synth` gives the wall-clock ratio.

Usage: python -m tools.bench.synth_profile [--stage dev] [--empty]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# Node areas in priority order: a sample belongs to the first area whose marker appears in
# the script URL of any frame on its stack (so a token resolved for a cdk-nag rule counts
# as cdk-nag). The CloudFormation validation engine is WebAssembly that
# aws-cdk-lib runs on every synth, empty apps included.
AREAS: tuple[tuple[str, str], ...] = (
    ("cdk-nag rules", "/cdk-nag/"),
    ("CloudFormation validation (wasm engine)", "cloudformation-validate-plugin"),
    ("validation plugins, report", "synthesis-validation"),
    ("template synthesis", "/core/lib/private/synthesis"),
    ("module loading (require)", "node:internal/modules"),
    ("building constructs (jsii create/invoke/get)", "program.js"),
)


@contextmanager
def counted_kernel_messages() -> Iterator[collections.Counter[str]]:
    """Count every request Python sends to the jsii kernel, by request type."""
    from jsii._kernel.providers import process  # noqa: PLC0415 - jsii internals, bench only

    counts: collections.Counter[str] = collections.Counter()
    original: Callable[..., Any] = process._NodeProcess.send

    def send(self: Any, request: Any, response_type: Any) -> Any:
        counts[type(request).__name__.removesuffix("Request").lstrip("_")] += 1
        return original(self, request, response_type)

    process._NodeProcess.send = send  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        process._NodeProcess.send = original  # type: ignore[method-assign]


def node_areas(profile: dict[str, Any]) -> dict[str, float]:
    """CPU seconds per area of a V8 ``.cpuprofile`` (self time attributed outwards)."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    parent = {child: node["id"] for node in profile["nodes"] for child in node.get("children", [])}
    self_us: collections.Counter[int] = collections.Counter()
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        self_us[sample] += delta
    areas: collections.Counter[str] = collections.Counter()
    for node_id, micros in self_us.items():
        name = nodes[node_id]["callFrame"]["functionName"]
        if name in ("(idle)", "(program)"):
            continue
        area = "garbage collection" if name == "(garbage collector)" else None
        stack = []
        frame: int | None = node_id
        while frame is not None:
            stack.append(nodes[frame]["callFrame"]["url"])
            frame = parent.get(frame)
        urls = "\n".join(stack)
        area = area or next((label for label, marker in AREAS if marker in urls), None)
        areas[area or "other (Node, jsii runtime)"] += micros
    return {area: micros / 1e6 for area, micros in areas.most_common()}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(stage: str, empty: bool, outdir: str) -> dict[str, Any]:
    """Synthesize in this process; jsii message counts and Python CPU seconds per phase."""
    started_cpu, started = cpu_seconds(), time.perf_counter()
    with counted_kernel_messages() as counts:
        import aws_cdk  # noqa: PLC0415 - timed on purpose

        imported_cpu = cpu_seconds()
        context = json.loads((ROOT / "cdk.json").read_text())["context"]
        # As the CLI runs an app (version reporting adds CDKMetadata), minus bundling.
        context.update(
            {"stage": stage, "aws:cdk:bundling-stacks": [], "aws:cdk:version-reporting": True}
        )
        app = aws_cdk.App(outdir=outdir, context=context)
        if empty:
            aws_cdk.Stack(app, "Empty")
        else:
            sys.path.insert(0, str(ROOT))
            from app import compose, load_config  # noqa: PLC0415

            compose(app, load_config(app))
        composed_cpu, composed = cpu_seconds(), dict(counts)
        counts.clear()
        app.synth()
    return {
        "wall": time.perf_counter() - started,
        "messages": {"compose": composed, "app.synth()": dict(counts)},
        "python_cpu": {
            "import aws_cdk (+ jsii start)": imported_cpu - started_cpu,
            "app modules and compose": composed_cpu - imported_cpu,
            "during app.synth()": cpu_seconds() - composed_cpu,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev", help="stage to profile (default dev)")
    parser.add_argument("--empty", action="store_true", help="profile an empty one-stack app")
    parser.add_argument("--measure-into", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure_into:
        result = measure(args.stage, args.empty, f"{args.measure_into}/out")
        Path(args.measure_into, "result.json").write_text(json.dumps(result))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        # The jsii kernel writes its V8 profile when it exits, i.e. when the child does.
        env = {**os.environ, "NODE_OPTIONS": f"--cpu-prof --cpu-prof-dir={tmp}/cpu"}
        command = [sys.executable, "-m", "tools.bench.synth_profile", "--stage", args.stage]
        command += ["--empty"] * args.empty + ["--measure-into", tmp]
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
        result = json.loads(Path(tmp, "result.json").read_text())
        profiles = sorted(Path(tmp, "cpu").glob("*.cpuprofile"), key=lambda p: p.stat().st_size)
        areas = node_areas(json.loads(profiles[-1].read_text())) if profiles else {}
    label = "empty one-stack app" if args.empty else f"stage {args.stage}"
    print(f"synth profile, {label} (bundling skipped), wall {result['wall']:.2f} s")
    print("jsii kernel messages:")
    for phase, phase_counts in result["messages"].items():
        detail = ", ".join(f"{kind} {n}" for kind, n in sorted(phase_counts.items()))
        print(f"  {phase:<12} {sum(phase_counts.values()):5d}  ({detail})")
    print(f"Python CPU: {sum(result['python_cpu'].values()):.2f} s")
    for phase, seconds in result["python_cpu"].items():
        print(f"  {seconds:6.2f} s  {phase}")
    print(f"Node, sampled busy time of the jsii kernel (V8 profile): {sum(areas.values()):.2f} s")
    for area, seconds in areas.items():
        print(f"  {seconds:6.2f} s  {area}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
