"""Posts: create/find/update/publish/archive/delete, listings with keyset, counts, updates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from vesta_sql import errors
from vesta_sql.records.creators import Creator
from vesta_sql.records.posts import Post, PostStatusCount, PostSummary, PostUpdate


def make_creator(db: Any, account: str, uniq: Callable[[str], str]) -> Creator:
    slug = uniq("ada")
    creator: Creator = db.creators.create(account_id=account, name="Ada", slug=slug, email=f"{slug}@example.com")
    return creator


def summary_of(post: Post) -> PostSummary:
    return PostSummary(id=post.id, account_id=post.account_id, creator_id=post.creator_id, title=post.title,
                       body=post.body, status=post.status, published_at=post.published_at,
                       created_at=post.created_at, updated_at=post.updated_at)


def test_create_returns_the_post_with_its_embedding(db: Any, acct: str, uniq: Any, vec: Any) -> None:
    creator = make_creator(db, acct, uniq)

    post = db.posts.create(account_id=acct, creator_id=creator.id, title="Hello", body="First post", embedding=vec(1))

    assert isinstance(post, Post)
    assert (post.account_id, post.creator_id, post.title, post.body) == (acct, creator.id, "Hello", "First post")
    assert post.status == "draft" and post.published_at is None
    assert post.created_at.tzinfo is not None and post.created_at == post.updated_at
    assert isinstance(post.embedding, np.ndarray) and post.embedding.dtype == np.float32
    assert post.embedding.shape == (384,)
    assert np.allclose(post.embedding, vec(1))
    assert db.posts.find_by_id(account_id=acct, id=post.id) == post


def test_a_post_without_embedding_reads_back_none(db: Any, acct: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq)

    post = db.posts.create(account_id=acct, creator_id=creator.id, title="Plain")

    assert post.embedding is None and post.body == ""
    assert db.posts.find_by_id(account_id=acct, id=post.id) == post


def test_creating_as_published_sets_published_at(db: Any, acct: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq)

    post = db.posts.create(account_id=acct, creator_id=creator.id, title="Live", status="published")

    assert post.status == "published" and post.published_at == post.created_at
    assert [p.id for p in db.posts.feed(account_id=acct)] == [post.id]


def test_an_unknown_status_is_refused(db: Any, acct: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq)

    with pytest.raises(errors.InvalidInputError, match="'status' must be one of"):  # before any SQL since 0.2.0
        db.posts.create(account_id=acct, creator_id=creator.id, title="X", status="deleted")
    assert db.posts.list_by_creator(account_id=acct, creator_id=creator.id) == []


def test_another_accounts_creator_is_a_foreign_key_violation(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq)

    with pytest.raises(errors.ForeignKeyViolation):
        db.posts.create(account_id=acct2, creator_id=creator.id, title="Sneaky")
    assert db.posts.list_by_creator(account_id=acct2, creator_id=creator.id) == []
    assert db.posts.list_by_creator(account_id=acct, creator_id=creator.id) == []


def test_partial_update_keeps_what_is_not_given(db: Any, acct: str, uniq: Any, vec: Any) -> None:
    creator = make_creator(db, acct, uniq)
    post = db.posts.create(account_id=acct, creator_id=creator.id, title="Draft", body="Body", embedding=vec(1))

    retitled = db.posts.update(account_id=acct, id=post.id, title="Final")

    assert retitled.title == "Final" and retitled.body == "Body"
    assert np.array_equal(retitled.embedding, post.embedding)
    assert retitled.created_at == post.created_at and retitled.updated_at >= post.updated_at
    assert db.posts.find_by_id(account_id=acct, id=post.id) == retitled

    reembedded = db.posts.update(account_id=acct, id=post.id, body="New body", embedding=vec(2))
    assert reembedded.title == "Final" and reembedded.body == "New body"
    assert np.allclose(reembedded.embedding, vec(2))
    assert db.posts.find_by_id(account_id=acct, id=post.id) == reembedded
    assert db.posts.update(account_id=acct, id="missing", title="X") is None


def test_publish_then_archive(db: Any, acct: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq)
    post = db.posts.create(account_id=acct, creator_id=creator.id, title="Soon")
    assert db.posts.feed(account_id=acct) == []

    published = db.posts.publish(account_id=acct, id=post.id)

    assert published.status == "published" and published.published_at is not None
    assert published.published_at >= post.created_at
    assert db.posts.find_by_id(account_id=acct, id=post.id) == published
    assert db.posts.feed(account_id=acct) == [summary_of(published)]

    again = db.posts.publish(account_id=acct, id=post.id)
    assert again.published_at == published.published_at

    archived = db.posts.archive(account_id=acct, id=post.id)
    assert archived.status == "archived" and archived.published_at == published.published_at
    assert db.posts.find_by_id(account_id=acct, id=post.id) == archived
    assert db.posts.feed(account_id=acct) == []

    assert db.posts.publish(account_id=acct, id="missing") is None
    assert db.posts.archive(account_id=acct, id="missing") is None


def test_delete_removes_the_post_and_its_engagement(db: Any, acct: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq)
    post = db.posts.create(account_id=acct, creator_id=creator.id, title="Gone soon")
    db.posts.add_update(account_id=acct, post_id=post.id, body="An update")
    db.engagement.like(account_id=acct, post_id=post.id, user_id="u1")
    db.engagement.add_comment(account_id=acct, post_id=post.id, user_id="u1", body="Nice")
    db.engagement.repost(account_id=acct, post_id=post.id, user_id="u1")

    assert db.posts.delete(account_id=acct, id=post.id) == 1

    assert db.posts.find_by_id(account_id=acct, id=post.id) is None
    assert db.posts.list_updates(account_id=acct, post_id=post.id) == []
    assert db.engagement.list_comments(account_id=acct, post_id=post.id) == []
    assert db.engagement.has_liked(account_id=acct, post_id=post.id, user_id="u1") == 0
    assert db.engagement.counts(account_id=acct, post_ids=[post.id]) == []
    assert db.posts.delete(account_id=acct, id=post.id) == 0


def test_list_by_creator_pages_with_keyset_and_filters_by_status(db: Any, acct: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq)
    other = make_creator(db, acct, uniq)
    posts = [db.posts.create(account_id=acct, creator_id=creator.id, title=f"Post {i}") for i in range(5)]
    db.posts.create(account_id=acct, creator_id=other.id, title="Someone else's")
    db.posts.publish(account_id=acct, id=posts[1].id)
    db.posts.publish(account_id=acct, id=posts[3].id)

    everything = db.posts.list_by_creator(account_id=acct, creator_id=creator.id)
    first = db.posts.list_by_creator(account_id=acct, creator_id=creator.id, limit=3)
    second = db.posts.list_by_creator(account_id=acct, creator_id=creator.id, limit=3,
                                      before_created_at=first[-1].created_at, before_id=first[-1].id)

    assert all(isinstance(p, PostSummary) for p in everything)
    assert {p.id for p in everything} == {p.id for p in posts}
    keys = [(p.created_at, p.id) for p in everything]
    assert keys == sorted(keys, reverse=True)
    assert (len(first), len(second)) == (3, 2)
    assert first + second == everything

    published = db.posts.list_by_creator(account_id=acct, creator_id=creator.id, status="published")
    assert {p.id for p in published} == {posts[1].id, posts[3].id}
    assert all(p.status == "published" for p in published)
    drafts = db.posts.list_by_creator(account_id=acct, creator_id=creator.id, status="draft", limit=2)
    assert len(drafts) == 2 and all(p.status == "draft" for p in drafts)


def test_feed_lists_published_posts_of_the_account_in_pages(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq)
    live = [db.posts.create(account_id=acct, creator_id=creator.id, title=f"Live {i}", status="published")
            for i in range(4)]
    db.posts.create(account_id=acct, creator_id=creator.id, title="Draft")
    foreign = make_creator(db, acct2, uniq)
    db.posts.create(account_id=acct2, creator_id=foreign.id, title="Elsewhere", status="published")

    everything = db.posts.feed(account_id=acct)
    first = db.posts.feed(account_id=acct, limit=2)
    second = db.posts.feed(account_id=acct, limit=2, before_created_at=first[-1].created_at, before_id=first[-1].id)
    third = db.posts.feed(account_id=acct, limit=2, before_created_at=second[-1].created_at, before_id=second[-1].id)

    assert {p.id for p in everything} == {p.id for p in live}
    assert first + second == everything and third == []
    assert everything == sorted(everything, key=lambda p: (p.created_at, p.id), reverse=True)


def test_count_by_status_lists_every_status(db: Any, acct: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq)
    other = make_creator(db, acct, uniq)
    assert db.posts.count_by_status(account_id=acct) == [
        PostStatusCount("archived", 0), PostStatusCount("draft", 0), PostStatusCount("published", 0)]

    for i in range(3):
        db.posts.create(account_id=acct, creator_id=creator.id, title=f"Draft {i}")
    db.posts.create(account_id=acct, creator_id=creator.id, title="Live", status="published")
    db.posts.create(account_id=acct, creator_id=other.id, title="Other live", status="published")

    counts = db.posts.count_by_status(account_id=acct)
    assert counts == [PostStatusCount("archived", 0), PostStatusCount("draft", 3), PostStatusCount("published", 2)]
    assert all(type(row.count) is int for row in counts)
    by_creator = db.posts.count_by_status(account_id=acct, creator_id=other.id)
    assert by_creator == [PostStatusCount("archived", 0), PostStatusCount("draft", 0), PostStatusCount("published", 1)]


def test_post_updates_are_added_and_listed_in_pages(db: Any, acct: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq)
    post = db.posts.create(account_id=acct, creator_id=creator.id, title="Tour")

    added = [db.posts.add_update(account_id=acct, post_id=post.id, body=f"Update {i}") for i in range(3)]

    assert all(isinstance(u, PostUpdate) and u.post_id == post.id and u.account_id == acct for u in added)
    assert [u.body for u in added] == ["Update 0", "Update 1", "Update 2"]
    everything = db.posts.list_updates(account_id=acct, post_id=post.id)
    assert sorted(everything, key=lambda u: u.id) == sorted(added, key=lambda u: u.id)
    first = db.posts.list_updates(account_id=acct, post_id=post.id, limit=2)
    second = db.posts.list_updates(account_id=acct, post_id=post.id, limit=2,
                                   before_created_at=first[-1].created_at, before_id=first[-1].id)
    assert first + second == everything and len(second) == 1


def test_an_update_on_another_accounts_post_is_refused(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq)
    post = db.posts.create(account_id=acct, creator_id=creator.id, title="Mine")

    with pytest.raises(errors.ForeignKeyViolation):
        db.posts.add_update(account_id=acct2, post_id=post.id, body="Not yours")
    assert db.posts.list_updates(account_id=acct, post_id=post.id) == []


def test_another_account_sees_nothing_and_changes_nothing(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq)
    post = db.posts.create(account_id=acct, creator_id=creator.id, title="Mine", status="published")
    db.posts.add_update(account_id=acct, post_id=post.id, body="Note")

    assert db.posts.find_by_id(account_id=acct2, id=post.id) is None
    assert db.posts.list_by_creator(account_id=acct2, creator_id=creator.id) == []
    assert db.posts.feed(account_id=acct2) == []
    assert db.posts.list_updates(account_id=acct2, post_id=post.id) == []
    assert [row.count for row in db.posts.count_by_status(account_id=acct2)] == [0, 0, 0]
    assert db.posts.update(account_id=acct2, id=post.id, title="Hijacked") is None
    assert db.posts.publish(account_id=acct2, id=post.id) is None
    assert db.posts.archive(account_id=acct2, id=post.id) is None
    assert db.posts.delete(account_id=acct2, id=post.id) == 0

    assert db.posts.find_by_id(account_id=acct, id=post.id) == post
