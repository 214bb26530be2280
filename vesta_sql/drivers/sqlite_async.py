"""aiosqlite driver: the async twin of `sqlite_sync` (same rules: a connection per call or transaction)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import aiosqlite

from ..dialects import sqlite as dialect
from ..errors import OperationalError
from ..runtime import CompiledQuery
from . import forks


class AsyncSQLiteSession:
    __slots__ = ("_conn", "_depth")

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn, self._depth = conn, 0

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        self._depth += 1
        name = f"vesta_savepoint_{self._depth}"
        try:
            await self._command(f"savepoint {name}")
            try:
                yield
            except BaseException:
                await self._command(f"rollback to {name}")
                await self._command(f"release {name}")
                raise
            await self._command(f"release {name}")
        finally:
            self._depth -= 1

    async def _command(self, statement: str) -> None:
        try:
            await self._conn.execute(statement)
        except sqlite3.Error as exc:
            raise dialect.translate_error(exc, "savepoint") from exc

    async def execute(self, query: CompiledQuery, params: dict[str, Any]) -> Any:
        return await _run(self._conn, query, params)

    async def execute_batch(self, batch: list[tuple[CompiledQuery, dict[str, Any]]]) -> list[Any]:
        return [await _run(self._conn, query, params) for query, params in batch]

    async def execute_many(self, query: CompiledQuery, rows: Iterable[dict[str, Any]]) -> int:
        try:
            cursor = await self._conn.executemany(query.sql, rows)
            return int(cursor.rowcount)
        except sqlite3.Error as exc:
            raise dialect.translate_error(exc, query.name) from exc


async def _run(conn: aiosqlite.Connection, query: CompiledQuery, params: dict[str, Any]) -> Any:
    try:
        cursor = await conn.execute(query.sql, params)
        rows = await cursor.fetchall()
        return query.shape(list(rows), cursor)
    except sqlite3.Error as exc:
        raise dialect.translate_error(exc, query.name) from exc


class AsyncSQLiteDriver:
    dialect = dialect.NAME

    def __init__(self, path: str, *, busy_timeout_ms: int) -> None:
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._idle: list[aiosqlite.Connection] = []
        self._memory_lock = asyncio.Lock() if path == ":memory:" else None
        self._memory_conn: aiosqlite.Connection | None = None
        self._closed = False
        self._forked = False
        self._writes = dialect.WriteTracker()
        forks.track(self)

    def after_fork(self) -> None:
        """In a forked child: its worker threads and event loop stayed in the parent; refuse from now on."""
        self._forked = True
        forks.INHERITED.extend([self._idle, self._memory_conn])
        self._idle, self._memory_conn = [], None

    async def open(self) -> None:
        """Open (and keep) a first connection: a bad path fails here, at connect, as it does for the sync driver."""
        await self._checkin(await self._checkout())

    async def _connect(self) -> aiosqlite.Connection:
        path, timeout = self._path, self._busy_timeout_ms
        # the sync driver's set-up (`dialect.connect`), run on aiosqlite's own thread
        return await _QuietConnection(lambda: dialect.connect(path, timeout), 64)

    async def _checkout(self) -> aiosqlite.Connection:
        if self._closed:
            raise OperationalError("the database has been closed")
        if self._forked:
            raise OperationalError(forks.FORKED_ASYNC)
        if self._memory_lock is not None:
            try:
                async with asyncio.timeout(self._busy_timeout_ms / 1000):
                    await self._memory_lock.acquire()
            except TimeoutError:
                raise OperationalError(dialect.MEMORY_BUSY) from None
            if self._memory_conn is None:
                try:
                    self._memory_conn = await self._connect()
                except BaseException:
                    self._memory_lock.release()  # nothing to hand back: the next call tries again
                    raise
            return self._memory_conn
        if self._idle:
            return self._idle.pop()
        return await self._connect()

    async def _checkin(self, conn: aiosqlite.Connection) -> None:
        if conn.in_transaction:
            await conn.rollback()
        if self._memory_lock is not None:
            self._memory_lock.release()
        elif self._closed:
            await conn.close()
        else:
            self._idle.append(conn)

    async def execute(self, query: CompiledQuery, params: dict[str, Any], account_id: str) -> Any:
        if self._writes.count and not query.read_only:
            self._writes.refuse_if_mine(query.name)
        conn: aiosqlite.Connection | None = await self._checkout()
        assert conn is not None
        try:
            return await _run(conn, query, params)
        except Exception:
            if self._memory_lock is None and not conn.in_transaction:
                # not reused: SQLite may keep a failed statement's read snapshot open, and a later
                # write from this connection would fail as 'database is locked'
                await conn.close()
                conn = None
            raise
        finally:
            if conn is not None:
                await self._checkin(conn)

    async def execute_global(self, query: CompiledQuery, params: dict[str, Any]) -> Any:
        return await self.execute(query, params, "")

    @asynccontextmanager
    async def session(self, account_id: str, write: bool) -> AsyncIterator[AsyncSQLiteSession]:
        if self._writes.count:
            self._writes.refuse_if_mine("transaction")
        conn = await self._checkout()
        marked = self._writes.enter() if write else None
        try:
            try:
                await conn.execute("begin immediate" if write else "begin")
            except sqlite3.Error as exc:
                raise dialect.translate_error(exc, "transaction") from exc
            yield AsyncSQLiteSession(conn)
            try:
                await conn.execute("commit")
            except sqlite3.Error as exc:
                raise dialect.translate_error(exc, "transaction") from exc
        finally:
            if marked is not None:
                self._writes.exit(marked)
            await self._checkin(conn)

    def read_session(self, account_id: str) -> AbstractAsyncContextManager[AsyncSQLiteSession]:
        """A read-only program's session: a read transaction, so all its steps see one snapshot."""
        return self.session(account_id, False)

    async def close(self) -> None:
        self._closed = True
        while self._idle:
            await self._idle.pop().close()
        if self._memory_conn is not None:
            await self._memory_conn.close()


class _QuietConnection(aiosqlite.Connection):
    """aiosqlite's connection, made safe to leave unclosed at interpreter exit.

    Its worker thread is a daemon, so an unclosed `AsyncDatabase` cannot hold up exit;
    and stopping it (aiosqlite does so when an unclosed connection is collected) no longer
    hands the worker a future of the current event loop to complete: after that loop
    closed, the worker's thread printed "RuntimeError: Event loop is closed" tracebacks.
    """

    def __init__(self, connector: Callable[[], sqlite3.Connection], iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        thread = getattr(self, "_thread", None)
        if thread is not None:
            thread.daemon = True

    def stop(self) -> asyncio.Future[Any] | None:
        queue = getattr(self, "_tx", None)
        if queue is None:  # an aiosqlite without these internals: its own way
            return super().stop()
        self._running = False

        def close_and_stop() -> object:
            connection = getattr(self, "_connection", None)
            if connection is not None:
                connection.close()
                self._connection = None
            return _STOP

        queue.put_nowait((None, close_and_stop))
        return None


_STOP: object = getattr(aiosqlite.core, "_STOP_RUNNING_SENTINEL", object())

