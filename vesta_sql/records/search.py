"""Records of the search domain: similarity hits, hybrid (full-text + vector) hits, and the
embeddings of one account as the SQLite search reads them in one row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ._types import Embedding, JsonValue, array_aware_eq

__all__ = ["HybridHit", "PostHit", "PostVectors"]


@dataclass(frozen=True, slots=True)
class PostHit:
    """A post found by similarity search, with its cosine distance to the query (0 = same direction, 2 = opposite)."""

    id: str
    account_id: str
    creator_id: str
    title: str
    body: str
    status: str
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    distance: float


@dataclass(frozen=True, slots=True)
class HybridHit:
    """A post found by hybrid search: its reciprocal-rank-fusion score and its rank in each list (None when absent)."""

    id: str
    account_id: str
    creator_id: str
    title: str
    body: str
    status: str
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    score: float
    text_rank: int | None
    vector_rank: int | None


@dataclass(frozen=True, slots=True, eq=False)
class PostVectors:
    """Every embedded post of one account in one row (SQLite search): ids and statuses as JSON
    arrays, and the embeddings concatenated in the same order (None when there are none)."""

    ids: JsonValue
    statuses: JsonValue
    embeddings: Embedding | None

    __eq__ = array_aware_eq
