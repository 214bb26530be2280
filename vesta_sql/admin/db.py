"""Raw connections for admin commands (copy, account export/delete): never the façade's.

The owner role runs them. On Postgres a role that bypasses row-level security (superuser
or BYPASSRLS) sees every account at once; any other owner sees one account at a time,
by setting `vesta.account_id` for the transaction (`scoped`), exactly as the policies ask.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from ..config import parse_url, redact, redact_error
from ..dialects.sqlite import connect as connect_sqlite
from ..errors import ConfigError, OperationalError
from ..names import SET_ACCOUNT_SQL

T = TypeVar("T")


def open_postgres(url: str) -> Any:
    """An autocommit psycopg connection (`with conn.transaction()` for more), or an OperationalError (URL redacted)."""
    import psycopg

    target = parse_url(url)
    if target.dialect != "postgres":
        raise ConfigError(f"expected a postgresql:// URL, got {redact(url)}")
    try:
        return psycopg.connect(target.conninfo, autocommit=True, options="-c TimeZone=UTC", connect_timeout=10)
    except psycopg.Error as exc:
        raise OperationalError(f"cannot connect to {redact(url)}: {redact_error(exc, url, one_line=True)}") from None


def open_sqlite(url: str) -> sqlite3.Connection:
    """A SQLite connection with foreign keys on (as D1); the file must exist."""
    target = parse_url(url)
    if target.dialect != "sqlite" or target.sqlite_path in (None, ":memory:"):
        raise ConfigError(f"expected a sqlite:/// file URL, got {redact(url)}")
    assert target.sqlite_path is not None
    if not Path(target.sqlite_path).is_file():
        raise ConfigError(f"no such SQLite file: {target.sqlite_path}")
    return connect_sqlite(target.sqlite_path, wal=False)


def scopes(accounts: Iterable[str], bypass: bool) -> Iterator[list[str]]:
    """The account groups one query may read at once: all of them, or one by one under RLS."""
    chosen = list(accounts)
    if bypass:
        if chosen:
            yield chosen
        return
    for account in chosen:
        yield [account]


def per_scope(conn: Any, accounts: Iterable[str], bypass: bool, read: Callable[[list[str]], list[T]]) -> list[T]:
    """Run `read(group)` for each scope, each in a transaction that knows its account when needed."""
    results: list[T] = []
    for group in scopes(accounts, bypass):
        with conn.transaction():
            if not bypass:
                conn.execute(SET_ACCOUNT_SQL, (group[0],))
            results.extend(read(group))
    return results
