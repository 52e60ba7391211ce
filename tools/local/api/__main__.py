"""``python -m tools.local.api serve|token`` (what ``make local`` and ``make token`` run)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
import warnings
from pathlib import Path

from taskly.routes import API_SCOPE

from tools.cli import Parser, run
from tools.local.api.devjwt import DEFAULT_STATE_DIR, issue_token, load_or_create_key

# The tasks function's database secret (JSON) naming a MongoDB-wire server to use instead of
# mongomock (make local: the one legacy uses too).
DOCDB_SECRET_VARIABLE = "TASKLY_LOCAL_DOCDB_SECRET"  # noqa: S105 - a variable name


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    logging.basicConfig(level=args.log_level, format="%(levelname)s %(name)s: %(message)s")
    # Powertools warns on every request that publishes no business metric (health, reads).
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    from taskly.api.origin import ORIGIN_VERIFY_HEADER

    from tools.local.api.gateway import LocalGateway
    from tools.local.api.server import OriginHeader, make_server
    from tools.local.api.stack import LocalStack

    key = load_or_create_key(args.state_dir)
    # From the environment, not argv: it carries a password and argv is visible to `ps`.
    raw_secret = os.environ.get(DOCDB_SECRET_VARIABLE)
    docdb_secret = json.loads(raw_secret) if raw_secret else None
    stack = LocalStack(
        moto_port=args.moto_port or _free_port(),
        log_level=args.log_level,
        docdb_secret=docdb_secret,
    )
    servers = []
    try:
        stack.start()
        functions = stack.functions()
        stack.start_email_poller(functions.pop("email_worker"))
        # One gateway behind both ports: still one invocation at a time per function.
        gateway = LocalGateway(key=key, functions=functions, legacy_url=args.legacy_url)
        through_cloudfront = OriginHeader(ORIGIN_VERIFY_HEADER, stack.origin_verify_value)
        servers.append(
            make_server(gateway, host=args.host, port=args.port, origin_header=through_cloudfront)
        )
        if args.direct_port:
            servers.append(make_server(gateway, host=args.host, port=args.direct_port))
    except OSError as exc:
        for server in servers:
            server.server_close()
        stack.stop()
        print(f"local API could not start: {exc}", file=sys.stderr)
        return 1
    server, *direct = servers

    def shut_down(_signum: int, _frame: object) -> None:
        # shutdown() blocks until serve_forever returns, so it must run on another thread.
        for each in servers:
            threading.Thread(target=each.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)
    for each in direct:
        threading.Thread(
            target=each.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        ).start()
        print(
            f"Direct calls, like the public execute-api URL (no {ORIGIN_VERIFY_HEADER}: 403 "
            f"for every route but /api/health): http://{args.host}:{each.server_port}",
            flush=True,
        )
    elapsed = time.perf_counter() - started
    print(
        f"Taskly local API on http://{args.host}:{server.server_port} "
        f"(ready in {elapsed:.1f} s; AWS emulated by moto on {stack.endpoint}; DocumentDB "
        f"{'by the MongoDB-wire server' if docdb_secret else 'by mongomock'}; other /api "
        f"routes {'to legacy at ' + args.legacy_url if args.legacy_url else 'answer 404'}). "
        "Ctrl-C stops.",
        flush=True,
    )
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        for each in direct:
            each.shutdown()  # returns at once if the signal handler already stopped it
        for each in servers:
            each.server_close()
        stack.stop()
        print("local API stopped", flush=True)
    return 0


def token(args: argparse.Namespace) -> int:
    if not args.user.strip():
        print("token: --user must not be empty", file=sys.stderr)
        return 2
    key = load_or_create_key(args.state_dir)
    print(issue_token(key, subject=args.user, scopes=tuple(args.scope)))
    return 0


def main(argv: list[str] | None = None) -> int:
    return run("local.api", lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    parser = Parser(prog="python -m tools.local.api")
    common = Parser(add_help=False)
    common.add_argument(
        "--state-dir", type=Path, default=DEFAULT_STATE_DIR, help="git-ignored dir for the dev key"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", parents=[common], help="run the local API")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument(
        "--port", type=int, default=3000, help="through CloudFront: x-origin-verify is added"
    )
    serve_parser.add_argument(
        "--direct-port",
        type=int,
        default=0,
        help="also serve without x-origin-verify, like the public execute-api URL (default: off)",
    )
    serve_parser.add_argument("--moto-port", type=int, default=0, help="default: a free port")
    serve_parser.add_argument(
        "--legacy-url", help="proxy routes that are not migrated there (ANY /api/{proxy+})"
    )
    serve_parser.add_argument(
        "--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    token_parser = commands.add_parser("token", parents=[common], help="print a dev access token")
    token_parser.add_argument("--user", default="dev-user", help="the token's subject (sub)")
    token_parser.add_argument("--scope", action="append", default=None, help=f"default {API_SCOPE}")
    args = parser.parse_args(argv)
    if args.command == "token":
        args.scope = args.scope or [API_SCOPE]
        return token(args)
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
