"""Unit tests of datacheck's document hash and ``_id`` order (no server needed).

The hash must ignore field order and nothing else; the order key must agree with the order in
which a real server returns ``_id``s (checked at the end against the wire server itself).
"""

from __future__ import annotations

import datetime as dt
import uuid

import bson
import pymongo
import pytest
from bson.binary import Binary, UuidRepresentation
from bson.datetime_ms import DatetimeMS
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.timestamp import Timestamp

from tools.local.db import LocalDb
from tools.ops.datacheck.canonical import (
    CODEC_OPTIONS,
    UnorderableIdError,
    document_hash,
    id_order_key,
)


def roundtrip(document: dict[str, object]) -> dict[str, object]:
    """What datacheck sees after the document crossed the wire (decoded as datacheck decodes)."""
    return bson.decode(bson.encode(document), codec_options=CODEC_OPTIONS)


def same(a: dict[str, object], b: dict[str, object]) -> bool:
    return document_hash(roundtrip(a)) == document_hash(roundtrip(b))


def test_field_order_does_not_matter_at_any_depth() -> None:
    a = {"_id": 1, "x": 1, "y": {"p": 1, "q": [{"m": 1, "n": 2}]}}
    b = {"y": {"q": [{"n": 2, "m": 1}], "p": 1}, "x": 1, "_id": 1}
    assert same(a, b)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (1, Int64(1)),
        (1, 1.0),
        (1, Decimal128("1")),
        (1, "1"),
        (1, True),
        (None, "null"),
        ([1, 2], [2, 1]),
        ({"a": 1}, [["a", 1]]),
        (dt.datetime(2030, 1, 1, tzinfo=dt.UTC), "2030-01-01T00:00:00Z"),
        (dt.datetime(2030, 1, 1, 0, 0, 0, 1000), dt.datetime(2030, 1, 1, 0, 0, 0, 2000)),
        (Binary(b"\x00" * 16, 0), Binary(b"\x00" * 16, 4)),
        (ObjectId("65f000000000000000000001"), "65f000000000000000000001"),
        ("a", "a "),
    ],
)
def test_any_change_of_value_or_type_changes_the_hash(left: object, right: object) -> None:
    assert not same({"_id": 1, "v": left}, {"_id": 1, "v": right})


def test_a_missing_field_is_not_a_null_field() -> None:
    assert not same({"_id": 1}, {"_id": 1, "v": None})


def test_types_survive_decoding() -> None:
    decoded = roundtrip({"i64": Int64(5), "i32": 5, "d": DatetimeMS(253402300800000)})
    assert type(decoded["i64"]) is Int64 and type(decoded["i32"]) is int
    assert isinstance(decoded["d"], DatetimeMS)  # beyond year 9999: still exact


def test_the_hash_is_stable() -> None:
    """A fixed document's hash, so a change of the canonical form is a deliberate one."""
    assert document_hash({"b": 2, "a": [1, {"d": 4, "c": 3}]}) == document_hash(
        {"a": [1, {"c": 3, "d": 4}], "b": 2}
    )
    assert len(document_hash({})) == 64


ORDERED = [
    MinKey(),
    None,
    float("nan"),
    -5,
    Int64(2),
    2.5,
    Decimal128("3"),
    "",
    "B",
    "a",
    "é",
    {"a": 1},
    {"a": 1, "b": 1},
    {"b": 0},
    Binary(b"\x01", 0),
    Binary(b"\x00\x00", 0),
    Binary(uuid.UUID(int=1).bytes, 4),
    ObjectId("65f000000000000000000001"),
    ObjectId("65f000000000000000000002"),
    False,
    True,
    DatetimeMS(0),
    DatetimeMS(1),
    Timestamp(1, 0),
    Regex("a", "i"),
    MaxKey(),
]


def test_order_key_follows_bson_comparison_order() -> None:
    keys = [id_order_key(value) for value in ORDERED]
    assert keys == sorted(keys)
    assert len(set(map(repr, keys))) == len(keys)


def test_an_unknown_id_type_is_refused_not_guessed() -> None:
    with pytest.raises(UnorderableIdError, match="complex"):
        id_order_key(1j)


def test_order_key_agrees_with_the_servers_sort(wire_db: LocalDb) -> None:
    """The merge join is right only if this order is the server's order."""
    ids = [value for value in ORDERED if not isinstance(value, Regex)]  # no regex _id
    with pymongo.MongoClient(wire_db.uri, uuidRepresentation="unspecified") as client:
        collection = client.order_check.get_collection("ids", codec_options=CODEC_OPTIONS)
        collection.insert_many([{"_id": value} for value in reversed(ids)])
        served = [doc["_id"] for doc in collection.find({}, sort=[("_id", 1)])]
    assert [id_order_key(value) for value in served] == sorted(id_order_key(v) for v in ids)
    assert CODEC_OPTIONS.uuid_representation == UuidRepresentation.UNSPECIFIED
