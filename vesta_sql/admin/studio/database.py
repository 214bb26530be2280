"""The studio's connections: the owner (schema, the account list) and reads or writes as one account.

SQLite: one connection, `query_only` unless `--write`, every statement bound to the account
by its own SQL. Postgres: the owner lists accounts (only with BYPASSRLS); every account's
read runs as the app role (its own URL, or the owner with `set local role`) in a read-only
transaction with `vesta.account_id` set transaction-locally, so row-level security holds
too. Every statement has a time-out.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ...config import parse_url
from ...errors import ConfigError, DatabaseError, InvalidInputError, QueryTimeout
from ...guard import require_account
from ...sqlfile import code_binds, pyformat
from ..db import SET_ACCOUNT_LOCAL, clean, open_postgres, open_sqlite
from ..schema_info import pg_bypasses_rls
from .schema import Schema, read_postgres, read_sqlite
from .sqlgen import Statement

TIMEOUT_MS = 5_000


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]


class Studio:
    """One database as the studio sees it. Thread-safe: one lock per connection (a local tool, one user)."""

    def __init__(self, owner_url: str, *, app_url: str | None = None, app_role: str | None = None,
                 write: bool = False, timeout_ms: int = TIMEOUT_MS) -> None:
        self.dialect = parse_url(owner_url).dialect
        self.url, self.write, self.timeout_ms = owner_url, write, timeout_ms
        self._lock = threading.Lock()
        self._app_role = app_role
        if self.dialect == "sqlite":
            self._sqlite = open_sqlite(owner_url)
            self._sqlite.close()  # checked it exists; the studio's own connection may cross threads
            path = parse_url(owner_url).sqlite_path
            assert path is not None
            self._sqlite = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._sqlite.execute("pragma foreign_keys = on")
            self._sqlite.execute("pragma busy_timeout = 5000")
            self._sqlite.execute(f"pragma query_only = {'off' if write else 'on'}")
            self.schema: Schema = read_sqlite(self._sqlite)
            self.bypass = True
            return
        if app_url is None and app_role is None:
            raise ConfigError("on Postgres the studio reads as the app role, under row-level security: give an environment "
                              "with owner_url and app_url, or --app-url URL, or --app-role NAME (the owner then uses SET ROLE)")
        self._owner = open_postgres(owner_url)
        self._app = open_postgres(app_url) if app_url else self._owner
        self.schema = read_postgres(self._owner)
        self.bypass = pg_bypasses_rls(self._owner)

    def close(self) -> None:
        if self.dialect == "sqlite":
            self._sqlite.close()
        else:
            self._owner.close()
            if self._app is not self._owner:
                self._app.close()

    # --- the account list (owner only) -----------------------------------------------------------

    def accounts(self, limit: int = 500) -> list[str] | None:
        """Every registered account, or None when the owner cannot see them all (no BYPASSRLS)."""
        sql = "select account_id from accounts order by account_id limit ?"  # the one cross-account read: ids only
        with self._lock:
            if self.dialect == "sqlite":
                return [str(r[0]) for r in self._sqlite.execute(sql, (limit,))]
            if not self.bypass:
                return None
            return [str(r[0]) for r in self._owner.execute(sql.replace("?", "%s"), (limit,)).fetchall()]

    # --- as one account ----------------------------------------------------------------------------

    def read(self, account: str, statement: Statement, *, cap: int | None = None) -> Result:
        with self._session(account, read_only=True) as run:
            return run(statement, cap)

    def change(self, account: str, statements: list[Statement], before_commit: Callable[[list[Result]], None]) -> list[Result]:
        """Run the writes in one transaction; `before_commit` (the audit line) runs before it commits."""
        if not self.write:
            raise InvalidInputError("the studio is read-only: start it with --write to change rows")
        with self._session(account, read_only=False) as run:
            results = [run(s, None) for s in statements]
            before_commit(results)
            return results

    @contextmanager
    def _session(self, account: str, *, read_only: bool) -> Iterator[Callable[[Statement, int | None], Result]]:
        account = require_account(account)
        with self._lock:
            if self.dialect == "sqlite":
                with self._sqlite_tx(read_only) as run:
                    yield lambda s, cap: run(s, account, cap)
            else:
                with self._pg_tx(account, read_only) as run:
                    yield lambda s, cap: run(s, account, cap)

    @contextmanager
    def _sqlite_tx(self, read_only: bool) -> Iterator[Callable[[Statement, str, int | None], Result]]:
        conn = self._sqlite
        deadline = [0.0]
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline[0]), 10_000)

        def run(statement: Statement, account: str, cap: int | None) -> Result:
            deadline[0] = time.monotonic() + self.timeout_ms / 1000
            try:
                cursor = conn.execute(statement.sql, {**statement.params, "account_id": account})
                rows = cursor.fetchmany(cap) if cap is not None else cursor.fetchall()
            except sqlite3.OperationalError as exc:
                if "interrupted" in str(exc):
                    raise QueryTimeout(f"the statement ran longer than {self.timeout_ms} ms and was stopped") from None
                raise DatabaseError(str(exc)) from None
            except sqlite3.Error as exc:
                raise DatabaseError(str(exc)) from None
            return Result([d[0] for d in cursor.description or ()], [tuple(r) for r in rows])

        if self.write and read_only:
            conn.execute("pragma query_only = on")  # reads stay reads in the database too, also under --write
        conn.execute("begin" if read_only else "begin immediate")
        try:
            yield run
        except BaseException:
            conn.execute("rollback")
            raise
        else:
            conn.execute("rollback" if read_only else "commit")
        finally:
            conn.set_progress_handler(None, 0)
            if self.write and read_only:
                conn.execute("pragma query_only = off")

    @contextmanager
    def _pg_tx(self, account: str, read_only: bool) -> Iterator[Callable[[Statement, str, int | None], Result]]:
        import psycopg
        from psycopg import sql

        conn = self._app

        def run(statement: Statement, account: str, cap: int | None) -> Result:
            text = pyformat(statement.sql, tuple(code_binds(statement.sql, "postgres")))
            try:
                cursor = conn.execute(text, {**statement.params, "account_id": account})
                if cursor.description is None:
                    return Result([], [])
                rows = cursor.fetchmany(cap) if cap is not None else cursor.fetchall()
            except psycopg.errors.QueryCanceled:
                raise QueryTimeout(f"the statement ran longer than {self.timeout_ms} ms and was stopped") from None
            except psycopg.Error as exc:
                raise DatabaseError(clean(exc, self.url)) from None
            return Result([d.name for d in cursor.description], [tuple(r) for r in rows])

        try:
            with conn.transaction():
                if read_only:
                    conn.execute("set transaction read only")
                if self._app_role:
                    conn.execute(sql.SQL("set local role {}").format(sql.Identifier(self._app_role)))
                conn.execute("select set_config('statement_timeout', %s, true)", (str(self.timeout_ms),))
                conn.execute(SET_ACCOUNT_LOCAL, (account,))
                yield run
        except psycopg.Error as exc:
            raise DatabaseError(clean(exc, self.url)) from None
