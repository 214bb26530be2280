"""psycopg driver: a psycopg_pool pool; the account is set per connection only when it changes.

Dead connections and retries follow the rule written in `pg_health`.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from ..core import PreparedQuery
from ..dialects import postgres as dialect
from ..errors import OperationalError
from .pg_health import is_broken, is_dead

_TUPLES_OK = psycopg.pq.ExecStatus.TUPLES_OK


def _has_rows(cursor: Any) -> bool:
    """Whether the statement returned rows (cheaper than `cursor.description`, which builds column objects)."""
    result = cursor.pgresult
    return result is not None and result.status == _TUPLES_OK


def _run(conn: psycopg.Connection[Any], query: PreparedQuery, params: dict[str, Any]) -> Any:
    cursor = conn.execute(query.sql, params)
    rows = cursor.fetchall() if _has_rows(cursor) else []
    return query.shape(rows, cursor)


class PostgresSession:
    __slots__ = ("_conn",)

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, query: PreparedQuery, params: dict[str, Any]) -> Any:
        try:
            return _run(self._conn, query, params)
        except psycopg.Error as exc:
            raise dialect.translate_error(exc, query.name) from exc

    def execute_many(self, query: PreparedQuery, rows: list[dict[str, Any]]) -> int:
        try:
            with self._conn.cursor() as cursor:
                cursor.executemany(query.sql, rows)  # pipelined by psycopg: one round trip per batch
                return cursor.rowcount
        except psycopg.Error as exc:
            raise dialect.translate_error(exc, query.name) from exc


class PostgresDriver:
    dialect = dialect.NAME

    def __init__(self, conninfo: str, *, pool_size: int, statement_timeout_ms: int | None, pool_timeout_s: float) -> None:
        self._accounts: weakref.WeakKeyDictionary[psycopg.Connection[Any], str] = weakref.WeakKeyDictionary()
        self._max_size = pool_size
        self._pool = ConnectionPool(
            conninfo, min_size=1, max_size=pool_size, timeout=pool_timeout_s, open=False,
            kwargs=dialect.connection_kwargs(statement_timeout_ms), configure=dialect.configure,
        )
        try:
            self._pool.open(wait=True, timeout=pool_timeout_s)
        except PoolTimeout as exc:
            self._pool.close()
            raise OperationalError(f"cannot connect to Postgres within {pool_timeout_s:g} s") from exc

    def _checkout(self, name: str) -> psycopg.Connection[Any]:
        """A live connection from the pool (see `pg_health`: dead idle ones are dropped, not handed out)."""
        pool = self._pool
        for _ in range(self._max_size + 1):
            try:
                conn = pool.getconn()
            except (PoolTimeout, PoolClosed) as exc:
                raise OperationalError(f"{name}: no database connection available: {exc}") from exc
            if not is_dead(conn):
                return conn
            self._accounts.pop(conn, None)
            conn.close()
            pool.putconn(conn)  # the pool discards a closed connection and opens a replacement
        raise OperationalError(f"{name}: every pooled connection was closed by the server")

    @contextmanager
    def _connection(self, name: str) -> Iterator[psycopg.Connection[Any]]:
        conn = self._checkout(name)
        try:
            yield conn
        finally:
            self._pool.putconn(conn)

    def _run_as(self, conn: psycopg.Connection[Any], query: PreparedQuery, params: dict[str, Any], account_id: str) -> Any:
        accounts = self._accounts
        if accounts.get(conn) == account_id:
            return _run(conn, query, params)
        accounts.pop(conn, None)
        with conn.pipeline() as pipeline:  # the setting and the query in one round trip
            conn.execute(dialect.SET_ACCOUNT_SQL, (account_id,))
            cursor = conn.execute(query.sql, params)
            pipeline.sync()  # results (and the description) are there after the sync
            rows = cursor.fetchall() if _has_rows(cursor) else []
            result = query.shape(rows, cursor)
        accounts[conn] = account_id
        return result

    def execute(self, query: PreparedQuery, params: dict[str, Any], account_id: str) -> Any:
        return self._execute(query, params, account_id)

    def execute_global(self, query: PreparedQuery, params: dict[str, Any]) -> Any:
        return self._execute(query, params, None)

    def _execute(self, query: PreparedQuery, params: dict[str, Any], account_id: str | None) -> Any:
        pool = self._pool
        for attempt in (1, 2):
            conn = self._checkout(query.name)
            try:
                if account_id is None:
                    return _run(conn, query, params)
                return self._run_as(conn, query, params, account_id)
            except psycopg.Error as exc:
                self._accounts.pop(conn, None)
                if attempt == 1 and query.read_only and is_broken(conn):
                    continue  # a read on a connection that broke under it: once more, on a fresh one
                raise dialect.translate_error(exc, query.name) from exc
            finally:
                pool.putconn(conn)
        raise AssertionError("unreachable")

    @contextmanager
    def session(self, account_id: str, write: bool) -> Iterator[PostgresSession]:
        with self._connection("transaction") as conn:
            accounts = self._accounts
            accounts.pop(conn, None)  # re-set below; a rollback would undo the setting
            try:
                with conn.transaction():
                    conn.execute(dialect.SET_ACCOUNT_SQL, (account_id,))
                    yield PostgresSession(conn)
                accounts[conn] = account_id
            except psycopg.Error as exc:
                raise dialect.translate_error(exc, "transaction") from exc

    def close(self) -> None:
        self._pool.close()
