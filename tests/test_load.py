"""Reliability under load: concurrent writers, a busy pool, killed connections, exactly-once outcomes.

These are correctness tests, not timings: each is bounded in calls and time and runs on
loopback only (a SQLite file, the embedded Postgres).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest

import vesta_sql
from vesta_sql import OperationalError

from .conftest import APP_ROLE

WRITERS, INSERTS_PER_WRITER, READERS = 4, 5_000, 2


# --- SQLite: several processes on one file -----------------------------------------------


def _sqlite_writer(url: str, account: str, post_id: str, writer: int, results: Any) -> None:
    errors: list[str] = []
    written = 0
    db = vesta_sql.connect(url)
    try:
        for i in range(INSERTS_PER_WRITER):
            try:
                written += db.engagement.like(account_id=account, post_id=post_id, user_id=f"w{writer}-{i}")
            except Exception as exc:  # every error is a failure of the test: report it, keep going
                errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        db.close()
    results.put(("writer", written, errors[:5], len(errors)))


def _sqlite_reader(url: str, account: str, post_id: str, stop: Any, results: Any) -> None:
    errors: list[str] = []
    reads = 0
    db = vesta_sql.connect(url)
    try:
        while not stop.is_set():
            try:
                db.engagement.counts(account_id=account, post_ids=[post_id])
                db.engagement.has_liked(account_id=account, post_id=post_id, user_id="w0-0")
                reads += 2
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        db.close()
    results.put(("reader", reads, errors[:5], len(errors)))


def test_sqlite_concurrent_writer_processes(sqlite_url: str, acct: str, uniq: Callable[[str], str]) -> None:
    with vesta_sql.connect(sqlite_url) as db:
        creator = db.creators.create(account_id=acct, name="Load", slug=uniq("load"), email="l@x.io")
        post_id = db.posts.create(account_id=acct, creator_id=creator.id, title="busy post").id
    ctx = multiprocessing.get_context("spawn")  # the test process has threads: never fork it
    results, stop = ctx.Queue(), ctx.Event()
    writers = [ctx.Process(target=_sqlite_writer, args=(sqlite_url, acct, post_id, k, results)) for k in range(WRITERS)]
    readers = [ctx.Process(target=_sqlite_reader, args=(sqlite_url, acct, post_id, stop, results)) for _ in range(READERS)]
    for process in readers + writers:
        process.start()
    try:
        outcomes = [results.get(timeout=120) for _ in writers]
    finally:
        stop.set()
    outcomes += [results.get(timeout=30) for _ in readers]
    for process in readers + writers:
        process.join(timeout=30)
        assert process.exitcode == 0
    failures = [(kind, count, sample) for kind, _, sample, count in outcomes if count]
    assert failures == [], f"errors reached the callers: {failures}"
    assert sum(n for kind, n, _, _ in outcomes if kind == "writer") == WRITERS * INSERTS_PER_WRITER
    assert all(n > 0 for kind, n, _, _ in outcomes if kind == "reader")
    with vesta_sql.connect(sqlite_url) as db:
        counts = db.engagement.counts(account_id=acct, post_ids=[post_id])
    assert counts[0].likes == WRITERS * INSERTS_PER_WRITER


# --- Postgres: many tasks through one pool ------------------------------------------------


def _accounts(acct: str, n: int) -> list[str]:
    return [f"{acct}_{k}" for k in range(n)]


async def _posts(db: Any, accounts: list[str], uniq: Callable[[str], str]) -> dict[str, str]:
    posts = {}
    for account in accounts:
        await db.accounts.register(account_id=account)
        creator = await db.creators.create(account_id=account, name="Load", slug=uniq("load"), email="l@x.io")
        posts[account] = (await db.posts.create(account_id=account, creator_id=creator.id, title="busy")).id
    return posts


def test_postgres_many_tasks_through_the_pool(pg_urls: tuple[str, str], acct: str, uniq: Callable[[str], str]) -> None:
    tasks, calls = 64, 200

    async def scenario() -> None:
        db = await vesta_sql.connect_async(pg_urls[1], pool_size=16)
        try:
            accounts = _accounts(acct, 8)
            posts = await _posts(db, accounts, uniq)
            likes: Counter[str] = Counter()
            comments: dict[str, set[str]] = {account: set() for account in accounts}

            async def worker(task: int) -> None:
                account = accounts[task % len(accounts)]
                post_id = posts[account]
                for i in range(calls):
                    kind = i % 4
                    if kind == 0:
                        assert await db.engagement.like(account_id=account, post_id=post_id, user_id=f"t{task}-{i}") == 1
                        likes[account] += 1
                    elif kind == 1:
                        assert await db.engagement.has_liked(account_id=account, post_id=post_id, user_id=f"t{task}-{i - 1}") == 1
                    elif kind == 2:
                        comment = await db.engagement.add_comment(account_id=account, post_id=post_id, user_id=f"t{task}",
                                                                  body=f"comment {i}")
                        comments[account].add(comment.id)
                    else:
                        page = await db.engagement.list_comments(account_id=account, post_id=post_id, limit=5)
                        assert all(c.account_id == account for c in page)

            started = time.monotonic()
            await asyncio.gather(*(worker(task) for task in range(tasks)))
            assert time.monotonic() - started < 60
            for account in accounts:
                [count] = await db.engagement.counts(account_id=account, post_ids=[posts[account]])
                assert (count.likes, count.comments) == (likes[account], len(comments[account]))
                seen: set[str] = set()
                before: dict[str, Any] = {}
                while True:  # every comment written is there, and only this account's
                    page = await db.engagement.list_comments(account_id=account, post_id=posts[account], limit=50, **before)
                    seen.update(c.id for c in page)
                    if len(page) < 50:
                        break
                    before = {"before_created_at": page[-1].created_at, "before_id": page[-1].id}
                assert seen == comments[account]
            assert sum(likes.values()) == tasks * calls // 4
        finally:
            await db.close()

    asyncio.run(scenario())


def _kill_app_connections(owner_url: str) -> int:
    """Terminate every app-role backend; return once they are gone (termination is asynchronous)."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        pids = [row[0] for row in conn.execute("select pid from pg_stat_activity where usename = %s", (APP_ROLE,))]
        conn.execute("select pg_terminate_backend(pid) from unnest(%s::int[]) as pid", (pids,))
        deadline = time.monotonic() + 5
        while conn.execute("select count(*) from pg_stat_activity where pid = any(%s)", (pids,)).fetchone() != (0,):
            assert time.monotonic() < deadline, "killed backends did not exit"
            time.sleep(0.01)
    return len(pids)


def test_postgres_pool_recovers_when_its_connections_are_killed(pg_urls: tuple[str, str], acct: str,
                                                                uniq: Callable[[str], str]) -> None:
    owner_url, app_url = pg_urls

    async def scenario() -> None:
        db = await vesta_sql.connect_async(app_url, pool_size=8)
        try:
            accounts = _accounts(acct, 4)
            posts = await _posts(db, accounts, uniq)
            outcomes: list[tuple[float, float, str | None]] = []  # (started, ended, error class)
            stop_at = time.monotonic() + 3.0

            async def worker(task: int) -> None:
                account = accounts[task % len(accounts)]
                i = 0
                while time.monotonic() < stop_at:
                    i += 1
                    started = time.monotonic()
                    try:
                        if i % 2:
                            await db.engagement.like(account_id=account, post_id=posts[account], user_id=f"k{task}-{i}")
                        else:
                            await db.engagement.has_liked(account_id=account, post_id=posts[account], user_id="nobody")
                        outcomes.append((started, time.monotonic(), None))
                    except Exception as exc:
                        outcomes.append((started, time.monotonic(), type(exc).__name__))
                        if not isinstance(exc, OperationalError):
                            raise

            async def killer() -> tuple[float, float]:
                await asyncio.sleep(0.8)
                killed_at = time.monotonic()
                assert await asyncio.to_thread(_kill_app_connections, owner_url) > 0
                return killed_at, time.monotonic()

            _, (killed_at, gone_at) = await asyncio.gather(asyncio.gather(*(worker(task) for task in range(16))), killer())
            failed = [(s, e, err) for s, e, err in outcomes if err]
            assert {err for _, _, err in failed} <= {"OperationalError"}
            assert all(e - killed_at < 5.0 for _, e, _ in failed), "a call in flight took more than 5 s to fail"
            # only calls in flight while the backends were dying may fail; none started afterwards
            assert all(s <= gone_at for s, _, _ in failed), "a call started after the killed backends exited failed"
            later = [o for o in outcomes if o[0] > gone_at]
            assert len(later) > 50 and all(err is None for _, _, err in later)

            # killed while idle: nothing in flight, and no call afterwards may fail
            assert await asyncio.to_thread(_kill_app_connections, owner_url) > 0
            account = accounts[0]
            for i in range(40):
                assert await db.engagement.like(account_id=account, post_id=posts[account], user_id=f"idle-{i}") == 1
            assert await db.engagement.has_liked(account_id=account, post_id=posts[account], user_id="idle-39") == 1
        finally:
            await db.close()

    asyncio.run(scenario())


def test_postgres_sync_pool_drops_dead_idle_connections(pg_urls: tuple[str, str], acct: str,
                                                        uniq: Callable[[str], str]) -> None:
    owner_url, app_url = pg_urls
    with vesta_sql.connect(app_url, pool_size=4) as db:
        creator = db.creators.create(account_id=acct, name="Load", slug=uniq("load"), email="l@x.io")
        post = db.posts.create(account_id=acct, creator_id=creator.id, title="p")
        with ThreadPoolExecutor(4) as pool:  # open several connections
            list(pool.map(lambda i: db.engagement.like(account_id=acct, post_id=post.id, user_id=f"warm-{i}"), range(40)))
        assert _kill_app_connections(owner_url) > 0
        for i in range(20):  # the first calls after the kill get live connections
            assert db.engagement.like(account_id=acct, post_id=post.id, user_id=f"after-{i}") == 1
        assert db.engagement.counts(account_id=acct, post_ids=[post.id])[0].likes == 60


# --- exactly-once outcomes under concurrency -------------------------------------------------


def test_concurrent_redeems_and_payment_records_postgres(pg_urls: tuple[str, str], acct: str) -> None:
    codes = [f"CODE-{k}" for k in range(10)]

    async def scenario() -> None:
        db = await vesta_sql.connect_async(pg_urls[1], pool_size=16)
        try:
            for code in codes:
                await db.purchase_codes.create(account_id=acct, code=code)

            async def redeem(task: int, code: str) -> tuple[str, str | None] | None:
                record = await db.purchase_codes.redeem(account_id=acct, code=code, redeemed_by=f"user-{task}")
                return None if record is None else (code, record.redeemed_by)

            results = await asyncio.gather(*(redeem(task, code) for task in range(16) for code in codes))
            winners = [r for r in results if r is not None]
            assert sorted(code for code, _ in winners) == codes  # each code exactly once
            for code, who in winners:
                stored_code = await db.purchase_codes.find(account_id=acct, code=code)
                assert stored_code is not None and stored_code.redeemed_by == who

            async def record(task: int) -> str:
                payment = await db.stripe_payments.record(account_id=acct, stripe_payment_intent_id=f"pi_{acct}",
                                                          amount=1000 + task, currency="EUR", status="succeeded")
                return str(payment.id)

            ids = await asyncio.gather(*(record(task) for task in range(48)))
            assert len(set(ids)) == 1
            stored = await db.stripe_payments.find_by_intent(account_id=acct, stripe_payment_intent_id=f"pi_{acct}")
            assert stored is not None and stored.id == ids[0]
            totals = await db.stripe_payments.totals(account_id=acct, created_from=stored.created_at)
            assert [(t.payment_count, t.amount_total) for t in totals] == [(1, stored.amount)]
        finally:
            await db.close()

    asyncio.run(scenario())


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_concurrent_redeems_and_payment_records_sqlite(sqlite_url: str, acct: str, flavour: str) -> None:
    codes = [f"CODE-{k}" for k in range(10)]
    if flavour == "sync":
        with vesta_sql.connect(sqlite_url) as db:
            for code in codes:
                db.purchase_codes.create(account_id=acct, code=code)
            with ThreadPoolExecutor(8) as pool:
                redeemed = list(pool.map(lambda job: db.purchase_codes.redeem(
                    account_id=acct, code=job[1], redeemed_by=f"user-{job[0]}"), [(t, c) for t in range(8) for c in codes]))
                ids = list(pool.map(lambda task: db.stripe_payments.record(
                    account_id=acct, stripe_payment_intent_id=f"pi_{acct}", amount=100 + task, currency="EUR",
                    status="succeeded").id, range(32)))
            found: list[Any] = [db.purchase_codes.find(account_id=acct, code=code) for code in codes]
            stored = db.stripe_payments.find_by_intent(account_id=acct, stripe_payment_intent_id=f"pi_{acct}")
    else:
        async def scenario() -> tuple[list[Any], list[str], list[Any], Any]:
            adb = await vesta_sql.connect_async(sqlite_url)
            try:
                for code in codes:
                    await adb.purchase_codes.create(account_id=acct, code=code)
                redeemed = await asyncio.gather(*(adb.purchase_codes.redeem(account_id=acct, code=c, redeemed_by=f"user-{t}")
                                                  for t in range(8) for c in codes))
                payments = await asyncio.gather(*(adb.stripe_payments.record(
                    account_id=acct, stripe_payment_intent_id=f"pi_{acct}", amount=100 + t, currency="EUR",
                    status="succeeded") for t in range(32)))
                found = [await adb.purchase_codes.find(account_id=acct, code=code) for code in codes]
                stored = await adb.stripe_payments.find_by_intent(account_id=acct, stripe_payment_intent_id=f"pi_{acct}")
                return list(redeemed), [p.id for p in payments], found, stored
            finally:
                await adb.close()

        redeemed, ids, found, stored = asyncio.run(scenario())
    winners = [r for r in redeemed if r is not None]
    assert sorted(r.code for r in winners) == codes
    assert {(r.code, r.redeemed_by) for r in winners} == {(f.code, f.redeemed_by) for f in found}
    assert len(set(ids)) == 1 and stored is not None and stored.id == ids[0]
