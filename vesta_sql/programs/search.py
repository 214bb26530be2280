"""Similarity and hybrid search over posts: `db.posts.search_similar` and `db.posts.search_hybrid`.

Each dialect has its own read-only programs (the SQL is in `queries/<dialect>/posts.sql`):

* Postgres: one batch, one round trip: `search_settings` sets `hnsw.ef_search`, relaxed
  iterative scans and the plan cache mode for the implicit transaction; then one ranking
  statement sizes the account (a bounded count) and ranks either by an exact scan of the
  account (small accounts) or through the half-precision HNSW index, re-ranked by exact distance
  (large accounts). The programs remember the size the statement found (the connection's
  memo for the account, for EXACT_FOR_SECONDS): an account seen small then gets the exact
  scan alone (no count, a short statement to plan, the same results); one seen large gets
  the index branch alone from search_similar, and a count of one index entry in hybrid
  search, until a search comes back short of k. Settings made by an earlier statement of
  the same transaction are certain to be in place when the ranking statement starts its
  index scan.
* SQLite: exact search in NumPy over the account's embeddings (`sqlite_vectors.py`), kept in
  memory under the account's search token (changed by triggers on every relevant write,
  read in the same transaction). After a write, the cached entry of an earlier token is
  updated from the posts the change log names since; with none to start from, the
  embeddings are read in one row. Then the top k posts are read by id.

Inputs are checked before the first step runs: the embedding (384 finite float32 values,
not all zero), `k` in 1..1000, `status` and `text` as strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from operator import attrgetter
from time import monotonic
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInputError
from ..params import MAX_LIST_ITEMS, check_size, check_text, validate_vector
from ..records.posts import PostSummary
from ..records.search import HybridHit, PostHit
from .driver import Program, Step, Steps
from .registry import program, step_record
from .sqlite_vectors import CACHE, AccountVectors, PostVectors, SearchChanges

if TYPE_CHECKING:
    import numpy
    import numpy.typing

    FloatArray = numpy.typing.NDArray[numpy.float32]

MAX_K = 1_000
# Postgres: accounts with fewer posts than this are ranked by an exact scan (about 1 ms per
# 1,000 posts); larger ones through the HNSW index.
EXACT_BELOW = 3_000
# An account search_similar has seen below EXACT_BELOW is ranked by `search_exact` alone
# (no sizing, a shorter statement to plan) for this long, then sized again.
EXACT_FOR_SECONDS = 60.0
_EXACT_UNTIL = "posts.exact_until"  # its memo key: a monotonic() deadline
# One seen with EXACT_BELOW posts or more (and k hits) is ranked by `search_index` alone
# for as long: no sizing, a statement half as long to plan; its hybrid searches are sized
# at the cost of one index entry. A search that comes back short of k sizes the account
# again (it may have shrunk below EXACT_BELOW meanwhile).
_INDEX_UNTIL = "posts.index_until"  # its memo key: (a monotonic() deadline, the largest k served in full)
# hnsw.ef_search floor for the index path (pgvector caps it at 1,000): recall@10 0.98 on the
# benchmark's 50,000-post account with the index of migration 0015 (see benchmarks/README.md)
EF_SEARCH = 200
MAX_EF_SEARCH = 1_000
# Hybrid search fuses the best HYBRID_CANDIDATES of each list (at least 2k).
HYBRID_CANDIDATES = 50
MAX_TEXT_TERMS = 32
_TERM = re.compile(r"\w+")


def _check_k(query: str, k: object) -> int:
    if type(k) is not int or not 1 <= k <= MAX_K:
        raise InvalidInputError(f"{query}: parameter 'k' must be an int in 1..{MAX_K}, got {k!r}")
    return k


def _check_text(query: str, name: str, value: object, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    if type(value) is not str:
        raise InvalidInputError(f"{query}: parameter {name!r} must be a str, got {type(value).__name__}")
    check_size(query, name, check_text(query, name, value))


def _similar_input(embedding: object, k: object, status: object) -> tuple[FloatArray, int]:
    query = "posts.search_similar"
    vector = validate_vector(query, "embedding", embedding)
    _check_text(query, "status", status, nullable=True)
    return vector, _check_k(query, k)


def _hybrid_input(text: object, embedding: object, k: object) -> tuple[FloatArray, int]:
    query = "posts.search_hybrid"
    _check_text(query, "text", text)
    vector = validate_vector(query, "embedding", embedding)
    return vector, _check_k(query, k)


def _hybrid_candidates(k: int) -> int:
    return min(MAX_K, max(2 * k, HYBRID_CANDIDATES))


@step_record
@dataclass(frozen=True, slots=True)
class RankedHit(PostHit):
    """A row of the `posts.search_ranked` step: a `PostHit`, and whether the account was ranked exactly."""

    exact: bool


@step_record
@dataclass(frozen=True, slots=True)
class RankedHybridHit(HybridHit):
    """A row of the `posts.search_hybrid_ranked` step: a `HybridHit`, and whether the account was sized small."""

    exact: bool


# RankedHybridHit's fields, less its own `exact`, by name (whatever their order)
_hybrid_values = attrgetter(*(field.name for field in fields(HybridHit)))


def _hybrid_hit(row: RankedHybridHit) -> HybridHit:
    return HybridHit(*_hybrid_values(row))


def _hit(row: PostSummary | RankedHit, distance: float) -> PostHit:
    return PostHit(row.id, row.account_id, row.creator_id, row.title, row.body, row.status,
                   row.published_at, row.created_at, row.updated_at, distance)


# --- Postgres ---------------------------------------------------------------------------


def _settings(q: Steps, candidates: int, exact_below: int | None = None) -> Step:
    """The HNSW settings for the ranking statement that follows in the same batch (sized by EXACT_BELOW unless told)."""
    return q.posts.search_settings(ef_search=min(MAX_EF_SEARCH, max(EF_SEARCH, candidates)),
                                   exact_below=EXACT_BELOW if exact_below is None else exact_below,
                                   prepared=q.prepared_statements)


def _seen_large(memo: dict[str, Any], now: float) -> int | None:
    """None unless the memo's account was last sized large, less than EXACT_FOR_SECONDS ago; else the
    largest k search_similar then found in full through the index (0: none)."""
    if now < memo.get(_EXACT_UNTIL, 0.0):
        return None
    until, served = memo.get(_INDEX_UNTIL, (0.0, 0))
    return int(served) if now < until else None


def _remember_size(memo: dict[str, Any], exact: bool, served: int) -> None:
    """What a ranking statement's sizing found, for EXACT_FOR_SECONDS: small (exact), or large with `served`."""
    deadline = monotonic() + EXACT_FOR_SECONDS
    if exact:
        memo.pop(_INDEX_UNTIL, None)
        memo[_EXACT_UNTIL] = deadline
    else:
        memo.pop(_EXACT_UNTIL, None)
        memo[_INDEX_UNTIL] = (deadline, served)


@program("posts", "search_similar", write=False, dialects=("postgres",),
         steps=("posts.search_settings", "posts.search_ranked", "posts.search_exact", "posts.search_index"))
def search_similar_postgres(q: Steps, *, embedding: Any, k: int = 10, status: str | None = None) -> Program[list[PostHit]]:
    """The k posts of the account nearest to `embedding` (cosine distance), nearest first, optionally of one status."""
    vector, k = _similar_input(embedding, k, status)
    memo, now = q.memo, monotonic()
    if now < memo.get(_EXACT_UNTIL, 0.0):  # seen small just now: exact, whatever its size
        exact: list[PostHit] = yield q.posts.search_exact(embedding=vector, k=k, status=status)
        return exact
    candidates = max(4 * k, 40)
    served = _seen_large(memo, now)
    # seen large just now, and found in full for as many: no sizing (a status filter is sized: it may be rare)
    if status is None and served is not None and k <= served:
        indexed: list[PostHit]
        _, indexed = yield (_settings(q, candidates, exact_below=1), q.posts.search_index(
            embedding=vector, k=k, candidates=candidates, status=None))
        if len(indexed) == k:
            return indexed
        memo.pop(_INDEX_UNTIL, None)  # short: the account may have shrunk since; size it again
        served = None
    ranked: list[RankedHit]
    _, ranked = yield (_settings(q, candidates), q.posts.search_ranked(
        embedding=vector, k=k, candidates=candidates, status=status, exact_below=EXACT_BELOW))
    if ranked:
        found_in_full = status is None and len(ranked) == k
        _remember_size(memo, ranked[0].exact, max(k if found_in_full else 0, served or 0))
    return [_hit(hit, hit.distance) for hit in ranked]


@program("posts", "search_hybrid", write=False, dialects=("postgres",),
         steps=("posts.search_settings", "posts.search_hybrid_ranked"))
def search_hybrid_postgres(q: Steps, *, text: str, embedding: Any, k: int = 10) -> Program[list[HybridHit]]:
    """Posts matching `text` (web-search syntax) or near `embedding`, fused by reciprocal rank, best first."""
    vector, k = _hybrid_input(text, embedding, k)
    candidates = _hybrid_candidates(k)
    memo = q.memo
    hits: list[RankedHybridHit]
    served = _seen_large(memo, monotonic())
    if served is not None:  # seen large just now: sized as large at the cost of one index entry (any post counts to 1)
        _, hits = yield (_settings(q, candidates, exact_below=1), q.posts.search_hybrid_ranked(
            text=text, embedding=vector, k=k, candidates=candidates, exact_below=1))
        if len(hits) == k:
            return [_hybrid_hit(hit) for hit in hits]
        memo.pop(_INDEX_UNTIL, None)  # short: the account may have shrunk since; size it again
    _, hits = yield (_settings(q, candidates), q.posts.search_hybrid_ranked(
        text=text, embedding=vector, k=k, candidates=candidates, exact_below=EXACT_BELOW))
    if hits:  # k fused hits may be text matches: they say nothing of the k search_similar may skip sizing for
        _remember_size(memo, hits[0].exact, 0)
    return [_hybrid_hit(hit) for hit in hits]


# --- SQLite -----------------------------------------------------------------------------


def _account_vectors(q: Steps) -> Program[AccountVectors]:
    """The account's embeddings: cached under its current token; else the cached entry of an earlier
    token updated from the posts changed since (the change log); else read in one row."""
    token: str | None = yield q.posts.search_version()
    if token is None:  # the account never had a post: nothing to keep
        empty: PostVectors = yield q.posts.search_vectors()
        return AccountVectors.from_record(empty)
    cached = CACHE.get(token)
    if cached is not None:
        return cached
    changes: SearchChanges = yield q.posts.search_changes()
    log = changes.leading_to(token)
    base = CACHE.newest(log[1]) if log is not None else None
    if log is not None and base is not None:
        at, previous = base
        changed = list(dict.fromkeys(post_id for post_id in log[0][at + 1:] if post_id is not None))
        if len(changed) <= MAX_LIST_ITEMS:
            vectors = previous
            if changed:
                record: PostVectors = yield q.posts.search_changed(ids=changed)
                vectors = previous.updated(changed, record)
            CACHE.put(token, vectors, replacing=log[1][at])
            return vectors
    loaded: PostVectors = yield q.posts.search_vectors()
    vectors = AccountVectors.from_record(loaded)
    CACHE.put(token, vectors)
    return vectors


def text_terms(text: str) -> str | None:
    """The words of `text` (at most 32) separated by spaces, None if there are none; the SQL quotes each one."""
    return " ".join(_TERM.findall(text)[:MAX_TEXT_TERMS]) or None


@program("posts", "search_similar", write=False, dialects=("sqlite",),
         steps=("posts.search_version", "posts.search_changes", "posts.search_changed", "posts.search_vectors",
                "posts.search_hits"))
def search_similar_sqlite(q: Steps, *, embedding: Any, k: int = 10, status: str | None = None) -> Program[list[PostHit]]:
    """The k posts of the account nearest to `embedding` (cosine distance), nearest first, optionally of one status."""
    vector, k = _similar_input(embedding, k, status)
    vectors = yield from _account_vectors(q)
    ranked = vectors.nearest(vector, k, status)
    if not ranked:
        return []
    rows: list[PostSummary] = yield q.posts.search_hits(ids=[post_id for post_id, _ in ranked])
    by_id = {row.id: row for row in rows}
    return [_hit(by_id[post_id], distance) for post_id, distance in ranked if post_id in by_id]


@program("posts", "search_hybrid", write=False, dialects=("sqlite",),
         steps=("posts.search_version", "posts.search_changes", "posts.search_changed", "posts.search_vectors",
                "posts.search_hybrid_fused"))
def search_hybrid_sqlite(q: Steps, *, text: str, embedding: Any, k: int = 10) -> Program[list[HybridHit]]:
    """Posts matching every word of `text` or near `embedding`, fused by reciprocal rank, best first."""
    vector, k = _hybrid_input(text, embedding, k)
    candidates = _hybrid_candidates(k)
    vectors = yield from _account_vectors(q)
    nearest = [post_id for post_id, _ in vectors.nearest(vector, candidates)]
    hits: list[HybridHit] = yield q.posts.search_hybrid_fused(
        match=text_terms(text), vector_ids=nearest, k=k, candidates=candidates)
    return hits
