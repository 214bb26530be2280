"""Collections: create/list/delete, appending items, and moving/removing items with dense positions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vesta_sql import errors
from vesta_sql.records.collections import Collection, CollectionItem


def make_creator(db: Any, account: str, uniq: Callable[[str], str]) -> str:
    slug = uniq("ada")
    creator_id: str = db.creators.create(account_id=account, name="Ada", slug=slug, email=f"{slug}@example.com").id
    return creator_id


def make_collection(db: Any, account: str, uniq: Callable[[str], str], items: int = 0) -> tuple[Collection, list[str]]:
    """A collection holding `items` new posts, in order; returns it and the post ids."""
    creator_id = make_creator(db, account, uniq)
    collection: Collection = db.collections.create(account_id=account, creator_id=creator_id, title="Best of")
    posts = [db.posts.create(account_id=account, creator_id=creator_id, title=f"Post {i}").id for i in range(items)]
    for post_id in posts:
        db.collections.add_item(account_id=account, collection_id=collection.id, post_id=post_id)
    return collection, posts


def order(db: Any, account: str, collection_id: str) -> list[str]:
    """The post ids in position order, after checking positions are exactly 0..n-1."""
    items = db.collections.list_items(account_id=account, collection_id=collection_id)
    assert [item.position for item in items] == list(range(len(items)))
    assert db.collections.position_end(account_id=account, collection_id=collection_id) == len(items)
    return [item.post_id for item in items]


def item_of(db: Any, account: str, collection_id: str, post_id: str) -> CollectionItem:
    items = db.collections.list_items(account_id=account, collection_id=collection_id)
    found: CollectionItem = next(item for item in items if item.post_id == post_id)
    return found


def test_create_find_and_list_collections_by_keyset(db: Any, acct: str, uniq: Any) -> None:
    creator_id = make_creator(db, acct, uniq)

    made = [db.collections.create(account_id=acct, creator_id=creator_id, title=f"C{i}", description="d")
            for i in range(3)]
    page1 = db.collections.list_by_creator(account_id=acct, creator_id=creator_id, limit=2)
    last = page1[-1]
    page2 = db.collections.list_by_creator(account_id=acct, creator_id=creator_id, limit=2,
                                           before_created_at=last.created_at, before_id=last.id)

    first = made[0]
    assert isinstance(first, Collection)
    assert (first.account_id, first.creator_id, first.title, first.description) == (acct, creator_id, "C0", "d")
    assert first.created_at.tzinfo is not None and first.created_at == first.updated_at
    assert db.collections.find_by_id(account_id=acct, id=first.id) == first
    assert page1 + page2 == sorted(made, key=lambda c: (c.created_at, c.id), reverse=True)
    assert (len(page1), len(page2)) == (2, 1)


def test_add_item_appends_at_the_end(db: Any, acct: str, uniq: Any) -> None:
    collection, _ = make_collection(db, acct, uniq)
    creator_id = collection.creator_id
    posts = [db.posts.create(account_id=acct, creator_id=creator_id, title=f"P{i}").id for i in range(3)]

    items = [db.collections.add_item(account_id=acct, collection_id=collection.id, post_id=p) for p in posts]

    assert all(isinstance(item, CollectionItem) for item in items)
    assert [(item.position, item.post_id, item.collection_id) for item in items] == [
        (0, posts[0], collection.id), (1, posts[1], collection.id), (2, posts[2], collection.id)]
    assert db.collections.list_items(account_id=acct, collection_id=collection.id) == items
    assert db.collections.find_item(account_id=acct, collection_id=collection.id, id=items[1].id) == items[1]


def test_a_post_is_in_a_collection_once(db: Any, acct: str, uniq: Any) -> None:
    collection, posts = make_collection(db, acct, uniq, items=2)

    with pytest.raises(errors.UniqueViolation):
        db.collections.add_item(account_id=acct, collection_id=collection.id, post_id=posts[0])
    assert order(db, acct, collection.id) == posts


def test_add_item_to_a_missing_collection_or_missing_post(db: Any, acct: str, uniq: Any) -> None:
    collection, posts = make_collection(db, acct, uniq, items=1)

    assert db.collections.add_item(account_id=acct, collection_id="no-such-collection", post_id=posts[0]) is None
    with pytest.raises(errors.ForeignKeyViolation):
        db.collections.add_item(account_id=acct, collection_id=collection.id, post_id="no-such-post")
    assert order(db, acct, collection.id) == posts


def test_list_items_pages_by_position(db: Any, acct: str, uniq: Any) -> None:
    collection, posts = make_collection(db, acct, uniq, items=5)

    page1 = db.collections.list_items(account_id=acct, collection_id=collection.id, limit=3)
    page2 = db.collections.list_items(account_id=acct, collection_id=collection.id, limit=3,
                                      after_position=page1[-1].position)

    assert [item.post_id for item in page1] == posts[:3]
    assert [item.post_id for item in page2] == posts[3:]


@pytest.mark.parametrize(("source", "target"), [(0, 2), (1, 4), (0, 4), (4, 1), (3, 0), (4, 0), (2, 4), (2, 0)])
def test_move_item_keeps_positions_dense(db: Any, acct: str, uniq: Any, source: int, target: int) -> None:
    collection, posts = make_collection(db, acct, uniq, items=5)
    item = item_of(db, acct, collection.id, posts[source])

    moved = db.collections.move_item(account_id=acct, collection_id=collection.id, item_id=item.id, position=target)

    expected = list(posts)
    expected.insert(target, expected.pop(source))
    assert moved.id == item.id and moved.post_id == posts[source] and moved.position == target
    assert order(db, acct, collection.id) == expected
    assert db.collections.find_item(account_id=acct, collection_id=collection.id, id=item.id) == moved


def test_move_item_to_its_own_position_changes_nothing(db: Any, acct: str, uniq: Any) -> None:
    collection, posts = make_collection(db, acct, uniq, items=3)
    item = item_of(db, acct, collection.id, posts[1])

    assert db.collections.move_item(account_id=acct, collection_id=collection.id, item_id=item.id, position=1) == item
    assert order(db, acct, collection.id) == posts


def test_move_item_refuses_bad_targets_without_effect(db: Any, acct: str, uniq: Any) -> None:
    collection, posts = make_collection(db, acct, uniq, items=3)
    item = item_of(db, acct, collection.id, posts[0])

    for position in (-1, 3, 99):
        with pytest.raises(errors.InvalidInputError):
            db.collections.move_item(account_id=acct, collection_id=collection.id, item_id=item.id, position=position)
    with pytest.raises(errors.InvalidInputError):
        db.collections.move_item(account_id=acct, collection_id=collection.id, item_id="no-such-item", position=1)
    with pytest.raises(errors.InvalidInputError):
        db.collections.move_item(account_id=acct, collection_id="no-such-collection", item_id=item.id, position=1)
    assert order(db, acct, collection.id) == posts


def test_moves_in_one_transaction_roll_back_together(db: Any, acct: str, uniq: Any) -> None:
    collection, posts = make_collection(db, acct, uniq, items=3)
    item = item_of(db, acct, collection.id, posts[0])

    with pytest.raises(RuntimeError), db.transaction(account_id=acct) as tx:
        tx.collections.move_item(collection_id=collection.id, item_id=item.id, position=2)
        raise RuntimeError("abandon")

    assert order(db, acct, collection.id) == posts


@pytest.mark.parametrize("index", [0, 2, 4])
def test_remove_item_closes_the_gap(db: Any, acct: str, uniq: Any, index: int) -> None:
    collection, posts = make_collection(db, acct, uniq, items=5)
    item = item_of(db, acct, collection.id, posts[index])

    assert db.collections.remove_item(account_id=acct, collection_id=collection.id, item_id=item.id) is True
    assert db.collections.remove_item(account_id=acct, collection_id=collection.id, item_id=item.id) is False

    remaining = posts[:index] + posts[index + 1:]
    assert order(db, acct, collection.id) == remaining
    assert db.collections.find_item(account_id=acct, collection_id=collection.id, id=item.id) is None
    again = db.collections.add_item(account_id=acct, collection_id=collection.id, post_id=posts[index])
    assert again.position == 4
    assert order(db, acct, collection.id) == [*remaining, posts[index]]


def test_remove_the_only_item(db: Any, acct: str, uniq: Any) -> None:
    collection, posts = make_collection(db, acct, uniq, items=1)
    item = item_of(db, acct, collection.id, posts[0])

    assert db.collections.remove_item(account_id=acct, collection_id=collection.id, item_id=item.id) is True
    assert order(db, acct, collection.id) == []
    assert db.collections.remove_item(account_id=acct, collection_id="no-such-collection", item_id=item.id) is False


def test_renumbering_steps_called_directly(db: Any, acct: str, uniq: Any) -> None:
    """The two-step renumbering the programs use, by hand: remove position 1 of 0..3."""
    collection, posts = make_collection(db, acct, uniq, items=4)
    item = item_of(db, acct, collection.id, posts[1])

    with db.transaction(account_id=acct) as tx:
        assert tx.collections.lock_collection(id=collection.id) == collection.id
        assert tx.collections.lock_collection(id="no-such-collection") is None
        assert tx.collections.delete_item(collection_id=collection.id, id=item.id) == 1
        assert tx.collections.lift_positions(collection_id=collection.id, low=2, high=3, lift=4) == 2
        assert tx.collections.settle_positions(collection_id=collection.id, lift=4, shift=-1, item_id=item.id,
                                               position=1) == 2

    assert order(db, acct, collection.id) == [posts[0], posts[2], posts[3]]


def test_delete_collection_removes_its_items_not_the_posts(db: Any, acct: str, uniq: Any) -> None:
    collection, posts = make_collection(db, acct, uniq, items=2)

    assert db.collections.delete(account_id=acct, id=collection.id) == 1
    assert db.collections.delete(account_id=acct, id=collection.id) == 0

    assert db.collections.find_by_id(account_id=acct, id=collection.id) is None
    assert db.collections.list_items(account_id=acct, collection_id=collection.id) == []
    assert db.posts.find_by_id(account_id=acct, id=posts[0]) is not None


def test_another_account_sees_and_changes_nothing(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    collection, posts = make_collection(db, acct, uniq, items=3)
    item = item_of(db, acct, collection.id, posts[0])
    other_post = db.posts.create(account_id=acct, creator_id=collection.creator_id, title="Other").id

    assert db.collections.find_by_id(account_id=acct2, id=collection.id) is None
    assert db.collections.list_by_creator(account_id=acct2, creator_id=collection.creator_id) == []
    assert db.collections.list_items(account_id=acct2, collection_id=collection.id) == []
    assert db.collections.find_item(account_id=acct2, collection_id=collection.id, id=item.id) is None
    assert db.collections.position_end(account_id=acct2, collection_id=collection.id) == 0
    assert db.collections.add_item(account_id=acct2, collection_id=collection.id, post_id=other_post) is None
    with pytest.raises(errors.InvalidInputError):
        db.collections.move_item(account_id=acct2, collection_id=collection.id, item_id=item.id, position=2)
    assert db.collections.remove_item(account_id=acct2, collection_id=collection.id, item_id=item.id) is False
    assert db.collections.delete(account_id=acct2, id=collection.id) == 0
    with pytest.raises(errors.ForeignKeyViolation):
        db.collections.create(account_id=acct2, creator_id=collection.creator_id, title="Stolen")

    assert db.collections.find_by_id(account_id=acct, id=collection.id) == collection
    assert order(db, acct, collection.id) == posts
