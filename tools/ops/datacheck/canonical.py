"""Field-order-independent document hashes and the server's ``_id`` order, in Python.

A document's hash is the SHA-256 of its canonical BSON: every embedded document's fields
sorted by name, recursively (also inside arrays), array order kept, every value re-encoded
with its original BSON type. So ``{a: 1, b: 2}`` and ``{b: 2, a: 1}`` hash alike, while an
int32 ``1``, an int64 ``1``, a double ``1.0``, a Decimal128 ``1`` and a string ``"1"`` all
hash differently, as do ``[1, 2]`` and ``[2, 1]``. Decoding keeps the types apart: int64 as
``Int64``, dates as exact milliseconds (``DatetimeMS``), UUIDs as ``Binary``.

``id_order_key`` reproduces MongoDB's comparison order of BSON values (type rank first:
MinKey < null < numbers < strings < documents < arrays < binary < ObjectId < booleans < dates
< timestamps < regexes < MaxKey), which is how both servers sort the ``_id`` streams that
datacheck merges. Anything it cannot order raises ``UnorderableIdError`` rather than guess.
"""

from __future__ import annotations

import decimal
import hashlib
import math
import re
from collections.abc import Mapping
from typing import Any

import bson
from bson.binary import Binary
from bson.codec_options import CodecOptions, DatetimeConversion
from bson.datetime_ms import DatetimeMS
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.timestamp import Timestamp

# How datacheck decodes what it reads: no BSON type may collapse into another.
CODEC_OPTIONS: CodecOptions[dict[str, Any]] = CodecOptions(
    document_class=dict, datetime_conversion=DatetimeConversion.DATETIME_MS
)


class UnorderableIdError(ValueError):
    """An ``_id`` of a type whose server order this tool does not reproduce."""


def canonical(value: Any) -> Any:
    """``value`` with every mapping's keys sorted, recursively; everything else unchanged."""
    if isinstance(value, Mapping):
        return {key: canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    return value


def document_hash(document: Mapping[str, Any]) -> str:
    return hashlib.sha256(bson.encode(canonical(document), codec_options=CODEC_OPTIONS)).hexdigest()


def _number_key(value: Any) -> tuple[int, decimal.Decimal]:
    number = value.to_decimal() if isinstance(value, Decimal128) else decimal.Decimal(value)
    if number.is_nan() or (isinstance(value, float) and math.isnan(value)):
        return (0, decimal.Decimal(0))  # NaN sorts below every other number
    return (1, number)


def id_order_key(value: Any) -> tuple[Any, ...]:  # noqa: PLR0911, PLR0912 - one branch per BSON type
    """A sort key that orders BSON values the way MongoDB and DocumentDB do."""
    if isinstance(value, MinKey):
        return (1,)
    if value is None:
        return (2,)
    if isinstance(value, bool):  # before numbers: bool is an int in Python
        return (9, value)
    if isinstance(value, int | float | Int64 | Decimal128):
        return (3, _number_key(value))
    if isinstance(value, str):
        return (4, value.encode())  # byte order of UTF-8 = the server's binary comparison
    if isinstance(value, Mapping):
        fields = []
        for key, item in value.items():  # field by field: type rank, then name, then value
            item_key = id_order_key(item)
            fields.append((item_key[0], key, item_key))
        return (5, tuple(fields))
    if isinstance(value, Binary | bytes):
        subtype = value.subtype if isinstance(value, Binary) else 0
        return (7, len(value), subtype, bytes(value))
    if isinstance(value, ObjectId):
        return (8, value.binary)
    if isinstance(value, DatetimeMS):
        return (10, int(value))
    if isinstance(value, Timestamp):
        return (11, value.time, value.inc)
    if isinstance(value, Regex | re.Pattern):
        return (12, str(value.pattern), str(value.flags))
    if isinstance(value, MaxKey):
        return (13,)
    raise UnorderableIdError(f"cannot order an _id of type {type(value).__name__}")
