"""The many-row path: one transaction, every row validated first."""

from __future__ import annotations

from typing import Any

import pytest

from vesta_sql import InvalidInputError, TenantScopeError


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
