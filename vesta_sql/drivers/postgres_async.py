"""psycopg async driver: the async twin of `postgres_sync` (same pool rules, same per-call account setting)."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolClosed, PoolTimeout

from ..dialects import postgres as dialect
from ..dialects import postgres_bulk
from ..errors import OperationalError
from ..runtime import CompiledQuery
from . import forks
from .pg_health import is_broken, is_dead

_TUPLES_OK = psycopg.pq.ExecStatus.TUPLES_OK


def _has_rows(cursor: Any) -> bool:
    """Whether the statement returned rows (cheaper than `cursor.description`, which builds column objects)."""
    result = cursor.pgresult
    return result is not None and result.status == _TUPLES_OK


async def _run(conn: psycopg.AsyncConnection[Any], query: CompiledQuery, params: dict[str, Any]) -> Any:
    cursor = await conn.execute(query.sql, params)
    rows = await cursor.fetchall() if _has_rows(cursor) else []
    return query.shape(rows, cursor)


async def _run_after(conn: psycopg.AsyncConnection[Any], setup: tuple[str, tuple[str, ...]], query: CompiledQuery,
                     params: dict[str, Any]) -> Any:
    """`setup` then the query under one Sync; results read after the block (see `postgres_sync._run_after`)."""
    async with conn.pipeline():
        await conn.execute(*setup)
        cursor = await conn.execute(query.sql, params)
    rows = await cursor.fetchall() if _has_rows(cursor) else []
    return query.shape(rows, cursor)


class AsyncPostgresSession:
    __slots__ = ("_conn",)

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._conn = conn

    async def execute(self, query: CompiledQuery, params: dict[str, Any]) -> Any:
        try:
            return await _run(self._conn, query, params)
        except psycopg.Error as exc:
            raise dialect.translate_error(exc, query.name) from exc

    async def execute_many(self, query: CompiledQuery, rows: list[dict[str, Any]]) -> int:
        try:
            async with self._conn.cursor() as cursor:
                bulk = postgres_bulk.plan_for(query)  # an insert of one row: sent as arrays, in batches
                if bulk is None:
                    await cursor.executemany(query.sql, rows)  # pipelined by psycopg: one round trip per batch
                    return cursor.rowcount
                if (sql := bulk.sql) is None:  # first use: the table's column types, once per process
                    await cursor.execute(*bulk.column_types())
                    sql = bulk.learn(await cursor.fetchall())
                count = 0
                for params in bulk.batches(rows, query.name):
                    await cursor.execute(sql, params)
                    count += cursor.rowcount
                return count
        except psycopg.Error as exc:
            raise dialect.translate_error(exc, query.name) from exc

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        try:
            async with self._conn.transaction():
                yield
        except psycopg.Error as exc:
            raise dialect.translate_error(exc, "savepoint") from exc


class AsyncPostgresDriver:
    dialect = dialect.NAME

    def __init__(self, conninfo: str, *, pool_size: int, statement_timeout_ms: int | None, pool_timeout_s: float,
                 prepared_statements: bool = False) -> None:
        self._conninfo = conninfo
        self._timeout = pool_timeout_s
        self._max_size = pool_size
        self._setup = dialect.call_setup(statement_timeout_ms)
        self._kwargs = dialect.connection_kwargs(prepared_statements)
        self._connections: weakref.WeakSet[psycopg.AsyncConnection[Any]] = weakref.WeakSet()
        self._forked = False
        self._pool = AsyncConnectionPool(
            conninfo, min_size=1, max_size=pool_size, timeout=pool_timeout_s, open=False,
            kwargs=self._kwargs, configure=self._configure,
        )
        forks.track(self)

    async def _configure(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._connections.add(conn)
        await dialect.configure_async(conn)

    def after_fork(self) -> None:
        """In a forked child: detach the parent's connections; the event loop stayed there, so refuse from now on."""
        for conn in list(self._connections):
            if not conn.closed:
                forks.detach_socket(conn.fileno())
        forks.INHERITED.append(self._pool)
        self._forked = True

    async def open(self) -> None:
        try:
            await self._pool.open(wait=True, timeout=self._timeout)
        except PoolTimeout as exc:
            await self._pool.close()
            failure = await _first_failure(self._conninfo, self._kwargs, self._timeout)
            raise dialect.connect_failure(failure, self._timeout) from exc

    async def _checkout(self, name: str) -> psycopg.AsyncConnection[Any]:
        """A live connection from the pool (see `pg_health`: dead idle ones are dropped, not handed out)."""
        if self._forked:
            raise OperationalError(f"{name}: {forks.FORKED_ASYNC}")
        pool = self._pool
        for _ in range(self._max_size + 1):
            try:
                conn = await pool.getconn()
            except (PoolTimeout, PoolClosed) as exc:
                raise OperationalError(f"{name}: no database connection available: {exc}") from exc
            if not is_dead(conn):
                return conn
            await conn.close()
            await pool.putconn(conn)  # the pool discards a closed connection and opens a replacement
        raise OperationalError(f"{name}: every pooled connection was closed by the server")

    @asynccontextmanager
    async def _connection(self, name: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        conn = await self._checkout(name)
        try:
            yield conn
        finally:
            await self._pool.putconn(conn)

    async def execute(self, query: CompiledQuery, params: dict[str, Any], account_id: str) -> Any:
        return await self._execute(query, params, account_id)

    async def execute_global(self, query: CompiledQuery, params: dict[str, Any]) -> Any:
        return await self._execute(query, params, None)

    async def _execute(self, query: CompiledQuery, params: dict[str, Any], account_id: str | None) -> Any:
        pool = self._pool
        for attempt in (1, 2):
            conn = await self._checkout(query.name)
            try:
                setup = self._setup.unscoped() if account_id is None else self._setup.scoped(account_id)
                if setup is None:
                    return await _run(conn, query, params)
                return await _run_after(conn, setup, query, params)
            except psycopg.Error as exc:
                if attempt == 1 and query.read_only and is_broken(conn):
                    continue  # a read on a connection that broke under it: once more, on a fresh one
                raise dialect.translate_error(exc, query.name) from exc
            finally:
                await pool.putconn(conn)
        raise AssertionError("unreachable")

    @asynccontextmanager
    async def session(self, account_id: str, write: bool) -> AsyncIterator[AsyncPostgresSession]:
        async with self._connection("transaction") as conn:
            try:
                async with conn.transaction():
                    await conn.execute(*self._setup.scoped(account_id))  # first: every statement after it is scoped
                    yield AsyncPostgresSession(conn)
            except psycopg.Error as exc:
                raise dialect.translate_error(exc, "transaction") from exc

    async def close(self) -> None:
        await self._pool.close()


async def _first_failure(conninfo: str, kwargs: dict[str, Any], timeout_s: float) -> BaseException | None:
    """Why connecting fails: the pool only says it timed out, so try once more, directly."""
    try:
        await (await psycopg.AsyncConnection.connect(conninfo, connect_timeout=max(1, int(timeout_s)), **kwargs)).close()
    except psycopg.Error as exc:
        return exc
    return None
