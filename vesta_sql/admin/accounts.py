"""Admin: one account's whole life cycle outside the façade — export every row, delete every row.

    vesta-sql account export --account ID [--out FILE] [--url URL]
    vesta-sql account delete --account ID [--dry-run] [--yes] [--url URL]

Both run as the owner role, on SQLite and Postgres. Tables come in foreign-key order,
learned from the database. Export writes JSON lines `{"table": …, "row": {…}}` with the
same values on both dialects (timestamps as UTC ISO text, JSON objects with sorted keys, embeddings as
lists of floats); derived search indexes are left out (they are rebuilt from the posts).

Delete works in reverse foreign-key order, in one transaction: it records the account in
`account_deletions` (migration 0010: the only thing that lets the payment system log's
append-only trigger accept a delete), deletes the rows of every table, the search-index
rows and the account's directory entries, removes its record, and checks that no table
still holds a row of the account before it commits. On Postgres the transaction sets
`vesta.account_id`, so it works for an owner under row-level security as well as for one
that bypasses it.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any, TextIO

from ..config import parse_url
from ..errors import InvalidInputError, MigrationError, VestaError
from ..names import DELETION_PERMITS_TABLE, SET_ACCOUNT_SQL, timestamp_text
from ..schema.model import Schema
from ..schema.postgres import read_postgres
from ..schema.sqlite import read_sqlite
from .db import open_postgres, open_sqlite
from .schema_info import ACCOUNT, DIRECTORY, Table, data_tables, fk_order, is_search_table

PERMITS = DELETION_PERMITS_TABLE
_UTC = timezone.utc


class AccountDeleteError(VestaError):
    """The account's rows could not all be deleted; nothing was deleted."""


class AccountNotFound(VestaError):
    """No tenant table holds a row of the account and the directory has no entry for it."""


def _not_found(account: str) -> AccountNotFound:
    return AccountNotFound(f"account {account!r} does not exist here (no row in any tenant table, no directory entry); "
                           "nothing was changed")


def _check_account(account: str) -> None:
    if not isinstance(account, str) or not account or account != account.strip():
        raise InvalidInputError("account: a non-empty id without surrounding whitespace is required")


def _iso(value: datetime) -> str:
    return timestamp_text(value.astimezone(_UTC))


# --- which tables -----------------------------------------------------------------------------------

def _layout(schema: Schema) -> tuple[list[Table], list[str]]:
    """(data tables in foreign-key order, derived search tables holding account rows)."""
    tables = fk_order(data_tables(schema).values())
    derived = sorted(n for n, t in schema.tables.items() if t.kind != "view" and is_search_table(n) and t.tenant)
    return [t for t in tables if t.tenant], derived


def _sqlite_layout(conn: sqlite3.Connection) -> tuple[list[Table], list[str]]:
    return _layout(read_sqlite(conn))


def _pg_layout(conn: Any) -> tuple[list[Table], list[str]]:
    return _layout(read_postgres(conn))


# --- export -------------------------------------------------------------------------------------------

def _sqlite_json_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    row = conn.execute("select sql from sqlite_master where type = 'table' and name = ?", (table,)).fetchone()
    return set(re.findall(r"json_valid\(\s*\"?(\w+)\"?\s*\)", row[0] if row else ""))


def _sqlite_rows(conn: sqlite3.Connection, tables: list[Table], account: str) -> Iterator[tuple[str, dict[str, Any]]]:
    import numpy

    for table in tables:
        as_json = _sqlite_json_columns(conn, table.name)
        names = table.column_names
        order = ", ".join(f'"{c}"' for c in table.primary_key)
        for values in conn.execute(f'select * from "{table.name}" where {ACCOUNT} = ? order by {order}', (account,)):
            row: dict[str, Any] = {}
            for name, value in zip(names, values, strict=True):
                if isinstance(value, bytes):
                    value = numpy.frombuffer(value, dtype="<f4").tolist()
                elif name in as_json and isinstance(value, str):
                    value = json.loads(value)
                row[name] = value
            yield table.name, row


def _pg_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if hasattr(value, "to_list"):  # pgvector Vector
        return [float(x) for x in value.to_list()]
    if hasattr(value, "tolist"):  # numpy array
        return value.tolist()
    return value


def _pg_rows(conn: Any, tables: list[Table], account: str) -> Iterator[tuple[str, dict[str, Any]]]:
    with conn.transaction():
        conn.execute(SET_ACCOUNT_SQL, (account,))
        for table in tables:
            names = ", ".join(f'"{c}"' for c in table.column_names)
            order = ", ".join(f'"{c}" collate "C"' for c in table.primary_key)
            cursor = conn.execute(f'select {names} from "{table.name}" where {ACCOUNT} = %s order by {order}', (account,))
            for values in cursor:
                yield table.name, {n: _pg_value(v) for n, v in zip(table.column_names, values, strict=True)}


def _sorted(value: Any) -> Any:
    """JSON objects with their keys in order (jsonb keeps its own order), so both dialects export the same text."""
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def export_account(url: str, account: str, out: TextIO) -> dict[str, int]:
    """Write every row of `account` as JSON lines to `out`; returns the rows written per table."""
    _check_account(account)
    counts: dict[str, int] = {}
    if parse_url(url).dialect == "sqlite":
        conn = open_sqlite(url)
        try:
            tables, _ = _sqlite_layout(conn)
            rows = list(_sqlite_rows(conn, tables, account))
        finally:
            conn.close()
    else:
        from pgvector.psycopg import register_vector

        pg = open_postgres(url)
        try:
            register_vector(pg)
            tables, _ = _pg_layout(pg)
            rows = list(_pg_rows(pg, tables, account))
        finally:
            pg.close()
    if not rows:
        raise _not_found(account)
    for table, row in rows:
        out.write(json.dumps({"table": table, "row": _sorted(row)}, ensure_ascii=False) + "\n")
        counts[table] = counts.get(table, 0) + 1
    return counts


# --- delete -------------------------------------------------------------------------------------------

def _delete_steps(tables: list[Table], derived: list[str]) -> list[str]:
    """Reverse foreign-key order; then search rows (refreshed by the posts triggers) and the directory."""
    data = [t.name for t in reversed(tables) if t.name not in (DIRECTORY, PERMITS)]
    return data + derived + ([DIRECTORY] if any(t.name == DIRECTORY for t in tables) else [])


def _require_permits(tables: list[Table]) -> None:
    if not any(t.name == PERMITS for t in tables):
        raise MigrationError(f"the database has no {PERMITS} table: apply migration 0010 (vesta-sql migrate) first")


def _leftovers(count: Any, tables: list[Table], derived: list[str]) -> list[str]:
    return [name for name in [t.name for t in tables] + derived if count(name)]


def count_account(url: str, account: str) -> dict[str, int]:
    """The rows `delete_account` would delete, per table, without changing anything (the dry run).

    Derived search-index rows are left out: they go with the posts they index.
    """
    _check_account(account)
    if parse_url(url).dialect == "sqlite":
        conn = open_sqlite(url)
        try:
            tables, _ = _sqlite_layout(conn)
            counts = {n: conn.execute(f'select count(*) from "{n}" where {ACCOUNT} = ?', (account,)).fetchone()[0]
                      for n in _delete_steps(tables, [])}
        finally:
            conn.close()
    else:
        pg = open_postgres(url)
        try:
            tables, _ = _pg_layout(pg)
            with pg.transaction():
                pg.execute(SET_ACCOUNT_SQL, (account,))
                counts = {n: pg.execute(f'select count(*) from "{n}" where {ACCOUNT} = %s', (account,)).fetchone()[0]
                          for n in _delete_steps(tables, [])}
        finally:
            pg.close()
    found = {k: v for k, v in counts.items() if v}
    if not found:
        raise _not_found(account)
    return found


def delete_account(url: str, account: str) -> dict[str, int]:
    """Delete every row of `account` (directory entries included) in one transaction; returns rows deleted per table."""
    _check_account(account)
    deleted: dict[str, int] = {}
    now = datetime.now(_UTC)
    if parse_url(url).dialect == "sqlite":
        conn = open_sqlite(url)
        try:
            tables, derived = _sqlite_layout(conn)
            _require_permits(tables)
            conn.execute("begin immediate")
            try:
                conn.execute(f"insert into {PERMITS} ({ACCOUNT}, id, created_at) values (?, ?, ?)",
                             (account, str(uuid.uuid4()), _iso(now)))
                for name in _delete_steps(tables, derived):
                    deleted[name] = conn.execute(f'delete from "{name}" where {ACCOUNT} = ?', (account,)).rowcount
                conn.execute(f"delete from {PERMITS} where {ACCOUNT} = ?", (account,))
                if not any(deleted.values()):
                    raise _not_found(account)
                left = _leftovers(lambda n: conn.execute(f'select count(*) from "{n}" where {ACCOUNT} = ?',
                                                         (account,)).fetchone()[0], tables, derived)
                if left:
                    raise AccountDeleteError(f"rows of {account} remain in: {', '.join(left)}; nothing was deleted")
            except BaseException:
                conn.execute("rollback")
                raise
            conn.execute("commit")
        except sqlite3.Error as exc:
            raise AccountDeleteError(f"cannot delete account {account}: {exc}; nothing was deleted") from None
        finally:
            conn.close()
        return {k: v for k, v in deleted.items() if v}
    import psycopg

    pg = open_postgres(url)
    try:
        tables, derived = _pg_layout(pg)
        _require_permits(tables)
        with pg.transaction():
            pg.execute(SET_ACCOUNT_SQL, (account,))
            pg.execute(f"insert into {PERMITS} ({ACCOUNT}, id, created_at) values (%s, %s, %s)",
                       (account, str(uuid.uuid4()), now))
            for name in _delete_steps(tables, derived):
                deleted[name] = pg.execute(f'delete from "{name}" where {ACCOUNT} = %s', (account,)).rowcount
            pg.execute(f"delete from {PERMITS} where {ACCOUNT} = %s", (account,))
            if not any(deleted.values()):
                raise _not_found(account)
            left = _leftovers(lambda n: pg.execute(f'select count(*) from "{n}" where {ACCOUNT} = %s',
                                                   (account,)).fetchone()[0], tables, derived)
            if left:
                raise AccountDeleteError(f"rows of {account} remain in: {', '.join(left)}; nothing was deleted")
    except psycopg.Error as exc:
        raise AccountDeleteError(f"cannot delete account {account}: {exc}; nothing was deleted") from None
    finally:
        pg.close()
    return {k: v for k, v in deleted.items() if v}
