"""Records of the search domain: similarity hits and hybrid (full-text + vector) hits.

(The one-row block of an account's embeddings that the SQLite search reads, `PostVectors`,
is internal: it lives beside that program, in `vesta_sql.programs.search`.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["HybridHit", "PostHit"]


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
