"""Which tables exist and which hold tenant rows, learned from a dialect's migrations.

A tenant table is any table with an `account_id` column. SQLite migrations are applied to
an in-memory database and introspected (that sees FTS5 tables and their shadow tables as
SQLite makes them); Postgres migrations are read with sqlglot (`create table`,
`alter table … add column`), so no server is needed for the query checks.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import VestaError
from ..resources import migrations_dir

ACCOUNT = "account_id"
DIRECTORY_TABLE = "account_directory"
_PG_TRIGGER = re.compile(r"create\s+(?:or\s+replace\s+)?(?:constraint\s+)?trigger\s+\w+\s+.*?\bon\s+(?:public\.)?(\w+)",
                         re.IGNORECASE | re.DOTALL)
FTS5_SHADOW_SUFFIXES = ("_data", "_idx", "_content", "_docsize", "_config")


class SchemaReadError(VestaError):
    """The migrations could not be read to learn the tables."""


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: frozenset[str]
    kind: str = "table"  # "table", "view", "fts5" (virtual), "fts5-shadow"

    @property
    def tenant(self) -> bool:
        return ACCOUNT in self.columns


@dataclass
class Tables:
    """The tables of one dialect's schema, by lower-case name."""

    dialect: str
    tables: dict[str, TableInfo] = field(default_factory=dict)
    triggered: frozenset[str] = frozenset()  # tables that carry triggers

    def get(self, name: str) -> TableInfo | None:
        """By the name as the dialect resolves it (the proof normalises identifiers first)."""
        return self.tables.get(name)


def forward_files(folder: Path) -> list[Path]:
    """The forward migration files of a folder, in order (rollbacks live in `rollback/`)."""
    return sorted(folder.glob("*.sql"))


def learn_tables(dialect: str, folder: Path | None = None) -> Tables:
    """The tables described by `folder` (default: the package's migrations of `dialect`)."""
    source = folder or migrations_dir(dialect)
    if not source.is_dir():
        raise SchemaReadError(f"no migrations folder at {source}")
    files = forward_files(source)
    return _sqlite_tables(files) if dialect == "sqlite" else _postgres_tables(files)


def _sqlite_tables(files: Iterable[Path]) -> Tables:
    conn = sqlite3.connect(":memory:")
    try:
        for path in files:
            try:
                conn.executescript(path.read_text(encoding="utf-8"))
            except sqlite3.Error as exc:
                raise SchemaReadError(f"{path}: cannot apply to a scratch SQLite database: {exc}") from None
        return introspect_sqlite(conn)
    finally:
        conn.close()


def introspect_sqlite(conn: sqlite3.Connection) -> Tables:
    """The tables of an open SQLite database (yoyo's bookkeeping tables left out)."""
    tables = Tables("sqlite")
    rows = conn.execute(
        "select name, type, coalesce(sql, '') from sqlite_master where type in ('table', 'view') and name not like 'sqlite_%'"
    ).fetchall()
    fts5 = {name.lower() for name, _, sql in rows if re.search(r"\busing\s+fts5\b", sql, re.IGNORECASE)}
    for name, kind, _sql in rows:
        lowered = str(name).lower()
        if lowered.startswith(("_yoyo", "yoyo_")):
            continue
        columns = frozenset(str(row[1]).lower() for row in conn.execute(f"pragma table_info({_quote(name)})"))
        if lowered in fts5:
            kind = "fts5"
        elif any(lowered == base + suffix for base in fts5 for suffix in FTS5_SHADOW_SUFFIXES):
            kind = "fts5-shadow"
        tables.tables[lowered] = TableInfo(lowered, columns, kind)
    triggered = conn.execute("select distinct lower(tbl_name) from sqlite_master where type = 'trigger'").fetchall()
    tables.triggered = frozenset(str(row[0]) for row in triggered)
    return tables


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _postgres_tables(files: Iterable[Path]) -> Tables:
    import sqlglot

    tables = Tables("postgres")
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)  # plpgsql bodies and policies fall back to commands: expected
    triggered: set[str] = set()
    try:
        for path in files:
            text = path.read_text(encoding="utf-8")
            triggered |= {m.lower() for m in _PG_TRIGGER.findall(text)}
            try:
                statements = sqlglot.parse(text, read="postgres")
            except sqlglot.errors.ParseError as exc:
                raise SchemaReadError(f"{path}: cannot read: {exc}") from None
            for statement in statements:
                if statement is not None:
                    _apply_postgres(tables, statement)
    finally:
        logger.setLevel(level)
    tables.triggered = frozenset(triggered)
    return tables


def _apply_postgres(tables: Tables, statement: Any) -> None:
    from sqlglot import exp

    if isinstance(statement, exp.Create):
        kind = str(statement.args.get("kind") or "").upper()
        target = statement.this
        if kind == "TABLE" and isinstance(target, exp.Schema) and isinstance(target.this, exp.Table):
            columns = frozenset(c.name.lower() for c in target.expressions if isinstance(c, exp.ColumnDef))
            name = target.this.name.lower()
            tables.tables[name] = TableInfo(name, columns)
        elif kind in ("TABLE", "VIEW") and isinstance(target, exp.Table):
            query = statement.expression
            named = query.named_selects if isinstance(query, exp.Query) else []
            name = target.name.lower()
            tables.tables[name] = TableInfo(name, frozenset(n.lower() for n in named), "view" if kind == "VIEW" else "table")
    elif isinstance(statement, exp.Alter) and isinstance(statement.this, exp.Table):
        name = statement.this.name.lower()
        info = tables.tables.get(name)
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
        tables.tables[name] = TableInfo(name, frozenset((info.columns | added) - dropped), info.kind)
    elif isinstance(statement, exp.Drop) and str(statement.args.get("kind") or "").upper() in ("TABLE", "VIEW"):
        target = statement.this
        if isinstance(target, exp.Table):
            tables.tables.pop(target.name.lower(), None)
