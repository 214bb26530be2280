"""Per-call overhead of vesta-sql against the raw drivers, hand-written driver code, aiosql and SQLAlchemy Core.

    python benchmarks/overhead.py [--rounds 15] [--only sqlite|postgres] [--quick]

Four operations, each the same SQL for every contender (taken from the package's own
query files): a point lookup by id (creators.find_by_id), a keyset page of 20
(creators.list), an insert returning the row (engagement.add_comment) and an upsert
returning the row (payment_settings.upsert). Four flavours: SQLite (file, WAL) and
Postgres (embedded server over its unix socket, as the app role with row-level security
on), each sync and async. The contenders run in interleaved rounds in one process; a
figure is the median of the per-round means.

Postgres also runs through a real PgBouncer in transaction mode (`--no-pooler` skips it):
"bare psycopg via PgBouncer, unprepared" sends the account setting and the statement in
one pipeline (one Sync) by hand, the least a correct pooled call can do; "vesta-sql,
prepared" is the opt-in `prepared_statements=True`, for direct connections.

"Hand-written" is what a careful developer writes without a library: module-level
functions holding the SQL, returning the same frozen dataclasses with the same
conversions (SQLite: ISO text → aware datetime; ids made with the same UUIDv7 function,
timestamps in the same ISO format), and on Postgres the same psycopg_pool pool
(getconn/putconn) with the transaction-local account setting pipelined with the
statement under one Sync, and no named prepared statements, as the package does by
default (pooler-safe; "vesta-sql, prepared" is the opt-in that compares with the bare
prepared connection). Every contender drops its results at once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiosql
from _harness import (
    APP_PASSWORD,
    APP_ROLE,
    Table,
    measure,
    measure_async,
    postgres_database,
    sqlite_connect,
    sqlite_database,
    sqlite_pragmas,
)

import vesta_sql
from vesta_sql.ids import new_id
from vesta_sql.loader import load_catalog
from vesta_sql.records import Comment, Creator, PaymentSettings
from vesta_sql.resources import queries_dir

ACCOUNT = "acc_bench_0001"
CREATORS = 1000
PAGE = 20
OPS = ["lookup", "page of 20", "insert", "upsert"]
UTC = timezone.utc
MAX_ISO = "9999-12-31T23:59:59.999999Z"
MAX_TIME = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
fromiso = datetime.fromisoformat


def iso_now() -> str:
    """Now as the package stores it on SQLite ('2026-01-02T03:04:05.000006Z'), the quick way."""
    return datetime.now(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def sql_of(dialect: str) -> dict[str, tuple[str, str]]:
    """(driver SQL, `:name` SQL) of the four queries, as the package loads them."""
    catalog, _ = load_catalog(dialect)
    wanted = {"lookup": ("creators", "find_by_id"), "page": ("creators", "list"),
              "insert": ("engagement", "add_comment"), "upsert": ("payment_settings", "upsert")}
    return {key: (catalog[ns][name].sql, catalog[ns][name].source_sql) for key, (ns, name) in wanted.items()}


def aiosql_queries(driver: str) -> dict[str, Any]:
    """Plain aiosql on the same files: the four queries, called with every parameter spelled out."""
    loaded = {name: aiosql.from_str((queries_dir() / f"{name}.sql").read_text(), driver)
              for name in ("creators", "engagement", "payment_settings")}
    return {"lookup": loaded["creators"].find_by_id, "page": loaded["creators"].list,
            "insert": loaded["engagement"].add_comment, "upsert": loaded["payment_settings"].upsert}


def each(n: int, call: Callable[[int], object]) -> None:
    """`n` calls whose results are dropped at once, as the raw contenders' are: keeping 2,000
    pages of records alive put the garbage collector's passes over them into the record
    contenders' figures only (tuples of strings are untracked, records are not)."""
    for i in range(n):
        call(i)


def seed(db: Any) -> tuple[list[str], str]:
    db.accounts.register(account_id=ACCOUNT)  # the registry (migration 0012) refuses writes for unknown accounts
    ids = [db.creators.create(account_id=ACCOUNT, name=f"Creator {i}", slug=f"creator-{i}",
                              email=f"c{i}@example.com", bio="x" * 80).id for i in range(CREATORS)]
    post = db.posts.create(account_id=ACCOUNT, creator_id=ids[0], title="A post", body="…")
    db.payment_settings.upsert(account_id=ACCOUNT, default_currency="EUR", payout_schedule="weekly")
    return ids, post.id


# --- SQLite, hand-written ------------------------------------------------------------------


def _creator_from_text(r: Any) -> Creator:
    return Creator(r[0], r[1], r[2], r[3], r[4], r[5], r[6], fromiso(r[7]), fromiso(r[8]))


def sqlite_handwritten(sql: dict[str, tuple[str, str]]) -> dict[str, Callable[..., Any]]:
    find_sql, list_sql, comment_sql, upsert_sql = (sql[k][0] for k in ("lookup", "page", "insert", "upsert"))

    def find_creator(conn: Any, account_id: str, creator_id: str) -> Creator | None:
        row = conn.execute(find_sql, {"account_id": account_id, "id": creator_id}).fetchone()
        return None if row is None else _creator_from_text(row)

    def list_creators(conn: Any, account_id: str, limit: int) -> list[Creator]:
        rows = conn.execute(list_sql, {"account_id": account_id, "before_created_at": MAX_ISO,
                                       "before_id": "", "limit": limit}).fetchall()
        return [_creator_from_text(r) for r in rows]

    def add_comment(conn: Any, account_id: str, post_id: str, user_id: str, body: str) -> Comment:
        now = iso_now()
        r = conn.execute(comment_sql, {"account_id": account_id, "id": new_id(), "post_id": post_id,
                                       "user_id": user_id, "body": body, "now": now}).fetchall()[0]
        return Comment(r[0], r[1], r[2], r[3], r[4], fromiso(r[5]))

    def upsert_settings(conn: Any, account_id: str, currency: str, schedule: str) -> PaymentSettings:
        now = iso_now()
        r = conn.execute(upsert_sql, {"account_id": account_id, "id": new_id(), "default_currency": currency,
                                      "payout_schedule": schedule, "statement_descriptor": None,
                                      "now": now}).fetchall()[0]
        return PaymentSettings(r[0], r[1], r[2], r[3], r[4], fromiso(r[5]), fromiso(r[6]))

    return {"lookup": find_creator, "page": list_creators, "insert": add_comment, "upsert": upsert_settings}


def sqlite_handwritten_async(sql: dict[str, tuple[str, str]]) -> dict[str, Callable[..., Any]]:
    find_sql, list_sql, comment_sql, upsert_sql = (sql[k][0] for k in ("lookup", "page", "insert", "upsert"))

    async def find_creator(conn: Any, account_id: str, creator_id: str) -> Creator | None:
        cursor = await conn.execute(find_sql, {"account_id": account_id, "id": creator_id})
        row = await cursor.fetchone()
        return None if row is None else _creator_from_text(row)

    async def list_creators(conn: Any, account_id: str, limit: int) -> list[Creator]:
        cursor = await conn.execute(list_sql, {"account_id": account_id, "before_created_at": MAX_ISO,
                                               "before_id": "", "limit": limit})
        return [_creator_from_text(r) for r in await cursor.fetchall()]

    async def add_comment(conn: Any, account_id: str, post_id: str, user_id: str, body: str) -> Comment:
        now = iso_now()
        cursor = await conn.execute(comment_sql, {"account_id": account_id, "id": new_id(), "post_id": post_id,
                                                  "user_id": user_id, "body": body, "now": now})
        r = (await cursor.fetchall())[0]
        return Comment(r[0], r[1], r[2], r[3], r[4], fromiso(r[5]))

    async def upsert_settings(conn: Any, account_id: str, currency: str, schedule: str) -> PaymentSettings:
        now = iso_now()
        cursor = await conn.execute(upsert_sql, {"account_id": account_id, "id": new_id(), "default_currency": currency,
                                                 "payout_schedule": schedule, "statement_descriptor": None, "now": now})
        r = (await cursor.fetchall())[0]
        return PaymentSettings(r[0], r[1], r[2], r[3], r[4], fromiso(r[5]), fromiso(r[6]))

    return {"lookup": find_creator, "page": list_creators, "insert": add_comment, "upsert": upsert_settings}


# --- SQLAlchemy ---------------------------------------------------------------------------


def sqlalchemy_statements(engine_or_conn: Any, dialect: str, sql: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """text() and Core statements, built once (the most favourable way to use SQLAlchemy)."""
    from sqlalchemy import MetaData, bindparam, select, text, tuple_
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    meta = MetaData()
    warnings.filterwarnings("ignore", message="Did not recognize type 'vector'")
    meta.reflect(engine_or_conn, only=["creators", "comments", "payment_settings"])
    creators, comments, settings = (meta.tables[n] for n in ("creators", "comments", "payment_settings"))
    upsert = (sqlite_insert if dialect == "sqlite" else pg_insert)(settings)
    upsert = upsert.on_conflict_do_update(index_elements=[settings.c.account_id], set_={
        "default_currency": upsert.excluded.default_currency, "payout_schedule": upsert.excluded.payout_schedule,
        "statement_descriptor": upsert.excluded.statement_descriptor, "updated_at": upsert.excluded.updated_at,
    }).returning(*settings.c)
    return {
        "text": {key: text(source) for key, (_, source) in sql.items()},
        "core": {
            "lookup": select(creators).where(creators.c.account_id == bindparam("account_id"),
                                             creators.c.id == bindparam("id")),
            "page": select(creators).where(
                creators.c.account_id == bindparam("account_id"),
                tuple_(creators.c.created_at, creators.c.id) < tuple_(bindparam("before_created_at"), bindparam("before_id")),
            ).order_by(creators.c.created_at.desc(), creators.c.id.desc()).limit(bindparam("limit")),
            "insert": comments.insert().returning(*comments.c),
            "upsert": upsert,
        },
    }


# --- the contenders, per flavour -----------------------------------------------------------


def sqlite_sync(url: str, path: Path, rounds: int, calls: int) -> Table:
    from sqlalchemy import create_engine, event

    sql = sql_of("sqlite")
    anchor: Any = sqlite_connect(path)  # see `sqlite_async`: no contender holds the first connection
    db = vesta_sql.connect(url)
    ids, post_id = seed(db)
    n_ids = len(ids)
    conn: Any = sqlite_connect(path)
    hand = sqlite_handwritten(sql)
    plain_q = aiosql_queries("sqlite3")
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", lambda dbapi, _: sqlite_pragmas(dbapi))
    sa = sqlalchemy_statements(engine, "sqlite", sql)
    A = ACCOUNT

    def params(op: str, i: int) -> dict[str, Any]:
        if op == "lookup":
            return {"account_id": A, "id": ids[i % n_ids]}
        if op == "page":
            return {"account_id": A, "before_created_at": MAX_ISO, "before_id": "", "limit": PAGE}
        now = iso_now()
        if op == "insert":
            return {"account_id": A, "id": new_id(), "post_id": post_id, "user_id": "u1", "body": f"comment {i}", "now": now}
        return {"account_id": A, "id": new_id(), "default_currency": "EUR", "payout_schedule": "weekly",
                "statement_descriptor": None, "now": now}

    def core_params(op: str, i: int) -> dict[str, Any]:
        p = params(op, i)
        if op in ("insert", "upsert"):
            p["created_at"] = p.pop("now")
            if op == "upsert":
                p["updated_at"] = p["created_at"]
        return p

    def raw(op: str) -> Callable[[int], None]:
        statement = sql[op][0]
        fetch = "fetchone" if op == "lookup" else "fetchall"

        def run(n: int) -> None:
            for i in range(n):
                getattr(conn.execute(statement, params(op, i)), fetch)()
        return run

    results: dict[str, dict[str, float]] = {}
    for op, column in zip(("lookup", "page", "insert", "upsert"), OPS):
        contenders: dict[str, Callable[[int], object]] = {"raw sqlite3": raw(op)}
        if op == "lookup":
            f = hand["lookup"]
            contenders["hand-written sqlite3 → records"] = lambda n, f=f: each(n, lambda i: f(conn, A, ids[i % n_ids]))
            contenders["plain aiosql (tuples)"] = lambda n: each(n, lambda i: plain_q["lookup"](conn, **params("lookup", i)))
            call = db.creators.find_by_id
            contenders["vesta-sql"] = lambda n: each(n, lambda i: call(account_id=A, id=ids[i % n_ids]))
        elif op == "page":
            f = hand["page"]
            contenders["hand-written sqlite3 → records"] = lambda n, f=f: each(n, lambda _: f(conn, A, PAGE))
            contenders["plain aiosql (tuples)"] = lambda n: each(n, lambda i: list(plain_q["page"](conn, **params("page", i))))
            call = db.creators.list
            contenders["vesta-sql"] = lambda n: each(n, lambda _: call(account_id=A, limit=PAGE))
        elif op == "insert":
            f = hand["insert"]
            contenders["hand-written sqlite3 → records"] = lambda n, f=f: each(
                n, lambda i: f(conn, A, post_id, "u1", f"comment {i}"))
            contenders["plain aiosql (tuples)"] = lambda n: each(n, lambda i: plain_q["insert"](conn, **params("insert", i)))
            call = db.engagement.add_comment
            contenders["vesta-sql"] = lambda n: each(
                n, lambda i: call(account_id=A, post_id=post_id, user_id="u1", body=f"comment {i}"))
        else:
            f = hand["upsert"]
            contenders["hand-written sqlite3 → records"] = lambda n, f=f: each(n, lambda _: f(conn, A, "EUR", "weekly"))
            contenders["plain aiosql (tuples)"] = lambda n: each(n, lambda i: plain_q["upsert"](conn, **params("upsert", i)))
            call = db.payment_settings.upsert
            contenders["vesta-sql"] = lambda n: each(
                n, lambda _: call(account_id=A, default_currency="EUR", payout_schedule="weekly"))
        writes = op in ("insert", "upsert")
        for kind, label in (("text", "SQLAlchemy Core text()"), ("core", "SQLAlchemy Core select/insert")):
            statement = sa[kind][op]
            make = params if kind == "text" else core_params

            def alchemy(n: int, statement: Any = statement, make: Any = make, op: str = op, writes: bool = writes) -> None:
                for i in range(n):
                    with (engine.begin() if writes else engine.connect()) as c:
                        c.execute(statement, make(op, i)).all()
            contenders[label] = alchemy
        results[column] = measure(contenders, calls=calls, rounds=rounds, clock=time.thread_time)
    db.close()
    anchor.close()
    engine.dispose()
    title = "SQLite (file, WAL), sync — CPU time of the calling thread (all the work is in-process)"
    return Table(title, "raw sqlite3", OPS, results)


async def sqlite_async(url: str, path: Path, rounds: int, calls: int) -> Table:
    import aiosqlite
    from sqlalchemy import event
    from sqlalchemy.ext.asyncio import create_async_engine

    sql = sql_of("sqlite")
    # The first connection a process opens on the file was measurably quicker at writes than
    # the later ones (aiosqlite, ~20%): an idle connection opened first keeps that edge from
    # whichever contender would otherwise happen to open first.
    anchor = await aiosqlite.connect(str(path), isolation_level=None)
    db = await vesta_sql.connect_async(url)
    ids = [c.id for c in await db.creators.list(account_id=ACCOUNT, limit=CREATORS)]
    n_ids = len(ids)
    sync_db = vesta_sql.connect(url)
    post_id = sync_db.posts.create(account_id=ACCOUNT, creator_id=ids[0], title="Async post", body="…").id
    sync_db.close()
    async def aio_connect() -> Any:
        connection = await aiosqlite.connect(str(path), isolation_level=None)
        for pragma in ("foreign_keys = on", "busy_timeout = 30000", "synchronous = normal"):
            await connection.execute(f"pragma {pragma}")
        return connection

    # one connection per contender (each with its own aiosqlite thread), as the façade has its own
    conn, hand_conn, plain_conn = await aio_connect(), await aio_connect(), await aio_connect()
    hand = sqlite_handwritten_async(sql)
    plain_q = aiosql_queries("aiosqlite")
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    event.listen(engine.sync_engine, "connect",
                 lambda dbapi, _: [dbapi.execute(f"pragma {p}") for p in ("foreign_keys = on", "busy_timeout = 30000")])
    async with engine.connect() as c:
        sa = await c.run_sync(lambda sync_conn: sqlalchemy_statements(sync_conn, "sqlite", sql))
    A = ACCOUNT

    def params(op: str, i: int) -> dict[str, Any]:
        if op == "lookup":
            return {"account_id": A, "id": ids[i % n_ids]}
        if op == "page":
            return {"account_id": A, "before_created_at": MAX_ISO, "before_id": "", "limit": PAGE}
        now = iso_now()
        if op == "insert":
            return {"account_id": A, "id": new_id(), "post_id": post_id, "user_id": "u1", "body": f"comment {i}", "now": now}
        return {"account_id": A, "id": new_id(), "default_currency": "EUR", "payout_schedule": "weekly",
                "statement_descriptor": None, "now": now}

    def core_params(op: str, i: int) -> dict[str, Any]:
        p = params(op, i)
        if op in ("insert", "upsert"):
            p["created_at"] = p.pop("now")
            if op == "upsert":
                p["updated_at"] = p["created_at"]
        return p

    results: dict[str, dict[str, float]] = {}
    for op, column in zip(("lookup", "page", "insert", "upsert"), OPS):
        statement = sql[op][0]
        f = hand[op]

        async def raw(n: int, statement: str = statement, op: str = op) -> None:
            for i in range(n):
                cursor = await conn.execute(statement, params(op, i))
                await (cursor.fetchone() if op == "lookup" else cursor.fetchall())

        async def written(n: int, f: Any = f, op: str = op) -> None:
            for i in range(n):
                if op == "lookup":
                    await f(hand_conn, A, ids[i % n_ids])
                elif op == "page":
                    await f(hand_conn, A, PAGE)
                elif op == "insert":
                    await f(hand_conn, A, post_id, "u1", f"comment {i}")
                else:
                    await f(hand_conn, A, "EUR", "weekly")

        aio_query = plain_q[op]

        async def plain(n: int, q: Any = aio_query, op: str = op) -> None:
            for i in range(n):
                if op == "page":  # aiosql's select is an async generator
                    [row async for row in q(plain_conn, **params(op, i))]
                else:
                    await q(plain_conn, **params(op, i))

        async def vesta(n: int, op: str = op) -> None:
            for i in range(n):
                if op == "lookup":
                    await db.creators.find_by_id(account_id=A, id=ids[i % n_ids])
                elif op == "page":
                    await db.creators.list(account_id=A, limit=PAGE)
                elif op == "insert":
                    await db.engagement.add_comment(account_id=A, post_id=post_id, user_id="u1", body=f"comment {i}")
                else:
                    await db.payment_settings.upsert(account_id=A, default_currency="EUR", payout_schedule="weekly")

        contenders: dict[str, Callable[[int], Any]] = {
            "raw aiosqlite": raw, "hand-written aiosqlite → records": written, "plain aiosql (tuples)": plain,
            "vesta-sql": vesta,
        }
        writes = op in ("insert", "upsert")
        for kind, label in (("text", "SQLAlchemy Core text()"), ("core", "SQLAlchemy Core select/insert")):
            make = params if kind == "text" else core_params

            async def alchemy(n: int, st: Any = sa[kind][op], make: Any = make, op: str = op, writes: bool = writes) -> None:
                for i in range(n):
                    async with (engine.begin() if writes else engine.connect()) as c:
                        (await c.execute(st, make(op, i))).all()
            contenders[label] = alchemy
        results[column] = await measure_async(contenders, calls=calls, rounds=rounds)
    await db.close()
    for connection in (conn, hand_conn, plain_conn, anchor):
        await connection.close()
    await engine.dispose()
    return Table("SQLite (file, WAL), async", "raw aiosqlite", OPS, results)


# --- Postgres -------------------------------------------------------------------------------


def pg_params(op: str, i: int, ids: list[str], post_id: str) -> dict[str, Any]:
    if op == "lookup":
        return {"account_id": ACCOUNT, "id": ids[i % len(ids)]}
    if op == "page":
        return {"account_id": ACCOUNT, "before_created_at": MAX_TIME, "before_id": "", "limit": PAGE}
    now = datetime.now(UTC)
    if op == "insert":
        return {"account_id": ACCOUNT, "id": new_id(), "post_id": post_id, "user_id": "u1", "body": f"comment {i}", "now": now}
    return {"account_id": ACCOUNT, "id": new_id(), "default_currency": "EUR", "payout_schedule": "weekly",
            "statement_descriptor": None, "now": now}


def pg_core_params(op: str, i: int, ids: list[str], post_id: str) -> dict[str, Any]:
    p = pg_params(op, i, ids, post_id)
    if op in ("insert", "upsert"):
        p["created_at"] = p.pop("now")
        if op == "upsert":
            p["updated_at"] = p["created_at"]
    return p


QUERY_NAMESPACE = {"lookup": "creators", "page": "creators", "insert": "engagement", "upsert": "payment_settings"}
SET_ACCOUNT = "select set_config('vesta.account_id', %s, false)"
SET_ACCOUNT_LOCAL = "select set_config('vesta.account_id', %s, true)"
BARE = "bare psycopg, one connection, prepared"
BARE_POOLED = "bare psycopg via PgBouncer, unprepared"
VESTA_POOLED = "vesta-sql via PgBouncer"
RECORDS = {"lookup": Creator, "page": Creator, "insert": Comment, "upsert": PaymentSettings}


def postgres_sync(app_url: str, rounds: int, calls: int, pooled_url: str | None = None) -> Table:
    import psycopg
    from psycopg_pool import ConnectionPool
    from sqlalchemy import create_engine

    sql = sql_of("postgres")
    db = vesta_sql.connect(app_url, pool_size=4)
    ids, post_id = seed(db)
    conninfo = app_url
    bare = psycopg.connect(conninfo, autocommit=True, options="-c TimeZone=UTC")
    bare.execute(SET_ACCOUNT, (ACCOUNT,))
    pool = ConnectionPool(conninfo, min_size=4, max_size=4, open=True,
                          kwargs={"autocommit": True, "options": "-c TimeZone=UTC", "prepare_threshold": None})
    pool.wait()
    plain_q = aiosql_queries("psycopg")
    plain_conn = psycopg.connect(conninfo, autocommit=True, options="-c TimeZone=UTC")
    plain_conn.execute(SET_ACCOUNT, (ACCOUNT,))
    engine = create_engine(app_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT",
                           pool_size=4, connect_args={"options": f"-c TimeZone=UTC -c vesta.account_id={ACCOUNT}"})
    sa = sqlalchemy_statements(engine, "postgres", sql)
    prepared_db = vesta_sql.connect(app_url, pool_size=4, prepared_statements=True)
    pooled_db = vesta_sql.connect(pooled_url, pool_size=4) if pooled_url else None
    bare_pooled = psycopg.connect(pooled_url, autocommit=True, prepare_threshold=None) if pooled_url else None

    def handwritten(op: str) -> Callable[..., Any]:
        statement, record = sql[op][0], RECORDS[op]
        many = op == "page"

        def call(account_id: str, params: dict[str, Any]) -> Any:
            # getconn/putconn, not `pool.connection()`: its `with conn:` ends in `commit()`, an extra
            # round trip per call even in autocommit (measured: 2 server waits per call instead of 1)
            conn = pool.getconn()
            try:
                with conn.pipeline():  # pooler-safe: the transaction-local setting and the statement, one Sync
                    conn.execute(SET_ACCOUNT_LOCAL, (account_id,))
                    cursor = conn.execute(statement, params)
                rows = cursor.fetchall()
            finally:
                pool.putconn(conn)
            if many:
                return [record(*row) for row in rows]
            return record(*rows[0]) if rows else None
        return call

    results: dict[str, dict[str, float]] = {}
    for op, column in zip(("lookup", "page", "insert", "upsert"), OPS):
        statement = sql[op][0]
        hw = handwritten(op)
        aio_query = plain_q[op]
        vesta_call = {"lookup": db.creators.find_by_id, "page": db.creators.list, "insert": db.engagement.add_comment,
                      "upsert": db.payment_settings.upsert}[op]

        def vesta_kwargs(i: int, op: str = op) -> dict[str, Any]:
            if op == "lookup":
                return {"id": ids[i % len(ids)]}
            if op == "page":
                return {"limit": PAGE}
            if op == "insert":
                return {"post_id": post_id, "user_id": "u1", "body": f"comment {i}"}
            return {"default_currency": "EUR", "payout_schedule": "weekly"}

        def bare_run(n: int, statement: str = statement, op: str = op) -> None:
            for i in range(n):
                bare.execute(statement, pg_params(op, i, ids, post_id), prepare=True).fetchall()

        prepared_call = getattr(getattr(prepared_db, QUERY_NAMESPACE[op]), vesta_call.__name__)

        def bare_pooled_run(n: int, statement: str = statement, op: str = op) -> None:
            assert bare_pooled is not None
            for i in range(n):
                with bare_pooled.pipeline():  # the setting and the statement under one Sync
                    bare_pooled.execute(SET_ACCOUNT_LOCAL, (ACCOUNT,))
                    cursor = bare_pooled.execute(statement, pg_params(op, i, ids, post_id))
                cursor.fetchall()

        contenders: dict[str, Callable[[int], object]] = {
            BARE: bare_run,
            "hand-written psycopg (pool, setting pipelined) → records":
                lambda n, hw=hw, op=op: each(n, lambda i: hw(ACCOUNT, pg_params(op, i, ids, post_id))),
            "plain aiosql, one connection (tuples)":
                lambda n, q=aio_query, op=op: each(n, lambda i: list(q(plain_conn, **pg_params(op, i, ids, post_id)))
                                                   if op == "page" else q(plain_conn, **pg_params(op, i, ids, post_id))),
            "vesta-sql": lambda n, call=vesta_call, kw=vesta_kwargs: each(n, lambda i: call(account_id=ACCOUNT, **kw(i))),
            "vesta-sql, prepared": lambda n, call=prepared_call, kw=vesta_kwargs: each(
                n, lambda i: call(account_id=ACCOUNT, **kw(i))),
        }
        if pooled_db is not None:
            pooled_call = getattr(getattr(pooled_db, QUERY_NAMESPACE[op]), vesta_call.__name__)
            contenders[BARE_POOLED] = bare_pooled_run
            contenders[VESTA_POOLED] = lambda n, call=pooled_call, kw=vesta_kwargs: each(
                n, lambda i: call(account_id=ACCOUNT, **kw(i)))
        for kind, label in (("text", "SQLAlchemy Core text()"), ("core", "SQLAlchemy Core select/insert")):
            make = pg_params if kind == "text" else pg_core_params

            def alchemy(n: int, st: Any = sa[kind][op], make: Any = make, op: str = op) -> None:
                for i in range(n):
                    with engine.connect() as c:
                        c.execute(st, make(op, i, ids, post_id)).all()
            contenders[label] = alchemy
        results[column] = measure(contenders, calls=calls, rounds=rounds)
    for closing in (db, pool, bare, plain_conn, prepared_db, pooled_db, bare_pooled):
        if closing is not None:
            closing.close()
    engine.dispose()
    return Table("Postgres (unix socket, app role, RLS on), sync", BARE, OPS, results)


async def postgres_async(app_url: str, rounds: int, calls: int, pooled_url: str | None = None) -> Table:
    import psycopg
    from psycopg_pool import AsyncConnectionPool
    from sqlalchemy.ext.asyncio import create_async_engine

    sql = sql_of("postgres")
    db = await vesta_sql.connect_async(app_url, pool_size=4)
    ids = [c.id for c in await db.creators.list(account_id=ACCOUNT, limit=CREATORS)]
    post_id = (await db.posts.create(account_id=ACCOUNT, creator_id=ids[0], title="Async post", body="…")).id
    bare = await psycopg.AsyncConnection.connect(app_url, autocommit=True, options="-c TimeZone=UTC")
    await bare.execute(SET_ACCOUNT, (ACCOUNT,))
    pool = AsyncConnectionPool(app_url, min_size=4, max_size=4, open=False,
                               kwargs={"autocommit": True, "options": "-c TimeZone=UTC", "prepare_threshold": None})
    await pool.open(wait=True)
    plain_q = aiosql_queries("apsycopg")
    plain_conn = await psycopg.AsyncConnection.connect(app_url, autocommit=True, options="-c TimeZone=UTC")
    await plain_conn.execute(SET_ACCOUNT, (ACCOUNT,))
    engine = create_async_engine(app_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT",
                                 pool_size=4, connect_args={"options": f"-c TimeZone=UTC -c vesta.account_id={ACCOUNT}"})
    async with engine.connect() as c:
        sa = await c.run_sync(lambda sync_conn: sqlalchemy_statements(sync_conn, "postgres", sql))
    prepared_db = await vesta_sql.connect_async(app_url, pool_size=4, prepared_statements=True)
    pooled_db = await vesta_sql.connect_async(pooled_url, pool_size=4) if pooled_url else None
    bare_pooled = (await psycopg.AsyncConnection.connect(pooled_url, autocommit=True, prepare_threshold=None)
                   if pooled_url else None)

    def handwritten(op: str) -> Callable[..., Any]:
        statement, record = sql[op][0], RECORDS[op]
        many = op == "page"

        async def call(account_id: str, params: dict[str, Any]) -> Any:
            conn = await pool.getconn()  # see the sync twin: `pool.connection()` adds a COMMIT round trip
            try:
                async with conn.pipeline():
                    await conn.execute(SET_ACCOUNT_LOCAL, (account_id,))
                    cursor = await conn.execute(statement, params)
                rows = await cursor.fetchall()
            finally:
                await pool.putconn(conn)
            if many:
                return [record(*row) for row in rows]
            return record(*rows[0]) if rows else None
        return call

    results: dict[str, dict[str, float]] = {}
    for op, column in zip(("lookup", "page", "insert", "upsert"), OPS):
        statement = sql[op][0]
        hw = handwritten(op)
        aio_query = plain_q[op]
        vesta_call = {"lookup": db.creators.find_by_id, "page": db.creators.list, "insert": db.engagement.add_comment,
                      "upsert": db.payment_settings.upsert}[op]

        def vesta_kwargs(i: int, op: str = op) -> dict[str, Any]:
            if op == "lookup":
                return {"id": ids[i % len(ids)]}
            if op == "page":
                return {"limit": PAGE}
            if op == "insert":
                return {"post_id": post_id, "user_id": "u1", "body": f"comment {i}"}
            return {"default_currency": "EUR", "payout_schedule": "weekly"}

        async def bare_run(n: int, statement: str = statement, op: str = op) -> None:
            for i in range(n):
                await (await bare.execute(statement, pg_params(op, i, ids, post_id), prepare=True)).fetchall()

        async def written(n: int, hw: Any = hw, op: str = op) -> None:
            for i in range(n):
                await hw(ACCOUNT, pg_params(op, i, ids, post_id))

        async def plain(n: int, q: Any = aio_query, op: str = op) -> None:
            for i in range(n):
                if op == "page":  # aiosql's select is an async generator
                    [row async for row in q(plain_conn, **pg_params(op, i, ids, post_id))]
                else:
                    await q(plain_conn, **pg_params(op, i, ids, post_id))

        async def vesta(n: int, call: Any = vesta_call, kw: Any = vesta_kwargs) -> None:
            for i in range(n):
                await call(account_id=ACCOUNT, **kw(i))

        async def bare_pooled_run(n: int, statement: str = statement, op: str = op) -> None:
            assert bare_pooled is not None
            for i in range(n):
                async with bare_pooled.pipeline():
                    await bare_pooled.execute(SET_ACCOUNT_LOCAL, (ACCOUNT,))
                    cursor = await bare_pooled.execute(statement, pg_params(op, i, ids, post_id))
                await cursor.fetchall()

        prepared_call = getattr(getattr(prepared_db, QUERY_NAMESPACE[op]), vesta_call.__name__)
        contenders: dict[str, Callable[[int], Any]] = {
            BARE: bare_run,
            "hand-written psycopg (pool, setting pipelined) → records": written,
            "plain aiosql, one connection (tuples)": plain,
            "vesta-sql": vesta,
            "vesta-sql, prepared": lambda n, call=prepared_call, kw=vesta_kwargs: vesta(n, call, kw),
        }
        if pooled_db is not None:
            pooled_call = getattr(getattr(pooled_db, QUERY_NAMESPACE[op]), vesta_call.__name__)
            contenders[BARE_POOLED] = bare_pooled_run
            contenders[VESTA_POOLED] = lambda n, call=pooled_call, kw=vesta_kwargs: vesta(n, call, kw)
        for kind, label in (("text", "SQLAlchemy Core text()"), ("core", "SQLAlchemy Core select/insert")):
            make = pg_params if kind == "text" else pg_core_params

            async def alchemy(n: int, st: Any = sa[kind][op], make: Any = make, op: str = op) -> None:
                for i in range(n):
                    async with engine.connect() as c:
                        (await c.execute(st, make(op, i, ids, post_id))).all()
            contenders[label] = alchemy
        results[column] = await measure_async(contenders, calls=calls, rounds=rounds)
    for closing in (db, pool, bare, plain_conn, prepared_db, pooled_db, bare_pooled):
        if closing is not None:
            await closing.close()
    await engine.dispose()
    return Table("Postgres (unix socket, app role, RLS on), async", BARE, OPS, results)


@contextlib.contextmanager
def pgbouncer_for(pg: Any, skip: bool) -> Iterator[str | None]:
    """The app role's URL through a PgBouncer in transaction mode (the one the tests start)."""
    if skip:
        yield None
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.pgbouncer import start_pgbouncer

    name = urlsplit(pg.app_url).path.lstrip("/")
    with start_pgbouncer(pg.app_url, {name: f"dbname={name}"}, {APP_ROLE: APP_PASSWORD},
                         ignore_startup_parameters="extra_float_digits,options") as bouncer:
        yield bouncer.url(name, APP_ROLE, APP_PASSWORD)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--only", choices=["sqlite", "postgres", "sqlite-sync", "sqlite-async",
                                           "postgres-sync", "postgres-async"])
    parser.add_argument("--quick", action="store_true", help="fewer calls per round (a smoke run)")
    parser.add_argument("--no-pooler", action="store_true", help="skip the contenders through PgBouncer")
    args = parser.parse_args()
    scale = 0.2 if args.quick else 1.0
    only = args.only or ""
    tables: list[tuple[Table, list[tuple[str, str, str]]]] = []
    if not only or only.startswith("sqlite"):
        with sqlite_database() as (url, path):
            ratios = [("vesta-sql / hand-written", "vesta-sql", "hand-written sqlite3 → records"),
                      ("vesta-sql / SQLAlchemy Core select", "vesta-sql", "SQLAlchemy Core select/insert")]
            if only in ("", "sqlite", "sqlite-sync"):
                tables.append((sqlite_sync(url, path, args.rounds, int(2000 * scale)), ratios))
                print(tables[-1][0].render(tables[-1][1]), flush=True)
            if only in ("", "sqlite", "sqlite-async"):
                if only == "sqlite-async":
                    vesta_sql.connect(url).close()
                    seed_db = vesta_sql.connect(url)
                    seed(seed_db)
                    seed_db.close()
                ratios = [("vesta-sql / hand-written", "vesta-sql", "hand-written aiosqlite → records"),
                          ("vesta-sql / SQLAlchemy Core select", "vesta-sql", "SQLAlchemy Core select/insert")]
                tables.append((asyncio.run(sqlite_async(url, path, args.rounds, int(300 * scale))), ratios))
                print(tables[-1][0].render(tables[-1][1]), flush=True)
    if not only or only.startswith("postgres"):
        with postgres_database() as pg, pgbouncer_for(pg, args.no_pooler) as pooled_url:
            ratios = [("vesta-sql / hand-written", "vesta-sql", "hand-written psycopg (pool, setting pipelined) → records"),
                      ("vesta-sql / SQLAlchemy Core select", "vesta-sql", "SQLAlchemy Core select/insert"),
                      ("vesta-sql, prepared / vesta-sql", "vesta-sql, prepared", "vesta-sql")]
            if pooled_url:
                ratios.append(("via PgBouncer: vesta-sql / bare psycopg", VESTA_POOLED, BARE_POOLED))
            if only in ("", "postgres", "postgres-sync"):
                tables.append((postgres_sync(pg.app_url, args.rounds, int(300 * scale), pooled_url), ratios))
                print(tables[-1][0].render(tables[-1][1]), flush=True)
            if only in ("", "postgres", "postgres-async"):
                if only == "postgres-async":
                    seed_db = vesta_sql.connect(pg.app_url)
                    seed(seed_db)
                    seed_db.close()
                tables.append((asyncio.run(postgres_async(pg.app_url, args.rounds, int(300 * scale), pooled_url)), ratios))
                print(tables[-1][0].render(tables[-1][1]), flush=True)


if __name__ == "__main__":
    main()
