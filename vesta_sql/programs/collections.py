"""Collection programs: moving and removing items while positions stay dense (0..n-1).

A unique `(collection, position)` makes a one-statement shift collide with itself (both
dialects check uniqueness row by row), and positions may not go negative. So each
renumbering is two updates: lift the affected range above every other item, then settle
it back shifted by one, with the moved item landing on its new position.
"""

from __future__ import annotations

import dataclasses

from ..errors import InvalidInputError
from ..records.collections import CollectionItem
from .driver import Program, Steps
from .registry import program


@program("collections", "move_item", write=True, dialects=("sqlite", "postgres"),
         steps=("collections.lock_collection", "collections.find_item", "collections.position_end",
                "collections.lift_positions", "collections.settle_positions"))
def move_item(q: Steps, *, collection_id: str, item_id: str, position: int) -> Program[CollectionItem]:
    """Move an item to `position` (0 = first, item count - 1 = last); the others close up."""
    item = yield from _locked_item(q, collection_id, item_id)
    end: int = yield q.collections.position_end(collection_id=collection_id)
    if type(position) is not int or not 0 <= position < end:
        raise InvalidInputError(f"position: must be an int in 0..{end - 1}, got {position!r}")
    if position == item.position:
        return item
    low, high = sorted((item.position, position))
    yield q.collections.lift_positions(collection_id=collection_id, low=low, high=high, lift=end)
    yield q.collections.settle_positions(
        collection_id=collection_id,
        lift=end,
        shift=-1 if item.position < position else 1,
        item_id=item.id,
        position=position,
    )
    return dataclasses.replace(item, position=position)


@program("collections", "remove_item", write=True, dialects=("sqlite", "postgres"),
         steps=("collections.lock_collection", "collections.find_item", "collections.position_end",
                "collections.delete_item", "collections.lift_positions", "collections.settle_positions"))
def remove_item(q: Steps, *, collection_id: str, item_id: str) -> Program[bool]:
    """Remove an item and close the gap; False if the collection has no such item."""
    found = yield q.collections.lock_collection(id=collection_id)
    if found is None:
        return False
    item: CollectionItem | None = yield q.collections.find_item(collection_id=collection_id, id=item_id)
    if item is None:
        return False
    end: int = yield q.collections.position_end(collection_id=collection_id)
    yield q.collections.delete_item(collection_id=collection_id, id=item.id)
    if item.position + 1 < end:
        yield q.collections.lift_positions(collection_id=collection_id, low=item.position + 1, high=end - 1, lift=end)
        yield q.collections.settle_positions(
            collection_id=collection_id, lift=end, shift=-1, item_id=item.id, position=item.position
        )
    return True


def _locked_item(q: Steps, collection_id: str, item_id: str) -> Program[CollectionItem]:
    found = yield q.collections.lock_collection(id=collection_id)
    if found is None:
        raise InvalidInputError("collection_id: the account has no such collection")
    item: CollectionItem | None = yield q.collections.find_item(collection_id=collection_id, id=item_id)
    if item is None:
        raise InvalidInputError("item_id: the collection has no such item")
    return item
