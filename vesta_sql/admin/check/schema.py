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
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ...config import redact
from ...errors import VestaError
from ...proof.tables import ACCOUNT, forward_files, introspect_sqlite
from ...proof.tables import Tables as _Tables
from ...resources import migrations_dir
from .. import migrate
from .report import CheckResult, Problem, display

DIRECTORY_TABLE = "account_directory"
_VECTOR_METHODS = {"hnsw", "ivfflat"}
_TEXT_SEARCH_METHODS = {"gin", "gist"}


@dataclass
class Key:
    kind: str  # "primary key", "unique", "unique index", "index", "foreign key"
    name: str
    columns: list[str]
    ref_table: str = ""
    ref_columns: list[str] = field(default_factory=list)
    method: str = ""
    first_type: str = ""


@dataclass
class TableFacts:
    name: str
    kind: str  # "table", "fts5", "fts5-shadow"
    not_null: dict[str, bool]
    keys: list[Key] = field(default_factory=list)

    @property
    def tenant(self) -> bool:
        return ACCOUNT in self.not_null


def check_schema(
    *, postgres_url: str | None = None, sqlite_folder: Path | None = None, postgres_folder: Path | None = None
) -> CheckResult:
    result = CheckResult()
    result.problems += check_sqlite_schema(sqlite_folder)
    result.schemas["sqlite"] = "checked"
    if postgres_url:
        result.problems += check_postgres_schema(postgres_url, postgres_folder)
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
            facts = _sqlite_facts(conn)
        finally:
            conn.close()
    return evaluate(facts, source)


def _sqlite_facts(conn: sqlite3.Connection) -> dict[str, TableFacts]:
    known: _Tables = introspect_sqlite(conn)
    facts: dict[str, TableFacts] = {}
    for name, info in known.tables.items():
        if info.kind == "view":
            continue
        q = _quote(name)
        columns = conn.execute(f"pragma table_info({q})").fetchall()
        table = TableFacts(name, info.kind, {str(c[1]).lower(): bool(c[3]) for c in columns})
        pk = [str(c[1]).lower() for c in sorted((c for c in columns if c[5]), key=lambda c: c[5])]
        if pk:
            table.keys.append(Key("primary key", f"{name} primary key", pk))
        for _, index, unique, origin, _partial in conn.execute(f"pragma index_list({q})").fetchall():
            if origin == "pk":
                continue
            cols = [
                str(r[2]).lower() if r[2] is not None else ""
                for r in sorted(conn.execute(f"pragma index_info({_quote(index)})").fetchall())
            ]
            kind = "unique" if origin == "u" else ("unique index" if unique else "index")
            table.keys.append(Key(kind, str(index), cols))
        groups: dict[int, list[tuple[int, str, str, str | None]]] = {}
        for row in conn.execute(f"pragma foreign_key_list({q})").fetchall():
            groups.setdefault(row[0], []).append((row[1], str(row[2]).lower(), str(row[3]).lower(), row[4]))
        for fk_id, rows in sorted(groups.items()):
            rows.sort()
            ref = rows[0][1]
            ref_cols = [str(r[3]).lower() if r[3] is not None else "" for r in rows]
            if not any(ref_cols):  # references the parent's primary key
                parent_pk = [
                    str(c[1]).lower()
                    for c in sorted(conn.execute(f"pragma table_info({_quote(ref)})").fetchall(), key=lambda c: c[5])
                    if c[5]
                ]
                ref_cols = parent_pk
            table.keys.append(Key("foreign key", f"foreign key #{fk_id} to {ref}", [r[2] for r in rows], ref, ref_cols))
        facts[name] = table
    return facts


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_PG_COLUMNS = """
select c.relname, a.attname, a.attnotnull
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
  join pg_attribute a on a.attrelid = c.oid
 where n.nspname = current_schema() and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
"""
_PG_CONSTRAINTS = """
select con.conname, con.contype, rel.relname,
       array(select a.attname from unnest(con.conkey) with ordinality k(num, pos)
               join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.num order by k.pos),
       coalesce(frel.relname, ''),
       array(select a.attname from unnest(con.confkey) with ordinality k(num, pos)
               join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.num order by k.pos)
  from pg_constraint con
  join pg_class rel on rel.oid = con.conrelid
  join pg_namespace n on n.oid = rel.relnamespace
  left join pg_class frel on frel.oid = con.confrelid
 where n.nspname = current_schema() and con.contype in ('p', 'u', 'f')
"""
_PG_INDEXES = """
select i.relname, t.relname, am.amname, ix.indisunique,
       array(select coalesce(a.attname, '') from unnest(cast(ix.indkey as int2[])) with ordinality k(num, pos)
               left join pg_attribute a on a.attrelid = ix.indrelid and a.attnum = k.num order by k.pos),
       coalesce((select format_type(a.atttypid, a.atttypmod) from pg_attribute a
                  where a.attrelid = ix.indrelid and a.attnum = ix.indkey[0]), '')
  from pg_index ix
  join pg_class i on i.oid = ix.indexrelid
  join pg_class t on t.oid = ix.indrelid
  join pg_am am on am.oid = i.relam
  join pg_namespace n on n.oid = t.relnamespace
 where n.nspname = current_schema()
   and not exists (select 1 from pg_constraint con
                    where con.conindid = ix.indexrelid and con.conrelid = ix.indrelid and con.contype in ('p', 'u', 'x'))
"""


def check_postgres_schema(url: str, folder: Path | None = None) -> list[Problem]:
    """Create a scratch database on the server of `url`, migrate it, inspect it, drop it."""
    import psycopg
    from psycopg import sql

    source = folder or migrations_dir("postgres")
    name = f"vesta_check_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        return [Problem(display(source), 0, "", f"cannot create a scratch database on {redact(url)}: {exc}".strip())]
    scratch = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    try:
        try:
            migrate.apply(scratch, folder=source)
        except VestaError as exc:
            return [Problem(display(source), 0, "", f"the Postgres migrations do not apply: {exc}")]
        with psycopg.connect(scratch) as conn:
            facts = _postgres_facts(conn)
        return evaluate(facts, source)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def _postgres_facts(conn: object) -> dict[str, TableFacts]:
    from psycopg import Connection

    assert isinstance(conn, Connection)
    facts: dict[str, TableFacts] = {}
    for table, column, not_null in conn.execute(_PG_COLUMNS).fetchall():
        if str(table).startswith(("_yoyo", "yoyo_")):
            continue
        facts.setdefault(table, TableFacts(table, "table", {})).not_null[str(column).lower()] = bool(not_null)
    kinds = {"p": "primary key", "u": "unique", "f": "foreign key"}
    for conname, contype, table, columns, ref, ref_columns in conn.execute(_PG_CONSTRAINTS).fetchall():
        if table in facts:
            facts[table].keys.append(Key(kinds[contype], conname, list(columns), ref, list(ref_columns)))
    for index, table, method, unique, columns, first_type in conn.execute(_PG_INDEXES).fetchall():
        if table in facts:
            facts[table].keys.append(
                Key("unique index" if unique else "index", index, list(columns), method=method, first_type=first_type)
            )
    return facts


def evaluate(facts: dict[str, TableFacts], folder: Path) -> list[Problem]:
    """The invariants over one dialect's tables; problems point at the migration that made the object."""
    locate = _Locator(folder)
    problems: list[Problem] = []

    def add(obj: str, table: str, message: str, severity: str = "error") -> None:
        file, line = locate(obj, table)
        problems.append(Problem(file, line, "", message, severity))

    for name, table in sorted(facts.items()):
        if not table.tenant:
            continue
        if name == DIRECTORY_TABLE:
            add(name, name, f"table {name}: the one global table (keyed by kind and key), exempt from tenant keys", "info")
            continue
        if table.kind in ("fts5", "fts5-shadow"):
            add(name, name, f"table {name}: FTS5 search index, not checked for tenant keys (queries on it are)", "info")
            continue
        if not table.not_null[ACCOUNT]:
            add(name, name, f"table {name}: {ACCOUNT} is nullable; tenant tables need '{ACCOUNT} text not null'")
        if not any(k.kind == "primary key" for k in table.keys):
            add(name, name, f"table {name}: has no primary key; tenant tables need primary key ({ACCOUNT}, id)")
        for key in table.keys:
            cols = ", ".join(key.columns)
            if key.kind in ("primary key", "unique", "unique index") and key.columns[:1] != [ACCOUNT]:
                label = (
                    "primary key"
                    if key.kind == "primary key"
                    else f"{key.kind} {key.name}"
                    if key.kind == "unique index"
                    else "unique constraint"
                )
                add(
                    key.name if key.kind == "unique index" else name,
                    name,
                    f"table {name}: {label} ({cols}) does not start with {ACCOUNT}",
                )
            elif key.kind == "foreign key":
                parent = facts.get(key.ref_table)
                if (
                    parent is not None
                    and parent.tenant
                    and (ACCOUNT, ACCOUNT) not in zip(key.columns, key.ref_columns, strict=False)
                ):
                    add(
                        name,
                        name,
                        f"table {name}: foreign key ({cols}) to tenant table {key.ref_table}"
                        f" does not pair {ACCOUNT} with {ACCOUNT}",
                    )
            elif key.kind == "index" and key.columns[:1] != [ACCOUNT]:
                if key.method in _VECTOR_METHODS:
                    add(
                        key.name,
                        name,
                        f"table {name}: index {key.name} is a {key.method} vector index on ({cols});"
                        f" it cannot lead with {ACCOUNT}",
                        "info",
                    )
                elif key.method in _TEXT_SEARCH_METHODS and ("tsvector" in key.first_type or "_search" in key.name):
                    add(key.name, name, f"table {name}: index {key.name} is a {key.method} full-text index on ({cols})", "info")
                else:
                    add(key.name, name, f"table {name}: index {key.name} ({cols}) does not start with {ACCOUNT}")
    return problems


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
