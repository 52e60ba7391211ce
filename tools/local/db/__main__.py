"""``python -m tools.local.db serve --state-dir DIR``: the local wire server in the foreground.

Prints one line with the address once clients can connect; the connection details
(URI parts, CA file, passwords) are in ``DIR/connection.json``. Ctrl-C or SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from tools.cli import Parser, error_line, run
from tools.local.db.paths import CONNECTION_FILE

# Where `make local` keeps the server's state (certificates, credentials, connection.json).
DEFAULT_STATE_DIR = Path(".local") / "db"
PROG = "local.db"


def _parser() -> Parser:
    parser = Parser(prog="python -m tools.local.db")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server until Ctrl-C / SIGTERM")
    serve.add_argument("--state-dir", type=Path, required=True)
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    serve.add_argument(
        "--memory", action="store_true", help="keep data in memory only (default: DIR/data)"
    )
    serve.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    uri = commands.add_parser(
        "uri", help="print the running server's read-only URI (for datacheck: --source/--target)"
    )
    uri.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    uri.add_argument("--database", default="taskly", help="database the URI names")
    uri.add_argument("--read-write", action="store_true", help="the application user's URI instead")
    bench = commands.add_parser("bench", help="print start and stop times (make bench-wire)")
    bench.add_argument("--runs", type=int, default=3)
    return parser


def _bench(runs: int) -> int:
    """Median start (until authenticated clients can connect) and stop times of fresh servers."""
    import statistics  # noqa: PLC0415 - only this command needs them
    import time  # noqa: PLC0415

    from tools.local.db import start  # noqa: PLC0415

    starts, stops = [], []
    for _ in range(runs):
        began = time.perf_counter()
        process = start()
        starts.append(time.perf_counter() - began)
        began = time.perf_counter()
        process.stop()
        stops.append(time.perf_counter() - began)
    print(
        f"local wire server (SecantusDB, TLS + SCRAM, in memory), {runs} runs: "
        f"start median {statistics.median(starts):.2f} s (min {min(starts):.2f}, "
        f"max {max(starts):.2f}); stop median {statistics.median(stops):.2f} s"
    )
    return 0


def _uri(state_dir: Path, database: str, *, read_write: bool) -> int:
    """The URI with everything a client needs: credentials, authSource, replica set, CA file."""
    from tools.local.db import LocalDb  # noqa: PLC0415

    path = state_dir / CONNECTION_FILE
    try:
        db = LocalDb.from_connection_file(path)
    except FileNotFoundError:
        print(f"tools.local.db: error: {path} does not exist: start make local", file=sys.stderr)
        return 1
    user, password = (
        (db.username, db.password) if read_write else (db.reader_username, db.reader_password)
    )
    print(db.uri_for(user, password, database=database, ca_file=db.ca_file.resolve()))
    return 0


def main(argv: list[str] | None = None) -> int:
    return run(PROG, lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "bench":
        return _bench(args.runs)
    if args.command == "uri":
        return _uri(args.state_dir, args.database, read_write=args.read_write)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    try:
        # Here, not at the top: without requirements-wire.txt this is one line, not a traceback.
        from tools.local.db.server import serve  # noqa: PLC0415
    except ImportError as exc:
        print(error_line(PROG, f"{exc}; run `make setup` (requirements-wire.txt)"), file=sys.stderr)
        return 2

    def announce(connection: dict[str, Any]) -> None:
        print(
            f"local MongoDB-wire server (SecantusDB, TLS + SCRAM, replica set "
            f"{connection['replica_set']}) on {connection['host']}:{connection['port']} "
            f"(pid {connection['pid']}); connection details in "
            f"{args.state_dir / CONNECTION_FILE}",
            flush=True,
        )

    try:
        serve(
            state_dir=args.state_dir,
            port=args.port,
            memory=args.memory,
            parent_pid=args.parent_pid,
            on_ready=announce,
        )
    except OSError as exc:
        message = f"the local MongoDB-wire server could not start: {exc}"
        print(error_line(PROG, message), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
