"""``python -m tools.local.edge``: the whole local path in the foreground (``make local``)."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from tools.cli import Parser, error_line, run
from tools.local.edge.launch import LaunchError, LocalPath, Ports


def main(argv: list[str] | None = None) -> int:
    return run("local", lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    parser = Parser(prog="python -m tools.local.edge")
    parser.add_argument("--state-dir", type=Path, default=Path(".local"))
    parser.add_argument("--edge-port", type=int, default=Ports.edge)
    parser.add_argument("--api-port", type=int, default=Ports.api)
    parser.add_argument("--direct-port", type=int, default=Ports.direct)
    parser.add_argument("--legacy-port", type=int, default=Ports.legacy)
    args = parser.parse_args(argv)
    ports = Ports(
        edge=args.edge_port, api=args.api_port, direct=args.direct_port, legacy=args.legacy_port
    )
    path = LocalPath(state_dir=args.state_dir, ports=ports)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    try:
        path.start()
    except LaunchError as error:
        print(error_line("local", error), file=sys.stderr)
        return 1
    print(
        f"\nTaskly, the whole path (Ctrl-C stops everything):\n"
        f"  edge    {path.url(ports.edge)}/api/...  cutover.js picks new or legacy "
        f'(make cutover ARGS="set 25 --local")\n'
        f"  new API {path.url(ports.api)} (as from CloudFront), {path.url(ports.direct)} (direct)\n"
        f"  legacy  {path.url(ports.legacy)} (never deployed; local runs and tests only)\n"
        f"  store   {path.store_file}; database: the local wire server in {args.state_dir / 'db'}",
        flush=True,
    )
    try:
        while not stopping.wait(0.5):
            exited = [child.name for child in path.children if child.process.poll() is not None]
            if exited:
                print(f"local: the {', '.join(exited)} stopped; stopping the rest", file=sys.stderr)
                return 1
    finally:
        path.stop()
        print("local: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
