"""sqlite3 driver: a connection per call or transaction in flight, reused from an idle list."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from ..dialects import sqlite as dialect
from ..errors import OperationalError
from ..runtime import CompiledQuery
from . import forks


class SQLiteSession:
    """The connection of one open transaction."""

    __slots__ = ("_conn", "_driver", "_depth")

    def __init__(self, conn: sqlite3.Connection, driver: SQLiteDriver) -> None:
        self._conn, self._driver, self._depth = conn, driver, 0

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        self._depth += 1
        name = f"vesta_savepoint_{self._depth}"
        try:
            self._command(f"savepoint {name}")
            try:
                yield
            except BaseException:
                self._command(f"rollback to {name}")
                self._command(f"release {name}")
                raise
            self._command(f"release {name}")
        finally:
            self._depth -= 1

    def _command(self, statement: str) -> None:
        try:
            self._conn.execute(statement)
        except sqlite3.Error as exc:
            raise dialect.translate_error(exc, "savepoint") from exc

    def execute(self, query: CompiledQuery, params: dict[str, Any]) -> Any:
        return self._driver.run_on(self._conn, query, params)

    def execute_batch(self, batch: list[tuple[CompiledQuery, dict[str, Any]]]) -> list[Any]:
        return [self._driver.run_on(self._conn, query, params) for query, params in batch]

    def execute_many(self, query: CompiledQuery, rows: Iterable[dict[str, Any]]) -> int:
        try:
            return self._conn.executemany(query.sql, rows).rowcount
        except sqlite3.Error as exc:
            raise dialect.translate_error(exc, query.name) from exc


class SQLiteDriver:
    dialect = dialect.NAME

    def __init__(self, path: str, *, busy_timeout_ms: int, statement_timeout_ms: int | None) -> None:
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._statement_timeout = statement_timeout_ms / 1000 if statement_timeout_ms else None
        self._idle: list[sqlite3.Connection] = []
        self._deadlines: dict[int, float] = {}
        # An in-memory database exists only inside its one connection: share it under a lock.
        self._memory_lock = threading.Lock() if path == ":memory:" else None
        self._memory_conn: sqlite3.Connection | None = None
        self._closed = False
        self._forked_memory = False
        self._writes = dialect.WriteTracker()
        self._plain = self._memory_lock is None and self._statement_timeout is None
        self._checkin(self._checkout())  # fail fast on a bad path
        forks.track(self)

    def after_fork(self) -> None:
        """In a forked child: leave the parent's connections alone, open new ones on the next call."""
        forks.INHERITED.append(self._idle)
        self._idle = []
        self._deadlines = {}
        if self._memory_lock is not None:  # the child's copy of an in-memory database is not the parent's
            self._memory_lock = threading.Lock()
            self._forked_memory = True

    def _connect(self) -> sqlite3.Connection:
        conn = dialect.connect(self._path, self._busy_timeout_ms)
        if self._statement_timeout is not None:
            key, deadlines = id(conn), self._deadlines
            conn.set_progress_handler(lambda: 1 if time.monotonic() > deadlines.get(key, float("inf")) else 0, 10_000)
        return conn

    def _checkout(self) -> sqlite3.Connection:
        if self._closed:
            raise OperationalError("the database has been closed")
        if self._forked_memory:
            raise OperationalError("an in-memory SQLite database opened before a fork cannot be used in the child "
                                   "process (it would be a diverging copy): connect again in the child, or use a file")
        if self._memory_lock is not None:
            if not self._memory_lock.acquire(timeout=self._busy_timeout_ms / 1000):
                raise OperationalError(dialect.MEMORY_BUSY)
            if self._memory_conn is None:
                try:
                    self._memory_conn = self._connect()
                except BaseException:
                    self._memory_lock.release()  # nothing to hand back: the next call tries again
                    raise
            return self._memory_conn
        try:
            return self._idle.pop()
        except IndexError:
            return self._connect()

    def _checkin(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            conn.rollback()
        if self._memory_lock is not None:
            self._memory_lock.release()
        elif self._closed:
            conn.close()
        else:
            self._idle.append(conn)

    def run_on(self, conn: sqlite3.Connection, query: CompiledQuery, params: dict[str, Any]) -> Any:
        if self._statement_timeout is not None:
            self._deadlines[id(conn)] = time.monotonic() + self._statement_timeout
        try:
            cursor = conn.execute(query.sql, params)
            # fetchall also finishes the statement, so a write with RETURNING commits now
            return query.shape(cursor.fetchall(), cursor)
        except sqlite3.Error as exc:
            raise dialect.translate_error(exc, query.name) from exc

    def execute(self, query: CompiledQuery, params: dict[str, Any], account_id: str) -> Any:
        if self._writes.count and not query.read_only:
            self._writes.refuse_if_mine(query.name)
        if not self._plain:  # in-memory, statement timeout or closed: the general path
            return self.execute_global(query, params)
        # `_checkout`, `run_on` and `_checkin` inlined for the common case (a file database,
        # no statement timeout): a whole call costs a few microseconds on SQLite.
        idle = self._idle
        conn: sqlite3.Connection | None = idle.pop() if idle else self._checkout()
        assert conn is not None
        try:
            cursor = conn.execute(query.sql, params)
            # fetchall also finishes the statement, so a write with RETURNING commits now
            return query.shape(cursor.fetchall(), cursor)
        except sqlite3.Error as exc:
            conn = self._after_failure(conn)
            raise dialect.translate_error(exc, query.name) from exc
        finally:
            if conn is None:
                pass
            elif conn.in_transaction or self._closed:
                self._checkin(conn)
            else:
                idle.append(conn)

    def execute_global(self, query: CompiledQuery, params: dict[str, Any]) -> Any:
        conn: sqlite3.Connection | None = self._checkout()
        assert conn is not None
        try:
            return self.run_on(conn, query, params)
        except Exception:
            conn = self._after_failure(conn)
            raise
        finally:
            if conn is not None:
                self._checkin(conn)

    def _after_failure(self, conn: sqlite3.Connection) -> sqlite3.Connection | None:
        """A connection whose statement failed outside a transaction is closed, not reused: SQLite may keep
        the failed statement's read snapshot open, and a later write from it would fail as 'database is locked'."""
        if conn.in_transaction or self._path == ":memory:":
            return conn
        conn.close()
        return None

    @contextmanager
    def session(self, account_id: str, write: bool) -> Iterator[SQLiteSession]:
        if self._writes.count:
            self._writes.refuse_if_mine("transaction")
        conn = self._checkout()
        marked = self._writes.enter() if write else None
        try:
            try:
                # immediate: take the write lock up front so the busy timeout applies
                conn.execute("begin immediate" if write else "begin")
            except sqlite3.Error as exc:
                raise dialect.translate_error(exc, "transaction") from exc
            yield SQLiteSession(conn, self)
            try:
                conn.execute("commit")
            except sqlite3.Error as exc:
                raise dialect.translate_error(exc, "transaction") from exc
        finally:
            if marked is not None:
                self._writes.exit(marked)
            self._checkin(conn)

    def read_session(self, account_id: str) -> AbstractContextManager[SQLiteSession]:
        """A read-only program's session: a read transaction, so all its steps see one snapshot."""
        return self.session(account_id, False)

    def close(self) -> None:
        self._closed = True
        self._plain = False
        while self._idle:
            self._idle.pop().close()
        if self._memory_conn is not None:
            self._memory_conn.close()
