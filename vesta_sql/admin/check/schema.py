"""Schema invariants, checked on scratch databases migrated with the package's migrations.

Every tenant table (a table with an `account_id` column) has `account_id not null`; its
primary key and every unique constraint or unique index start with `account_id`; every
foreign key to another tenant table pairs `account_id` with `account_id`; every index
starts with `account_id`. Vector (HNSW/IVFFlat) indexes, full-text indexes and FTS5
tables are search-index objects: reported as notes, not errors.

SQLite is always checked (a temporary file). Postgres is checked when a server URL is
given: a scratch database is created on that server, migrated, inspected and dropped.
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ...config import redact, redact_error
from ...errors import VestaError
from ...migration_files import forward_files
from ...names import ACCOUNT_COLUMN as ACCOUNT
from ...names import DIRECTORY_TABLE
from ...resources import migrations_dir
from ...schema.model import Index, Schema, Table
from ...schema.postgres import read_postgres
from ...schema.sqlite import read_sqlite
from .. import migrate
from .postgres_queries import postgres_specs, prepare_problems
from .report import CheckResult, Problem, display

_VECTOR_METHODS = {"hnsw", "ivfflat"}
_TEXT_SEARCH_METHODS = {"gin", "gist"}


def check_schema(
    *, postgres_url: str | None = None, sqlite_folder: Path | None = None, postgres_folder: Path | None = None,
    queries: Sequence[str | Path] = (),
) -> CheckResult:
    """The invariants on both dialects' scratch databases; on Postgres every query is also prepared
    there (the package's and those of the `queries` folders)."""
    result = CheckResult()
    result.problems += check_sqlite_schema(sqlite_folder)
    result.schemas["sqlite"] = "checked"
    if postgres_url:
        result.problems += check_postgres_schema(postgres_url, postgres_folder, queries)
        result.schemas["postgres"] = "checked"
    else:
        result.schemas["postgres"] = "not checked (give --postgres-url or VESTA_CHECK_POSTGRES_URL)"
    return result


def check_sqlite_schema(folder: Path | None = None) -> list[Problem]:
    source = folder or migrations_dir("sqlite")
    with tempfile.TemporaryDirectory(prefix="vesta-check-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'schema.db'}"
        try:
            migrate.apply(url, folder=source)
        except VestaError as exc:
            return [Problem(display(source), 0, "", f"the SQLite migrations do not apply: {exc}")]
        conn = sqlite3.connect(url[len("sqlite:///") :])
        try:
            schema = read_sqlite(conn)
        finally:
            conn.close()
    return evaluate(schema, source)


def check_postgres_schema(url: str, folder: Path | None = None, queries: Sequence[str | Path] = ()) -> list[Problem]:
    """Create a scratch database on the server of `url`, migrate it, inspect it, prepare every query there, drop it."""
    import psycopg
    from psycopg import sql

    source = folder or migrations_dir("postgres")
    name = f"vesta_check_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        why = f"cannot create a scratch database on {redact(url)}: {redact_error(exc, url)}".strip()
        return [Problem(display(source), 0, "", why)]
    scratch = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    try:
        try:
            migrate.apply(scratch, folder=source)
        except VestaError as exc:
            return [Problem(display(source), 0, "", f"the Postgres migrations do not apply: {exc}")]
        with psycopg.connect(scratch, autocommit=True) as conn:
            schema = read_postgres(conn)
            prepared = prepare_problems(conn, postgres_specs(queries))
        return evaluate(schema, source) + prepared
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def evaluate(schema: Schema, folder: Path) -> list[Problem]:
    """The invariants over one dialect's tables; problems point at the migration that made the object."""
    locate = _Locator(folder)
    problems: list[Problem] = []
    for name, table in sorted(schema.tables.items()):
        if table.kind == "view" or not table.tenant:
            continue
        for obj, message, severity in _table_problems(schema, table):
            file, line = locate(obj, name)
            problems.append(Problem(file, line, "", message, severity))
    return problems


def _table_problems(schema: Schema, table: Table) -> list[tuple[str, str, str]]:
    """(object, message, severity) for one tenant table: the object is what the locator looks for."""
    name = table.name
    if name == DIRECTORY_TABLE:
        return [(name, f"table {name}: the one global table (keyed by kind and key), exempt from tenant keys", "info")]
    if table.kind in ("fts5", "fts5-shadow"):
        return [(name, f"table {name}: FTS5 search index, not checked for tenant keys (queries on it are)", "info")]
    found: list[tuple[str, str, str]] = []
    account = table.column(ACCOUNT)
    if account is not None and not account.not_null:
        found.append((name, f"table {name}: {ACCOUNT} is nullable; tenant tables need '{ACCOUNT} text not null'", "error"))
    if not table.primary_key:
        found.append((name, f"table {name}: has no primary key; tenant tables need primary key ({ACCOUNT}, id)", "error"))
    elif table.primary_key[:1] != (ACCOUNT,):
        found.append((name, f"table {name}: primary key ({', '.join(table.primary_key)}) does not start with {ACCOUNT}",
                      "error"))
    for unique in table.uniques:
        if unique.columns[:1] != (ACCOUNT,):
            found.append((name, f"table {name}: unique constraint ({', '.join(unique.columns)}) does not start with {ACCOUNT}",
                          "error"))
    for fk in table.foreign_keys:
        parent = schema.get(fk.ref_table)
        if parent is not None and parent.tenant and (ACCOUNT, ACCOUNT) not in zip(fk.columns, fk.ref_columns, strict=False):
            found.append((name, f"table {name}: foreign key ({', '.join(fk.columns)}) to tenant table {fk.ref_table}"
                                f" does not pair {ACCOUNT} with {ACCOUNT}", "error"))
    for index in table.indexes:
        if index.columns[:1] != (ACCOUNT,):
            found.append((index.name, *_index_problem(table, index)))
    return found


def _index_problem(table: Table, index: Index) -> tuple[str, str]:
    cols = ", ".join(index.columns)
    where = f"table {table.name}: "
    if index.unique:
        return where + f"unique index {index.name} ({cols}) does not start with {ACCOUNT}", "error"
    if index.method in _VECTOR_METHODS:
        return (where + f"index {index.name} is a {index.method} vector index on ({cols}); it cannot lead with {ACCOUNT}",
                "info")
    first = table.column(index.columns[0]) if index.columns else None
    if index.method in _TEXT_SEARCH_METHODS and ((first is not None and first.type == "tsvector") or "_search" in index.name):
        return where + f"index {index.name} is a {index.method} full-text index on ({cols})", "info"
    return where + f"index {index.name} ({cols}) does not start with {ACCOUNT}", "error"


class _Locator:
    """Finds the migration file and line that creates a table or index."""

    def __init__(self, folder: Path) -> None:
        self.texts = [(path, path.read_text(encoding="utf-8")) for path in forward_files(folder)]
        self.folder = folder

    def __call__(self, obj: str, table: str) -> tuple[str, int]:
        for name, pattern in (
            (obj, r"create\s+(?:unique\s+)?index\s+(?:if\s+not\s+exists\s+)?{}\b"),
            (table, r"create\s+(?:virtual\s+)?table\s+(?:if\s+not\s+exists\s+)?{}\b"),
        ):
            regex = re.compile(pattern.format(re.escape(name)), re.IGNORECASE)
            for path, text in self.texts:
                match = regex.search(text)
                if match:
                    return display(path), text.count("\n", 0, match.start()) + 1
        return display(self.folder), 0
