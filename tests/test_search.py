"""Similarity and hybrid search over posts: exact order against NumPy, the account filter, both
Postgres strategies, the SQLite embeddings cache following writes, and bad input refused early."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import vesta_sql
from vesta_sql import errors
from vesta_sql.programs import search, sqlite_vectors
from vesta_sql.records.search import HybridHit, PostHit
from vesta_sql.runtime import QueryEvent

Vec = Callable[[int], Any]


def make_creator(db: Any, account: str, uniq: Callable[[str], str]) -> str:
    slug = uniq("searcher")
    creator_id: str = db.creators.create(account_id=account, name="Sam", slug=slug, email=f"{slug}@example.com").id
    return creator_id


def seed(db: Any, account: str, creator_id: str, vec: Vec, seeds: range, **fields: Any) -> dict[str, Any]:
    """One post per seed (published when the seed is odd); returns id -> embedding."""
    made = {}
    for s in seeds:
        post = db.posts.create(account_id=account, creator_id=creator_id, title=f"post {s}", body=f"body {s}",
                               embedding=vec(s), status="published" if s % 2 else "draft", **fields)
        made[post.id] = vec(s)
    return made


def brute_force(posts: dict[str, Any], query: Any, k: int) -> list[tuple[str, float]]:
    q = np.asarray(query, dtype=np.float64)
    scored = sorted(
        (1.0 - float(np.dot(np.asarray(e, dtype=np.float64), q) / (np.linalg.norm(e) * np.linalg.norm(q))), post_id)
        for post_id, e in posts.items()
    )
    return [(post_id, d) for d, post_id in scored[:k]]


def near(v: Any, seed: int, amount: float = 0.05) -> Any:
    """A vector close to `v`."""
    noise = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
    return (v + amount * noise / np.linalg.norm(noise)).astype(np.float32)


def test_search_similar_equals_brute_force(db: Any, acct: str, uniq: Any, vec: Vec) -> None:
    creator = make_creator(db, acct, uniq)
    posts = seed(db, acct, creator, vec, range(1, 41))
    query = vec(1000)

    hits = db.posts.search_similar(account_id=acct, embedding=query, k=10)

    expected = brute_force(posts, query, 10)
    assert all(isinstance(hit, PostHit) for hit in hits)
    assert [hit.id for hit in hits] == [post_id for post_id, _ in expected]
    assert [hit.distance for hit in hits] == pytest.approx([d for _, d in expected], abs=1e-5)
    first = db.posts.find_by_id(account_id=acct, id=hits[0].id)
    assert (hits[0].title, hits[0].status, hits[0].created_at) == (first.title, first.status, first.created_at)
    # k larger than the account: every embedded post, in order
    everything = db.posts.search_similar(account_id=acct, embedding=query, k=1000)
    assert [hit.id for hit in everything] == [post_id for post_id, _ in brute_force(posts, query, 1000)]


def test_search_similar_filters_by_status_and_skips_posts_without_embedding(db: Any, acct: str, uniq: Any, vec: Vec) -> None:
    creator = make_creator(db, acct, uniq)
    posts = seed(db, acct, creator, vec, range(1, 21))
    db.posts.create(account_id=acct, creator_id=creator, title="no vector", status="published")
    published = {post_id: e for post_id, e in posts.items()
                 if db.posts.find_by_id(account_id=acct, id=post_id).status == "published"}
    query = vec(2000)

    hits = db.posts.search_similar(account_id=acct, embedding=query, k=5, status="published")

    assert [hit.id for hit in hits] == [post_id for post_id, _ in brute_force(published, query, 5)]
    assert {hit.status for hit in hits} == {"published"}
    assert len(db.posts.search_similar(account_id=acct, embedding=query, k=100)) == 20
    assert db.posts.search_similar(account_id=acct, embedding=query, k=5, status="archived") == []


def test_the_account_filter_holds_even_for_the_nearest_post(db: Any, acct: str, acct2: str, uniq: Any, vec: Vec) -> None:
    mine = seed(db, acct, make_creator(db, acct, uniq), vec, range(1, 16))
    query = vec(3000)
    theirs = db.posts.create(account_id=acct2, creator_id=make_creator(db, acct2, uniq), title="exactly the query",
                             body="the query words", embedding=query, status="published")

    hits = db.posts.search_similar(account_id=acct, embedding=query, k=20)
    hybrid = db.posts.search_hybrid(account_id=acct, text="exactly the query words", embedding=query, k=20)

    assert theirs.id not in {hit.id for hit in hits} | {hit.id for hit in hybrid}
    assert {hit.account_id for hit in hits} | {hit.account_id for hit in hybrid} == {acct}
    assert [hit.id for hit in hits] == [post_id for post_id, _ in brute_force(mine, query, 20)]
    other = db.posts.search_similar(account_id=acct2, embedding=query, k=20)
    assert [hit.id for hit in other] == [theirs.id] and other[0].distance == pytest.approx(0.0, abs=1e-6)


def test_an_account_without_posts_finds_nothing(db: Any, acct: str, vec: Vec) -> None:
    assert db.posts.search_similar(account_id=acct, embedding=vec(1), k=10) == []
    assert db.posts.search_hybrid(account_id=acct, text="anything", embedding=vec(1), k=10) == []


def test_search_follows_writes(db: Any, acct: str, uniq: Any, vec: Vec) -> None:
    """Adds, embedding and status changes and deletes show in the next search (the SQLite cache follows them)."""
    creator = make_creator(db, acct, uniq)
    posts = seed(db, acct, creator, vec, range(1, 11))
    query = vec(4000)
    before = db.posts.search_similar(account_id=acct, embedding=query, k=3)
    assert [hit.id for hit in before] == [post_id for post_id, _ in brute_force(posts, query, 3)]

    added = db.posts.create(account_id=acct, creator_id=creator, title="new", embedding=near(query, 1))
    assert db.posts.search_similar(account_id=acct, embedding=query, k=3)[0].id == added.id

    moved = before[-1].id
    db.posts.update(account_id=acct, id=moved, embedding=near(query, 2, 0.01))
    assert db.posts.search_similar(account_id=acct, embedding=query, k=1)[0].id == moved

    def published() -> set[str]:
        return {hit.id for hit in db.posts.search_similar(account_id=acct, embedding=query, k=20, status="published")}

    assert added.id not in published()
    db.posts.publish(account_id=acct, id=added.id)
    assert added.id in published()
    db.posts.archive(account_id=acct, id=added.id)
    assert added.id not in published()

    assert db.posts.delete(account_id=acct, id=moved) == 1
    after = db.posts.search_similar(account_id=acct, embedding=query, k=20)
    assert moved not in {hit.id for hit in after} and after[0].id == added.id and len(after) == 10


def test_search_inside_a_transaction_sees_its_own_writes(db: Any, acct: str, uniq: Any, vec: Vec) -> None:
    creator = make_creator(db, acct, uniq)
    seed(db, acct, creator, vec, range(1, 6))
    query = vec(5000)
    with db.transaction(account_id=acct) as tx:
        post = tx.posts.create(creator_id=creator, title="inside", embedding=query)
        assert tx.posts.search_similar(embedding=query, k=1)[0].id == post.id
    assert db.posts.search_similar(account_id=acct, embedding=query, k=1)[0].id == post.id


def test_hybrid_text_with_operator_characters_is_taken_literally(db: Any, acct: str, uniq: Any, vec: Vec) -> None:
    creator = make_creator(db, acct, uniq)
    post = db.posts.create(account_id=acct, creator_id=creator, title="C++ and \"quotes\"", body="NEAR OR NOT", embedding=vec(1))

    for text in ['"quotes', "c++ -and", "NEAR(or not)", "*", 'a "b" c:']:
        hits = db.posts.search_hybrid(account_id=acct, text=text, embedding=vec(2), k=5)
        assert [hit.id for hit in hits] == [post.id]


def test_hybrid_returns_text_or_vector_matches(db: Any, acct: str, acct2: str, uniq: Any, vec: Vec) -> None:
    creator = make_creator(db, acct, uniq)
    posts = seed(db, acct, creator, vec, range(1, 31))
    query = vec(6000)
    worded = db.posts.create(account_id=acct, creator_id=creator, title="Pomegranate season",
                             body="A pomegranate salad", embedding=vec(6001))
    other_word = db.posts.create(account_id=acct, creator_id=creator, title="Apples", body="pomegranate-free",
                                 embedding=vec(6002))
    db.posts.create(account_id=acct2, creator_id=make_creator(db, acct2, uniq), title="pomegranate",
                    body="pomegranate salad", embedding=query)
    posts[worded.id], posts[other_word.id] = vec(6001), vec(6002)
    nearest = [post_id for post_id, _ in brute_force(posts, query, 50)]

    hits = db.posts.search_hybrid(account_id=acct, text="pomegranate salad", embedding=query, k=10)

    assert all(isinstance(hit, HybridHit) and hit.account_id == acct for hit in hits)
    assert len(hits) == 10
    by_id = {hit.id: hit for hit in hits}
    assert by_id[worded.id].text_rank == 1  # the only post with both words
    assert other_word.id not in by_id or by_id[other_word.id].text_rank is None
    assert hits[0].id == worded.id or hits[0].id == nearest[0]
    for hit in hits:
        assert hit.text_rank is not None or hit.vector_rank is not None
        if hit.vector_rank is not None:
            assert nearest[hit.vector_rank - 1] == hit.id
        expected = sum(1.0 / (60 + rank) for rank in (hit.text_rank, hit.vector_rank) if rank is not None)
        assert hit.score == pytest.approx(expected)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    # no text terms at all: the vector ranking alone
    only_vector = db.posts.search_hybrid(account_id=acct, text="  ", embedding=query, k=5)
    assert [hit.id for hit in only_vector] == nearest[:5]
    assert all(hit.text_rank is None for hit in only_vector)


def test_hybrid_text_follows_edits_and_deletes(db: Any, acct: str, uniq: Any, vec: Vec) -> None:
    creator = make_creator(db, acct, uniq)
    post = db.posts.create(account_id=acct, creator_id=creator, title="Kumquat jam", body="sweet", embedding=vec(1))
    seed(db, acct, creator, vec, range(2, 8))
    assert db.posts.search_hybrid(account_id=acct, text="kumquat", embedding=vec(99), k=10)[0].id == post.id

    db.posts.update(account_id=acct, id=post.id, title="Quince jam")
    by_old = {h.id: h for h in db.posts.search_hybrid(account_id=acct, text="kumquat", embedding=vec(99), k=10)}
    by_new = {h.id: h for h in db.posts.search_hybrid(account_id=acct, text="quince", embedding=vec(99), k=10)}
    assert by_old.get(post.id) is None or by_old[post.id].text_rank is None
    assert by_new[post.id].text_rank == 1

    db.posts.delete(account_id=acct, id=post.id)
    assert post.id not in {h.id for h in db.posts.search_hybrid(account_id=acct, text="quince", embedding=vec(99), k=10)}


def test_postgres_index_path_equals_brute_force(db: Any, acct: str, uniq: Any, vec: Vec, monkeypatch: pytest.MonkeyPatch) -> None:
    """Forcing the HNSW strategy (as for a large account) still gives the exact order on small data (SQLite: always exact)."""
    creator = make_creator(db, acct, uniq)
    posts = seed(db, acct, creator, vec, range(1, 31))
    query = vec(7000)
    monkeypatch.setattr(search, "EXACT_BELOW", 1)

    hits = db.posts.search_similar(account_id=acct, embedding=query, k=10)
    hybrid = db.posts.search_hybrid(account_id=acct, text="post", embedding=query, k=10)

    assert [hit.id for hit in hits] == [post_id for post_id, _ in brute_force(posts, query, 10)]
    assert {hit.id for hit in hybrid} <= set(posts)


def test_postgres_steps_directly(db: Any, acct: str, uniq: Any, vec: Vec) -> None:
    """The ranking steps on their own: both strategies, after search_settings set the scan settings."""
    if db.dialect != "postgres":
        return
    creator = make_creator(db, acct, uniq)
    posts = seed(db, acct, creator, vec, range(1, 21))
    query = vec(8000)
    expected = [post_id for post_id, _ in brute_force(posts, query, 5)]
    with db.transaction(account_id=acct, write=False) as tx:
        assert tx.posts.search_settings(ef_search=100, exact_below=1_000) == "100"
        for exact_below in (1_000, 20, 1):  # 20 posts: exact below 1,000; the index at 20 and at 1
            hits = tx.posts.search_ranked(embedding=query, k=5, candidates=20, exact_below=exact_below)
            assert [hit.id for hit in hits] == expected
        fused = tx.posts.search_hybrid_ranked(text="post", embedding=query, k=5, candidates=20, exact_below=1)
        assert {hit.id for hit in fused} <= set(posts) and len(fused) == 5


@pytest.mark.parametrize("prepared", [False, True], ids=["unprepared", "prepared"])
def test_postgres_plan_cache_mode_goes_by_size_only_with_prepared_statements(
        pg_urls: tuple[str, str], acct: str, uniq: Any, vec: Vec, prepared: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unprepared, every statement is planned for its own parameters: the settings count nothing. Prepared,
    a small account's ranking statement keeps the generic plan and a large one's is planned for it."""
    db: Any = vesta_sql.connect(pg_urls[1], prepared_statements=prepared)
    try:
        creator = make_creator(db, acct, uniq)
        posts = seed(db, acct, creator, vec, range(1, 6))
        program = db._runtime.start_program("posts", "search_similar", {"embedding": vec(1), "k": 3}, acct)
        settings, _ = next(program)  # the program's one batch: the settings, then the ranking
        program.close()
        assert settings.kwargs["prepared"] is prepared
        modes = {}
        with db.transaction(account_id=acct, write=False) as tx:
            for exact_below in (1_000, 3):  # 5 posts: small below 1,000, large from 3
                tx.posts.search_settings(ef_search=40, exact_below=exact_below, prepared=prepared)
                modes[exact_below] = tx._session._conn.execute("select current_setting('plan_cache_mode')").fetchone()[0]
        small = "force_generic_plan" if prepared else "force_custom_plan"
        assert modes == {1_000: small, 3: "force_custom_plan"}
        for remembered, seeds in ((0.0, range(10)), (60.0, range(10, 20))):  # search_ranked, then search_exact
            monkeypatch.setattr(search, "EXACT_FOR_SECONDS", remembered)
            for seed_ in seeds:  # past psycopg's five runs before it prepares
                hits = db.posts.search_similar(account_id=acct, embedding=vec(100 + seed_), k=3)
                assert [hit.id for hit in hits] == [post_id for post_id, _ in brute_force(posts, vec(100 + seed_), 3)]
        later = time.monotonic() + 61.0
        monkeypatch.setattr(search, "monotonic", lambda: later)  # the small account's minute is over
        monkeypatch.setattr(search, "EXACT_BELOW", 3)  # and 5 posts are large now: search_ranked, then search_index
        for seed_ in range(20, 30):
            hits = db.posts.search_similar(account_id=acct, embedding=vec(100 + seed_), k=3)
            assert [hit.id for hit in hits] == [post_id for post_id, _ in brute_force(posts, vec(100 + seed_), 3)]
    finally:
        db.close()


def test_sqlite_steps_directly(db: Any, acct: str, uniq: Any, vec: Vec) -> None:
    if db.dialect != "sqlite":
        return
    creator = make_creator(db, acct, uniq)
    posts = seed(db, acct, creator, vec, range(1, 6))
    token = db.posts.search_version(account_id=acct)
    assert isinstance(token, str) and len(token) == 32
    loaded = db.posts.search_vectors(account_id=acct)
    assert sorted(loaded.ids) == sorted(posts) and loaded.embeddings.shape == (5 * 384,)
    for index, post_id in enumerate(loaded.ids):
        assert np.array_equal(loaded.embeddings[index * 384:(index + 1) * 384], posts[post_id])
    rows = db.posts.search_hits(account_id=acct, ids=list(posts)[:2])
    assert {row.id for row in rows} == set(list(posts)[:2])
    fused = db.posts.search_hybrid_fused(account_id=acct, match="post", vector_ids=list(posts)[:1], k=10, candidates=10)
    assert len(fused) == 5 and fused[0].id == next(iter(posts))
    # any strings are a valid query: each term is quoted by the SQL
    for text in ['po"st - OR', "match-value", "  ", '"post"  "1"', "NEAR(post 1)"]:
        odd = db.posts.search_hybrid_fused(account_id=acct, match=text, vector_ids=[], k=10, candidates=10)
        assert all(hit.text_rank is not None for hit in odd)
    assert len(db.posts.search_hybrid_fused(account_id=acct, match='"post"  "1"', vector_ids=[], k=10, candidates=10)) == 1
    assert db.posts.search_hybrid_fused(account_id=acct, match=None, vector_ids=[], k=10, candidates=10) == []
    db.posts.create(account_id=acct, creator_id=creator, title="more")
    assert db.posts.search_version(account_id=acct) != token


_EVENTS: list[QueryEvent] = []
_WATCHED: set[int] = set()


def watch(db: Any) -> list[QueryEvent]:
    if id(db) not in _WATCHED:
        db.add_hook(_EVENTS.append)
        _WATCHED.add(id(db))
    _EVENTS.clear()
    return _EVENTS


BAD_VECTORS = [
    ("dimension", lambda v: v[:100]),
    ("NaN", lambda v: np.where(np.arange(384) == 3, np.nan, v)),
    ("infinity", lambda v: np.where(np.arange(384) == 3, np.inf, v)),
    ("zeros", lambda v: np.zeros(384, dtype=np.float32)),
    ("not numbers", lambda v: ["a"] * 384),
]


@pytest.mark.parametrize(("what", "spoil"), BAD_VECTORS, ids=[name for name, _ in BAD_VECTORS])
def test_a_bad_embedding_is_refused_before_any_query(db: Any, acct: str, vec: Vec, what: str, spoil: Any) -> None:
    events = watch(db)
    with pytest.raises(errors.InvalidInputError, match="embedding"):
        db.posts.search_similar(account_id=acct, embedding=spoil(vec(1)), k=10)
    with pytest.raises(errors.InvalidInputError, match="embedding"):
        db.posts.search_hybrid(account_id=acct, text="x", embedding=spoil(vec(1)), k=10)
    assert events == []


@pytest.mark.parametrize("k", [0, -1, 1001, 10**9, 2.0, "10", True, None])
def test_k_outside_1_to_1000_is_refused_before_any_query(db: Any, acct: str, vec: Vec, k: Any) -> None:
    events = watch(db)
    with pytest.raises(errors.InvalidInputError, match="'k'"):
        db.posts.search_similar(account_id=acct, embedding=vec(1), k=k)
    with pytest.raises(errors.InvalidInputError, match="'k'"):
        db.posts.search_hybrid(account_id=acct, text="x", embedding=vec(1), k=k)
    assert events == []


def test_bad_text_status_and_unknown_parameters_are_refused(db: Any, acct: str, vec: Vec) -> None:
    events = watch(db)
    with pytest.raises(errors.InvalidInputError, match="'status'"):
        db.posts.search_similar(account_id=acct, embedding=vec(1), k=10, status=3)
    with pytest.raises(errors.InvalidInputError, match="'text'"):
        db.posts.search_hybrid(account_id=acct, text=None, embedding=vec(1), k=10)
    with pytest.raises(errors.InvalidInputError):
        db.posts.search_similar(account_id=acct, embedding=vec(1), k=10, limit=5)
    with pytest.raises(errors.InvalidInputError):
        db.posts.search_similar(account_id=acct, k=10)
    assert events == []
    with pytest.raises(errors.TenantScopeError):
        db.posts.search_similar(embedding=vec(1), k=10)
    assert db.posts.search_similar(account_id=acct, embedding=vec(1).tolist(), k=1000) == []  # a list is fine


def test_text_terms_are_the_words_of_the_text() -> None:
    assert search.text_terms('pomegranate "salad" OR -x*') == "pomegranate salad OR x"
    assert search.text_terms("  ,; ") is None
    assert search.text_terms("crème brûlée") == "crème brûlée"


def test_vector_cache_keeps_within_its_budget() -> None:
    def vectors(n: int) -> sqlite_vectors.AccountVectors:
        matrix = np.ones((n, 384), dtype=np.float32)
        return sqlite_vectors.AccountVectors.build([str(i) for i in range(n)], np.array(["draft"] * n, dtype=object),
                                                   matrix, np.linalg.norm(matrix, axis=1).astype(np.float32))

    one = vectors(10)
    cache = sqlite_vectors.VectorCache(budget=3 * one.nbytes)
    for token in "abcd":
        cache.put(token, vectors(10))
    assert cache.get("a") is None and cache.get("d") is not None
    cache.get("b")
    cache.put("e", vectors(10))
    assert cache.get("b") is not None and cache.get("c") is None
    cache.put("huge", vectors(1000))
    assert cache.get("huge") is None
    assert cache.newest(["x", "b", "e", "y"]) == (2, cache.get("e")) and cache.newest(["x"]) is None
    cache.put("f", vectors(10), replacing="e")  # an entry made from "e" takes its place (and shares its rows)
    assert cache.get("e") is None and cache.get("b") is not None and cache.get("f") is not None
    cache.clear()
    assert cache.get("b") is None


def sized_below_six(db: Any, acct: str, uniq: Any, vec: Vec, monkeypatch: pytest.MonkeyPatch,
                    seeds: range) -> tuple[str, dict[str, Any], list[QueryEvent]]:
    """EXACT_BELOW 6; a creator with one post per seed; the list of events of the calls that follow."""
    monkeypatch.setattr(search, "EXACT_BELOW", 6)
    creator = make_creator(db, acct, uniq)
    return creator, seed(db, acct, creator, vec, seeds), watch(db)


def test_postgres_an_account_seen_small_is_ranked_by_the_exact_scan_alone(
        db: Any, acct: str, acct2: str, uniq: Any, vec: Vec, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a search has sized an account below EXACT_BELOW, its searches send search_exact alone for a while:
    the same results; an account that grows meanwhile is still ranked exactly, then sized again; another
    account is sized for itself."""
    if db.dialect != "postgres":
        return
    creator, posts, events = sized_below_six(db, acct, uniq, vec, monkeypatch, range(1, 5))  # 4 posts: small

    def searched(account: str, seed_: int) -> tuple[list[str], list[str]]:
        events.clear()
        hits = db.posts.search_similar(account_id=account, embedding=vec(seed_), k=3)
        return [hit.id for hit in hits], [event.query for event in events]

    def expected(seed_: int) -> list[str]:
        return [post_id for post_id, _ in brute_force(posts, vec(seed_), 3)]

    ids, ran = searched(acct, 500)
    assert ids == expected(500) and "posts.search_ranked" in " ".join(ran)
    ids, ran = searched(acct, 501)
    assert ids == expected(501) and ran == ["posts.search_exact"]
    posts |= seed(db, acct, creator, vec, range(5, 12))  # 11 posts: large now, still ranked exactly
    ids, ran = searched(acct, 502)
    assert ids == expected(502) and ran == ["posts.search_exact"]
    other = make_creator(db, acct2, uniq)
    seed(db, acct2, other, vec, range(1, 3))
    monkeypatch.setattr(search, "EXACT_FOR_SECONDS", 0.0)  # remembered for no time
    for seed_ in (503, 504):  # another account: sized for itself, each time
        _, ran = searched(acct2, seed_)
        assert ran != ["posts.search_exact"]
    with db.transaction(account_id=acct, write=False) as tx:  # inside a transaction: the same memo
        assert [hit.id for hit in tx.posts.search_similar(embedding=vec(505), k=3)] == expected(505)
    later = time.monotonic() + 61.0
    monkeypatch.setattr(search, "monotonic", lambda: later)  # past acct's minute
    ids, ran = searched(acct, 506)  # sized again: 11 posts, the index
    assert ran != ["posts.search_exact"] and len(ids) == 3
    ids, ran = searched(acct, 507)
    assert ran != ["posts.search_exact"] and len(ids) == 3


def hybrid_exact_below(db: Any, account: str, vec: Vec) -> int:
    """The exact_below of the first batch the next hybrid search of `account` would send (its program stopped there)."""
    program = db._runtime.start_program("posts", "search_hybrid", {"text": "post", "embedding": vec(1), "k": 4}, account)
    try:
        settings, ranking = next(program)
    finally:
        program.close()
    assert settings.kwargs["exact_below"] == ranking.kwargs["exact_below"]
    return int(ranking.kwargs["exact_below"])


def test_postgres_an_account_seen_large_is_ranked_by_the_index_statement_alone(
        db: Any, acct: str, uniq: Any, vec: Vec, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a search has sized an account at EXACT_BELOW posts or more and found k hits, its searches for
    as many hits send search_index without sizing; a larger k or a status filter is sized; a search that
    comes back short (the account shrank) is sized again in the same call, and gets every post left."""
    if db.dialect != "postgres":
        return
    _, posts, events = sized_below_six(db, acct, uniq, vec, monkeypatch, range(1, 12))  # 11 posts: large

    def searched(seed_: int, k: int = 3, status: str | None = None) -> tuple[list[str], list[str]]:
        events.clear()
        hits = db.posts.search_similar(account_id=acct, embedding=vec(seed_), k=k, status=status)
        return [hit.id for hit in hits], [event.query for event in events]

    def expected(seed_: int, k: int = 3) -> list[str]:
        return [post_id for post_id, _ in brute_force(posts, vec(seed_), k)]

    sized, indexed = "posts.search_settings + posts.search_ranked", "posts.search_settings + posts.search_index"
    assert searched(600) == (expected(600), [sized])
    assert searched(601) == (expected(601), [indexed])
    assert searched(602, k=5) == (expected(602, 5), [sized])  # more than it was searched for: sized
    assert searched(603, k=4) == (expected(603, 4), [indexed])
    ids, ran = searched(604, status="published")  # a filter may be rare: sized every time
    assert ran == [sized] and set(ids) <= set(posts)
    for post_id in list(posts)[2:]:  # 2 posts left: below k
        db.posts.delete(account_id=acct, id=post_id)
        del posts[post_id]
    assert searched(605) == (expected(605, 2), [indexed, sized])  # short: sized again, now small
    assert searched(606) == (expected(606, 2), ["posts.search_exact"])


def test_postgres_hybrid_search_of_an_account_seen_large_skips_the_count(
        db: Any, acct: str, uniq: Any, vec: Vec, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hybrid search sizes the account and remembers it large as search_similar does; then it sizes it with
    exact_below 1 (one index entry read), with the same hits; short of k, it sizes it again in the same call."""
    if db.dialect != "postgres":
        return
    _, posts, events = sized_below_six(db, acct, uniq, vec, monkeypatch, range(1, 12))  # 11 posts: large

    def hybrid(seed_: int) -> tuple[list[HybridHit], int]:
        events.clear()
        hits = db.posts.search_hybrid(account_id=acct, text="post", embedding=vec(seed_), k=4)
        return hits, len(events)

    assert hybrid_exact_below(db, acct, vec) == 6
    first, batches = hybrid(700)
    assert hybrid_exact_below(db, acct, vec) == 1 and batches == 1
    again, batches = hybrid(700)
    assert again == first and batches == 1 and all(type(hit) is HybridHit for hit in again)
    for post_id in list(posts)[3:]:  # 3 posts left: below k
        db.posts.delete(account_id=acct, id=post_id)
    short, batches = hybrid(701)
    assert len(short) == 3 and batches == 2  # short: sized again in the same call
    assert hybrid_exact_below(db, acct, vec) == 6  # small now: counted each time


def test_postgres_the_size_remembered_is_the_last_one_found(
        db: Any, acct: str, uniq: Any, vec: Vec, monkeypatch: pytest.MonkeyPatch) -> None:
    """An account sized small by any search (a status filter, a larger k) is not taken for large any more,
    by search_similar or hybrid search; posts without an embedding never stand in for hits on the index path."""
    if db.dialect != "postgres":
        return
    creator, posts, events = sized_below_six(db, acct, uniq, vec, monkeypatch, range(1, 8))  # 7 posts: large
    for n in range(4):
        db.posts.create(account_id=acct, creator_id=creator, title=f"no vector {n}", status="published")

    def similar(seed_: int, k: int, status: str | None = None) -> tuple[list[str], list[str]]:
        events.clear()
        hits = db.posts.search_similar(account_id=acct, embedding=vec(seed_), k=k, status=status)
        assert all(hit.distance is not None for hit in hits)
        return [hit.id for hit in hits], [event.query for event in events]

    sized, indexed = "posts.search_settings + posts.search_ranked", "posts.search_settings + posts.search_index"
    assert similar(800, 7)[1] == [sized] and hybrid_exact_below(db, acct, vec) == 1  # large, and all 7 with an embedding found
    ids, ran = similar(801, 7)
    assert ran == [indexed] and set(ids) == set(posts)  # the 4 without an embedding are not hits
    with db.transaction(account_id=acct, write=False) as tx:
        tx.posts.search_settings(ef_search=100, exact_below=1)
        found = tx.posts.search_index(embedding=vec(802), k=11, candidates=44)
    assert {hit.id for hit in found} == set(posts)  # short of k: only posts with an embedding
    for post_id in list(posts)[3:]:  # 3 posts with an embedding, 7 in all: still large
        db.posts.delete(account_id=acct, id=post_id)
        del posts[post_id]
    ids, ran = similar(803, 7)
    assert ran == [indexed, sized] and set(ids) == set(posts)  # short: sized again (large), every hit there is
    for post_id in list(posts)[1:]:  # 5 posts in all: small
        db.posts.delete(account_id=acct, id=post_id)
        del posts[post_id]
    ids, ran = similar(804, 1, status="published")  # a status filter sizes it (the post left, seed 1, is published)
    assert ran == [sized] and ids == list(posts)
    assert hybrid_exact_below(db, acct, vec) == 6  # known small: hybrid search counts again
    assert similar(805, 1)[1] == ["posts.search_exact"]


def test_postgres_the_memo_belongs_to_one_connection(pg_urls: tuple[str, str], acct: str, uniq: Any, vec: Vec) -> None:
    first: Any = vesta_sql.connect(pg_urls[1])
    second: Any = vesta_sql.connect(pg_urls[1])
    try:
        seed(first, acct, make_creator(first, acct, uniq), vec, range(1, 4))
        ran: list[str] = []
        for db in (first, second):
            db.add_hook(lambda event: ran.append(event.query))
        for db in (first, first, second):
            ran.clear()
            db.posts.search_similar(account_id=acct, embedding=vec(9), k=2)
            assert ran != ["posts.search_exact"] or db is first  # first's second search: the exact scan alone
        assert ran != ["posts.search_exact"]  # the second connection sized the account for itself
    finally:
        first.close()
        second.close()
