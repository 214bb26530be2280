"""`connect` and `connect_async`: pick the dialect from the URL, load and guard the queries, open the driver."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from .config import parse_url
from .core import Runtime
from .facade import Database
from .facade_async import AsyncDatabase


def connect(
    url: str,
    *,
    extra_queries: Sequence[str | Path] | None = None,
    statement_timeout_ms: int | None = None,
    busy_timeout_ms: int = 30_000,
    pool_size: int = 10,
    pool_timeout_s: float = 10.0,
    clock: Callable[[], datetime] | None = None,
    id_factory: Callable[[], str] | None = None,
) -> Database:
    """A synchronous façade on `sqlite:///file.db`, `sqlite://:memory:` or `postgresql://…`.

    Every query is loaded and checked by the tenant guard before this returns; one
    unscoped query refuses the whole connection. `clock` and `id_factory` replace the
    package's clock and UUIDv7 ids (tests, replays).
    """
    target = parse_url(url)
    if target.dialect == "sqlite":
        from .dialects import sqlite
        from .drivers.sqlite_sync import SQLiteDriver

        runtime = Runtime(sqlite, sqlite.SQLiteCodec(), extra_queries=extra_queries, clock=clock, id_factory=id_factory)
        assert target.sqlite_path is not None
        return Database(runtime, SQLiteDriver(target.sqlite_path, busy_timeout_ms=busy_timeout_ms,
                                              statement_timeout_ms=statement_timeout_ms))
    from .dialects import postgres
    from .drivers.postgres_sync import PostgresDriver

    runtime = Runtime(postgres, postgres.PostgresCodec(), extra_queries=extra_queries, clock=clock, id_factory=id_factory)
    return Database(runtime, PostgresDriver(target.conninfo, pool_size=pool_size, statement_timeout_ms=statement_timeout_ms,
                                            pool_timeout_s=pool_timeout_s))


async def connect_async(
    url: str,
    *,
    extra_queries: Sequence[str | Path] | None = None,
    statement_timeout_ms: int | None = None,
    busy_timeout_ms: int = 30_000,
    pool_size: int = 10,
    pool_timeout_s: float = 10.0,
    clock: Callable[[], datetime] | None = None,
    id_factory: Callable[[], str] | None = None,
) -> AsyncDatabase:
    """The async façade (aiosqlite, or psycopg async with a psycopg_pool pool); same namespaces, awaited."""
    target = parse_url(url)
    if target.dialect == "sqlite":
        from .dialects import sqlite
        from .drivers.sqlite_async import AsyncSQLiteDriver

        runtime = Runtime(sqlite, sqlite.SQLiteCodec(), extra_queries=extra_queries, clock=clock, id_factory=id_factory)
        assert target.sqlite_path is not None
        return AsyncDatabase(runtime, AsyncSQLiteDriver(target.sqlite_path, busy_timeout_ms=busy_timeout_ms))
    from .dialects import postgres
    from .drivers.postgres_async import AsyncPostgresDriver

    runtime = Runtime(postgres, postgres.PostgresCodec(), extra_queries=extra_queries, clock=clock, id_factory=id_factory)
    driver = AsyncPostgresDriver(target.conninfo, pool_size=pool_size, statement_timeout_ms=statement_timeout_ms,
                                 pool_timeout_s=pool_timeout_s)
    await driver.open()
    return AsyncDatabase(runtime, driver)
