"""What each page shows, as plain data for the templates: the tables, a grid page, one row and its neighbours."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...errors import InvalidInputError
from . import sqlgen
from .database import Studio
from .schema import Table


class NotFound(Exception):
    """No such table, row or account — for this account (another account's row is not found either)."""


def encode_cursor(values: list[Any]) -> str:
    text = json.dumps([cell_text(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> list[str]:
    try:
        values = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError("a page cursor that this studio did not make") from None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InvalidInputError("a page cursor that this studio did not make")
    return values


def cell_text(value: Any) -> str:
    """A value as text: what a cursor, a filter and a CSV cell carry."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def plain(value: Any) -> Any:
    """A value for a JSON export."""
    if value is None or isinstance(value, str | int | float | bool | dict | list):
        return value
    return cell_text(value)


def table_of(studio: Studio, name: str) -> Table:
    table = studio.schema.table(name)
    if table is None:
        raise NotFound(f"no tenant table {name!r}")
    return table


def require_account(studio: Studio, account: str) -> None:
    if not studio.read(account, sqlgen.account_exists(studio.schema)).rows:
        raise NotFound(f"no account {account!r} in this database")


def resolve_key(studio: Studio, kind: str, key: str) -> str | None:
    # the directory query binds no account: its own proof rule; run with a placeholder account setting
    result = studio.read("-", sqlgen.directory_lookup(studio.schema, kind, key))
    return str(result.rows[0][0]) if result.rows else None


def tables(studio: Studio, account: str) -> list[tuple[str, int]]:
    schema = studio.schema
    return [(name, int(studio.read(account, sqlgen.count(schema, table)).rows[0][0]))
            for name, table in sorted(schema.tables.items())]


@dataclass
class Grid:
    table: Table
    columns: list[str]
    rows: list[tuple[Any, ...]]
    sort: str | None
    descending: bool
    filters: dict[str, str]
    count: int
    capped: bool
    next_cursor: str | None = None
    prev_cursor: str | None = None
    sortable: list[str] = field(default_factory=list)
    parents: dict[str, tuple[str, str]] = field(default_factory=dict)  # column → (parent table, its key column)

    def keys(self, row: tuple[Any, ...]) -> dict[str, str]:
        return {c: cell_text(row[self.columns.index(c)]) for c in self.table.key}


def parent_links(studio: Studio, table: Table) -> dict[str, tuple[str, str]]:
    """Columns that name one parent row by themselves (`creator_id` → creators.id): a grid links them."""
    found = {}
    for fk in table.parents:
        pairs = fk.pairs()
        if len(pairs) == 1 and studio.schema.tables[fk.parent].key == [pairs[0][1]]:
            found[pairs[0][0]] = (fk.parent, pairs[0][1])
    return found


def grid(studio: Studio, account: str, table: Table, params: Mapping[str, str]) -> Grid:
    schema = studio.schema
    sortable = list(table.sort_keys())
    sort = params.get("sort") or table.default_sort()
    if sortable and sort not in sortable:
        raise InvalidInputError(f"{table.name} cannot be sorted on {sort!r}: sort on an indexed column ({', '.join(sortable)})")
    descending = params.get("dir") == "desc"
    filters = {k[2:]: v for k, v in params.items() if k.startswith("f.") and v != ""}
    for name in filters:
        if table.column(name) is None:
            raise InvalidInputError(f"table {table.name} has no column {name!r} to filter on")
    after = decode_cursor(params["after"]) if params.get("after") else None
    before = decode_cursor(params["before"]) if params.get("before") else None
    last = params.get("last") == "1"
    page = sqlgen.PAGE_ROWS
    result = studio.read(account, sqlgen.grid(schema, table, sort=sort, descending=descending, filters=filters,
                                              after=after, before=before, last=last, rows=page))
    rows, more = result.rows[:page], len(result.rows) > page
    if before is not None or last:
        rows.reverse()
    counted = studio.read(account, sqlgen.count(schema, table, filters, cap=sqlgen.COUNT_CAP)).rows[0][0]
    view = Grid(table, result.columns, rows, sort, descending, filters, min(int(counted), sqlgen.COUNT_CAP),
                int(counted) > sqlgen.COUNT_CAP, sortable=sortable, parents=parent_links(studio, table))
    keyset = table.sort_keys()[sort] if sort is not None else []
    if rows and keyset:
        first = encode_cursor([rows[0][result.columns.index(c)] for c in keyset])
        final = encode_cursor([rows[-1][result.columns.index(c)] for c in keyset])
        backwards = before is not None or last
        view.next_cursor = final if (more and not backwards) or (backwards and not last) else None
        view.prev_cursor = first if (more and backwards) or (after is not None) else None
    return view


@dataclass
class Related:
    table: str
    pairs: list[tuple[str, str]]  # (column of that table, value)
    columns: list[str]
    rows: list[tuple[Any, ...]]
    more: bool
    key: list[str]


def related_key(rel: Related, values: tuple[Any, ...]) -> list[tuple[str, str]]:
    """The key of one related row, for its link."""
    return [(k, cell_text(values[rel.columns.index(k)])) for k in rel.key]


@dataclass
class RowView:
    table: Table
    values: dict[str, Any]
    parents: list[tuple[str, dict[str, str], bool]]  # (parent table, its key or filter, whether it names one row)
    children: list[Related]
    nearest: list[tuple[dict[str, str], str, float]]


def row(studio: Studio, account: str, table: Table, key: Mapping[str, str]) -> RowView:
    schema = studio.schema
    if not table.key or any(name not in key for name in table.key):
        raise NotFound(f"a row of {table.name} is named by {', '.join(table.key)}")
    result = studio.read(account, sqlgen.row(schema, table, {k: key[k] for k in table.key}))
    if not result.rows:
        raise NotFound(f"no row of {table.name} with {', '.join(f'{k}={key[k]}' for k in table.key)} in this account")
    values = dict(zip(result.columns, result.rows[0], strict=True))
    parents = []
    for fk in table.parents:
        target = {p: cell_text(values[c]) for c, p in fk.pairs() if values.get(c) is not None}
        if target:
            parent = schema.tables[fk.parent]
            parents.append((fk.parent, target, sorted(target) == sorted(parent.key)))
    children = []
    for fk in table.children:
        child = schema.tables[fk.table]
        wanted = {c: values[p] for c, p in fk.pairs()}
        found = studio.read(account, sqlgen.related(schema, child, wanted))
        children.append(Related(fk.table, [(c, cell_text(v)) for c, v in wanted.items()], found.columns,
                                found.rows[:20], len(found.rows) > 20, child.key))
    return RowView(table, values, parents, children, nearest(studio, account, table, key))


Near = list[tuple[dict[str, str], str, float]]  # (the row's key, its label, the distance)


def nearest(studio: Studio, account: str, table: Table, key: Mapping[str, str], rows: int = 10) -> Near:
    """The rows of the same account whose embeddings are closest (cosine distance) to this row's."""
    if table.column("embedding") is None or not table.key:
        return []
    schema = studio.schema
    if studio.dialect == "postgres":
        found = studio.read(account, sqlgen.nearest_postgres(schema, table, key, rows=rows))
        n = len(table.key)
        return [(dict(zip(table.key, map(cell_text, r[:n]), strict=True)), cell_text(r[-2]), float(r[-1])) for r in found.rows]
    import numpy as np

    found = studio.read(account, sqlgen.embeddings(schema, table))
    n = len(table.key)
    mine = next((r for r in found.rows if [cell_text(v) for v in r[:n]] == [key[k] for k in table.key]), None)
    if mine is None:
        return []
    others = [r for r in found.rows if r is not mine]
    if not others:
        return []
    matrix = np.frombuffer(b"".join(bytes(r[-1]) for r in others), dtype=np.float32).reshape(len(others), -1)
    query = np.frombuffer(bytes(mine[-1]), dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1) * float(np.linalg.norm(query))
    distance = 1 - (matrix @ query) / np.where(norms == 0, 1, norms)
    order = np.argsort(distance, kind="stable")[:rows]
    return [(dict(zip(table.key, map(cell_text, others[i][:n]), strict=True)), cell_text(others[i][-2]), float(distance[i]))
            for i in order]
