"""`connect` and `connect_async`: pick the dialect from the URL, load and guard the queries, open the driver."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from .config import parse_url
from .core import Runtime
from .errors import ConfigError
from .facade import Database
from .facade_async import AsyncDatabase


def _runtime(dialect_name: str, extra_queries: Sequence[str | Path] | None,
             clock: Callable[[], datetime] | None, id_factory: Callable[[], str] | None) -> Runtime:
    """Load and guard every query for the dialect (imports the dialect's driver modules only then)."""
    if dialect_name == "sqlite":
        from .dialects import sqlite

        return Runtime(sqlite, sqlite.SQLiteCodec(), extra_queries=extra_queries, clock=clock, id_factory=id_factory)
    from .dialects import postgres

    return Runtime(postgres, postgres.PostgresCodec(), extra_queries=extra_queries, clock=clock, id_factory=id_factory)


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
    prepared_statements: bool = False,
) -> Database:
    """A synchronous façade on `sqlite:///file.db`, `sqlite://:memory:` or `postgresql://…`.

    Every query is loaded and checked by the tenant guard before this returns; one
    unscoped query refuses the whole connection. `clock` and `id_factory` replace the
    package's clock and UUIDv7 ids (tests, replays).

    Postgres: nothing rides on startup parameters and no named prepared statements are
    used, so a plain URL works through a transaction-mode pooler (PgBouncer 1.18 and its
    kin). `prepared_statements=True` lets psycopg prepare repeated statements: for direct
    connections, or PgBouncer 1.21+ with `max_prepared_statements` set (see docs/pooler.md).
    """
    target = parse_url(url)
    runtime = _runtime(target.dialect, extra_queries, clock, id_factory)
    if target.dialect == "sqlite":
        from .drivers.sqlite_sync import SQLiteDriver

        assert target.sqlite_path is not None
        return Database(runtime, SQLiteDriver(target.sqlite_path, busy_timeout_ms=busy_timeout_ms,
                                              statement_timeout_ms=statement_timeout_ms))
    from .drivers.postgres_sync import PostgresDriver

    return Database(runtime, PostgresDriver(target.conninfo, pool_size=pool_size, statement_timeout_ms=statement_timeout_ms,
                                            pool_timeout_s=pool_timeout_s, prepared_statements=prepared_statements))


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
    prepared_statements: bool = False,
) -> AsyncDatabase:
    """The async façade (aiosqlite, or psycopg async with a psycopg_pool pool); same namespaces, awaited."""
    target = parse_url(url)
    if target.dialect == "sqlite" and statement_timeout_ms:
        # aiosqlite runs statements on its own thread, out of reach of a progress handler set here
        raise ConfigError("statement_timeout_ms is not supported by the async SQLite façade (use connect, or Postgres)")
    runtime = _runtime(target.dialect, extra_queries, clock, id_factory)
    if target.dialect == "sqlite":
        from .drivers.sqlite_async import AsyncSQLiteDriver

        assert target.sqlite_path is not None
        return AsyncDatabase(runtime, AsyncSQLiteDriver(target.sqlite_path, busy_timeout_ms=busy_timeout_ms))
    from .drivers.postgres_async import AsyncPostgresDriver

    driver = AsyncPostgresDriver(target.conninfo, pool_size=pool_size, statement_timeout_ms=statement_timeout_ms,
                                 pool_timeout_s=pool_timeout_s, prepared_statements=prepared_statements)
    await driver.open()
    return AsyncDatabase(runtime, driver)
