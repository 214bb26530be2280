"""`connect` and `connect_async`: pick the dialect from the URL, load and prove the queries, check the schema
version, open the driver."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from . import schema_version
from .config import DatabaseUrl, parse_url
from .errors import ConfigError
from .facade import Database
from .facade_async import AsyncDatabase
from .runtime import Runtime

QueryFolders = str | Path | Sequence[str | Path]


def _target(url: str | None, env: str | None) -> DatabaseUrl:
    """The URL given, or the app URL of a configured environment (the configuration the CLI reads)."""
    # an empty string (`os.environ.get("DATABASE_URL", "")`) is a mistake to name, never a default database
    if url is not None and not url.strip():
        raise ConfigError("connect: the URL is empty (an unset variable?): pass a database URL "
                          "(sqlite:///file.db or postgresql://…), or env=NAME for a configured environment")
    if env is not None and not env.strip():
        raise ConfigError("connect: env is empty (an unset variable?): pass a configured environment's name, or a URL")
    if (url is None) == (env is None):
        raise ConfigError("connect needs a URL or env=NAME (one of them, not both)")
    if url is not None:
        return parse_url(url)
    from .environments import resolve

    return resolve(env, role="app").url


def _folders(extra_queries: QueryFolders | None) -> list[str | Path]:
    if extra_queries is None:
        return []
    if isinstance(extra_queries, (str, Path)):  # one folder: a str must not be read as its characters
        return [extra_queries]
    return list(extra_queries)


def _runtime(dialect_name: str, extra_queries: QueryFolders | None, clock: Callable[[], datetime] | None,
             id_factory: Callable[[], str] | None, record_classes: Mapping[str, type] | None,
             prepared_statements: bool = False) -> Runtime:
    """Load and prove every query for the dialect (imports the dialect's driver modules only then)."""
    extra_queries = _folders(extra_queries)
    if dialect_name == "sqlite":
        from .dialects import sqlite

        return Runtime(sqlite, sqlite.SQLiteCodec(), extra_queries=extra_queries, clock=clock, id_factory=id_factory,
                   record_classes=record_classes)
    from .dialects import postgres

    return Runtime(postgres, postgres.PostgresCodec(), extra_queries=extra_queries, clock=clock, id_factory=id_factory,
                   record_classes=record_classes, prepared_statements=prepared_statements)


def connect(
    url: str | None = None,
    *,
    env: str | None = None,
    extra_queries: QueryFolders | None = None,
    statement_timeout_ms: int | None = None,
    busy_timeout_ms: int = 30_000,
    pool_size: int = 10,
    pool_timeout_s: float = 10.0,
    clock: Callable[[], datetime] | None = None,
    id_factory: Callable[[], str] | None = None,
    allow_newer_schema: bool = False,
    record_classes: Mapping[str, type] | None = None,
    prepared_statements: bool = False,
) -> Database:
    """A synchronous façade on `sqlite:///file.db`, `sqlite://:memory:` or `postgresql://…`.

    `env="prod"` connects with that environment's app URL (`app_url`, else `url`) from
    `[tool.vesta-sql.environments]` / vesta-sql.toml, as the CLI reads it. Neither given is
    a ConfigError, and so is an empty one (`url=""`, an unset variable): never a default. Every query is
    loaded and proven by the tenant guard before this returns; one unproven query refuses
    the whole connection. The database must be at this package's migration version
    (`SchemaVersionError` otherwise; `allow_newer_schema=True` accepts migrations newer than
    this release). `clock` and `id_factory` replace the package's clock and UUIDv7 ids.
    `record_classes` names an app's own record dataclasses for its `-- record_class:` lines,
    checked against each query's columns at load.

    Postgres: nothing rides on startup parameters and no named prepared statements are
    used, so a plain URL works through a transaction-mode pooler (PgBouncer 1.18 and its
    kin). `prepared_statements=True` lets psycopg prepare repeated statements: for direct
    connections, or PgBouncer 1.21+ with `max_prepared_statements` set (see docs/pooler.md).
    """
    target = _target(url, env)
    runtime = _runtime(target.dialect, extra_queries, clock, id_factory, record_classes, prepared_statements)
    schema_version.check(target, allow_newer=allow_newer_schema)
    if target.dialect == "sqlite":
        from .drivers.sqlite_sync import SQLiteDriver

        assert target.sqlite_path is not None
        return Database(runtime, SQLiteDriver(target.sqlite_path, busy_timeout_ms=busy_timeout_ms,
                                              statement_timeout_ms=statement_timeout_ms))
    from .drivers.postgres_sync import PostgresDriver

    return Database(runtime, PostgresDriver(target.conninfo, pool_size=pool_size, statement_timeout_ms=statement_timeout_ms,
                                            pool_timeout_s=pool_timeout_s, prepared_statements=prepared_statements))


async def connect_async(
    url: str | None = None,
    *,
    env: str | None = None,
    extra_queries: QueryFolders | None = None,
    statement_timeout_ms: int | None = None,
    busy_timeout_ms: int = 30_000,
    pool_size: int = 10,
    pool_timeout_s: float = 10.0,
    clock: Callable[[], datetime] | None = None,
    id_factory: Callable[[], str] | None = None,
    allow_newer_schema: bool = False,
    record_classes: Mapping[str, type] | None = None,
    prepared_statements: bool = False,
) -> AsyncDatabase:
    """The async façade (aiosqlite, or psycopg async with a psycopg_pool pool); same namespaces, awaited."""
    target = _target(url, env)
    if target.dialect == "sqlite" and statement_timeout_ms:
        # aiosqlite runs statements on its own thread, out of reach of a progress handler set here
        raise ConfigError("statement_timeout_ms is not supported by the async SQLite façade (use connect, or Postgres)")
    runtime = _runtime(target.dialect, extra_queries, clock, id_factory, record_classes, prepared_statements)
    import asyncio  # here, not at the top: the sync path should not pay for importing asyncio

    await asyncio.to_thread(schema_version.check, target, allow_newer=allow_newer_schema)
    if target.dialect == "sqlite":
        from .drivers.sqlite_async import AsyncSQLiteDriver

        assert target.sqlite_path is not None
        sqlite_driver = AsyncSQLiteDriver(target.sqlite_path, busy_timeout_ms=busy_timeout_ms)
        await sqlite_driver.open()  # fails fast on a bad path, as `connect` does
        return AsyncDatabase(runtime, sqlite_driver)
    from .drivers.postgres_async import AsyncPostgresDriver

    driver = AsyncPostgresDriver(target.conninfo, pool_size=pool_size, statement_timeout_ms=statement_timeout_ms,
                                 pool_timeout_s=pool_timeout_s, prepared_statements=prepared_statements)
    await driver.open()
    return AsyncDatabase(runtime, driver)
