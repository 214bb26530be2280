"""Engagement: idempotent likes and reposts, comments with keyset, counts for many posts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vesta_sql import errors
from vesta_sql.records.engagement import Comment, PostEngagement, UserEngagement
from vesta_sql.records.posts import Post


def make_post(db: Any, account: str, uniq: Callable[[str], str], creator_id: str | None = None) -> Post:
    if creator_id is None:
        slug = uniq("ada")
        creator_id = db.creators.create(account_id=account, name="Ada", slug=slug, email=f"{slug}@example.com").id
    post: Post = db.posts.create(account_id=account, creator_id=creator_id, title="Hello", status="published")
    return post


def counts_of(db: Any, account: str, post: Post) -> PostEngagement:
    rows = db.engagement.counts(account_id=account, post_ids=[post.id])
    assert len(rows) == 1
    row: PostEngagement = rows[0]
    return row


def test_like_is_idempotent(db: Any, acct: str, uniq: Any) -> None:
    post = make_post(db, acct, uniq)
    assert db.engagement.has_liked(account_id=acct, post_id=post.id, user_id="u1") is False

    assert db.engagement.like(account_id=acct, post_id=post.id, user_id="u1") == 1
    assert db.engagement.like(account_id=acct, post_id=post.id, user_id="u1") == 0

    assert db.engagement.has_liked(account_id=acct, post_id=post.id, user_id="u1") is True
    assert db.engagement.has_liked(account_id=acct, post_id=post.id, user_id="u2") is False
    assert counts_of(db, acct, post).likes == 1


def test_unlike_removes_the_like_once(db: Any, acct: str, uniq: Any) -> None:
    post = make_post(db, acct, uniq)
    db.engagement.like(account_id=acct, post_id=post.id, user_id="u1")
    db.engagement.like(account_id=acct, post_id=post.id, user_id="u2")

    assert db.engagement.unlike(account_id=acct, post_id=post.id, user_id="u1") == 1
    assert db.engagement.unlike(account_id=acct, post_id=post.id, user_id="u1") == 0

    assert db.engagement.has_liked(account_id=acct, post_id=post.id, user_id="u1") is False
    assert db.engagement.has_liked(account_id=acct, post_id=post.id, user_id="u2") is True
    assert counts_of(db, acct, post).likes == 1
    assert db.engagement.like(account_id=acct, post_id=post.id, user_id="u1") == 1


def test_repost_is_idempotent_and_unrepost_removes_it(db: Any, acct: str, uniq: Any) -> None:
    post = make_post(db, acct, uniq)

    assert db.engagement.repost(account_id=acct, post_id=post.id, user_id="u1") == 1
    assert db.engagement.repost(account_id=acct, post_id=post.id, user_id="u1") == 0
    assert counts_of(db, acct, post).reposts == 1
    assert db.engagement.user_state(account_id=acct, post_id=post.id, user_id="u1").reposted is True

    assert db.engagement.unrepost(account_id=acct, post_id=post.id, user_id="u1") == 1
    assert db.engagement.unrepost(account_id=acct, post_id=post.id, user_id="u1") == 0
    assert counts_of(db, acct, post).reposts == 0
    assert db.engagement.user_state(account_id=acct, post_id=post.id, user_id="u1").reposted is False


def test_user_state_reports_like_and_repost_as_bools(db: Any, acct: str, uniq: Any) -> None:
    post = make_post(db, acct, uniq)
    db.engagement.like(account_id=acct, post_id=post.id, user_id="u1")

    state = db.engagement.user_state(account_id=acct, post_id=post.id, user_id="u1")

    assert state == UserEngagement(post_id=post.id, user_id="u1", liked=True, reposted=False)
    assert type(state.liked) is bool and type(state.reposted) is bool
    assert db.engagement.user_state(account_id=acct, post_id="missing", user_id="u1") == UserEngagement(
        post_id="missing", user_id="u1", liked=False, reposted=False)


def test_engaging_with_another_accounts_post_is_refused(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    post = make_post(db, acct, uniq)

    with pytest.raises(errors.ForeignKeyViolation):
        db.engagement.like(account_id=acct2, post_id=post.id, user_id="u1")
    with pytest.raises(errors.ForeignKeyViolation):
        db.engagement.repost(account_id=acct2, post_id=post.id, user_id="u1")
    with pytest.raises(errors.ForeignKeyViolation):
        db.engagement.add_comment(account_id=acct2, post_id=post.id, user_id="u1", body="Hi")

    assert counts_of(db, acct, post) == PostEngagement(post_id=post.id, likes=0, comments=0, reposts=0)


def test_add_comment_returns_it_and_lists_in_pages(db: Any, acct: str, uniq: Any) -> None:
    post = make_post(db, acct, uniq)

    comment = db.engagement.add_comment(account_id=acct, post_id=post.id, user_id="u1", body="First!")
    assert isinstance(comment, Comment)
    assert (comment.account_id, comment.post_id, comment.user_id, comment.body) == (acct, post.id, "u1", "First!")
    assert comment.created_at.tzinfo is not None
    more = [db.engagement.add_comment(account_id=acct, post_id=post.id, user_id=f"u{i}", body=f"Comment {i}")
            for i in range(2, 6)]

    everything = db.engagement.list_comments(account_id=acct, post_id=post.id)
    first = db.engagement.list_comments(account_id=acct, post_id=post.id, limit=3)
    second = db.engagement.list_comments(account_id=acct, post_id=post.id, limit=3,
                                         before_created_at=first[-1].created_at, before_id=first[-1].id)

    assert sorted(everything, key=lambda c: c.id) == sorted([comment, *more], key=lambda c: c.id)
    assert everything == sorted(everything, key=lambda c: (c.created_at, c.id), reverse=True)
    assert first + second == everything and (len(first), len(second)) == (3, 2)
    assert counts_of(db, acct, post).comments == 5


def test_empty_comment_is_refused(db: Any, acct: str, uniq: Any) -> None:
    post = make_post(db, acct, uniq)

    with pytest.raises(errors.CheckViolation):
        db.engagement.add_comment(account_id=acct, post_id=post.id, user_id="u1", body="")
    assert db.engagement.list_comments(account_id=acct, post_id=post.id) == []


def test_delete_comment_optionally_only_by_its_author(db: Any, acct: str, uniq: Any) -> None:
    post = make_post(db, acct, uniq)
    mine = db.engagement.add_comment(account_id=acct, post_id=post.id, user_id="u1", body="Mine")
    other = db.engagement.add_comment(account_id=acct, post_id=post.id, user_id="u2", body="Theirs")

    assert db.engagement.delete_comment(account_id=acct, id=mine.id, user_id="u2") == 0
    assert db.engagement.delete_comment(account_id=acct, id=mine.id, user_id="u1") == 1
    assert db.engagement.list_comments(account_id=acct, post_id=post.id) == [other]

    assert db.engagement.delete_comment(account_id=acct, id=other.id) == 1
    assert db.engagement.delete_comment(account_id=acct, id=other.id) == 0
    assert db.engagement.list_comments(account_id=acct, post_id=post.id) == []


def test_counts_for_many_posts_in_one_query(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    post = make_post(db, acct, uniq)
    second = make_post(db, acct, uniq, creator_id=post.creator_id)
    quiet = make_post(db, acct, uniq, creator_id=post.creator_id)
    foreign = make_post(db, acct2, uniq)
    for user in ("u1", "u2", "u3"):
        db.engagement.like(account_id=acct, post_id=post.id, user_id=user)
    db.engagement.like(account_id=acct, post_id=second.id, user_id="u1")
    db.engagement.add_comment(account_id=acct, post_id=post.id, user_id="u1", body="Nice")
    db.engagement.add_comment(account_id=acct, post_id=second.id, user_id="u1", body="One")
    db.engagement.add_comment(account_id=acct, post_id=second.id, user_id="u2", body="Two")
    db.engagement.repost(account_id=acct, post_id=second.id, user_id="u3")
    db.engagement.like(account_id=acct2, post_id=foreign.id, user_id="u1")

    rows = db.engagement.counts(account_id=acct, post_ids=[quiet.id, second.id, post.id, foreign.id, "missing"])

    expected = [
        PostEngagement(post_id=post.id, likes=3, comments=1, reposts=0),
        PostEngagement(post_id=second.id, likes=1, comments=2, reposts=1),
        PostEngagement(post_id=quiet.id, likes=0, comments=0, reposts=0),
    ]
    assert rows == sorted(expected, key=lambda row: row.post_id)
    assert all(type(value) is int for row in rows for value in (row.likes, row.comments, row.reposts))
    assert db.engagement.counts(account_id=acct, post_ids=[]) == []
    assert db.engagement.counts(account_id=acct2, post_ids=[post.id, second.id]) == []


def test_another_account_sees_nothing_and_changes_nothing(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    post = make_post(db, acct, uniq)
    db.engagement.like(account_id=acct, post_id=post.id, user_id="u1")
    db.engagement.repost(account_id=acct, post_id=post.id, user_id="u1")
    comment = db.engagement.add_comment(account_id=acct, post_id=post.id, user_id="u1", body="Hi")

    assert db.engagement.has_liked(account_id=acct2, post_id=post.id, user_id="u1") is False
    assert db.engagement.user_state(account_id=acct2, post_id=post.id, user_id="u1").liked is False
    assert db.engagement.list_comments(account_id=acct2, post_id=post.id) == []
    assert db.engagement.unlike(account_id=acct2, post_id=post.id, user_id="u1") == 0
    assert db.engagement.unrepost(account_id=acct2, post_id=post.id, user_id="u1") == 0
    assert db.engagement.delete_comment(account_id=acct2, id=comment.id) == 0

    assert counts_of(db, acct, post) == PostEngagement(post_id=post.id, likes=1, comments=1, reposts=1)
    assert db.engagement.list_comments(account_id=acct, post_id=post.id) == [comment]
