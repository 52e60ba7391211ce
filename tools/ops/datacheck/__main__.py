"""``python -m tools.ops.datacheck --source URI --target URI ...`` (``make datacheck ARGS=...``).

Exit status: 0 when every compared collection matches (documents, content and indexes),
1 when something differs, 2 when no comparison could be made (bad arguments, a bad URI, an
unreachable server, a failed login): then one line on stderr says why.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymongo
from pymongo import errors, uri_parser
from pymongo.database import Database

from tools.cli import USAGE, Parser, UsageError, error_line
from tools.ops.datacheck.canonical import CODEC_OPTIONS, UnorderableIdError
from tools.ops.datacheck.compare import (
    CollectionReport,
    OutOfOrderError,
    ThrottledProgress,
    compare_documents,
    compare_indexes,
)
from tools.ops.datacheck.report import Run, to_json, to_text

DEFAULT_SAMPLE = 10
# Defaults a URI can override: fail within seconds on a wrong address, CA or replica set name.
CLIENT_DEFAULTS: dict[str, Any] = {
    "serverSelectionTimeoutMS": 10_000,
    "connectTimeoutMS": 5_000,
    # Reads only; a secondary spares the primary (DocumentDB replicas serve the same data).
    "readPreference": "secondaryPreferred",
}


class CheckError(Exception):
    """No comparison was possible; the message is the one line to print."""


def _parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m tools.ops.datacheck",
        description="Compare two MongoDB/DocumentDB databases collection by collection: "
        "document counts, a field-order-independent hash per document, and indexes. "
        "Reads only. Exit 0: match; 1: differences; 2: could not compare.",
    )
    parser.add_argument("--source", required=True, metavar="URI", help="mongodb://.../DATABASE")
    parser.add_argument("--target", required=True, metavar="URI", help="mongodb://.../DATABASE")
    parser.add_argument("--source-ca", type=Path, metavar="FILE", help="CA file for the source")
    parser.add_argument("--target-ca", type=Path, metavar="FILE", help="CA file for the target")
    parser.add_argument(
        "--collections", metavar="A,B", help="only these (default: every collection on either side)"
    )
    parser.add_argument(
        "--sample", type=int, default=DEFAULT_SAMPLE, metavar="N", help="_ids shown per kind"
    )
    parser.add_argument("--format", choices=["text", "json"], default="text")
    return parser


@dataclass
class Side:
    name: str
    client: pymongo.MongoClient[dict[str, Any]]
    database: Database[dict[str, Any]]
    address: str


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "TLS certificate verification failed (is the CA file the one that signed it?)"
    if isinstance(exc, errors.OperationFailure):
        if exc.code == 18:
            return "the login failed (user, password or authSource)"
        if exc.code == 13:
            return f"not authorized: {(exc.details or {}).get('errmsg', text)}"
    first = text.splitlines()[0] if text else type(exc).__name__
    return first.split(" (configured timeouts")[0].split(", Timeout:")[0][:300]


@dataclass(frozen=True)
class Endpoint:
    """A validated URI: where to connect and with which client options (not yet connected)."""

    name: str
    uri: str
    database: str
    address: str
    options: dict[str, Any]
    nodes: tuple[tuple[str, int], ...] = ()


def _endpoint(name: str, uri: str, ca_file: Path | None) -> Endpoint:
    try:
        parsed = uri_parser.parse_uri(uri)
    except (errors.InvalidURI, errors.ConfigurationError, ValueError) as exc:
        raise CheckError(f"the {name} URI is not valid: {exc}") from None
    if not parsed.get("database"):
        raise CheckError(f"the {name} URI names no database (mongodb://HOST:PORT/DATABASE?...)")
    options: dict[str, Any] = {
        option: value
        for option, value in CLIENT_DEFAULTS.items()
        if option not in parsed["options"]
    }
    if ca_file is not None:
        if not ca_file.is_file():
            raise CheckError(f"--{name}-ca {ca_file}: no such file")
        options.update(tls=True, tlsCAFile=str(ca_file))
    hosts = ",".join(f"{host}:{port}" for host, port in parsed["nodelist"])
    return Endpoint(
        name=name,
        uri=uri,
        database=parsed["database"],
        address=f"{hosts}/{parsed['database']}",
        options=options,
        nodes=tuple(parsed["nodelist"]),
    )


def _refused(endpoint: Endpoint) -> bool:
    """True when every host of the URI refuses a TCP connection outright.

    pymongo keeps retrying server selection until serverSelectionTimeoutMS (10 s) even when
    nothing listens; a refusal is final, so it is reported at once. Anything else (a timeout,
    a name that does not resolve, a host that answers) is left to pymongo and its own message.
    """
    if not endpoint.nodes:
        return False
    for host, port in endpoint.nodes:
        try:
            socket.create_connection((host, port), timeout=2).close()
        except ConnectionRefusedError:
            continue
        except OSError:
            return False
        return False
    return True


def _connect(endpoint: Endpoint) -> Side:
    if _refused(endpoint):
        raise CheckError(
            f"cannot use the {endpoint.name} at {endpoint.address}: connection refused "
            "(nothing listens there; is the server or the tunnel up?)"
        )
    try:
        client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
            endpoint.uri, appname="taskly-datacheck", **endpoint.options
        )
    except errors.PyMongoError as exc:
        raise CheckError(f"the {endpoint.name} URI is not valid: {_reason(exc)}") from None
    try:
        database = client.get_database(endpoint.database, codec_options=CODEC_OPTIONS)
        database.command("ping")
    except errors.PyMongoError as exc:
        client.close()
        raise CheckError(
            f"cannot use the {endpoint.name} at {endpoint.address}: {_reason(exc)}"
        ) from None
    return Side(name=endpoint.name, client=client, database=database, address=endpoint.address)


def _collection_names(side: Side) -> set[str]:
    return {
        info["name"]
        for info in side.database.list_collections()
        if info.get("type", "collection") == "collection" and not info["name"].startswith("system.")
    }


def _compare(source: Side, target: Side, names: list[str] | None, sample: int) -> Run:
    started = time.monotonic()
    on_source, on_target = _collection_names(source), _collection_names(target)
    if names is None:
        names = sorted(on_source | on_target)
    for name in names:
        if name not in on_source and name not in on_target:
            raise CheckError(f"collection {name!r} exists on neither side")
    progress = ThrottledProgress(lambda line: print(line, file=sys.stderr, flush=True))
    reports = []
    for name in names:
        report = CollectionReport(
            name=name, in_source=name in on_source, in_target=name in on_target
        )
        source_collection = source.database[name] if report.in_source else None
        target_collection = target.database[name] if report.in_target else None
        compare_documents(
            report, source_collection, target_collection, sample=sample, progress=progress
        )
        report.indexes = compare_indexes(source_collection, target_collection)
        reports.append(report)
    return Run(
        source=source.address,
        target=target.address,
        collections=reports,
        seconds=time.monotonic() - started,
    )


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        names = None
        if args.collections is not None:
            names = [name.strip() for name in args.collections.split(",")]
            if not all(names):
                raise UsageError("--collections takes names separated by commas")
        if args.sample < 0:
            raise UsageError("--sample must be 0 or more")
    except UsageError as exc:
        print(error_line("datacheck", exc), file=sys.stderr)
        return USAGE
    sides: list[Side] = []
    try:
        # Both URIs and CA files are checked before either server is contacted.
        endpoints = [
            _endpoint("source", args.source, args.source_ca),
            _endpoint("target", args.target, args.target_ca),
        ]
        for endpoint in endpoints:
            sides.append(_connect(endpoint))
        try:
            run = _compare(sides[0], sides[1], names, args.sample)
        except errors.PyMongoError as exc:
            raise CheckError(f"reading failed: {_reason(exc)}") from None
        except (OutOfOrderError, UnorderableIdError) as exc:
            raise CheckError(f"cannot merge the two sides: {exc}") from None
    except CheckError as exc:
        print(error_line("datacheck", exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("datacheck: interrupted", file=sys.stderr)
        return 130
    finally:
        for side in sides:
            side.client.close()
    print(to_json(run) if args.format == "json" else to_text(run))
    return 0 if run.match else 1


if __name__ == "__main__":
    sys.exit(main())
