"""psycopg driver: a psycopg_pool pool; every call sends its account setting with its statement.

The setting is transaction-local and pipelined with the statement under one Sync (one
implicit transaction, one round trip), so a connection carries no account between calls
and the driver is correct behind a transaction-mode pooler. Dead connections and retries
follow the rule written in `pg_health`.

Written once, as the async driver in `postgres_async.py`; the sync one, `postgres_sync.py`,
is generated from it by `tools/async_to_sync.py`.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import AsyncIterator, Iterable
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
    """`setup` then the query, pipelined: one Sync, so both run in one implicit transaction."""
    return (await _run_batch(conn, setup, [(query, params)]))[0]


async def _run_batch(conn: psycopg.AsyncConnection[Any], setup: tuple[str, tuple[str, ...]] | None,
                     batch: list[tuple[CompiledQuery, dict[str, Any]]]) -> list[Any]:
    """The statements of `batch` (after `setup`, if any) as one pipeline: one round trip, results in order.

    Outside a transaction block the pipeline's one Sync makes them one implicit transaction,
    so a transaction-local setting made by `setup` or an earlier statement holds for the
    later ones, and for nothing after them. The results are read after the pipeline block:
    leaving it sends the Sync and flushes everything (`Pipeline.sync()` inside the block may
    stop flushing before a value of a megabyte or more is sent, and then waits forever).
    """
    cursors = []
    async with conn.pipeline():
        if setup is not None:
            await conn.execute(*setup)
        for query, params in batch:
            cursors.append(await conn.execute(query.sql, params))
    results = []
    for (query, _), cursor in zip(batch, cursors, strict=True):
        rows = await cursor.fetchall() if _has_rows(cursor) else []
        results.append(query.shape(rows, cursor))
    return results


def _batch_name(batch: list[tuple[CompiledQuery, dict[str, Any]]]) -> str:
    return " + ".join(query.name for query, _ in batch)


class AsyncPostgresSession:
    __slots__ = ("_conn",)

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._conn = conn

    async def execute(self, query: CompiledQuery, params: dict[str, Any]) -> Any:
        try:
            return await _run(self._conn, query, params)
        except psycopg.Error as exc:
            raise dialect.translate_error(exc, query.name) from exc

    async def execute_batch(self, batch: list[tuple[CompiledQuery, dict[str, Any]]]) -> list[Any]:
        try:
            return await _run_batch(self._conn, None, batch)
        except psycopg.Error as exc:
            raise dialect.translate_error(exc, _batch_name(batch)) from exc

    async def execute_many(self, query: CompiledQuery, rows: Iterable[dict[str, Any]]) -> int:
        try:
            async with self._conn.cursor() as cursor:
                bulk = postgres_bulk.plan_for(query)  # an insert of one row: sent as arrays, in batches
                if bulk is None:
                    await cursor.executemany(query.sql, rows)  # pipelined by psycopg: one round trip per batch
                    return cursor.rowcount
                if (sql := bulk.sql) is None:  # first use: the table's column types, once per process
                    await cursor.execute(*bulk.column_types())
                    sql = bulk.learn(await cursor.fetchall())
            replay = postgres_bulk.Replay(bulk.batches(rows, query.name))
            if bulk.optimistic_sql is not None and replay.large():  # without `on conflict` first: see Replay
                async with self._conn.transaction() as savepoint:
                    written = await self._send_batches(bulk.optimistic_sql, replay.first(), stop_at_conflict=True)
                    if written is None:  # a row conflicted: undo what was written, then send it all as declared
                        raise psycopg.Rollback(savepoint)
                if written is not None:
                    return written
            return await self._send_batches(sql, replay.again()) or 0
        except psycopg.Error as exc:
            raise dialect.translate_error(exc, query.name) from exc

    async def _send_batches(self, sql: str, batches: Iterable[dict[str, Any]], stop_at_conflict: bool = False) -> int | None:
        """Pipelined: the server writes one batch while the next is bound and sent; the rows written.

        `stop_at_conflict`: None at a unique violation, the rest not sent. The error is taken
        inside the pipeline, so that the pipeline ends cleanly (no warning from psycopg)."""
        sent = []
        try:
            async with self._conn.pipeline():
                for params in batches:
                    batch = self._conn.cursor()
                    try:
                        await batch.execute(sql, params)
                    except psycopg.errors.UniqueViolation:
                        if not stop_at_conflict:
                            raise
                        return None  # leaving the pipeline raises PipelineAborted for the batches not run
                    sent.append(batch)
        except (psycopg.errors.UniqueViolation, psycopg.errors.PipelineAborted):
            if not stop_at_conflict:
                raise
            return None
        return sum(batch.rowcount for batch in sent)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        try:
            async with self._conn.transaction():  # nested: a savepoint, rolled back to if the block raises
                yield
        except psycopg.Error as exc:
            raise dialect.translate_error(exc, "savepoint") from exc


class AsyncPostgresReadSession:
    """A read-only program's session, outside any transaction block: each step or batch is
    pipelined after the account setting under one Sync, so it costs one round trip and
    leaves nothing behind on the connection (correct behind a transaction-mode pooler).

    Each batch is its own implicit transaction. Under Postgres' default isolation (read
    committed) every statement sees what was committed when it started, inside a
    transaction block or not, so a read-only program reads the same either way; what a
    program needs to hold between statements (a transaction-local setting) it sends in
    the same batch.
    """

    __slots__ = ("_conn", "_setup")

    def __init__(self, conn: psycopg.AsyncConnection[Any], setup: tuple[str, tuple[str, ...]]) -> None:
        self._conn, self._setup = conn, setup

    async def execute(self, query: CompiledQuery, params: dict[str, Any]) -> Any:
        return (await self.execute_batch([(query, params)]))[0]

    async def execute_batch(self, batch: list[tuple[CompiledQuery, dict[str, Any]]]) -> list[Any]:
        try:
            return await _run_batch(self._conn, self._setup, batch)
        except psycopg.Error as exc:
            raise dialect.translate_error(exc, _batch_name(batch)) from exc

    async def execute_many(self, query: CompiledQuery, rows: Iterable[dict[str, Any]]) -> int:
        raise OperationalError(f"{query.name}: a read-only program cannot write")

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        raise OperationalError("savepoint: a read-only program runs outside a transaction block")
        yield  # noqa: V201 (unreachable; makes this a generator for the context manager)


class AsyncPostgresDriver:
    dialect = dialect.NAME

    def __init__(self, conninfo: str, *, pool_size: int, statement_timeout_ms: int | None, pool_timeout_s: float,
                 prepared_statements: bool = False) -> None:
        self._max_size = pool_size
        self._setup = dialect.call_setup(statement_timeout_ms)
        self._conninfo, self._timeout = conninfo, pool_timeout_s
        self._kwargs = dialect.connection_kwargs(prepared_statements)
        self._connections: weakref.WeakSet[psycopg.AsyncConnection[Any]] = weakref.WeakSet()
        self._pool = self._new_pool()
        self._inherited = False  # the pool is a parent's, after a fork: see `after_fork`
        self._reopen_lock = threading.Lock()
        if True:  # ASYNC
            pass  # a constructor cannot await: `connect_async` awaits `open()`
        else:
            self.open()  # noqa: V201 (the sync module's branch: vulture finds it unreachable here)
        forks.track(self)

    def _new_pool(self) -> AsyncConnectionPool[Any]:
        return AsyncConnectionPool(
            self._conninfo, min_size=1, max_size=self._max_size, timeout=self._timeout, open=False,
            kwargs=self._kwargs, configure=self._configure,
        )

    async def _configure(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._connections.add(conn)  # known, so that a forked child can leave it alone
        await dialect.configure_async(conn)

    async def open(self) -> None:
        """Open the pool and wait for its first connection: a wrong URL or password fails here, not at a call."""
        pool = self._pool
        try:
            await pool.open(wait=True, timeout=self._timeout)
        except PoolTimeout as exc:
            await pool.close()
            failure = await _first_failure(self._conninfo, self._kwargs, self._timeout)
            raise dialect.connect_failure(failure, self._timeout, self._conninfo) from exc

    def after_fork(self) -> None:
        """In a forked child: detach the parent's connections, so that nothing reaches its sessions.

        Then the sync driver opens a pool of its own on its next call; the async one refuses
        (its event loop and the pool's tasks stayed in the parent). Neither closes what it inherited.
        """
        for conn in list(self._connections):
            if not conn.closed:
                forks.detach_socket(conn.fileno())
        forks.INHERITED.append(self._pool)
        self._connections = weakref.WeakSet()
        self._reopen_lock = threading.Lock()  # a lock held in the parent at fork time stays held in the child
        self._inherited = True

    async def _reopen_pool(self) -> None:
        """In a forked child (sync only): connections of its own; the child's threads, if any, open one pool."""
        with self._reopen_lock:
            if self._inherited:
                self._pool = self._new_pool()
                await self.open()
                self._inherited = False

    async def _checkout(self, name: str) -> psycopg.AsyncConnection[Any]:
        """A live connection from the pool (see `pg_health`: dead idle ones are dropped, not handed out)."""
        if self._inherited:
            if True:  # ASYNC
                raise OperationalError(f"{name}: {forks.FORKED_ASYNC}")
            else:
                self._reopen_pool()  # noqa: V201
        pool = self._pool
        for _ in range(self._max_size + 1):
            try:
                conn: psycopg.AsyncConnection[Any] = await pool.getconn()
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
        for attempt in (1, 2):
            conn = await self._checkout(query.name)
            pool = self._pool  # read after the checkout, which may have reopened it (in a forked child)
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

    @asynccontextmanager
    async def read_session(self, account_id: str) -> AsyncIterator[AsyncPostgresReadSession]:
        async with self._connection("read") as conn:
            yield AsyncPostgresReadSession(conn, self._setup.scoped(account_id))

    async def close(self) -> None:
        if not self._inherited:  # a forked child never closes what it inherited
            await self._pool.close()


async def _first_failure(conninfo: str, kwargs: dict[str, Any], timeout_s: float) -> BaseException | None:
    """Why connecting fails: the pool only says it timed out, so try once more, directly."""
    try:
        conn = await psycopg.AsyncConnection.connect(conninfo, connect_timeout=max(1, int(timeout_s)), **kwargs)
        await conn.close()
    except psycopg.Error as exc:
        return exc
    return None
