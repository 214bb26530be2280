"""The statements the studio runs for a page: grid, counts, one row, foreign keys both ways, nearest rows, writes.

Names come only from the schema (`schema.py`), always quoted; every value is a `:name`
bind. Each text is put through the package's scope proof before it runs (`proven`), so
the studio can read nothing the façade's own queries could not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...errors import TenantScopeError
from ...names import DIRECTORY_TABLE, REGISTRY_TABLE
from ...proof.prover import ProofInput, prove
from ...proof.tables import Tables
from ...sqlfile import code_binds
from ..schema_info import ACCOUNT
from .schema import Schema, Table

PAGE_ROWS = 50
COUNT_CAP = 10_000  # a grid counts at most this many rows: a page must stay quick on a large table


@dataclass(frozen=True)
class Statement:
    sql: str
    params: Mapping[str, Any] = field(default_factory=dict)


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def findings(sql: str, dialect: str, tables: Tables, *, directory: bool = False) -> list[str]:
    """What the scope proof cannot prove about `sql` (empty: proven)."""
    binds = [b.name for b in code_binds(sql, dialect)]
    return [f.message for f in prove(ProofInput(sql, binds, directory=directory), dialect, tables)]


def proven(schema: Schema, sql: str, params: Mapping[str, Any], *, directory: bool = False) -> Statement:
    """The statement, once the scope proof accepted its text; a TenantScopeError (nothing runs) otherwise."""
    cache = schema.proven  # a page's texts repeat (one per table, sort and filter set): prove each once
    if (sql, directory) not in cache:
        cache[(sql, directory)] = tuple(findings(sql, schema.dialect, schema.proof, directory=directory))
    problems = cache[(sql, directory)]
    if problems:
        raise TenantScopeError("the studio refused its own statement (a bug): " + "; ".join(problems))
    return Statement(sql, params)


def _cast(schema: Schema, table: Table, column: str, bind: str) -> str:
    """A bound text value as the column's type on Postgres (URLs carry text); SQLite's affinity converts it."""
    col = table.column(column)
    if schema.dialect != "postgres" or col is None or col.kind in ("text", "varchar"):
        return f":{bind}"
    return f"cast(:{bind} as {col.kind})"


def _where(schema: Schema, table: Table, filters: Mapping[str, str]) -> tuple[list[str], dict[str, Any]]:
    terms = ["t.account_id = :account_id"]
    params: dict[str, Any] = {}
    for index, (name, value) in enumerate(sorted(filters.items())):
        column = table.column(name)
        if column is None or column.binary or name == ACCOUNT:
            continue
        terms.append(f"t.{q(name)} = {_cast(schema, table, name, f'f{index}')}")
        params[f"f{index}"] = value
    return terms, params


def shown_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if not c.binary]


def grid(schema: Schema, table: Table, *, sort: str | None, descending: bool, filters: Mapping[str, str],
         after: Sequence[str] | None = None, before: Sequence[str] | None = None, last: bool = False,
         rows: int = PAGE_ROWS) -> Statement:
    """One page (rows + 1, to know whether another follows), by keyset: after a cursor, before one, or the last page."""
    keyset = table.sort_keys()[sort] if sort is not None else []  # no key: one row per account (the registry)
    terms, params = _where(schema, table, filters)
    backwards = before is not None or last  # read towards the start, then the caller reverses
    cursor = before if before is not None else after
    if cursor is not None:
        if len(cursor) != len(keyset):
            raise ValueError("a page cursor of another sort")
        left = ", ".join(f"t.{q(c)}" for c in keyset)
        right = ", ".join(_cast(schema, table, c, f"k{i}") for i, c in enumerate(keyset))
        ahead = not descending if before is None else descending
        terms.append(f"({left}) {'>' if ahead else '<'} ({right})")
        params.update({f"k{i}": v for i, v in enumerate(cursor)})
    direction = "desc" if descending != backwards else "asc"
    order = ", ".join(f"t.{q(c)} {direction}" for c in keyset)
    select = ", ".join(f"t.{q(c)}" for c in shown_columns(table))
    sql = f"select {select} from {q(table.name)} t where {' and '.join(terms)}"
    sql += f" order by {order} limit {int(rows) + 1}" if order else f" limit {int(rows) + 1}"
    return proven(schema, sql, {"account_id": None, **params})


def count(schema: Schema, table: Table, filters: Mapping[str, str] | None = None, *, cap: int | None = None) -> Statement:
    terms, params = _where(schema, table, filters or {})
    where = " and ".join(terms)
    if cap is None:
        sql = f"select count(*) as n from {q(table.name)} t where {where}"
    else:
        sql = f"select count(*) as n from (select 1 as one from {q(table.name)} t where {where} limit {int(cap) + 1}) c"
    return proven(schema, sql, {"account_id": None, **params})


def row(schema: Schema, table: Table, key: Mapping[str, str]) -> Statement:
    terms = ["t.account_id = :account_id"]
    params: dict[str, Any] = {}
    for index, name in enumerate(table.key):
        terms.append(f"t.{q(name)} = {_cast(schema, table, name, f'k{index}')}")
        params[f"k{index}"] = key[name]
    select = ", ".join(f"t.{q(c.name)}" for c in table.columns if c.name != "embedding")
    sql = f"select {select} from {q(table.name)} t where {' and '.join(terms)}"
    return proven(schema, sql, {"account_id": None, **params})


def related(schema: Schema, child: Table, values: Mapping[str, Any], *, rows: int = 20) -> Statement:
    """The rows of `child` whose foreign-key columns hold `values` (the children of one parent row)."""
    filters = {name: "" if value is None else str(value) for name, value in values.items()}
    terms, params = _where(schema, child, filters)
    order = ", ".join(f"t.{q(c)}" for c in child.key) or "t.account_id"
    select = ", ".join(f"t.{q(c)}" for c in shown_columns(child))
    sql = f"select {select} from {q(child.name)} t where {' and '.join(terms)} order by {order} limit {int(rows) + 1}"
    return proven(schema, sql, {"account_id": None, **params})


def account_exists(schema: Schema) -> Statement:
    return proven(schema, f"select a.account_id from {REGISTRY_TABLE} a where a.account_id = :account_id", {"account_id": None})


def directory_lookup(schema: Schema, kind: str, key: str) -> Statement:
    sql = f"select d.account_id from {DIRECTORY_TABLE} d where d.kind = :kind and d.key = :key"
    return proven(schema, sql, {"kind": kind, "key": key}, directory=True)


def embeddings(schema: Schema, table: Table) -> Statement:
    """Every embedded row of the account (SQLite: the ranking is exact, in NumPy, as the package's search does)."""
    key = ", ".join(f"t.{q(c)}" for c in table.key)
    sql = (f"select {key}, t.{q(table.label)}, t.embedding from {q(table.name)} t "
           "where t.account_id = :account_id and t.embedding is not null")
    return proven(schema, sql, {"account_id": None})


def nearest_postgres(schema: Schema, table: Table, key: Mapping[str, str], *, rows: int = 10) -> Statement:
    terms = ["t.account_id = :account_id", "s.account_id = :account_id", "t.embedding is not null"]
    params: dict[str, Any] = {}
    for index, name in enumerate(table.key):
        terms.append(f"s.{q(name)} = {_cast(schema, table, name, f'k{index}')}")
        terms.append(f"t.{q(name)} <> s.{q(name)}")
        params[f"k{index}"] = key[name]
    select = ", ".join(f"t.{q(c)}" for c in dict.fromkeys([*table.key, table.label]))
    sql = (f"select {select}, t.embedding <=> s.embedding as distance from {q(table.name)} t, {q(table.name)} s "
           f"where {' and '.join(terms)} order by distance limit {int(rows)}")
    return proven(schema, sql, {"account_id": None, **params})


def _key_terms(schema: Schema, table: Table) -> list[str]:
    return [f"{q(name)} = {_cast(schema, table, name, f'k{i}')}" for i, name in enumerate(table.key)]


def update(schema: Schema, table: Table, key: Mapping[str, Any], values: Mapping[str, Any]) -> Statement:
    sets = ", ".join(f"{q(name)} = :v{i}" for i, name in enumerate(values))
    terms = ["account_id = :account_id", *_key_terms(schema, table)]
    params = {f"v{i}": value for i, value in enumerate(values.values())}
    params.update({f"k{i}": key[name] for i, name in enumerate(table.key)})
    sql = f"update {q(table.name)} set {sets} where {' and '.join(terms)}"
    return proven(schema, sql, {"account_id": None, **params})


def insert(schema: Schema, table: Table, values: Mapping[str, Any]) -> Statement:
    names = ", ".join(["account_id", *(q(n) for n in values)])
    binds = ", ".join([":account_id", *(f":v{i}" for i in range(len(values)))])
    params = {f"v{i}": value for i, value in enumerate(values.values())}
    sql = f"insert into {q(table.name)} ({names}) values ({binds})"
    return proven(schema, sql, {"account_id": None, **params})


def delete(schema: Schema, table: Table, key: Mapping[str, Any]) -> Statement:
    terms = ["account_id = :account_id", *_key_terms(schema, table)]
    params = {f"k{i}": key[name] for i, name in enumerate(table.key)}
    sql = f"delete from {q(table.name)} where {' and '.join(terms)}"
    return proven(schema, sql, {"account_id": None, **params})
