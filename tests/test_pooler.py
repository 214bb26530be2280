"""Through a real PgBouncer in transaction mode: a plain `connect(url)` works, nothing rides on
the session, and many accounts sharing two server connections never see each other's rows."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest

import vesta_sql
from vesta_sql import OperationalError, QueryTimeout
from vesta_sql.runtime import QueryEvent

from .conftest import APP_ROLE, ELSEWHERE
from .pgbouncer import DEFAULT_POOL_SIZE, PgBouncer, start_pgbouncer

SLOW = Path(__file__).parent / "sql" / "slow"
TENANT_TABLES = ["creators", "posts", "stripe_payments", "payment_shares", "payment_system_logs", "smart_links"]


def raw(url: str) -> psycopg.Connection[Any]:
    """A bare app-role connection, at psycopg's defaults but without prepared statements (PgBouncer 1.18)."""
    return psycopg.connect(url, autocommit=True, prepare_threshold=None)


def vector(seed: int) -> Any:
    v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
    return v / np.linalg.norm(v)


def test_timestamps_come_back_in_utc_when_the_session_is_elsewhere(pgbouncer: PgBouncer, acct: str) -> None:
    url = pgbouncer.url(ELSEWHERE, APP_ROLE, "app-secret")
    with raw(url) as conn:
        assert conn.execute("show timezone").fetchone() == ("Asia/Kolkata",)  # the test means something
    slug = f"utc-{uuid.uuid4().hex[:8]}"
    with vesta_sql.connect(url) as db:
        made: Any = db.creators.create(account_id=acct, name="U", slug=slug, email=f"{slug}@x.io")  # utcoffset() may be None
        found: Any = db.creators.find_by_id(account_id=acct, id=made.id)
    assert made.created_at.utcoffset().total_seconds() == 0 and found.created_at.utcoffset().total_seconds() == 0
    assert found.created_at == made.created_at

    async def scenario() -> Any:
        adb = await vesta_sql.connect_async(url)
        try:
            return await adb.creators.find_by_id(account_id=acct, id=made.id)
        finally:
            await adb.close()

    again = asyncio.run(scenario())
    assert again.created_at.utcoffset().total_seconds() == 0 and again.created_at == made.created_at


def test_statement_timeout_holds_through_the_pooler(pooled_url: str, acct: str) -> None:
    db: Any  # `slow` is a test query: the stubs do not know it
    with vesta_sql.connect(pooled_url, statement_timeout_ms=100, extra_queries=[SLOW]) as db:
        with pytest.raises(QueryTimeout, match=r"slow\.spin"):
            db.slow.spin(account_id=acct)
        with pytest.raises(QueryTimeout, match=r"slow\.spin"):
            with db.transaction(account_id=acct) as tx:
                tx.slow.spin()
        assert db.creators.find_by_id(account_id=acct, id="nope") is None

    async def scenario() -> None:
        adb: Any = await vesta_sql.connect_async(pooled_url, statement_timeout_ms=100, extra_queries=[SLOW])
        try:
            with pytest.raises(QueryTimeout):
                await adb.slow.spin(account_id=acct)
        finally:
            await adb.close()

    asyncio.run(scenario())
    with raw(pooled_url) as conn:  # the limit was the call's, not the server session's
        assert {conn.execute("show statement_timeout").fetchone() for _ in range(2 * DEFAULT_POOL_SIZE)} == {("0",)}


def test_pgbouncer_defaults(postgres: Any, pg_urls: tuple[str, str], acct: str) -> None:
    """At PgBouncer's defaults a plain URL works; a URL carrying `options` gets an error naming the fix."""
    with start_pgbouncer(postgres.admin_url, {"vesta_facade": "dbname=vesta_facade"}, {APP_ROLE: "app-secret"},
                         ignore_startup_parameters=None) as bouncer:
        url = bouncer.url("vesta_facade", APP_ROLE, "app-secret")
        with vesta_sql.connect(url) as db:
            assert db.creators.find_by_id(account_id=acct, id="nope") is None
        with pytest.raises(OperationalError) as caught:
            vesta_sql.connect(url + "?options=-c%20work_mem%3D8MB", pool_timeout_s=2)
        message = str(caught.value)
        assert "PgBouncer" in message and "ignore_startup_parameters = extra_float_digits,options" in message
        assert "app-secret" not in message

        async def scenario() -> str:
            with pytest.raises(OperationalError) as failed:
                await vesta_sql.connect_async(url + "?options=-c%20work_mem%3D8MB", pool_timeout_s=2)
            return str(failed.value)

        assert "ignore_startup_parameters" in asyncio.run(scenario())


ACCOUNTS = 4
THREADS_PER_ACCOUNT = 2
TASKS = 16
ROUNDS_SYNC = 40
ROUNDS_ASYNC = 20


class Tally:
    """What the workers saw: errors by kind, own rows missing, calls made."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.errors: Counter[str] = Counter()
        self.missing = 0
        self.foreign = 0
        self.calls = 0

    def hook(self, event: QueryEvent) -> None:
        with self.lock:
            self.calls += 1

    def error(self, exc: BaseException) -> None:
        with self.lock:
            self.errors[f"{type(exc).__name__}: {exc}"] += 1

    def check(self, account: str, expected: set[str], seen: list[Any]) -> None:
        ids = {row.id for row in seen}
        with self.lock:
            self.missing += len(expected - ids)
            self.foreign += sum(1 for row in seen if row.account_id != account)


def sync_worker(db: Any, account: str, worker: int, tally: Tally) -> None:
    slug = f"w{worker}-{uuid.uuid4().hex[:8]}"
    creator = db.creators.create(account_id=account, name="W", slug=slug, email=f"{slug}@x.io")
    mine: set[str] = {creator.id}
    for i in range(ROUNDS_SYNC):
        try:
            step = i % 5
            if step == 0:
                made = db.creators.create(account_id=account, name="W", slug=f"{slug}-{i}", email=f"{slug}-{i}@x.io")
                mine.add(made.id)
                found = db.creators.find_by_id(account_id=account, id=made.id)
                tally.check(account, {made.id}, [] if found is None else [found])
            elif step == 1:
                tally.check(account, mine, db.creators.list(account_id=account, limit=500))
            elif step == 2:
                with db.transaction(account_id=account) as tx:
                    post = tx.posts.create(creator_id=creator.id, title=f"t{i}", body="words here", embedding=vector(i))
                    tally.check(account, {post.id}, [tx.posts.find_by_id(id=post.id)])
            elif step == 3:
                paid = db.stripe_payments.record(account_id=account, stripe_payment_intent_id=f"pi-{slug}-{i}",
                                                 amount=1000, currency="EUR", status="succeeded")
                shares = db.payment_shares.split(account_id=account, payment_id=paid.id,
                                                 shares=[{"recipient_id": "r1", "amount": 600},
                                                         {"recipient_id": "r2", "amount": 400}])
                tally.check(account, {share.id for share in shares},
                            db.payment_shares.list_by_payment(account_id=account, payment_id=paid.id))
            else:
                hits = db.posts.search_hybrid(account_id=account, text="words", embedding=vector(i), k=5)
                tally.check(account, {hit.id for hit in hits},
                            [db.posts.find_by_id(account_id=account, id=hit.id) for hit in hits])
        except Exception as exc:  # counted, and the test fails on any
            tally.error(exc)


async def async_worker(db: Any, account: str, worker: int, tally: Tally) -> None:
    slug = f"a{worker}-{uuid.uuid4().hex[:8]}"
    creator = await db.creators.create(account_id=account, name="A", slug=slug, email=f"{slug}@x.io")
    mine: set[str] = {creator.id}
    for i in range(ROUNDS_ASYNC):
        try:
            step = i % 4
            if step == 0:
                made = await db.creators.create(account_id=account, name="A", slug=f"{slug}-{i}", email=f"{slug}-{i}@x.io")
                mine.add(made.id)
                tally.check(account, mine, await db.creators.list(account_id=account, limit=500))
            elif step == 1:
                async with db.transaction(account_id=account) as tx:
                    post = await tx.posts.create(creator_id=creator.id, title=f"t{i}", body="words", embedding=vector(i))
                    tally.check(account, {post.id}, [await tx.posts.find_by_id(id=post.id)])
            elif step == 2:
                paid = await db.stripe_payments.record(account_id=account, stripe_payment_intent_id=f"pi-{slug}-{i}",
                                                       amount=500, currency="EUR", status="succeeded")
                shares = await db.payment_shares.split(account_id=account, payment_id=paid.id,
                                                       shares=[{"recipient_id": "r1", "amount": 500}])
                tally.check(account, {share.id for share in shares},
                            await db.payment_shares.list_by_payment(account_id=account, payment_id=paid.id))
            else:
                await db.posts.search_similar(account_id=account, embedding=vector(i), k=5)
        except Exception as exc:
            tally.error(exc)


def test_many_accounts_through_two_server_connections(pooled_url: str) -> None:
    accounts = [f"acc_pool_{uuid.uuid4().hex[:10]}" for _ in range(ACCOUNTS)]
    tally = Tally()
    pool_size = 3 * DEFAULT_POOL_SIZE  # each client pool alone is larger than the server pool
    # 24 workers queue for 2 server connections: on a loaded machine a wait for a client
    # connection can pass the default 10 s; this test is about whose rows come back, not latency
    wait_s = 120.0
    db = vesta_sql.connect(pooled_url, pool_size=pool_size, pool_timeout_s=wait_s)
    for account in accounts:
        db.accounts.register(account_id=account)
    db.add_hook(tally.hook)

    async def run_async() -> None:
        adb = await vesta_sql.connect_async(pooled_url, pool_size=pool_size, pool_timeout_s=wait_s)
        adb.add_hook(tally.hook)
        try:
            await asyncio.gather(*(async_worker(adb, accounts[n % ACCOUNTS], n, tally) for n in range(TASKS)))
        finally:
            await adb.close()

    try:
        threads = [threading.Thread(target=sync_worker, args=(db, account, n, tally))
                   for n, account in enumerate(accounts * THREADS_PER_ACCOUNT)]
        async_thread = threading.Thread(target=lambda: asyncio.run(run_async()))
        for thread in [*threads, async_thread]:
            thread.start()
        for thread in [*threads, async_thread]:
            thread.join()
    finally:
        db.close()
    print(f"\nthrough PgBouncer: {tally.calls} calls, {sum(tally.errors.values())} errors, "
          f"{tally.missing} own rows missing, {tally.foreign} foreign rows")
    assert dict(tally.errors) == {}
    assert tally.missing == 0 and tally.foreign == 0
    assert tally.calls >= 1000

    # Afterwards, a raw app-role statement with no account setting sees no tenant row,
    # whichever server connection PgBouncer gives it.
    connections = [raw(pooled_url) for _ in range(2 * DEFAULT_POOL_SIZE)]
    try:
        for conn in connections:
            for table in TENANT_TABLES:
                assert conn.execute(f"select count(*) from {table}").fetchone() == (0,), table
            assert conn.execute("select current_setting('vesta.account_id', true)").fetchone() in ((None,), ("",))
            # nor a search's scan settings (transaction-local, sent in the search's one implicit transaction)
            assert conn.execute("select current_setting('plan_cache_mode'), "
                                "coalesce(current_setting('hnsw.ef_search', true), '40')").fetchone() == ("auto", "40")
    finally:
        for conn in connections:
            conn.close()
