"""Records of the posts domain: posts (full and summary), status counts, post updates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ._types import Embedding, array_aware_eq

__all__ = ["Post", "PostStatusCount", "PostSummary", "PostUpdate"]


@dataclass(frozen=True, slots=True, eq=False)
class Post:
    """A post with its embedding (a 384-d float32 array, or None when not computed)."""

    id: str
    account_id: str
    creator_id: str
    title: str
    body: str
    status: str
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    embedding: Embedding | None

    __eq__ = array_aware_eq


@dataclass(frozen=True, slots=True)
class PostSummary:
    """A post as listed in pages and feeds: everything but the embedding."""

    id: str
    account_id: str
    creator_id: str
    title: str
    body: str
    status: str
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PostStatusCount:
    """How many posts of the account have one status (every status is listed, zeros too)."""

    status: str
    count: int


@dataclass(frozen=True, slots=True)
class PostUpdate:
    """A follow-up note appended to a post."""

    id: str
    account_id: str
    post_id: str
    body: str
    created_at: datetime
