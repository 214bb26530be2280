"""SQLite (and the D1-compatible subset): connections, codecs, errors."""

from __future__ import annotations

import json
import sqlite3
import threading
from contextvars import ContextVar, Token
from datetime import datetime, timezone
from typing import Any, Final

from .. import constraint_names, errors
from ..names import timestamp_text
from ..rows import Decoder

NAME: Final = "sqlite"
BUSY_TIMEOUT_MS = 30_000
_UTC = timezone.utc


def connect(path: str, busy_timeout_ms: int = BUSY_TIMEOUT_MS, *, wal: bool = True) -> sqlite3.Connection:
    """A connection with D1's behaviour: foreign keys always on; a busy timeout and WAL for concurrency.

    The one SQLite connection set-up: the sync driver calls it, the async one runs it on
    aiosqlite's thread, the admin commands call it with `wal=False` (they leave a file's
    journal mode as they found it). A file that cannot be opened is an `OperationalError`.
    """
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000)
        try:
            conn.execute("pragma foreign_keys = on")
            conn.execute(f"pragma busy_timeout = {int(busy_timeout_ms)}")
            if wal and path != ":memory:":
                conn.execute("pragma journal_mode = wal")
                conn.execute("pragma synchronous = normal")
        except BaseException:
            conn.close()
            raise
    except sqlite3.Error as exc:
        raise errors.OperationalError(f"cannot open SQLite database {path!r}: {exc}") from exc
    return conn


MEMORY_BUSY = "the in-memory database stayed busy past the busy timeout"

# The write transactions (by tracker) that the current thread, or asyncio task, holds open.
_WRITING: ContextVar[frozenset[int]] = ContextVar("vesta_sqlite_writing", default=frozenset())


class WriteTracker:
    """Spots a call that would wait for its own thread's write transaction.

    SQLite has one writer: a `db.*` write on another connection, while this thread (or
    task) holds a write transaction of the same database, would wait out the busy
    timeout and then fail with "database is locked". It fails at once instead.
    `count` (write transactions open in any thread) keeps the common case to one check.
    """

    __slots__ = ("count", "_lock")

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def enter(self) -> Token[frozenset[int]]:
        with self._lock:
            self.count += 1
        return _WRITING.set(_WRITING.get() | {id(self)})

    def exit(self, token: Token[frozenset[int]]) -> None:
        try:
            _WRITING.reset(token)
        except ValueError:  # left from another context than it was entered in: drop just this one
            _WRITING.set(_WRITING.get() - {id(self)})
        with self._lock:
            self.count -= 1

    def refuse_if_mine(self, name: str) -> None:
        if id(self) in _WRITING.get():
            raise errors.OperationalError(
                f"{name}: this thread holds an open write transaction of this database, and SQLite has one writer, so "
                "this call would wait for it until the busy timeout: use the transaction object (`tx.…`) instead of `db`")


class SQLiteCodec:
    """Timestamps as fixed-width ISO text (so text order is time order), JSON as text, vectors as float32 blobs."""

    def datetime_in(self, value: datetime) -> Any:
        if value.tzinfo is not _UTC:
            value = value.astimezone(_UTC)
        return timestamp_text(value)

    def json_text(self, value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)

    def json_bind(self, text: str) -> Any:
        return text

    def vector_in(self, value: Any) -> Any:
        return value.astype("<f4", copy=False).tobytes()

    def str_list_in(self, value: list[str]) -> Any:
        return json.dumps(value)


def _decode_embedding(blob: bytes) -> Any:
    import numpy

    array = numpy.frombuffer(blob, dtype="<f4").astype(numpy.float32, copy=False)
    return array  # frombuffer over bytes is already read-only, as a frozen record wants


DECODERS: dict[str, Decoder | None] = {
    "datetime": datetime.fromisoformat,
    "bool": bool,
    "json": json.loads,
    "embedding": _decode_embedding,
}


REGISTRY_MESSAGE = "vesta: account not registered"
UNKNOWN_ACCOUNT = "the account is not registered: register it first (db.accounts.register(account_id=…))"


def _integrity(exc: sqlite3.IntegrityError, query: str) -> errors.IntegrityError:
    """The error class and its table / columns / constraint, named as Postgres names them."""
    message = str(exc)
    text = f"{query}: {message}"
    listed = message.partition("failed: ")[2]
    pairs = [item.strip().partition(".") for item in listed.split(",")] if "." in listed else []
    table = pairs[0][0] if pairs else constraint_names.target_of(query)
    columns = tuple(column for _, _, column in pairs)
    if "UNIQUE constraint failed" in message or "PRIMARY KEY" in message:
        name = constraint_names.sqlite_unique_name(table, columns) if table and columns else None
        if listed.startswith("index "):
            name = listed[len("index "):].strip("'\"")
        return errors.UniqueViolation(text, table=table, columns=columns, constraint=name)
    if "NOT NULL constraint failed" in message:
        name = constraint_names.default_name(table, columns, "not_null") if table and columns else None
        return errors.NotNullViolation(text, table=table, columns=columns, constraint=name)
    if REGISTRY_MESSAGE in message:  # the account registry's triggers (migration 0012)
        target = constraint_names.target_of(query)
        return errors.UnknownAccount(f"{query}: {UNKNOWN_ACCOUNT}", table=target, columns=("account_id",),
                                     constraint=f"{target}_account_registered" if target else None)
    if "FOREIGN KEY constraint failed" in message:  # SQLite names neither the key nor the columns
        return errors.ForeignKeyViolation(text, table=constraint_names.target_of(query))
    if "CHECK constraint failed" in message:
        return errors.CheckViolation(text, table=constraint_names.target_of(query))
    return errors.IntegrityError(text, table=constraint_names.target_of(query))


def translate_error(exc: sqlite3.Error, query: str) -> errors.VestaError:
    """Our error class for a sqlite3 error; the message names the constraint, never the values."""
    message = str(exc)
    if isinstance(exc, sqlite3.IntegrityError):
        return _integrity(exc, query)
    if isinstance(exc, sqlite3.OperationalError) and "interrupted" in message:
        return errors.QueryTimeout(f"{query}: statement timeout reached")
    if isinstance(exc, (sqlite3.OperationalError, sqlite3.ProgrammingError, sqlite3.InterfaceError)):
        return errors.OperationalError(f"{query}: {message}")
    return errors.DatabaseError(f"{query}: {message}")
