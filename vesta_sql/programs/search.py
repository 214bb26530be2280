"""Similarity and hybrid search over posts: `db.posts.search_similar` and `db.posts.search_hybrid`.

Each dialect has its own read-only programs (the SQL is in `queries/<dialect>/posts.sql`):

* Postgres: one batch, one round trip: `search_settings` sets `hnsw.ef_search`, relaxed
  iterative scans and the plan cache mode for the implicit transaction; then one ranking
  statement sizes the account (a bounded count) and ranks either by an exact scan of the
  account (small accounts) or through the half-precision HNSW index, re-ranked by exact distance
  (large accounts). Settings made by an earlier statement of the same transaction are
  certain to be in place when the ranking statement starts its index scan.
* SQLite: exact search in NumPy over the account's embeddings, read in one row and kept in
  memory while the account's search token (changed by triggers on every relevant write,
  read in the same transaction) stays the same; then the top k posts are read by id.

Inputs are checked before the first step runs: the embedding (384 finite float32 values,
not all zero), `k` in 1..1000, `status` and `text` as strings.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInputError
from ..params import MAX_TEXT_CHARS, check_size, text_bytes, validate_vector
from ..records._types import EMBEDDING_DIMENSIONS, Embedding, JsonValue, array_aware_eq
from ..records.posts import PostSummary
from ..records.search import HybridHit, PostHit
from .driver import Program, Step, Steps
from .registry import program, step_record

if TYPE_CHECKING:
    import numpy
    import numpy.typing

    FloatArray = numpy.typing.NDArray[numpy.float32]
    Float64Array = numpy.typing.NDArray[numpy.float64]
    ObjectArray = numpy.typing.NDArray[numpy.object_]

MAX_K = 1_000
# Postgres: accounts with fewer posts than this are ranked by an exact scan (about 1 ms per
# 1,000 posts); larger ones through the HNSW index.
EXACT_BELOW = 3_000
# hnsw.ef_search floor for the index path (pgvector caps it at 1,000): recall@10 0.98 on the
# benchmark's 50,000-post account with the index of migration 0015 (see benchmarks/README.md)
EF_SEARCH = 200
MAX_EF_SEARCH = 1_000
# Hybrid search fuses the best HYBRID_CANDIDATES of each list (at least 2k).
HYBRID_CANDIDATES = 50
MAX_TEXT_TERMS = 32
# SQLite: memory for cached account embeddings, per process (a 10,000-post account is 15 MB).
CACHE_BYTES = 256 * 1024 * 1024
_RERANK_MARGIN = 16  # float32 ranking, then the best k + margin again in float64
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
    if len(value) > MAX_TEXT_CHARS:
        check_size(query, name, text_bytes(query, name, value))


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


def _hit(row: PostSummary, distance: float) -> PostHit:
    return PostHit(row.id, row.account_id, row.creator_id, row.title, row.body, row.status,
                   row.published_at, row.created_at, row.updated_at, distance)


# --- Postgres ---------------------------------------------------------------------------


def _settings(q: Steps, candidates: int) -> Step:
    """The HNSW settings for the ranking statement that follows in the same batch."""
    return q.posts.search_settings(ef_search=min(MAX_EF_SEARCH, max(EF_SEARCH, candidates)), exact_below=EXACT_BELOW)


@program("posts", "search_similar", write=False, dialects=("postgres",),
         steps=("posts.search_settings", "posts.search_ranked"))
def search_similar_postgres(q: Steps, *, embedding: Any, k: int = 10, status: str | None = None) -> Program[list[PostHit]]:
    """The k posts of the account nearest to `embedding` (cosine distance), nearest first, optionally of one status."""
    vector, k = _similar_input(embedding, k, status)
    candidates = max(4 * k, 40)
    hits: list[PostHit]
    _, hits = yield (_settings(q, candidates), q.posts.search_ranked(
        embedding=vector, k=k, candidates=candidates, status=status, exact_below=EXACT_BELOW))
    return hits


@program("posts", "search_hybrid", write=False, dialects=("postgres",),
         steps=("posts.search_settings", "posts.search_hybrid_ranked"))
def search_hybrid_postgres(q: Steps, *, text: str, embedding: Any, k: int = 10) -> Program[list[HybridHit]]:
    """Posts matching `text` (web-search syntax) or near `embedding`, fused by reciprocal rank, best first."""
    vector, k = _hybrid_input(text, embedding, k)
    candidates = _hybrid_candidates(k)
    hits: list[HybridHit]
    _, hits = yield (_settings(q, candidates), q.posts.search_hybrid_ranked(
        text=text, embedding=vector, k=k, candidates=candidates, exact_below=EXACT_BELOW))
    return hits


# --- SQLite -----------------------------------------------------------------------------


@step_record
@dataclass(frozen=True, slots=True, eq=False)
class PostVectors:
    """Every embedded post of one account in one row (the `posts.search_vectors` step): ids and
    statuses as JSON arrays, and the embeddings concatenated in the same order (None when there are none)."""

    ids: JsonValue
    statuses: JsonValue
    embeddings: Embedding | None

    __eq__ = array_aware_eq


@dataclass(frozen=True, slots=True)
class AccountVectors:
    """One account's embedded posts, ready to rank: ids, statuses, the float32 matrix and its row norms."""

    ids: list[str]
    statuses: ObjectArray
    matrix: FloatArray
    norms: FloatArray

    @property
    def nbytes(self) -> int:
        return int(self.matrix.nbytes + self.norms.nbytes) + 100 * len(self.ids)  # + ids and statuses

    @classmethod
    def from_record(cls, record: PostVectors) -> AccountVectors:
        import numpy

        ids: list[str] = record.ids if isinstance(record.ids, list) else []
        # object dtype: built without copying the strings; compared only when a status filter is given
        statuses = numpy.array(record.statuses if isinstance(record.statuses, list) else [], dtype=object)
        flat = record.embeddings if record.embeddings is not None else numpy.zeros(0, dtype=numpy.float32)
        matrix = flat.reshape(-1, EMBEDDING_DIMENSIONS)
        if matrix.shape[0] != len(ids) or statuses.shape[0] != len(ids):
            raise InvalidInputError("posts.search_vectors: ids, statuses and embeddings do not line up")
        norms = numpy.sqrt(numpy.einsum("ij,ij->i", matrix, matrix))
        keep = norms > 0  # a zero vector has no direction: it cannot be ranked by cosine
        if not keep.all():
            ids = [value for value, kept in zip(ids, keep.tolist(), strict=True) if kept]
            statuses, matrix, norms = statuses[keep], matrix[keep], norms[keep]
        return cls(ids, statuses, matrix, norms)

    def nearest(self, query: FloatArray, count: int, status: str | None = None) -> list[tuple[str, float]]:
        """The `count` nearest (id, cosine distance) pairs, by distance then id: exact."""
        import numpy

        rows: Any = None
        matrix, norms = self.matrix, self.norms
        if status is not None:
            rows = numpy.flatnonzero(self.statuses == status)
            matrix, norms = matrix[rows], norms[rows]
        total = matrix.shape[0]
        if total == 0:
            return []
        similarity = (matrix @ query) / norms
        take = min(total, count + _RERANK_MARGIN)
        best = numpy.argpartition(-similarity, take - 1)[:take] if take < total else numpy.arange(total)
        query64 = query.astype(numpy.float64)
        chosen: Float64Array = matrix[best].astype(numpy.float64)
        distances = 1.0 - (chosen @ query64) / (numpy.linalg.norm(chosen, axis=1) * float(numpy.linalg.norm(query64)))
        positions = best if rows is None else rows[best]
        ids = self.ids
        ranked = sorted(zip(distances.tolist(), (ids[i] for i in positions.tolist()), strict=True))
        return [(post_id, distance) for distance, post_id in ranked[:count]]


class VectorCache:
    """Account embeddings by search token, least recently used first out, within a byte budget."""

    def __init__(self, budget: int = CACHE_BYTES) -> None:
        self.budget = budget
        self._entries: OrderedDict[str, AccountVectors] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, token: str) -> AccountVectors | None:
        with self._lock:
            found = self._entries.get(token)
            if found is not None:
                self._entries.move_to_end(token)
            return found

    def put(self, token: str, vectors: AccountVectors) -> None:
        size = vectors.nbytes
        if size > self.budget:
            return
        with self._lock:
            if token in self._entries:
                return
            self._entries[token] = vectors
            self._bytes += size
            while self._bytes > self.budget:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped.nbytes

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


CACHE = VectorCache()


def _account_vectors(q: Steps) -> Program[AccountVectors]:
    """The account's embeddings: from the cache when its token is unchanged, else read in one row."""
    token: str | None = yield q.posts.search_version()
    if token is not None:
        cached = CACHE.get(token)
        if cached is not None:
            return cached
    record: PostVectors = yield q.posts.search_vectors()
    vectors = AccountVectors.from_record(record)
    if token is not None:
        CACHE.put(token, vectors)
    return vectors


def text_terms(text: str) -> str | None:
    """The words of `text` (at most 32) separated by spaces, None if there are none; the SQL quotes each one."""
    return " ".join(_TERM.findall(text)[:MAX_TEXT_TERMS]) or None


@program("posts", "search_similar", write=False, dialects=("sqlite",),
         steps=("posts.search_version", "posts.search_vectors", "posts.search_hits"))
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
         steps=("posts.search_version", "posts.search_vectors", "posts.search_hybrid_fused"))
def search_hybrid_sqlite(q: Steps, *, text: str, embedding: Any, k: int = 10) -> Program[list[HybridHit]]:
    """Posts matching every word of `text` or near `embedding`, fused by reciprocal rank, best first."""
    vector, k = _hybrid_input(text, embedding, k)
    candidates = _hybrid_candidates(k)
    vectors = yield from _account_vectors(q)
    nearest = [post_id for post_id, _ in vectors.nearest(vector, candidates)]
    hits: list[HybridHit] = yield q.posts.search_hybrid_fused(
        match=text_terms(text), vector_ids=nearest, k=k, candidates=candidates)
    return hits
