"""psycopg driver: a psycopg_pool pool; the account is set per connection only when it changes."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from ..core import PreparedQuery
from ..dialects import postgres as dialect
from ..errors import OperationalError


def _run(conn: psycopg.Connection[Any], query: PreparedQuery, params: dict[str, Any]) -> Any:
    cursor = conn.execute(query.sql, params)
    rows = cursor.fetchall() if cursor.description is not None else []
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
        self._pool = ConnectionPool(
            conninfo, min_size=1, max_size=pool_size, timeout=pool_timeout_s, open=False,
            kwargs=dialect.connection_kwargs(statement_timeout_ms), configure=dialect.configure,
        )
        try:
            self._pool.open(wait=True, timeout=pool_timeout_s)
        except PoolTimeout as exc:
            self._pool.close()
            raise OperationalError(f"cannot connect to Postgres within {pool_timeout_s:g} s") from exc

    @contextmanager
    def _connection(self, name: str) -> Iterator[psycopg.Connection[Any]]:
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout as exc:
            raise OperationalError(f"{name}: no database connection available: {exc}") from exc

    def execute(self, query: PreparedQuery, params: dict[str, Any], account_id: str) -> Any:
        with self._connection(query.name) as conn:
            accounts = self._accounts
            try:
                if accounts.get(conn) == account_id:
                    return _run(conn, query, params)
                accounts.pop(conn, None)
                with conn.pipeline() as pipeline:  # the setting and the query in one round trip
                    conn.execute(dialect.SET_ACCOUNT_SQL, (account_id,))
                    cursor = conn.execute(query.sql, params)
                    pipeline.sync()  # results (and the description) are there after the sync
                    rows = cursor.fetchall() if cursor.description is not None else []
                    result = query.shape(rows, cursor)
                accounts[conn] = account_id
                return result
            except psycopg.Error as exc:
                accounts.pop(conn, None)
                raise dialect.translate_error(exc, query.name) from exc

    def execute_global(self, query: PreparedQuery, params: dict[str, Any]) -> Any:
        with self._connection(query.name) as conn:
            try:
                return _run(conn, query, params)
            except psycopg.Error as exc:
                raise dialect.translate_error(exc, query.name) from exc

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
