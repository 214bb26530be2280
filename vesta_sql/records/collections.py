"""Records of collections: a creator's ordered lists of posts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Collection", "CollectionItem"]


@dataclass(frozen=True, slots=True)
class Collection:
    """A titled, ordered list of posts."""

    id: str
    account_id: str
    creator_id: str
    title: str
    description: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CollectionItem:
    """One post in a collection; positions run 0..n-1 without gaps."""

    id: str
    account_id: str
    collection_id: str
    post_id: str
    position: int
    created_at: datetime
