"""Form values (text from the browser) turned into what a column holds, checked as the façade checks a call.

An unknown column, the account column, a key column on an edit, a binary column, a value
of the wrong kind or an oversized text is refused with a message naming the column; the
database's own constraints (checks, foreign keys, the account registry) still apply.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from ...errors import InvalidInputError
from ...names import timestamp_text
from ..schema_info import ACCOUNT
from .schema import Column, Table

MAX_TEXT_BYTES = 1_000_000
_INTEGERS = ("integer", "int", "int2", "int4", "int8", "bigint", "smallint")
_BOOLEANS = ("bool", "boolean")
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def _timestamp(column: Column, text: str, dialect: str) -> Any:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInputError(f"{column.name}: {text!r} is not an ISO-8601 timestamp (e.g. 2026-01-31T12:00:00Z)") from None
    if value.tzinfo is None:
        raise InvalidInputError(f"{column.name}: {text!r} has no time zone (add Z for UTC)")
    value = value.astimezone(timezone.utc)
    return value if dialect == "postgres" else timestamp_text(value)


def convert(column: Column, text: str, dialect: str) -> Any:
    """One form value as the column's Python value (empty → NULL where the column allows it)."""
    if text == "" and column.nullable:
        return None
    kind = column.kind
    if kind in _INTEGERS:
        try:
            return int(text)
        except ValueError:
            raise InvalidInputError(f"{column.name}: expected an integer, got {text!r}") from None
    if kind in _BOOLEANS:
        if text.lower() not in _TRUE + _FALSE:
            raise InvalidInputError(f"{column.name}: expected true or false, got {text!r}")
        flag = text.lower() in _TRUE
        return flag if dialect == "postgres" else int(flag)  # SQLite stores booleans as 0/1
    if kind in ("json", "jsonb"):  # SQLite keeps JSON as text, checked by the column's own json_valid()
        try:
            parsed = json.loads(text)
        except ValueError:
            raise InvalidInputError(f"{column.name}: not valid JSON") from None
        return _json(parsed) if dialect == "postgres" else json.dumps(parsed, separators=(",", ":"))
    if kind == "timestamptz" or (dialect == "sqlite" and column.name.endswith("_at")):
        return _timestamp(column, text, dialect)
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise InvalidInputError(f"{column.name}: longer than {MAX_TEXT_BYTES} bytes")
    return text


def _json(value: Any) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(value)


def stamp_update(table: Table, values: dict[str, Any], dialect: str) -> None:
    """An edit moves `updated_at` to now, as the façade's update queries do (unless the form sets it)."""
    if table.column("updated_at") is not None and "updated_at" not in values:
        now = datetime.now(timezone.utc)
        values["updated_at"] = now if dialect == "postgres" else timestamp_text(now)


def changes(table: Table, form: Mapping[str, str], dialect: str, *, editing: bool) -> dict[str, Any]:
    """The columns a form sets (`c.NAME` fields), converted; the account and (on an edit) the key are never set."""
    values: dict[str, Any] = {}
    for field, text in form.items():
        if not field.startswith("c."):
            continue
        name = field[2:]
        column = table.column(name)
        if column is None:
            raise InvalidInputError(f"table {table.name} has no column {name!r}")
        if name == ACCOUNT:
            raise InvalidInputError("account_id is the account in use: it cannot be set or changed")
        if editing and name in table.key:
            raise InvalidInputError(f"{name} is part of the row's key: it cannot be changed (insert a new row instead)")
        if column.binary:
            raise InvalidInputError(f"{name} holds binary data: the studio does not edit it")
        values[name] = convert(column, text, dialect)
    return values
