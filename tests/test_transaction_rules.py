"""Transactions that cannot lose data silently: a failed statement dooms its transaction, savepoints
undo part of one, a transaction is dead after its block, a nested SQLite write fails at once, a hook
that raises never turns a committed write into an error. SQLite and Postgres, sync and async."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest

import vesta_sql
from vesta_sql import TransactionAborted, TransactionClosed, UniqueViolation
from vesta_sql.runtime import QueryEvent


def make(db: Any, account: str, uniq: Any, slug: str | None = None, tx: Any = None) -> Any:
    slug = slug or uniq("tx")
    target = tx.creators if tx is not None else None
    if target is not None:
        return target.create(name="T", slug=slug, email=f"{slug}@x.io")
    return db.creators.create(account_id=account, name="T", slug=slug, email=f"{slug}@x.io")


def listed(db: Any, account: str) -> list[str]:
    return sorted(c.slug for c in db.creators.list(account_id=account))


def test_a_caught_failure_dooms_the_transaction(db: Any, acct: str, uniq: Any) -> None:
    taken = make(db, acct, uniq).slug
    with pytest.raises(TransactionAborted, match=r"creators\.create.*UniqueViolation.*nothing was committed"):
        with db.transaction(account_id=acct) as tx:
            make(db, acct, uniq, "before-" + taken, tx)
            with pytest.raises(UniqueViolation):
                make(db, acct, uniq, taken, tx)
            with pytest.raises(TransactionAborted, match="doomed"):  # nothing more runs in it
                make(db, acct, uniq, "after-" + taken, tx)
    assert listed(db, acct) == [taken]


def test_a_savepoint_undoes_only_its_part(db: Any, acct: str, uniq: Any) -> None:
    taken = make(db, acct, uniq).slug
    with db.transaction(account_id=acct) as tx:
        make(db, acct, uniq, "a-" + taken, tx)
        with pytest.raises(UniqueViolation):
            with tx.savepoint():
                make(db, acct, uniq, "b-" + taken, tx)  # undone with the savepoint
                make(db, acct, uniq, taken, tx)
        make(db, acct, uniq, "c-" + taken, tx)
        with tx.savepoint():  # a savepoint that succeeds keeps its work
            make(db, acct, uniq, "d-" + taken, tx)
    assert listed(db, acct) == sorted([taken, "a-" + taken, "c-" + taken, "d-" + taken])


def test_a_savepoint_whose_failure_was_caught_inside_it_is_rolled_back(db: Any, acct: str, uniq: Any) -> None:
    taken = make(db, acct, uniq).slug
    with db.transaction(account_id=acct) as tx:
        with pytest.raises(TransactionAborted, match="savepoint"):
            with tx.savepoint():
                make(db, acct, uniq, "x-" + taken, tx)
                with pytest.raises(UniqueViolation):
                    make(db, acct, uniq, taken, tx)
        make(db, acct, uniq, "y-" + taken, tx)
    assert listed(db, acct) == sorted([taken, "y-" + taken])


def test_a_transaction_is_dead_after_its_block(db: Any, acct: str, uniq: Any) -> None:
    with db.transaction(account_id=acct) as tx:
        creators = tx.creators
        make(db, acct, uniq, tx=tx)
    uses: list[Callable[[], object]] = [
        lambda: creators.find_by_id(id="x"), lambda: tx.creators.list(),
        lambda: tx.creators.delete.many(rows=[{"id": "x"}]), lambda: tx.savepoint().__enter__(),
        lambda: tx.payment_shares.split(payment_id="p", shares=[])]
    for use in uses:
        with pytest.raises(TransactionClosed, match="block has ended"):
            use()
    with pytest.raises(RuntimeError, match="boom"):
        with db.transaction(account_id=acct) as failed:
            raise_inside = failed
            raise RuntimeError("boom")
    with pytest.raises(TransactionClosed):
        raise_inside.creators.list()


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_a_stale_transaction_cannot_touch_the_next_holder_of_its_connection(dialect: str, request: pytest.FixtureRequest,
                                                                             acct: str, acct2: str, uniq: Any) -> None:
    """Pool of one (SQLite: its idle connection is reused): the stale object is refused; the other
    account's transaction commits its writes."""
    url = request.getfixturevalue("sqlite_url") if dialect == "sqlite" else request.getfixturevalue("pg_urls")[1]
    with vesta_sql.connect(url, pool_size=1) as db:
        with db.transaction(account_id=acct) as stale:
            pass
        with db.transaction(account_id=acct2) as current:
            made = make(db, acct2, uniq, tx=current)
            with pytest.raises(TransactionClosed):
                stale.creators.create(name="S", slug=uniq("stale"), email="s@x.io")
            with pytest.raises(TransactionClosed):
                stale.creators.list()
        assert [c.id for c in db.creators.list(account_id=acct2)] == [made.id]
        assert db.creators.list(account_id=acct) == []

    async def scenario() -> None:
        adb = await vesta_sql.connect_async(url, pool_size=1)
        try:
            async with adb.transaction(account_id=acct) as old:
                pass
            async with adb.transaction(account_id=acct2) as now:
                slug = uniq("async")
                await now.creators.create(name="A", slug=slug, email=f"{slug}@x.io")
                with pytest.raises(TransactionClosed):
                    await old.creators.list()
            assert len(await adb.creators.list(account_id=acct2)) == 2
        finally:
            await adb.close()

    asyncio.run(scenario())


@pytest.mark.parametrize("flavour", ["sqlite", "sqlite-async", "postgres", "postgres-async"])
def test_a_write_on_db_inside_an_open_write_transaction(flavour: str, request: pytest.FixtureRequest, acct: str,
                                                        uniq: Any) -> None:
    """SQLite: fails at once (it would wait for its own thread's lock). Postgres: another connection, it runs."""
    sqlite = flavour.startswith("sqlite")
    url = request.getfixturevalue("sqlite_url") if sqlite else request.getfixturevalue("pg_urls")[1]
    slug_a, slug_b = uniq("outer"), uniq("inner")

    async def scenario() -> list[str]:
        db = await vesta_sql.connect_async(url)
        try:
            if sqlite:
                with pytest.raises(vesta_sql.OperationalError, match="use the transaction object"):
                    async with db.transaction(account_id=acct) as tx:
                        await tx.creators.create(name="T", slug=slug_a, email=f"{slug_a}@x.io")
                        assert await db.creators.list(account_id=acct) == []  # reads run (committed state)
                        await db.creators.create(account_id=acct, name="T", slug=slug_b, email=f"{slug_b}@x.io")
                async with db.transaction(account_id=acct) as tx:  # the other tasks are not refused
                    await asyncio.gather(tx.creators.create(name="T", slug=slug_a, email=f"{slug_a}@x.io"))
            else:
                async with db.transaction(account_id=acct) as tx:
                    await tx.creators.create(name="T", slug=slug_a, email=f"{slug_a}@x.io")
                    await db.creators.create(account_id=acct, name="T", slug=slug_b, email=f"{slug_b}@x.io")
            return sorted(c.slug for c in await db.creators.list(account_id=acct))
        finally:
            await db.close()

    if flavour.endswith("async"):
        slugs = asyncio.run(scenario())
    else:
        with vesta_sql.connect(url) as db:
            if sqlite:
                with pytest.raises(vesta_sql.OperationalError, match="use the transaction object"):
                    with db.transaction(account_id=acct) as tx:
                        tx.creators.create(name="T", slug=slug_a, email=f"{slug_a}@x.io")
                        assert db.creators.list(account_id=acct) == []
                        db.creators.create(account_id=acct, name="T", slug=slug_b, email=f"{slug_b}@x.io")
                with pytest.raises(vesta_sql.OperationalError, match="use the transaction object"):
                    with db.transaction(account_id=acct):
                        db.payment_shares.split(account_id=acct, payment_id="p", shares=[{"recipient_id": "r",
                                                                                         "amount": 1}])
                with db.transaction(account_id=acct) as tx:
                    tx.creators.create(name="T", slug=slug_a, email=f"{slug_a}@x.io")
            else:
                with db.transaction(account_id=acct) as tx:
                    tx.creators.create(name="T", slug=slug_a, email=f"{slug_a}@x.io")
                    db.creators.create(account_id=acct, name="T", slug=slug_b, email=f"{slug_b}@x.io")
            slugs = sorted(c.slug for c in db.creators.list(account_id=acct))
    assert slugs == ([slug_a] if sqlite else sorted([slug_a, slug_b]))


def test_a_raising_hook_never_turns_a_committed_write_into_an_error(db: Any, acct: str, uniq: Any,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    def broken(event: QueryEvent) -> None:
        raise RuntimeError("metrics backend down")

    db.add_hook(broken)
    hooks = (db._target if hasattr(db, "_target") else db)._runtime.hooks
    try:
        with caplog.at_level(logging.ERROR, logger="vesta_sql"):
            made = make(db, acct, uniq)
            with db.transaction(account_id=acct) as tx:
                make(db, acct, uniq, tx=tx)
        assert made.slug in listed(db, acct) and len(listed(db, acct)) == 2
        assert any("creators.create" in record.getMessage() and record.exc_info for record in caplog.records)
    finally:
        hooks.remove(broken)


@pytest.mark.parametrize("flavour", ["sqlite", "sqlite-async"])
def test_a_statement_failing_at_fetch_time_leaves_its_connection_usable(flavour: str, sqlite_url: str, acct: str,
                                                                         uniq: Any) -> None:
    """A RETURNING insert that fails on a foreign key, then another connection writes, then this one writes again."""

    async def scenario() -> None:
        db = await vesta_sql.connect_async(sqlite_url)
        try:
            with pytest.raises(vesta_sql.ForeignKeyViolation):
                await db.posts.create(account_id=acct, creator_id="no-such-creator", title="t")
            with vesta_sql.connect(sqlite_url) as other:
                other.creators.create(account_id=acct, name="Other", slug=uniq("other"), email="o@x.io")
            await db.creators.create(account_id=acct, name="Again", slug=uniq("again"), email="a@x.io")
        finally:
            await db.close()

    if flavour == "sqlite-async":
        asyncio.run(scenario())
        return
    with vesta_sql.connect(sqlite_url) as db:
        with pytest.raises(vesta_sql.ForeignKeyViolation):
            db.posts.create(account_id=acct, creator_id="no-such-creator", title="t")
        with vesta_sql.connect(sqlite_url) as other:
            other.creators.create(account_id=acct, name="Other", slug=uniq("other"), email="o@x.io")
        db.creators.create(account_id=acct, name="Again", slug=uniq("again"), email="a@x.io")
