"""The many-row path: one transaction; a bad row anywhere writes nothing."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from vesta_sql import IntegrityError, InvalidInputError, TenantScopeError
from vesta_sql.dialects import postgres_bulk


def make_post(db: Any, acct: str, uniq: Any) -> Any:
    creator = db.creators.create(account_id=acct, name="Ada", slug=uniq("ada"), email="a@x.io")
    return db.posts.create(account_id=acct, creator_id=creator.id, title="t", body="b")


def test_many_likes_in_one_call(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    post = make_post(db, acct, uniq)
    rows = [{"post_id": post.id, "user_id": f"u{i}"} for i in range(250)]
    assert db.engagement.like.many(account_id=acct, rows=rows) == 250
    assert db.engagement.counts(account_id=acct, post_ids=[post.id])[0].likes == 250
    # idempotent: liking again adds nothing
    assert db.engagement.like.many(account_id=acct, rows=rows[:10]) == 0


def test_one_bad_row_writes_nothing(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    post = make_post(db, acct, uniq)
    rows: list[dict[str, Any]] = [{"post_id": post.id, "user_id": f"u{i}"} for i in range(5)]
    rows.append({"post_id": post.id, "user_id": 7})
    with pytest.raises(InvalidInputError, match=r"user_id"):
        db.engagement.like.many(account_id=acct, rows=rows)
    with pytest.raises(TenantScopeError):
        db.engagement.like.many(account_id=acct, rows=[{"account_id": acct2, "post_id": post.id, "user_id": "x"}])
    counts = db.engagement.counts(account_id=acct, post_ids=[post.id])
    assert counts == [] or counts[0].likes == 0


def test_many_inside_a_transaction(db: Any, acct: str, uniq: Any) -> None:
    post = make_post(db, acct, uniq)
    with db.transaction(account_id=acct) as tx:
        assert tx.engagement.like.many(rows=[{"post_id": post.id, "user_id": "a"}, {"post_id": post.id, "user_id": "b"}]) == 2
    assert db.engagement.has_liked(account_id=acct, post_id=post.id, user_id="b") == 1


def test_many_in_several_batches_with_repeated_rows(db: Any, acct: str, uniq: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """On Postgres an insert's rows go as arrays, a batch per statement: the counts and rows are executemany's."""
    monkeypatch.setattr(postgres_bulk, "BATCH_ROWS", 4)
    post = make_post(db, acct, uniq)
    rows = [{"post_id": post.id, "user_id": f"u{i % 7}"} for i in range(11)]  # u0…u3 twice, across batches
    assert db.engagement.like.many(account_id=acct, rows=rows) == 7
    assert db.engagement.counts(account_id=acct, post_ids=[post.id])[0].likes == 7
    assert db.engagement.like.many(account_id=acct, rows=[]) == 0
    labelled = db.creators.create(account_id=acct, name="Bo", slug=uniq("bo"), email="b@x.io")
    labels = [{"creator_id": labelled.id, "label": f"l{i}"} for i in range(9)]
    assert db.creators.add_label.many(account_id=acct, rows=labels) == 9
    assert db.engagement.has_liked(account_id=acct, post_id=post.id, user_id="u6") == 1


def test_many_row_rules_hold_in_array_form(db: Any, acct: str, uniq: Any) -> None:
    """Row-level checks still apply to every row: a post of no account's is a foreign-key error, and nothing is written."""
    post = make_post(db, acct, uniq)
    rows = [{"post_id": post.id, "user_id": "a"}, {"post_id": "no-such-post", "user_id": "b"}]
    with pytest.raises(IntegrityError):
        db.engagement.like.many(account_id=acct, rows=rows)
    counts = db.engagement.counts(account_id=acct, post_ids=[post.id])
    assert counts == [] or counts[0].likes == 0


def test_a_bad_row_in_a_late_batch_writes_nothing(db: Any, acct: str, uniq: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows are bound as the batches go out (on Postgres the earlier ones are already written): the transaction is
    undone, so a bad row, a foreign key or a row of another account in the third batch leaves nothing behind."""
    monkeypatch.setattr(postgres_bulk, "BATCH_ROWS", 4)
    post = make_post(db, acct, uniq)

    def rows(last: dict[str, Any]) -> Any:  # a generator: read once, as the batches are made
        yield from ({"post_id": post.id, "user_id": f"u{i}"} for i in range(9))
        yield last

    with pytest.raises(InvalidInputError, match=r"row 9 .*user_id|user_id"):
        db.engagement.like.many(account_id=acct, rows=rows({"post_id": post.id, "user_id": None}))
    with pytest.raises(IntegrityError):
        db.engagement.like.many(account_id=acct, rows=rows({"post_id": "no-such-post", "user_id": "z"}))
    with pytest.raises(TenantScopeError, match="row 9 names another account"):
        db.engagement.like.many(account_id=acct, rows=rows({"account_id": "acc_someone_else", "post_id": post.id,
                                                             "user_id": "z"}))
    counts = db.engagement.counts(account_id=acct, post_ids=[post.id])
    assert counts == [] or counts[0].likes == 0
    assert db.engagement.like.many(account_id=acct, rows=rows({"post_id": post.id, "user_id": "z"})) == 10


@pytest.mark.parametrize("rows", [5, None, "u1", {"post_id": "p"}])
def test_rows_that_are_not_an_iterable_of_mappings_are_refused(db: Any, acct: str, rows: Any) -> None:
    with pytest.raises(InvalidInputError, match="rows must be an iterable of parameter mappings"):
        db.engagement.like.many(account_id=acct, rows=rows)


def test_a_bad_row_inside_a_transaction_leaves_it_usable(db: Any, acct: str, uniq: Any) -> None:
    """Inside a transaction every row is checked before any is sent: the refusal does not doom the transaction."""
    post = make_post(db, acct, uniq)
    with db.transaction(account_id=acct) as tx:
        with pytest.raises(InvalidInputError, match="user_id"):
            tx.engagement.like.many(rows=[{"post_id": post.id, "user_id": "a"}, {"post_id": post.id, "user_id": 3}])
        assert tx.engagement.like.many(rows=[{"post_id": post.id, "user_id": "b"}]) == 1
    assert db.engagement.has_liked(account_id=acct, post_id=post.id, user_id="a") == 0
    assert db.engagement.has_liked(account_id=acct, post_id=post.id, user_id="b") == 1


@pytest.mark.parametrize(("sql", "array_form"), [
    ("insert into likes (account_id, id) values (%(account_id)s, %(id)s) on conflict (account_id, id) do nothing;", True),
    ("insert into likes (account_id, id) values (%(account_id)s, %(id)s)", True),
    ("insert into likes (account_id, id) values (%(account_id)s, %(id)s) on conflict (id) do update set id = 'x'", False),
    ("insert into likes (account_id, id) values (%(account_id)s, %(id)s) returning id", False),
    ("insert into likes (account_id, id) values (%(account_id)s, lower(%(id)s))", False),
    ("insert into likes (account_id, id) values (%(account_id)s, %(id)s), (%(account_id)s, %(id)s)", False),
    ("insert into likes (account_id, id) select %(account_id)s, %(id)s", False),
    ("insert into likes (account_id, id, tags) values (%(account_id)s, %(id)s, %(tags)s)", False),  # a list value
    ("update likes set id = %(id)s where account_id = %(account_id)s", False),
])
def test_only_plain_one_row_inserts_take_the_array_form(sql: str, array_form: bool) -> None:
    kinds = {"id": "new_id", "tags": "str_list"}
    assert (postgres_bulk.plan(sql, kinds) is not None) is array_form


def test_the_array_form_keeps_the_account_a_single_parameter() -> None:
    bulk = postgres_bulk.plan("insert into likes (account_id, id, user_id) values (%(account_id)s, %(id)s, %(user))s)",
                              {"id": "new_id", "user": "str"})
    assert bulk is None  # malformed placeholder: not the shape
    bulk = postgres_bulk.plan("insert into likes (account_id, id, user_id) values (%(account_id)s, %(id)s, %(user)s)",
                              {"id": "new_id", "user": "str"})
    assert bulk is not None
    sql = bulk.learn([("account_id", "text"), ("id", "text"), ("user_id", "text"), ("created_at", "timestamp with time zone")])
    assert sql == ('insert into likes (account_id, id, user_id)\nselect %(account_id)s::text, u."id", u."user"\n'
                   '  from unnest(%(id)b::text[], %(user)b::text[]) as u("id", "user")')
    batches = list(bulk.batches([{"account_id": "a", "id": "1", "user": "x"}, {"account_id": "a", "id": "2", "user": "y"}], "q"))
    assert batches == [{"account_id": "a", "id": ["1", "2"], "user": ["x", "y"]}]
    with pytest.raises(TenantScopeError):
        list(bulk.batches([{"account_id": "a", "id": "1", "user": "x"}, {"account_id": "b", "id": "2", "user": "y"}], "q"))


def test_a_conflict_in_a_late_batch_of_a_generator_skips_only_that_row(db: Any, acct: str, uniq: Any,
                                                                      monkeypatch: pytest.MonkeyPatch,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    """On Postgres the insert goes first without `on conflict`; a conflicting row sends the batches again with it:
    rows read once from a generator are all written, the conflicting one skipped, inside a transaction too,
    and nothing is logged."""
    caplog.set_level(logging.DEBUG, logger="psycopg")
    monkeypatch.setattr(postgres_bulk, "BATCH_ROWS", 4)
    post = make_post(db, acct, uniq)
    assert db.engagement.like(account_id=acct, post_id=post.id, user_id="u9") == 1
    read = []

    def rows(users: range) -> Any:
        for i in users:
            read.append(i)
            yield {"post_id": post.id, "user_id": f"u{i}"}

    assert db.engagement.like.many(account_id=acct, rows=rows(range(14))) == 13
    assert read == list(range(14))  # each row read once
    assert db.engagement.counts(account_id=acct, post_ids=[post.id])[0].likes == 14
    with db.transaction(account_id=acct) as tx:
        assert tx.engagement.like.many(rows=rows(range(12, 20))) == 6  # u12, u13 are there already
        assert tx.engagement.like(post_id=post.id, user_id="later") == 1  # the transaction goes on
    assert db.engagement.counts(account_id=acct, post_ids=[post.id])[0].likes == 21
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []
    assert db.engagement.like.many(account_id=acct, rows=rows(range(2))) == 0  # less than a batch: as declared


def test_a_conflict_outside_the_declared_one_still_raises_and_writes_nothing(db: Any, acct: str, uniq: Any) -> None:
    """`on conflict (account_id, post_id, user_id)` skips only that key: a repeated id is an error, as declared."""
    post = make_post(db, acct, uniq)
    rows = [{"id": "same-id", "post_id": post.id, "user_id": "a"}, {"id": "same-id", "post_id": post.id, "user_id": "b"}]
    with pytest.raises(IntegrityError):
        db.engagement.like.many(account_id=acct, rows=rows)
    counts = db.engagement.counts(account_id=acct, post_ids=[post.id])
    assert counts == [] or counts[0].likes == 0
