"""Programs that yield a batch of steps: results in order, checked before anything runs, one
round trip on Postgres, and nothing left behind on the connection (directly and through PgBouncer)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

import vesta_sql
from vesta_sql import InvalidInputError, UniqueViolation
from vesta_sql.programs.driver import ProgramError, Step, declared_only, drive


def make_creator(db: Any, account: str, uniq: Any) -> Any:
    slug = uniq("batch")
    return db.creators.create(account_id=account, name="Sam", slug=slug, email=f"{slug}@example.com")

KEY = ("posts", "search_similar")  # a read-only program on both dialects, replaced for the test


def batch_program(write: bool, steps: tuple[str, ...], body: Any) -> Any:
    def patch(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        spec = db._runtime.programs[KEY]
        declared = frozenset(tuple(step.split(".")) for step in steps)
        monkeypatch.setitem(db._runtime.programs, KEY, dataclasses.replace(
            spec, write=write, steps=declared, function=lambda q, **kwargs: body(q, **kwargs)))
    return patch


def lookups(q: Any, *, ids: list[str]) -> Any:
    found = yield tuple(q.creators.find_by_id(id=one) for one in ids)
    listed = yield (q.creators.list(limit=10),)
    return found, listed


@pytest.mark.parametrize("write", [False, True])
def test_a_batch_returns_its_results_in_order(any_db: Any, acct: str, uniq: Any, write: bool,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = make_creator(any_db, acct, uniq), make_creator(any_db, acct, uniq)
    batch_program(write, ("creators.find_by_id", "creators.list"), lookups)(any_db, monkeypatch)
    found, listed = any_db.posts.search_similar(account_id=acct, ids=[second.id, "nobody", first.id])
    assert isinstance(found, tuple) and [row and row.id for row in found] == [second.id, None, first.id]
    assert isinstance(listed, tuple) and {row.id for row in listed[0]} >= {first.id, second.id}


def test_a_batch_sees_only_its_account(any_db: Any, acct: str, acct2: str, uniq: Any,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    mine, theirs = make_creator(any_db, acct, uniq), make_creator(any_db, acct2, uniq)
    batch_program(False, ("creators.find_by_id", "creators.list"), lookups)(any_db, monkeypatch)
    found, listed = any_db.posts.search_similar(account_id=acct, ids=[theirs.id, mine.id])
    assert [row and row.id for row in found] == [None, mine.id]
    assert theirs.id not in {row.id for row in listed[0]}


def test_a_bad_value_in_a_batch_sends_nothing(any_db: Any, acct: str, uniq: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every step's values are checked before the batch is sent: a writing batch with a bad second step writes nothing."""
    def create_two(q: Any, *, slug: str) -> Any:
        made = yield (q.creators.create(name="A", slug=slug, email=f"{slug}@x.io"),
                      q.creators.create(name="B", slug=slug + "-b", email=12))
        return made

    batch_program(True, ("creators.create",), create_two)(any_db, monkeypatch)
    slug = uniq("batch")
    with pytest.raises(InvalidInputError, match="email"):
        any_db.posts.search_similar(account_id=acct, slug=slug)
    assert slug not in {row.slug for row in any_db.creators.list(account_id=acct, limit=500)}


def test_a_failing_statement_undoes_the_writing_batch(any_db: Any, acct: str, uniq: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def create_twice(q: Any, *, slug: str) -> Any:
        made = yield (q.creators.create(name="A", slug=slug, email=f"{slug}@x.io"),
                      q.creators.create(name="A", slug=slug, email=f"{slug}@x.io"))  # the same slug: refused
        return made

    batch_program(True, ("creators.create",), create_twice)(any_db, monkeypatch)
    slug = uniq("batch")
    with pytest.raises(UniqueViolation, match=r"creators\.create"):
        any_db.posts.search_similar(account_id=acct, slug=slug)
    assert slug not in {row.slug for row in any_db.creators.list(account_id=acct, limit=500)}


def test_a_batch_step_not_declared_is_refused_before_any_runs() -> None:
    ran: list[Any] = []

    def sneaky() -> Any:
        yield (Step("collections", "find_item", {}), Step("collections", "delete_item", {"id": "x"}))

    checked = declared_only("collections.peek", frozenset({("collections", "find_item")}), sneaky())
    with pytest.raises(ProgramError, match=r"collections\.peek ran the step collections\.delete_item"):
        drive(checked, ran.append)
    assert ran == []


def test_a_batch_of_something_else_is_refused() -> None:
    def odd() -> Any:
        yield (Step("collections", "find_item", {}), "select 1")

    checked = declared_only("collections.peek", frozenset({("collections", "find_item")}), odd())
    with pytest.raises(ProgramError, match="yielded str"):
        drive(checked, lambda step: None)


def test_search_leaves_no_setting_on_the_pooled_connection(pg_urls: tuple[str, str], acct: str, uniq: Any) -> None:
    """The search's transaction-local settings end with its one implicit transaction (through PgBouncer:
    `test_pooler`)."""
    db = vesta_sql.connect(pg_urls[1], pool_size=2)
    try:
        make_creator(db, acct, uniq)
        for _ in range(3):
            db.posts.search_similar(account_id=acct, embedding=[0.5] * 384, k=3)
            db.posts.search_hybrid(account_id=acct, text="words", embedding=[0.5] * 384, k=3)
        pool = db._driver._pool  # type: ignore[attr-defined]
        conns = [pool.getconn() for _ in range(2)]
        try:
            for conn in conns:
                row = conn.execute("select current_setting('plan_cache_mode'), current_setting('hnsw.ef_search', true), "
                                   "current_setting('vesta.account_id', true)").fetchone()
                assert row is not None and row[0] == "auto" and row[1] in (None, "", "40") and row[2] in (None, "")
        finally:
            for conn in conns:
                pool.putconn(conn)
    finally:
        db.close()
