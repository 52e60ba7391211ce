"""The datacheck report as text (for people) or JSON (for pipelines)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bson import json_util
from bson.objectid import ObjectId

from tools.ops.datacheck.compare import CollectionReport, Differences


@dataclass(frozen=True)
class Run:
    source: str  # host:port/database, never the credentials
    target: str
    collections: Sequence[CollectionReport]
    seconds: float

    @property
    def match(self) -> bool:
        return all(collection.match for collection in self.collections)


def _id_json(document_id: Any) -> Any:
    """Relaxed extended JSON: ObjectId as {"$oid": ...}, so every type stays recognisable."""
    return json.loads(json_util.dumps(document_id, json_options=json_util.RELAXED_JSON_OPTIONS))


def _id_text(document_id: Any) -> str:
    if isinstance(document_id, ObjectId):
        return str(document_id)
    return json_util.dumps(document_id, json_options=json_util.RELAXED_JSON_OPTIONS)


def _differences_json(differences: Differences) -> dict[str, Any]:
    return {"count": differences.count, "sample": [_id_json(i) for i in differences.sample]}


def to_json(run: Run) -> str:
    return json.dumps(
        {
            "source": run.source,
            "target": run.target,
            "match": run.match,
            "seconds": round(run.seconds, 3),
            "collections": [
                {
                    "name": c.name,
                    "match": c.match,
                    "in_source": c.in_source,
                    "in_target": c.in_target,
                    "source_count": c.source_count,
                    "target_count": c.target_count,
                    "missing_in_target": _differences_json(c.missing_in_target),
                    "extra_in_target": _differences_json(c.extra_in_target),
                    "content_differs": _differences_json(c.content_differs),
                    "indexes": {
                        "match": c.indexes.match,
                        "missing_in_target": c.indexes.missing_in_target,
                        "extra_in_target": c.indexes.extra_in_target,
                        "differs": c.indexes.differs,
                    },
                }
                for c in run.collections
            ],
        },
        indent=2,
        default=json_util.default,
    )


def _index_text(description: dict[str, Any]) -> str:
    return json_util.dumps(description, json_options=json_util.RELAXED_JSON_OPTIONS)


def _details(c: CollectionReport) -> list[str]:
    lines = []
    if not c.in_source:
        lines.append(f"  {c.name}: only in the target")
    if not c.in_target:
        lines.append(f"  {c.name}: not in the target")
    for label, differences in (
        ("missing in target", c.missing_in_target),
        ("extra in target", c.extra_in_target),
        ("content differs", c.content_differs),
    ):
        if differences.count:
            shown = ", ".join(_id_text(i) for i in differences.sample)
            more = differences.count - len(differences.sample)
            suffix = f" (and {more} more)" if more else ""
            lines.append(f"  {c.name}: {differences.count} {label}: {shown}{suffix}")
    for index in c.indexes.missing_in_target:
        lines.append(f"  {c.name}: index missing in target: {_index_text(index)}")
    for index in c.indexes.extra_in_target:
        lines.append(f"  {c.name}: index extra in target: {_index_text(index)}")
    for index in c.indexes.differs:
        lines.append(
            f"  {c.name}: index options differ: source {_index_text(index['source'])}, "
            f"target {_index_text(index['target'])}"
        )
    return lines


def to_text(run: Run) -> str:
    header = ("collection", "source", "target", "missing", "extra", "differ", "indexes", "result")
    rows = [
        (
            c.name,
            str(c.source_count) if c.in_source else "-",
            str(c.target_count) if c.in_target else "-",
            str(c.missing_in_target.count),
            str(c.extra_in_target.count),
            str(c.content_differs.count),
            "ok" if c.indexes.match else "DIFFER",
            "ok" if c.match else "DIFFERENT",
        )
        for c in run.collections
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    table = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    details = [line for c in run.collections for line in _details(c)]
    sources = sum(c.source_count for c in run.collections)
    targets = sum(c.target_count for c in run.collections)
    verdict = "MATCH" if run.match else "DIFFERENT"
    return "\n".join(
        [
            f"datacheck: source {run.source}, target {run.target}",
            *table,
            *(["", "differences (sample of _ids):", *details] if details else []),
            "",
            f"{verdict}: {len(run.collections)} collections, {sources} source and {targets} "
            f"target documents compared in {run.seconds:.1f} s",
        ]
    )
