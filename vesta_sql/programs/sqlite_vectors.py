"""SQLite vector search in memory: each account's embeddings, ranked exactly in NumPy, kept
by search token and brought up to date after a write from the posts that changed.

An entry (`AccountVectors`) is what one token of one account holds: the first `size` rows
of a block of rows with room to grow (`RowBlock`), which of them are dead, and the row of
each live post. After a write, the next entry writes the changed posts into the block's
spare rows and adds the rows they replace to its dead rows: it copies the dead rows and
the id-to-row map, never the matrix. Only the first entry to extend a block at its end may claim its
spare rows; any other (a second successor of the same entry), or one that would leave too
many dead rows or needs more room than is left, copies the live rows into a new block.
Rows below an entry's size are never written again and an entry never changes, so a
search holding an entry is unaffected by its successors.

`VectorCache` holds entries by token. Tokens are random (128 bits), one per account and
change, made by the triggers of migrations 0009 and 0013: an entry is found only through
the account's own tokens, read in its own database (or in a copy of it that shares the
history up to that token, where the posts were the same).
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInputError
from ..records._types import EMBEDDING_DIMENSIONS, Embedding, JsonValue, array_aware_eq
from .registry import step_record

if TYPE_CHECKING:
    import numpy
    import numpy.typing

    FloatArray = numpy.typing.NDArray[numpy.float32]
    Float64Array = numpy.typing.NDArray[numpy.float64]
    ObjectArray = numpy.typing.NDArray[numpy.object_]
    BoolArray = numpy.typing.NDArray[numpy.bool_]
    IntArray = numpy.typing.NDArray[numpy.intp]

# Memory for cached account embeddings, per process (a 10,000-post account is 15 MB).
CACHE_BYTES = 256 * 1024 * 1024
RERANK_MARGIN = 16  # float32 ranking, then the best k + margin again in float64
# A new block has an eighth more rows than it needs (at least 64); a successor copies the
# live rows into a new one rather than leave more than an eighth of its rows dead.
SPARE_SHARE = 8
MIN_SPARE = 64


@step_record
@dataclass(frozen=True, slots=True, eq=False)
class PostVectors:
    """Embedded posts of one account in one row (the `posts.search_vectors` and `posts.search_changed`
    steps): ids and statuses as JSON arrays, and the embeddings concatenated in the same order (None when none)."""

    ids: JsonValue
    statuses: JsonValue
    embeddings: Embedding | None

    __eq__ = array_aware_eq


@step_record
@dataclass(frozen=True, slots=True)
class SearchChanges:
    """The account's change log in one row (the `posts.search_changes` step), oldest first: each change's
    number, the post it concerns (None for none) and the token it gave the account."""

    seqs: JsonValue
    post_ids: JsonValue
    versions: JsonValue

    def leading_to(self, token: str) -> tuple[list[str | None], list[str]] | None:
        """(posts, tokens) when the log runs without a gap up to `token`, the account's current one; else None."""
        seqs, posts, versions = self.seqs, self.post_ids, self.versions
        if not (isinstance(seqs, list) and isinstance(posts, list) and isinstance(versions, list)):
            return None
        if not versions or len(seqs) != len(versions) or len(posts) != len(versions) or versions[-1] != token:
            return None  # e.g. a token changed by triggers that keep no log (0009's, put back by hand)
        if any(later != earlier + 1 for earlier, later in itertools.pairwise(seqs)):
            return None
        return posts, versions


def _rows_of(record: PostVectors) -> tuple[list[str], ObjectArray, FloatArray, FloatArray]:
    """A step's posts as (ids, statuses, matrix, norms), posts whose embedding is all zeros left out."""
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
    return ids, statuses, matrix, norms


class RowBlock:
    """Rows of embeddings with room to grow; each row is written once, by the entry that claimed it."""

    __slots__ = ("_lock", "ids", "matrix", "norms", "statuses", "used")

    def __init__(self, capacity: int) -> None:
        import numpy

        self.matrix: FloatArray = numpy.empty((capacity, EMBEDDING_DIMENSIONS), dtype=numpy.float32)
        self.norms: FloatArray = numpy.empty(capacity, dtype=numpy.float32)
        self.statuses: ObjectArray = numpy.empty(capacity, dtype=object)
        self.ids: list[str] = []
        self.used = 0
        self._lock = threading.Lock()

    @property
    def capacity(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def nbytes(self) -> int:
        return int(self.matrix.nbytes + self.norms.nbytes) + 100 * self.capacity  # + ids and statuses

    def claim(self, at: int, count: int) -> bool:
        """Reserve rows [at, at + count) for the one entry that ends at `at`, if the block ends there too and has room."""
        with self._lock:
            if self.used != at or at + count > self.capacity:
                return False
            self.used = at + count
            return True

    def write(self, at: int, ids: list[str], statuses: ObjectArray, matrix: FloatArray, norms: FloatArray) -> None:
        end = at + len(ids)
        self.matrix[at:end] = matrix
        self.norms[at:end] = norms
        self.statuses[at:end] = statuses
        self.ids[at:end] = ids


def _spare(rows: int) -> int:
    return max(MIN_SPARE, rows // SPARE_SHARE)


@dataclass(frozen=True, slots=True, eq=False)
class AccountVectors:
    """One account's embedded posts under one token: rows [0, size) of `block` but the `dead` ones
    (None: none), `rows` the row of each live post (None: row i holds `block.ids[i]`, made when
    first needed, by a write: a fresh load need not pay for it)."""

    block: RowBlock
    size: int
    dead: IntArray | None
    rows: dict[str, int] | None

    @property
    def nbytes(self) -> int:
        return (self.block.nbytes + (100 * len(self.rows) if self.rows is not None else 0)
                + (8 * len(self.dead) if self.dead is not None else 0))

    @property
    def live(self) -> int:
        return self.size - (len(self.dead) if self.dead is not None else 0)

    @classmethod
    def build(cls, ids: list[str], statuses: ObjectArray, matrix: FloatArray, norms: FloatArray) -> AccountVectors:
        """A new block holding these rows (norms > 0), with spare rows for the writes to come."""
        count = len(ids)
        block = RowBlock(count + _spare(count))
        block.claim(0, count)
        block.write(0, ids, statuses, matrix, norms)
        return cls(block, count, None, None)

    @classmethod
    def from_record(cls, record: PostVectors) -> AccountVectors:
        return cls.build(*_rows_of(record))

    def updated(self, changed: Sequence[str], record: PostVectors) -> AccountVectors:
        """The entry after a write: the rows of `changed` posts dead, their current versions (`record`) added."""
        import numpy

        ids, statuses, matrix, norms = _rows_of(record)
        if self.rows is None:
            rows = {post_id: row for row, post_id in enumerate(self.block.ids[:self.size])}
        else:
            rows = dict(self.rows)
        gone = [row for row in (rows.pop(post_id, None) for post_id in changed) if row is not None]
        count = len(ids)
        end = self.size + count
        dead_rows = self.size - self.live + len(gone)
        if dead_rows <= _spare(end) and (count == 0 or self.block.claim(self.size, count)):
            self.block.write(self.size, ids, statuses, matrix, norms)
            dead = self.dead
            if gone:
                more = numpy.array(gone, dtype=numpy.intp)
                dead = more if dead is None else numpy.concatenate((dead, more))
            rows.update(zip(ids, range(self.size, end), strict=True))
            return AccountVectors(self.block, end, dead, rows)
        return self._compacted(sorted(rows.values()), ids, statuses, matrix, norms)

    def _compacted(self, keep: list[int], ids: list[str], statuses: ObjectArray, matrix: FloatArray,
                   norms: FloatArray) -> AccountVectors:
        """The live rows `keep` and the new ones, copied into a new block."""
        import numpy

        old, kept = self.block, len(keep)
        total = kept + len(ids)
        block = RowBlock(total + _spare(total))
        block.claim(0, total)
        at = numpy.array(keep, dtype=numpy.intp)
        numpy.take(old.matrix, at, axis=0, out=block.matrix[:kept])
        numpy.take(old.norms, at, out=block.norms[:kept])
        block.statuses[:kept] = old.statuses[at]
        block.ids[:] = [old.ids[row] for row in keep]
        block.write(kept, ids, statuses, matrix, norms)
        return AccountVectors(block, total, None, None)

    def nearest(self, query: FloatArray, count: int, status: str | None = None) -> list[tuple[str, float]]:
        """The `count` nearest (id, cosine distance) pairs, by distance then id: exact."""
        import numpy

        size, block = self.size, self.block
        matrix = block.matrix[:size]
        similarity = (matrix @ query) / block.norms[:size]
        dead = self.dead
        if status is not None:
            allowed: BoolArray = block.statuses[:size] == status
            if dead is not None:
                allowed[dead] = False
            total = int(numpy.count_nonzero(allowed))
            similarity[~allowed] = -numpy.inf
        else:
            total = self.live
            if dead is not None:
                similarity[dead] = -numpy.inf
        if total == 0:
            return []
        take = min(total, count + RERANK_MARGIN)
        best: Any = numpy.argpartition(-similarity, take - 1)[:take] if take < size else numpy.arange(size)
        # float64 again, each row on its own (the same sums whatever the row's place in the block)
        query64 = query.astype(numpy.float64)
        chosen: Float64Array = matrix[best].astype(numpy.float64)
        dots = (chosen * query64).sum(axis=1)
        lengths = numpy.sqrt((chosen * chosen).sum(axis=1)) * float(numpy.sqrt((query64 * query64).sum()))
        ids = block.ids
        ranked = sorted(zip((1.0 - dots / lengths).tolist(), (ids[row] for row in best.tolist()), strict=True))
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

    def newest(self, tokens: Sequence[str]) -> tuple[int, AccountVectors] | None:
        """The last of `tokens` held here, as (its index, its entry); None when none is."""
        with self._lock:
            for index in range(len(tokens) - 1, -1, -1):
                found = self._entries.get(tokens[index])
                if found is not None:
                    self._entries.move_to_end(tokens[index])
                    return index, found
        return None

    def put(self, token: str, vectors: AccountVectors, replacing: str | None = None) -> None:
        """Keep `vectors` under `token`; `replacing` (the entry it was made from) goes, its rows are shared."""
        with self._lock:
            if replacing is not None and (previous := self._entries.pop(replacing, None)) is not None:
                self._bytes -= previous.nbytes
            size = vectors.nbytes
            if size > self.budget or token in self._entries:
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

    def __len__(self) -> int:
        return len(self._entries)

    def after_fork(self) -> None:
        """In a forked child: empty, with a new lock (a lock some thread of the parent held at the fork stays held)."""
        self._lock = threading.Lock()
        self._entries = OrderedDict()
        self._bytes = 0


CACHE = VectorCache()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=CACHE.after_fork)
