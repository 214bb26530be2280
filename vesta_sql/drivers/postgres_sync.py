# generated from vesta_sql/drivers/postgres_async.py by tools/async_to_sync.py — edit that file, not this one
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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

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


def _run(conn: psycopg.Connection[Any], query: CompiledQuery, params: dict[str, Any]) -> Any:
    cursor = conn.execute(query.sql, params)
    rows = cursor.fetchall() if _has_rows(cursor) else []
    return query.shape(rows, cursor)


def _run_after(conn: psycopg.Connection[Any], setup: tuple[str, tuple[str, ...]], query: CompiledQuery,
               params: dict[str, Any]) -> Any:
    """`setup` then the query, pipelined: one Sync, so both run in one implicit transaction."""
    return (_run_batch(conn, setup, [(query, params)]))[0]


def _run_batch(conn: psycopg.Connection[Any], setup: tuple[str, tuple[str, ...]] | None,
               batch: list[tuple[CompiledQuery, dict[str, Any]]]) -> list[Any]:
    """The statements of `batch` (after `setup`, if any) as one pipeline: one round trip, results in order.

    Outside a transaction block the pipeline's one Sync makes them one implicit transaction,
    so a transaction-local setting made by `setup` or an earlier statement holds for the
    later ones, and for nothing after them. The results are read after the pipeline block:
    leaving it sends the Sync and flushes everything (`Pipeline.sync()` inside the block may
    stop flushing before a value of a megabyte or more is sent, and then waits forever).
    """
    cursors = []
    with conn.pipeline():
        if setup is not None:
            conn.execute(*setup)
        for query, params in batch:
            cursors.append(conn.execute(query.sql, params))
    results = []
    for (query, _), cursor in zip(batch, cursors, strict=True):
        rows = cursor.fetchall() if _has_rows(cursor) else []
        results.append(query.shape(rows, cursor))
    return results


def _batch_name(batch: list[tuple[CompiledQuery, dict[str, Any]]]) -> str:
    return " + ".join(query.name for query, _ in batch)


class PostgresSession:
    __slots__ = ("_conn",)

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, query: CompiledQuery, params: dict[str, Any]) -> Any:
        try:
            return _run(self._conn, query, params)
        except psycopg.Error as exc:
            raise dialect.translate_error(exc, query.name) from exc

    def execute_batch(self, batch: list[tuple[CompiledQuery, dict[str, Any]]]) -> list[Any]:
        try:
            return _run_batch(self._conn, None, batch)
        except psycopg.Error as exc:
            raise dialect.translate_error(exc, _batch_name(batch)) from exc

    def execute_many(self, query: CompiledQuery, rows: Iterable[dict[str, Any]]) -> int:
        try:
            with self._conn.cursor() as cursor:
                bulk = postgres_bulk.plan_for(query)  # an insert of one row: sent as arrays, in batches
                if bulk is None:
                    cursor.executemany(query.sql, rows)  # pipelined by psycopg: one round trip per batch
                    return cursor.rowcount
                if (sql := bulk.sql) is None:  # first use: the table's column types, once per process
                    cursor.execute(*bulk.column_types())
                    sql = bulk.learn(cursor.fetchall())
            replay = postgres_bulk.Replay(bulk.batches(rows, query.name))
            if bulk.optimistic_sql is not None and replay.large():  # without `on conflict` first: see Replay
                with self._conn.transaction() as savepoint:
                    written = self._send_batches(bulk.optimistic_sql, replay.first(), stop_at_conflict=True)
                    if written is None:  # a row conflicted: undo what was written, then send it all as declared
                        raise psycopg.Rollback(savepoint)
                if written is not None:
                    return written
            return self._send_batches(sql, replay.again()) or 0
        except psycopg.Error as exc:
            raise dialect.translate_error(exc, query.name) from exc

    def _send_batches(self, sql: str, batches: Iterable[dict[str, Any]], stop_at_conflict: bool = False) -> int | None:
        """Pipelined: the server writes one batch while the next is bound and sent; the rows written.

        `stop_at_conflict`: None at a unique violation, the rest not sent. The error is taken
        inside the pipeline, so that the pipeline ends cleanly (no warning from psycopg)."""
        sent = []
        try:
            with self._conn.pipeline():
                for params in batches:
                    batch = self._conn.cursor()
                    try:
                        batch.execute(sql, params)
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

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        try:
            with self._conn.transaction():  # nested: a savepoint, rolled back to if the block raises
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

    def __init__(self, conn: psycopg.Connection[Any], setup: tuple[str, tuple[str, ...]]) -> None:
        self._conn, self._setup = conn, setup

    def execute(self, query: CompiledQuery, params: dict[str, Any]) -> Any:
        return (self.execute_batch([(query, params)]))[0]

    def execute_batch(self, batch: list[tuple[CompiledQuery, dict[str, Any]]]) -> list[Any]:
        try:
            return _run_batch(self._conn, self._setup, batch)
        except psycopg.Error as exc:
            raise dialect.translate_error(exc, _batch_name(batch)) from exc

    def execute_many(self, query: CompiledQuery, rows: Iterable[dict[str, Any]]) -> int:
        raise OperationalError(f"{query.name}: a read-only program cannot write")

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        raise OperationalError("savepoint: a read-only program runs outside a transaction block")
        yield  # noqa: V201 (unreachable; makes this a generator for the context manager)


class PostgresDriver:
    dialect = dialect.NAME

    def __init__(self, conninfo: str, *, pool_size: int, statement_timeout_ms: int | None, pool_timeout_s: float,
                 prepared_statements: bool = False) -> None:
        self._max_size = pool_size
        self._setup = dialect.call_setup(statement_timeout_ms)
        self._conninfo, self._timeout = conninfo, pool_timeout_s
        self._kwargs = dialect.connection_kwargs(prepared_statements)
        self._connections: weakref.WeakSet[psycopg.Connection[Any]] = weakref.WeakSet()
        self._pool = self._new_pool()
        self._inherited = False  # the pool is a parent's, after a fork: see `after_fork`
        self._reopen_lock = threading.Lock()
        self.open()
        forks.track(self)

    def _new_pool(self) -> ConnectionPool[Any]:
        return ConnectionPool(
            self._conninfo, min_size=1, max_size=self._max_size, timeout=self._timeout, open=False,
            kwargs=self._kwargs, configure=self._configure,
        )

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        self._connections.add(conn)  # known, so that a forked child can leave it alone
        dialect.configure(conn)

    def open(self) -> None:
        """Open the pool and wait for its first connection: a wrong URL or password fails here, not at a call."""
        pool = self._pool
        try:
            pool.open(wait=True, timeout=self._timeout)
        except PoolTimeout as exc:
            pool.close()
            failure = _first_failure(self._conninfo, self._kwargs, self._timeout)
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

    def _reopen_pool(self) -> None:
        """In a forked child (sync only): connections of its own; the child's threads, if any, open one pool."""
        with self._reopen_lock:
            if self._inherited:
                self._pool = self._new_pool()
                self.open()
                self._inherited = False

    def _checkout(self, name: str) -> psycopg.Connection[Any]:
        """A live connection from the pool (see `pg_health`: dead idle ones are dropped, not handed out)."""
        if self._inherited:
            self._reopen_pool()
        pool = self._pool
        for _ in range(self._max_size + 1):
            try:
                conn: psycopg.Connection[Any] = pool.getconn()
            except (PoolTimeout, PoolClosed) as exc:
                raise OperationalError(f"{name}: no database connection available: {exc}") from exc
            if not is_dead(conn):
                return conn
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

    def execute(self, query: CompiledQuery, params: dict[str, Any], account_id: str) -> Any:
        return self._execute(query, params, account_id)

    def execute_global(self, query: CompiledQuery, params: dict[str, Any]) -> Any:
        return self._execute(query, params, None)

    def _execute(self, query: CompiledQuery, params: dict[str, Any], account_id: str | None) -> Any:
        for attempt in (1, 2):
            conn = self._checkout(query.name)
            pool = self._pool  # read after the checkout, which may have reopened it (in a forked child)
            try:
                setup = self._setup.unscoped() if account_id is None else self._setup.scoped(account_id)
                if setup is None:
                    return _run(conn, query, params)
                return _run_after(conn, setup, query, params)
            except psycopg.Error as exc:
                if attempt == 1 and query.read_only and is_broken(conn):
                    continue  # a read on a connection that broke under it: once more, on a fresh one
                raise dialect.translate_error(exc, query.name) from exc
            finally:
                pool.putconn(conn)
        raise AssertionError("unreachable")

    @contextmanager
    def session(self, account_id: str, write: bool) -> Iterator[PostgresSession]:
        with self._connection("transaction") as conn:
            try:
                with conn.transaction():
                    conn.execute(*self._setup.scoped(account_id))  # first: every statement after it is scoped
                    yield PostgresSession(conn)
            except psycopg.Error as exc:
                raise dialect.translate_error(exc, "transaction") from exc

    @contextmanager
    def read_session(self, account_id: str) -> Iterator[AsyncPostgresReadSession]:
        with self._connection("read") as conn:
            yield AsyncPostgresReadSession(conn, self._setup.scoped(account_id))

    def close(self) -> None:
        if not self._inherited:  # a forked child never closes what it inherited
            self._pool.close()


def _first_failure(conninfo: str, kwargs: dict[str, Any], timeout_s: float) -> BaseException | None:
    """Why connecting fails: the pool only says it timed out, so try once more, directly."""
    try:
        conn = psycopg.Connection.connect(conninfo, connect_timeout=max(1, int(timeout_s)), **kwargs)
        conn.close()
    except psycopg.Error as exc:
        return exc
    return None
