"""Admin: the data tables of a live database, read with the schema model, and the applied migrations.

Used by `copy` and `account export|delete`. The tables come from `vesta_sql.schema` (SQLite's
catalog and pragmas, Postgres's pg_catalog), never hard-coded, so a new migration needs no
change here; this module only says which of them hold data and in which order to visit them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from ..errors import VestaError
from ..names import ACCOUNT_COLUMN as ACCOUNT
from ..names import DIRECTORY_TABLE as DIRECTORY
from ..names import REGISTRY_TABLE as REGISTRY
from ..schema.model import Column, Schema, Table, is_tool_table
from ..schema.postgres import read_postgres
from ..schema.sqlite import FTS5_SHADOW_SUFFIXES, read_sqlite

__all__ = ["ACCOUNT", "DIRECTORY", "FTS5_SHADOW_SUFFIXES", "REGISTRY", "Column", "SchemaError", "Table", "data_tables",
           "fk_order", "is_search_table", "is_tool_table", "pg_bypasses_rls", "pg_migrations", "pg_tables",
           "sqlite_migrations", "sqlite_tables"]


class SchemaError(VestaError):
    """The two databases do not hold the same schema, or a schema cannot be read."""


def is_search_table(name: str) -> bool:
    """Search-index objects (FTS5 tables, their shadows, their bookkeeping) are named `*_search*`: derived, never copied."""
    return "_search" in name.lower()


def data_tables(schema: Schema) -> dict[str, Table]:
    """The tables that hold data: no views, search indexes or tool bookkeeping; no generated or tsvector columns."""
    tables: dict[str, Table] = {}
    for name, table in sorted(schema.tables.items()):
        if table.kind != "table" or is_tool_table(name) or is_search_table(name):
            continue
        columns = tuple(c for c in table.columns if not c.generated and c.type != "tsvector")
        tables[name] = replace(table, columns=columns)
    return tables


def fk_order(tables: Iterable[Table]) -> list[Table]:
    """Parents before children (ties by name, so the order is stable); refuses a cycle.

    The account registry comes before every tenant table on both dialects (Postgres references
    it by foreign keys, SQLite checks it by triggers), so copies, exports and deletes agree.
    """
    pending = {t.name: t for t in tables}
    parents = {name: set(t.parents) | ({REGISTRY} if t.tenant and name != REGISTRY and REGISTRY in pending else set())
               for name, t in pending.items()}
    done: list[Table] = []
    while pending:
        ready = sorted(n for n in pending if (parents[n] - {n}) & set(pending) == set())
        if not ready:
            raise SchemaError(f"foreign keys form a cycle between: {', '.join(sorted(pending))}")
        done.extend(pending.pop(name) for name in ready)
    return done


# --- SQLite -------------------------------------------------------------------------------------

def sqlite_tables(conn: sqlite3.Connection) -> dict[str, Table]:
    """The data tables of a SQLite database (tool bookkeeping and search indexes left out)."""
    return data_tables(read_sqlite(conn))


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

def pg_tables(conn: Any) -> dict[str, Table]:
    """The data tables of the current schema; generated and tsvector (search) columns left out."""
    return data_tables(read_postgres(conn))


def pg_migrations(conn: Any) -> set[str] | None:
    exists = conn.execute("select to_regclass('_yoyo_migration') is not null").fetchone()[0]
    if not exists:
        return None
    return {row[0] for row in conn.execute("select migration_id from _yoyo_migration")}


def pg_bypasses_rls(conn: Any) -> bool:
    """Whether the connected role sees every account (superuser or BYPASSRLS)."""
    row = conn.execute("select rolsuper or rolbypassrls from pg_roles where rolname = current_user").fetchone()
    return bool(row and row[0])
