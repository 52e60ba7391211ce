"""Compare one collection on two servers: a merge join of two ``_id``-sorted streams.

Each side is read with one cursor, ``find({}).sort(_id)`` in batches, so memory holds one
batch per side plus the capped samples, whatever the collection's size. A document only in
the source is "missing in target", one only in the target is "extra in target", one on both
sides with different canonical hashes "differs". Reads only: ``find``, ``listIndexes``,
``listCollections``, ``count`` (collection metadata).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pymongo.collection import Collection

from tools.ops.datacheck.canonical import document_hash, id_order_key

BATCH_SIZE = 1000
# Index options that change behaviour; everything else in listIndexes is ignored (see
# docs/data-migration.md, "datacheck reference"): the name, the index version "v", "ns",
# "background", and engine-specific versions such as "textIndexVersion".
INDEX_OPTIONS = ("unique", "sparse", "expireAfterSeconds", "partialFilterExpression")


class OutOfOrderError(RuntimeError):
    """A server returned ``_id``s in an order the merge join cannot follow."""


@dataclass
class Differences:
    count: int = 0
    sample: list[Any] = field(default_factory=list)

    def add(self, document_id: Any, limit: int) -> None:
        self.count += 1
        if len(self.sample) < limit:
            self.sample.append(document_id)


@dataclass
class IndexReport:
    missing_in_target: list[dict[str, Any]] = field(default_factory=list)
    extra_in_target: list[dict[str, Any]] = field(default_factory=list)
    differs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def match(self) -> bool:
        return not (self.missing_in_target or self.extra_in_target or self.differs)


@dataclass
class CollectionReport:
    name: str
    in_source: bool = True
    in_target: bool = True
    source_count: int = 0
    target_count: int = 0
    missing_in_target: Differences = field(default_factory=Differences)
    extra_in_target: Differences = field(default_factory=Differences)
    content_differs: Differences = field(default_factory=Differences)
    indexes: IndexReport = field(default_factory=IndexReport)

    @property
    def match(self) -> bool:
        return (
            self.in_source
            and self.in_target
            and not self.missing_in_target.count
            and not self.extra_in_target.count
            and not self.content_differs.count
            and self.indexes.match
        )


Progress = Callable[[str, int, int], None]


def _stream(collection: Collection[dict[str, Any]] | None, side: str) -> Iterator[tuple[Any, ...]]:
    """(order key, _id, hash) per document, in strictly increasing ``_id`` order."""
    if collection is None:
        return
    previous: tuple[Any, ...] | None = None
    for document in collection.find({}, sort=[("_id", 1)], batch_size=BATCH_SIZE):
        document_id = document["_id"]
        key = id_order_key(document_id)
        if previous is not None and key <= previous:
            raise OutOfOrderError(
                f"the {side} returned _id {document_id!r} of {collection.name} out of order"
            )
        previous = key
        yield key, document_id, document_hash(document)


def compare_documents(
    report: CollectionReport,
    source: Collection[dict[str, Any]] | None,
    target: Collection[dict[str, Any]] | None,
    *,
    sample: int,
    progress: Progress,
) -> None:
    sources, targets = _stream(source, "source"), _stream(target, "target")
    left, right = next(sources, None), next(targets, None)
    while left is not None or right is not None:
        if right is None or (left is not None and left[0] < right[0]):
            report.missing_in_target.add(left[1], sample)  # type: ignore[index]
            report.source_count += 1
            left = next(sources, None)
        elif left is None or right[0] < left[0]:
            report.extra_in_target.add(right[1], sample)
            report.target_count += 1
            right = next(targets, None)
        else:
            if left[2] != right[2]:
                report.content_differs.add(left[1], sample)
            report.source_count += 1
            report.target_count += 1
            left, right = next(sources, None), next(targets, None)
        progress(report.name, report.source_count, report.target_count)


def _index_key(index: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    # 1 and 1.0 are the same direction; "text", "2dsphere", "hashed" stay strings.
    return tuple(
        (name, int(kind) if isinstance(kind, int | float) else kind)
        for name, kind in index["key"].items()
    )


def _index_options(index: Mapping[str, Any]) -> dict[str, Any]:
    options = {name: index[name] for name in INDEX_OPTIONS if name in index}
    options["unique"] = bool(options.get("unique", False))
    options["sparse"] = bool(options.get("sparse", False))
    return options


def _describe(key: tuple[tuple[str, Any], ...], options: Mapping[str, Any]) -> dict[str, Any]:
    return {"key": dict(key), **{name: value for name, value in options.items() if value}}


def compare_indexes(
    source: Collection[dict[str, Any]] | None, target: Collection[dict[str, Any]] | None
) -> IndexReport:
    """Indexes matched by their key pattern; their names are not compared."""
    sides = [
        {_index_key(index): _index_options(index) for index in collection.list_indexes()}
        if collection is not None
        else {}
        for collection in (source, target)
    ]
    source_indexes, target_indexes = sides
    report = IndexReport()
    for key, options in source_indexes.items():
        if key not in target_indexes:
            report.missing_in_target.append(_describe(key, options))
        elif target_indexes[key] != options:
            report.differs.append(
                {
                    "key": dict(key),
                    "source": _describe(key, options),
                    "target": _describe(key, target_indexes[key]),
                }
            )
    for key, options in target_indexes.items():
        if key not in source_indexes:
            report.extra_in_target.append(_describe(key, options))
    return report


class ThrottledProgress:
    """One stderr line at most every ``interval`` seconds, and none for a short run."""

    def __init__(self, write: Callable[[str], None], *, interval: float = 5.0) -> None:
        self._write = write
        self._interval = interval
        self._started = time.monotonic()
        self._next = self._started + interval

    def __call__(self, collection: str, source_count: int, target_count: int) -> None:
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + self._interval
        rate = (source_count + target_count) / max(now - self._started, 1e-9)
        self._write(
            f"datacheck: {collection}: {source_count} source and {target_count} target "
            f"documents compared ({rate:,.0f} documents/s)"
        )
