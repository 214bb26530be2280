"""Row checksums that agree between a SQLite source and its Postgres copy.

Each row becomes one canonical text — every value as Postgres prints it after the copy's
conversion (timestamps as `YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC, jsonb in its normalised
form, vectors as the hex of their binary form, booleans as 0/1), `N` for null — and the
row's hash is the first 8 bytes of its md5 as a signed integer. A table's checksum is the
sum of its rows' hashes: independent of row order (the two databases sort text
differently), computed by Postgres itself on the target and by Python on the source.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from ..names import PG_TIMESTAMP_FORMAT, timestamp_text
from ..schema.model import Column

SEPARATOR = "\x1f"


# --- Postgres side: SQL expressions ---------------------------------------------------------------

def _pg_expr(column: Column) -> str:
    name = f'"{column.name}"'
    kind = column.type  # Postgres udt name
    if kind in ("text", "varchar", "bpchar"):
        return name
    if kind == "bool":
        return f"case when {name} then '1' else '0' end"
    if kind == "timestamptz":
        return f"to_char({name} at time zone 'UTC', '{PG_TIMESTAMP_FORMAT}')"
    if kind == "timestamp":
        return f"to_char({name}, '{PG_TIMESTAMP_FORMAT}')"
    if kind == "vector":
        return f"encode(vector_send({name}), 'hex')"
    return f"{name}::text"


def pg_row_hash(columns: Sequence[Column]) -> str:
    """A SQL expression: the row's hash as a bigint (sum it as numeric)."""
    parts = ", ".join(f"coalesce('v' || {_pg_expr(c)}, 'N')" for c in columns)
    return f"('x' || left(md5(concat_ws(chr(31), {parts})), 16))::bit(64)::bigint"


# --- Python side: the same text from SQLite values ------------------------------------------------

def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _bool(value: Any) -> str:
    return "1" if value else "0"


def canonical_timestamp(value: Any) -> str:
    text = _text(value)
    if len(text) == 27 and text[10] == "T" and text[-1] == "Z":
        return text  # already the package's fixed-width form
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return text  # Postgres will have refused it; the mismatch shows
    moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    return timestamp_text(moment)


def _number(value: Decimal) -> str:
    if value.is_zero():
        value = abs(value)  # numeric has no negative zero
    return format(value, "f")


def _jsonb(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_jsonb(item) for item in value) + "]"
    # jsonb orders keys by byte length, then bytewise; the last duplicate wins (as in json.loads)
    keys = sorted(value, key=lambda k: (len(k.encode("utf-8")), k.encode("utf-8")))
    return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {_jsonb(value[k])}" for k in keys) + "}"


def canonical_jsonb(value: Any) -> str:
    """JSON text as Postgres prints it once stored as jsonb."""
    try:
        parsed = json.loads(_text(value), parse_float=Decimal, parse_int=Decimal)
    except ValueError:
        return _text(value)
    return _jsonb(parsed)


def vector_hex(blob: Any) -> str:
    """A float32 little-endian blob as the hex of pgvector's binary form (dim, 0, big-endian floats)."""
    import numpy

    if not isinstance(blob, (bytes, bytearray, memoryview)):
        return _text(blob)
    array = numpy.frombuffer(bytes(blob), dtype="<f4")
    return (struct.pack(">HH", array.size, 0) + array.astype(">f4").tobytes()).hex()


_CANONICAL: dict[str, Callable[[Any], str]] = {
    "bool": _bool,
    "timestamptz": canonical_timestamp,
    "timestamp": canonical_timestamp,
    "jsonb": canonical_jsonb,
    "vector": vector_hex,
}


def row_hasher(columns: Sequence[Column]) -> Callable[[Sequence[Any]], int]:
    """A function: SQLite row values (in `columns` order) → the hash Postgres computes for the copied row."""
    converters = [_CANONICAL.get(c.type, _text) for c in columns]
    pairs = list(enumerate(converters))
    md5 = hashlib.md5
    separator = SEPARATOR

    def hash_row(row: Sequence[Any]) -> int:
        text = separator.join("N" if row[i] is None else "v" + convert(row[i]) for i, convert in pairs)
        return int.from_bytes(md5(text.encode("utf-8")).digest()[:8], "big", signed=True)

    return hash_row
