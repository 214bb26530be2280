"""What the studio knows of the schema: tables, columns, indexes, foreign keys — read from the live database.

The one place the studio learns names; every other module takes names from here only.
Built on the schema model (`vesta_sql.schema`, through `schema_info`'s data tables), shaped
here for the pages: tenant tables only, nullable columns, sortable indexes, links both ways.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from ...names import DELETION_PERMITS_TABLE
from ...proof.tables import Tables
from ...schema import model
from ...schema.postgres import read_postgres as read_postgres_model
from ...schema.sqlite import read_sqlite as read_sqlite_model
from ..schema_info import ACCOUNT, DIRECTORY, data_tables


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # lower-case declared type (SQLite) or udt name (Postgres): text, integer, int8, timestamptz, blob, vector…
    nullable: bool

    @property
    def binary(self) -> bool:
        return self.kind in ("blob", "bytea", "vector") or self.name == "embedding"


@dataclass(frozen=True)
class ForeignKey:
    table: str  # the child
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]

    def pairs(self) -> list[tuple[str, str]]:
        """(child column, parent column) without the account column both sides share."""
        return [(c, p) for c, p in zip(self.columns, self.parent_columns, strict=True) if c != ACCOUNT]


@dataclass
class Table:
    name: str
    columns: list[Column]
    primary_key: list[str]
    indexes: list[tuple[str, ...]] = field(default_factory=list)
    parents: list[ForeignKey] = field(default_factory=list)
    children: list[ForeignKey] = field(default_factory=list)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def key(self) -> list[str]:
        """The primary key without the account column: what names a row inside one account."""
        return [c for c in self.primary_key if c != ACCOUNT]

    @property
    def writable(self) -> bool:
        """The directory is kept by the database's triggers, the deletion permits by `vesta-sql account
        delete` alone (the proof refuses writes to either); a table without a key has no row to name."""
        return self.name not in (DIRECTORY, DELETION_PERMITS_TABLE) and bool(self.key)

    @property
    def label(self) -> str:
        """The column that best names a row for a person (title, name, …), else the first key column."""
        names = {c.name for c in self.columns}
        return next((n for n in ("title", "name", "label", "slug", "key") if n in names), self.key[0] if self.key else ACCOUNT)

    def sort_keys(self) -> dict[str, list[str]]:
        """Sortable column → the keyset it sorts by: an index after `account_id`, then the key; NOT NULL only."""
        found: dict[str, list[str]] = {}
        for index in [tuple(self.primary_key), *self.indexes]:
            if len(index) < 2 or index[0] != ACCOUNT or index[1] in found:
                continue
            keyset = list(index[1:]) + [c for c in self.key if c not in index]
            columns = [self.column(c) for c in keyset]
            if all(c is not None and not c.nullable and not c.binary for c in columns):
                found[index[1]] = keyset
        if not found and self.key:  # no index leads with the account (the directory): its key, on a small table
            found[self.key[0]] = list(self.key)
        return found

    def default_sort(self) -> str | None:
        keys = self.sort_keys()
        return "created_at" if "created_at" in keys else next(iter(keys), None)


@dataclass
class Schema:
    dialect: str
    tables: dict[str, Table]  # tenant tables only: the studio shows nothing else
    proof: Tables  # what the scope proof reads
    proven: dict[tuple[str, bool], tuple[str, ...]] = field(default_factory=dict)  # text → the proof's findings

    def table(self, name: str) -> Table | None:
        return self.tables.get(name)


def _link(tables: dict[str, Table], keys: list[ForeignKey]) -> None:
    for fk in keys:  # a key on the account alone (the registry, on Postgres) links every row: no neighbour to follow
        if fk.table in tables and fk.parent in tables and fk.pairs():
            tables[fk.table].parents.append(fk)
            tables[fk.parent].children.append(fk)


def _studio_tables(data: dict[str, model.Table], *, partial: bool) -> tuple[dict[str, Table], list[tuple[str, ForeignKey]]]:
    """The tenant tables as the pages use them, and their foreign keys (with their names) to link them."""
    tables: dict[str, Table] = {}
    keys: list[tuple[str, ForeignKey]] = []
    for name, table in data.items():
        if not table.tenant:
            continue
        columns = [Column(c.name, c.type or "any", not c.not_null and c.name not in table.primary_key) for c in table.columns]
        named = [(u.name, u.columns) for u in table.uniques]
        named += [(i.name, i.columns) for i in table.indexes if partial or not i.partial]
        tables[name] = Table(name, columns, list(table.primary_key), [cols for _, cols in sorted(named)])
        keys += [(fk.name, ForeignKey(name, fk.columns, fk.ref_table, fk.ref_columns)) for fk in table.foreign_keys]
    return tables, keys


def read_sqlite(conn: sqlite3.Connection) -> Schema:
    proof = read_sqlite_model(conn)
    tables, keys = _studio_tables(data_tables(proof), partial=True)
    _link(tables, [fk for _, fk in keys])  # by table, then as declared
    return Schema("sqlite", tables, proof)


def read_postgres(conn: Any) -> Schema:
    data = data_tables(read_postgres_model(conn))
    tables, keys = _studio_tables(data, partial=False)  # a partial index orders some rows only
    _link(tables, [fk for _, fk in sorted(keys, key=lambda item: item[0])])  # by constraint name
    return Schema("postgres", tables, Tables("postgres", {n: model.Table(n, "table", t.columns) for n, t in data.items()}))
