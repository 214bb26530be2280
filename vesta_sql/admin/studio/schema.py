"""What the studio knows of the schema: tables, columns, indexes, foreign keys — read from the live database.

The one place the studio learns names; every other module takes names from here only.
Built on what the admin side has today (`schema_info` for tables and keys, `proof.tables`
for what the scope proof reads); when a single schema model lands, only this module changes.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from ...proof.tables import TableInfo, Tables, introspect_sqlite
from ..schema_info import ACCOUNT, DIRECTORY, is_search_table, is_tool_table, pg_tables, sqlite_search_tables


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
        """The directory is kept by the database's triggers; a table without a key has no row to name."""
        return self.name != DIRECTORY and bool(self.key)

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


def read_sqlite(conn: sqlite3.Connection) -> Schema:
    skip = sqlite_search_tables(conn)
    names = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table' order by name")]
    tables: dict[str, Table] = {}
    keys: list[ForeignKey] = []
    for name in names:
        if is_tool_table(name) or is_search_table(name) or name in skip:
            continue
        info = conn.execute('select name, lower(type), "notnull", pk from pragma_table_info(?) order by cid', (name,)).fetchall()
        if ACCOUNT not in [row[0] for row in info]:
            continue
        columns = [Column(n, kind or "any", not notnull and not pk) for n, kind, notnull, pk in info]
        primary = [n for n, _, _, pk in sorted((r for r in info if r[3]), key=lambda r: r[3])]
        indexes = []
        for (index,) in conn.execute("select name from pragma_index_list(?) order by name", (name,)).fetchall():
            indexes.append(tuple(r[0] for r in conn.execute("select name from pragma_index_info(?) order by seqno", (index,))))
        tables[name] = Table(name, columns, primary, indexes)
        grouped: dict[int, list[tuple[str, str, str]]] = {}
        for fk_id, parent, child_col, parent_col in conn.execute(
                'select id, "table", "from", "to" from pragma_foreign_key_list(?) order by id, seq', (name,)):
            grouped.setdefault(fk_id, []).append((parent, child_col, parent_col))
        for parts in grouped.values():
            keys.append(ForeignKey(name, tuple(p[1] for p in parts), parts[0][0], tuple(p[2] for p in parts)))
    _link(tables, keys)
    return Schema("sqlite", tables, introspect_sqlite(conn))


_PG_NULLABLE = """
select c.table_name, c.column_name, c.is_nullable = 'YES'
  from information_schema.columns c where c.table_schema = current_schema()
"""
_PG_INDEXES = """
select t.relname, array(select a.attname from unnest(i.indkey) with ordinality k(n, o)
                         join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.n order by k.o)
  from pg_index i join pg_class t on t.oid = i.indrelid join pg_class x on x.oid = i.indexrelid
 where t.relnamespace = current_schema()::regnamespace and i.indexprs is null and i.indpred is null
 order by x.relname
"""
_PG_FKS = """
select rel.relname, ref.relname,
       array(select a.attname from unnest(con.conkey) with ordinality k(n, o)
               join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n order by k.o),
       array(select a.attname from unnest(con.confkey) with ordinality k(n, o)
               join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.n order by k.o)
  from pg_constraint con join pg_class rel on rel.oid = con.conrelid join pg_class ref on ref.oid = con.confrelid
 where con.contype = 'f' and rel.relnamespace = current_schema()::regnamespace
 order by con.conname
"""


def read_postgres(conn: Any) -> Schema:
    nullable = {(t, c): bool(n) for t, c, n in conn.execute(_PG_NULLABLE).fetchall()}
    tables: dict[str, Table] = {}
    proof = Tables("postgres")
    for name, table in pg_tables(conn).items():
        proof.tables[name] = TableInfo(name, frozenset(table.column_names))
        if not table.tenant:
            continue
        columns = [Column(c.name, c.kind, nullable.get((name, c.name), True)) for c in table.columns]
        tables[name] = Table(name, columns, list(table.primary_key))
    for name, columns in conn.execute(_PG_INDEXES).fetchall():
        if name in tables:
            tables[name].indexes.append(tuple(columns))
    keys = [ForeignKey(child, tuple(cols), parent, tuple(pcols)) for child, parent, cols, pcols in conn.execute(_PG_FKS)]
    _link(tables, keys)
    return Schema("postgres", tables, proof)
