"""psycopg async driver: the async twin of `postgres_sync` (same pool rules, same account caching)."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from ..core import PreparedQuery
from ..dialects import postgres as dialect
from ..errors import OperationalError


async def _run(conn: psycopg.AsyncConnection[Any], query: PreparedQuery, params: dict[str, Any]) -> Any:
    cursor = await conn.execute(query.sql, params)
    rows = await cursor.fetchall() if cursor.description is not None else []
    return query.shape(rows, cursor)


class AsyncPostgresSession:
    __slots__ = ("_conn",)

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._conn = conn

    async def execute(self, query: PreparedQuery, params: dict[str, Any]) -> Any:
        try:
            return await _run(self._conn, query, params)
        except psycopg.Error as exc:
            raise dialect.translate_error(exc, query.name) from exc

    async def execute_many(self, query: PreparedQuery, rows: list[dict[str, Any]]) -> int:
        try:
            async with self._conn.cursor() as cursor:
                await cursor.executemany(query.sql, rows)
                return cursor.rowcount
        except psycopg.Error as exc:
            raise dialect.translate_error(exc, query.name) from exc


class AsyncPostgresDriver:
    dialect = dialect.NAME

    def __init__(self, conninfo: str, *, pool_size: int, statement_timeout_ms: int | None, pool_timeout_s: float) -> None:
        self._accounts: weakref.WeakKeyDictionary[psycopg.AsyncConnection[Any], str] = weakref.WeakKeyDictionary()
        self._timeout = pool_timeout_s
        self._pool = AsyncConnectionPool(
            conninfo, min_size=1, max_size=pool_size, timeout=pool_timeout_s, open=False,
            kwargs=dialect.connection_kwargs(statement_timeout_ms), configure=dialect.configure_async,
        )

    async def open(self) -> None:
        try:
            await self._pool.open(wait=True, timeout=self._timeout)
        except PoolTimeout as exc:
            await self._pool.close()
            raise OperationalError(f"cannot connect to Postgres within {self._timeout:g} s") from exc

    @asynccontextmanager
    async def _connection(self, name: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        try:
            async with self._pool.connection() as conn:
                yield conn
        except PoolTimeout as exc:
            raise OperationalError(f"{name}: no database connection available: {exc}") from exc

    async def execute(self, query: PreparedQuery, params: dict[str, Any], account_id: str) -> Any:
        async with self._connection(query.name) as conn:
            accounts = self._accounts
            try:
                if accounts.get(conn) == account_id:
                    return await _run(conn, query, params)
                accounts.pop(conn, None)
                async with conn.pipeline() as pipeline:
                    await conn.execute(dialect.SET_ACCOUNT_SQL, (account_id,))
                    cursor = await conn.execute(query.sql, params)
                    await pipeline.sync()  # results (and the description) are there after the sync
                    rows = await cursor.fetchall() if cursor.description is not None else []
                    result = query.shape(rows, cursor)
                accounts[conn] = account_id
                return result
            except psycopg.Error as exc:
                accounts.pop(conn, None)
                raise dialect.translate_error(exc, query.name) from exc

    async def execute_global(self, query: PreparedQuery, params: dict[str, Any]) -> Any:
        async with self._connection(query.name) as conn:
            try:
                return await _run(conn, query, params)
            except psycopg.Error as exc:
                raise dialect.translate_error(exc, query.name) from exc

    @asynccontextmanager
    async def session(self, account_id: str, write: bool) -> AsyncIterator[AsyncPostgresSession]:
        async with self._connection("transaction") as conn:
            accounts = self._accounts
            accounts.pop(conn, None)
            try:
                async with conn.transaction():
                    await conn.execute(dialect.SET_ACCOUNT_SQL, (account_id,))
                    yield AsyncPostgresSession(conn)
                accounts[conn] = account_id
            except psycopg.Error as exc:
                raise dialect.translate_error(exc, "transaction") from exc

    async def close(self) -> None:
        await self._pool.close()
