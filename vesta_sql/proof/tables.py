"""Which tables exist and which hold tenant rows, learned from a dialect's migrations.

A tenant table is any table with an `account_id` column. SQLite migrations are applied to
an in-memory database and read with the schema model's SQLite reader (that sees FTS5
tables and their shadow tables as SQLite makes them); Postgres migrations are read with
sqlglot (`create table`, `alter table … add column`), so no server is needed for the
query checks. Either way the result is a `vesta_sql.schema.Schema`.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import VestaError
from ..migration_files import forward_files
from ..names import ACCOUNT_COLUMN as ACCOUNT
from ..names import DIRECTORY_TABLE
from ..resources import migrations_dir
from ..schema.model import Column, Schema, Table, Trigger
from ..schema.sqlite import FTS5_SHADOW_SUFFIXES, read_sqlite

_PG_TRIGGER = re.compile(r"create\s+(?:or\s+replace\s+)?(?:constraint\s+)?trigger\s+(\w+)\s+.*?\bon\s+(?:public\.)?(\w+)",
                         re.IGNORECASE | re.DOTALL)
# The proof's names for the model's: a schema is the tables the proof knows.
Tables = Schema
TableInfo = Table
__all__ = ["ACCOUNT", "DIRECTORY_TABLE", "FTS5_SHADOW_SUFFIXES", "SchemaReadError", "TableInfo", "Tables",
           "introspect_sqlite", "learn_tables"]


class SchemaReadError(VestaError):
    """The migrations could not be read to learn the tables."""


def learn_tables(dialect: str, folder: Path | None = None) -> Schema:
    """The tables described by `folder` (default: the package's migrations of `dialect`)."""
    source = folder or migrations_dir(dialect)
    if not source.is_dir():
        raise SchemaReadError(f"no migrations folder at {source}")
    files = forward_files(source)
    return _sqlite_tables(files) if dialect == "sqlite" else _postgres_tables(files)


def _sqlite_tables(files: Iterable[Path]) -> Schema:
    conn = sqlite3.connect(":memory:")
    try:
        for path in files:
            try:
                conn.executescript(path.read_text(encoding="utf-8"))
            except sqlite3.Error as exc:
                raise SchemaReadError(f"{path}: cannot apply to a scratch SQLite database: {exc}") from None
        return read_sqlite(conn)
    finally:
        conn.close()


def introspect_sqlite(conn: sqlite3.Connection) -> Schema:
    """The tables of an open SQLite database (yoyo's bookkeeping tables left out)."""
    return read_sqlite(conn)


def _postgres_tables(files: Iterable[Path]) -> Schema:
    import sqlglot

    tables: dict[str, Table] = {}
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)  # plpgsql bodies and policies fall back to commands: expected
    triggers: dict[tuple[str, str], Trigger] = {}
    try:
        for path in files:
            text = path.read_text(encoding="utf-8")
            for name, table in _PG_TRIGGER.findall(text):
                triggers[(name.lower(), table.lower())] = Trigger(name.lower(), table.lower())
            try:
                statements = sqlglot.parse(text, read="postgres")
            except sqlglot.errors.ParseError as exc:
                raise SchemaReadError(f"{path}: cannot read: {exc}") from None
            for statement in statements:
                if statement is not None:
                    _apply_postgres(tables, statement)
    finally:
        logger.setLevel(level)
    return Schema("postgres", tables, tuple(sorted(triggers.values(), key=lambda t: (t.name, t.table))))


def _named(name: str, columns: Iterable[str], kind: Any = "table") -> Table:
    """A table as migration text tells it: names only (no types, keys or indexes)."""
    return Table(name, kind, tuple(Column(c) for c in sorted(set(columns))))


def _apply_postgres(tables: dict[str, Table], statement: Any) -> None:
    from sqlglot import exp

    if isinstance(statement, exp.Create):
        kind = str(statement.args.get("kind") or "").upper()
        target = statement.this
        if kind == "TABLE" and isinstance(target, exp.Schema) and isinstance(target.this, exp.Table):
            name = target.this.name.lower()
            tables[name] = _named(name, (c.name.lower() for c in target.expressions if isinstance(c, exp.ColumnDef)))
        elif kind in ("TABLE", "VIEW") and isinstance(target, exp.Table):
            query = statement.expression
            named = query.named_selects if isinstance(query, exp.Query) else []
            name = target.name.lower()
            tables[name] = _named(name, (n.lower() for n in named), "view" if kind == "VIEW" else "table")
    elif isinstance(statement, exp.Alter) and isinstance(statement.this, exp.Table):
        name = statement.this.name.lower()
        info = tables.get(name)
        if info is None:
            return
        added = {a.name.lower() for a in statement.args.get("actions") or () if isinstance(a, exp.ColumnDef)}
        dropped = {
            a.this.name.lower()
            for a in statement.args.get("actions") or ()
            if isinstance(a, exp.Drop)
            and isinstance(a.this, exp.Expression)
            and str(a.args.get("kind") or "").upper() == "COLUMN"
        }
        tables[name] = _named(name, (set(info.column_names) | added) - dropped, info.kind)
    elif isinstance(statement, exp.Drop) and str(statement.args.get("kind") or "").upper() in ("TABLE", "VIEW"):
        target = statement.this
        if isinstance(target, exp.Table):
            tables.pop(target.name.lower(), None)
