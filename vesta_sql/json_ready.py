"""`jsonable(record)`: a record as a dict `json.dumps` (and any web framework) accepts, the same on both dialects.

Datetimes become UTC text ending in `Z` (always with microseconds, so they sort as text);
embeddings become `list[float]`; JSON fields, numbers, strings, booleans and None stay as
they are; records nested in records or lists are converted too.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any

from .names import timestamp_text


def _value(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        return timestamp_text(aware.astimezone(timezone.utc))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(value)
    if isinstance(value, dict):
        return {str(key): _value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_value(item) for item in value]
    if hasattr(value, "tolist"):  # a NumPy array (embeddings) or scalar
        return _value(value.tolist())
    raise TypeError(f"jsonable: cannot convert a {type(value).__name__}")


def jsonable(record: Any) -> dict[str, Any]:
    """The record's fields as JSON-ready values (a new dict; the record is not changed)."""
    if not dataclasses.is_dataclass(record) or isinstance(record, type):
        raise TypeError(f"jsonable expects a vesta_sql record, not a {type(record).__name__}")
    return {field.name: _value(getattr(record, field.name)) for field in dataclasses.fields(record)}
