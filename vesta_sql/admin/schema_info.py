"""Admin: what a live database holds — tables, columns, keys, foreign-key order, applied migrations.

Used by `copy` and `account export|delete`; learned from the database itself (SQLite's
catalog and pragmas, Postgres's information_schema and pg_catalog), never hard-coded, so
a new migration needs no change here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import VestaError

ACCOUNT = "account_id"
DIRECTORY = "account_directory"
# Bookkeeping of the migration tools, never data: yoyo's tables and wrangler's history.
_TOOL_PREFIXES = ("_yoyo", "yoyo", "d1_migrations", "sqlite_", "_cf_")
FTS5_SHADOW_SUFFIXES = ("_data", "_idx", "_content", "_docsize", "_config")


class SchemaError(VestaError):
    """The two databases do not hold the same schema, or a schema cannot be read."""


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # the Postgres udt name (text, int8, bool, timestamptz, jsonb, vector, …); "any" on SQLite


@dataclass
class Table:
    name: str
    columns: list[Column]
    primary_key: list[str]
    parents: set[str] = field(default_factory=set)  # tables this one references

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def tenant(self) -> bool:
        return ACCOUNT in self.column_names


def is_tool_table(name: str) -> bool:
    return name.lower().startswith(_TOOL_PREFIXES)


def is_search_table(name: str) -> bool:
    """Search-index objects (FTS5 tables, their shadows, their bookkeeping) are named `*_search*`: derived, never copied."""
    return "_search" in name.lower()


REGISTRY = "accounts"


def fk_order(tables: Iterable[Table]) -> list[Table]:
    """Parents before children (ties by name, so the order is stable); refuses a cycle.

    The account registry comes before every tenant table on both dialects (Postgres references
    it by foreign keys, SQLite checks it by triggers), so copies, exports and deletes agree.
    """
    pending = {t.name: t for t in tables}
    if REGISTRY in pending:
        for table in pending.values():
            if table.tenant and table.name != REGISTRY:
                table.parents = table.parents | {REGISTRY}
    done: list[Table] = []
    placed: set[str] = set()
    while pending:
        ready = sorted(n for n, t in pending.items() if (t.parents - {n}) & set(pending) == set())
        if not ready:
            raise SchemaError(f"foreign keys form a cycle between: {', '.join(sorted(pending))}")
        for name in ready:
            done.append(pending.pop(name))
            placed.add(name)
    return done


# --- SQLite -------------------------------------------------------------------------------------

def sqlite_search_tables(conn: sqlite3.Connection) -> set[str]:
    """FTS5 (and other virtual) tables with their shadow tables: derived search indexes, never copied."""
    virtual = [row[0] for row in conn.execute(
        "select name from sqlite_master where type = 'table' and lower(sql) like 'create virtual table%'")]
    names = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
    derived = set(virtual)
    for table in virtual:
        derived |= {n for n in names if n in {table + suffix for suffix in FTS5_SHADOW_SUFFIXES}}
    return derived


def sqlite_tables(conn: sqlite3.Connection) -> dict[str, Table]:
    """The data tables of a SQLite database (tool bookkeeping and search indexes left out)."""
    skip = sqlite_search_tables(conn)
    names = [row[0] for row in conn.execute("select name from sqlite_master where type = 'table' order by name")]
    tables: dict[str, Table] = {}
    for name in names:
        if is_tool_table(name) or is_search_table(name) or name in skip:
            continue
        info = conn.execute("select name, pk from pragma_table_info(?) order by cid", (name,)).fetchall()
        key = [n for n, pk in sorted(((n, pk) for n, pk in info if pk), key=lambda item: item[1])]
        parents = {row[0] for row in conn.execute('select "table" from pragma_foreign_key_list(?)', (name,))}
        tables[name] = Table(name, [Column(n, "any") for n, _ in info], key, parents)
    return tables


def sqlite_migrations(conn: sqlite3.Connection) -> set[str] | None:
    """Applied migration ids, from yoyo's table or wrangler's d1_migrations (`0001_x.sql` → `0001_x`)."""
    present = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
    found: set[str] | None = None
    if "_yoyo_migration" in present:
        found = {row[0] for row in conn.execute("select migration_id from _yoyo_migration")}
    if "d1_migrations" in present:
        names = {str(row[0]).removesuffix(".sql") for row in conn.execute("select name from d1_migrations")}
        found = names if found is None else found | names
    return found


# --- Postgres ------------------------------------------------------------------------------------

_PG_COLUMNS = """
select c.table_name, c.column_name, c.udt_name, c.is_generated
  from information_schema.columns c
  join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
 where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
 order by c.table_name, c.ordinal_position
"""

_PG_KEYS = """
select rel.relname, con.contype, ref.relname,
       array(select a.attname from unnest(con.conkey) with ordinality k(n, o)
               join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n order by k.o)
  from pg_constraint con
  join pg_class rel on rel.oid = con.conrelid
  left join pg_class ref on ref.oid = con.confrelid
 where con.contype in ('p', 'f') and rel.relnamespace = current_schema()::regnamespace
"""


def pg_tables(conn: Any) -> dict[str, Table]:
    """The data tables of the current schema; generated and tsvector (search) columns left out."""
    tables: dict[str, Table] = {}
    for table, column, udt, generated in conn.execute(_PG_COLUMNS).fetchall():
        if is_tool_table(table) or is_search_table(table):
            continue
        entry = tables.setdefault(table, Table(table, [], []))
        if generated == "ALWAYS" or udt == "tsvector":
            continue
        entry.columns.append(Column(column, udt))
    for table, kind, parent, columns in conn.execute(_PG_KEYS).fetchall():
        if table not in tables:
            continue
        if kind == "p":
            tables[table].primary_key = list(columns)
        elif parent:
            tables[table].parents.add(parent)
    return tables


def pg_migrations(conn: Any) -> set[str] | None:
    exists = conn.execute("select to_regclass('_yoyo_migration') is not null").fetchone()[0]
    if not exists:
        return None
    return {row[0] for row in conn.execute("select migration_id from _yoyo_migration")}


def pg_bypasses_rls(conn: Any) -> bool:
    """Whether the connected role sees every account (superuser or BYPASSRLS)."""
    row = conn.execute("select rolsuper or rolbypassrls from pg_roles where rolname = current_user").fetchone()
    return bool(row and row[0])
