"""``python -m tools.ops.parity``: compare the legacy backend and the new API, request by request.

    python -m tools.ops.parity --legacy URL --new URL --requests FILE [--rules FILE]
        [--header 'Name: value']... [--threshold PCT] [--allow-writes] [--format text|json]
        [--from-openapi docs/openapi.json]

Each request goes to legacy, then to the new API, then to legacy again: a field that changes
between the two legacy answers (which bracket the new one in time) is noise for that request.
Exit 0 when every migrated route's mismatch rate is at most ``--threshold`` percent, 1 when
one is above it, 2 on bad input (one line on stderr, nothing sent).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

import requests

from tools.cli import USAGE, Parser, UsageError, error_line
from tools.ops.parity.compare import Answer, compare, parse_body
from tools.ops.parity.inputs import InputError, ParityRequest, load_requests, parse_header
from tools.ops.parity.openapi import IdFiller, requests_from_openapi
from tools.ops.parity.report import RouteTally, build_report, render_json, render_text
from tools.ops.parity.routing import MIGRATED, match_route
from tools.ops.parity.rules import NO_RULES, RouteRules, RulesError, load_rules

TIMEOUT_SECONDS = 10.0


def _base_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise argparse.ArgumentTypeError(f"must be an http(s) URL like http://host:port: {text!r}")
    return text.rstrip("/")


def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be a percentage from 0 to 100, got {text!r}")
    return value


def _header(text: str) -> tuple[str, str]:
    try:
        return parse_header(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m tools.ops.parity",
        description="Send each request to legacy (twice) and the new API; report per route.",
    )
    parser.add_argument("--legacy", required=True, type=_base_url, help="legacy backend base URL")
    parser.add_argument("--new", required=True, type=_base_url, help="new API base URL")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--requests", type=Path, help="JSON lines, one request per line")
    source.add_argument(
        "--from-openapi",
        type=Path,
        metavar="FILE",
        help="generate GET requests from an OpenAPI document, ids from the list endpoints",
    )
    parser.add_argument(
        "--rules", type=Path, help="TOML: ignored paths, unordered arrays, numeric tolerances"
    )
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        type=_header,
        metavar="'NAME: VALUE'",
        help="sent with every request, e.g. 'Authorization: Bearer ...' (repeatable)",
    )
    parser.add_argument(
        "--threshold",
        type=_threshold,
        default=0.0,
        metavar="PCT",
        help="highest mismatch rate in %% a migrated route may have (default 0)",
    )
    parser.add_argument(
        "--allow-writes",
        action="store_true",
        help="also send POST/PUT/PATCH/DELETE (a disposable stage only: they run three times)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    return parser


class UnreachableError(Exception):
    pass


Send = Callable[[str, ParityRequest], Answer]


def http_sender(headers: dict[str, str]) -> Send:
    session = requests.Session()
    session.trust_env = False  # never through a proxy from the environment

    def send(base: str, request: ParityRequest) -> Answer:
        merged = {**headers, **request.headers}
        body = request.body
        try:
            response = session.request(
                request.method,
                base + request.path,
                headers=merged,
                json=None if isinstance(body, str) else body,
                data=body if isinstance(body, str) else None,
                timeout=TIMEOUT_SECONDS,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            reason = type(error).__name__
            if isinstance(error, requests.ConnectionError):
                reason = "connection refused or host unknown"
            elif isinstance(error, requests.Timeout):
                reason = f"no answer within {TIMEOUT_SECONDS:g} s"
            raise UnreachableError(f"cannot reach {base} ({request.label}): {reason}") from error
        return Answer(status=response.status_code, body=parse_body(response.text))

    return send


def run(
    *,
    legacy: str,
    new: str,
    parity_requests: list[ParityRequest],
    rules_for: Callable[[str, int], RouteRules],
    allow_writes: bool,
    send: Send,
) -> tuple[list[RouteTally], dict[str, int]]:
    tallies: dict[str, RouteTally] = {
        template.key: RouteTally(key=template.key, migrated=True) for template in MIGRATED
    }
    skipped: dict[str, int] = {}
    fill = IdFiller(base=legacy, send=send)
    for listed in parity_requests:
        route = match_route(listed.method, listed.path)
        tally = tallies.setdefault(route.key, RouteTally(key=route.key, migrated=route.migrated))
        if not listed.is_read and not allow_writes:
            tally.skip()
            skipped[listed.method] = skipped.get(listed.method, 0) + 1
            continue
        request = fill(listed)
        first = send(legacy, request)
        candidate = send(new, request)
        second = send(legacy, request)
        rules = rules_for(route.key, first.status)
        tally.add(request, compare(legacy=first, legacy_again=second, new=candidate, rules=rules))
    # Every migrated route stays in, requested or not: the report records what was not compared.
    return list(tallies.values()), skipped


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = build_parser().parse_args(argv)
        rules = load_rules(args.rules) if args.rules else NO_RULES
        headers = dict(args.header)
        send = http_sender(headers)
        if args.from_openapi:
            source = str(args.from_openapi)
            parity_requests = requests_from_openapi(args.from_openapi, base=args.legacy, send=send)
        else:
            source = str(args.requests)
            parity_requests = load_requests(args.requests)
        tallies, skipped = run(
            legacy=args.legacy,
            new=args.new,
            parity_requests=parity_requests,
            rules_for=rules.for_answer,
            allow_writes=args.allow_writes,
            send=send,
        )
    except (UsageError, InputError, RulesError, UnreachableError) as error:
        print(error_line("parity", error), file=err)
        return USAGE
    except KeyboardInterrupt:
        print("parity: interrupted", file=err)
        return 130
    report = build_report(
        generated_at=now(),
        legacy=args.legacy,
        new=args.new,
        threshold=args.threshold,
        tallies=tallies,
        skipped_writes=skipped,
    )
    if args.format == "json":
        out.write(render_json(report))
    else:
        out.write(render_text(report, requests_file=source))
    return 0 if report.passed else 1
