"""Search after writes: every result equals a fresh full search, and on SQLite the cached embeddings
follow the writes by the change log (migration 0013) — through the façade, from another connection
or process, past the log's pruning, in a copied file that diverges, across accounts and threads."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import vesta_sql
from vesta_sql.admin import migrate
from vesta_sql.programs.sqlite_vectors import CACHE, AccountVectors, PostVectors
from vesta_sql.resources import migrations_dir
from vesta_sql.runtime import QueryEvent

from .test_search import brute_force, make_creator, near, seed

Vec = Callable[[int], Any]
STAMP = "2026-01-01T00:00:00.000000Z"


class Steps:
    """The queries the façade ran since the last `take()`."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def __call__(self, event: QueryEvent) -> None:
        self.names.append(event.query)

    def take(self) -> list[str]:
        names, self.names = self.names, []
        return names


_STEPS: dict[int, Steps] = {}


def steps_of(db: Any) -> Steps:
    if id(db) not in _STEPS:
        _STEPS[id(db)] = Steps()
        db.add_hook(_STEPS[id(db)])
    _STEPS[id(db)].take()
    return _STEPS[id(db)]


def full_search(db: Any, account: str, query: Any, k: int, status: str | None = None) -> list[tuple[str, float]]:
    """A fresh full search (SQLite): the account's embeddings read in one row, ranked, no cache involved."""
    return AccountVectors.from_record(db.posts.search_vectors(account_id=account)).nearest(query, k, status)


def full_search_in(tx: Any, query: Any, k: int) -> list[tuple[str, float]]:
    return AccountVectors.from_record(tx.posts.search_vectors()).nearest(query, k)


def check(db: Any, account: str, posts: dict[str, Any], statuses: dict[str, str], query: Any) -> None:
    """Searches of several sizes and filters equal brute force over `posts` and, on SQLite, a fresh full search."""
    for k, status in ((10, None), (1000, None), (5, "published"), (1000, "draft")):
        hits = db.posts.search_similar(account_id=account, embedding=query, k=k, status=status)
        chosen = {post_id: e for post_id, e in posts.items() if status is None or statuses[post_id] == status}
        expected = brute_force(chosen, query, k)
        assert [hit.id for hit in hits] == [post_id for post_id, _ in expected]
        assert [hit.distance for hit in hits] == pytest.approx([d for _, d in expected], abs=1e-6)
        if db.dialect == "sqlite":
            assert [(hit.id, hit.distance) for hit in hits] == full_search(db, account, query, k, status)
    hybrid = db.posts.search_hybrid(account_id=account, text="post", embedding=query, k=10)
    nearest = [post_id for post_id, _ in brute_force(posts, query, 50)]
    assert all(hit.vector_rank is None or nearest[hit.vector_rank - 1] == hit.id for hit in hybrid)


def test_every_search_after_a_write_equals_a_fresh_full_search(db: Any, acct: str, uniq: Any, vec: Vec) -> None:
    creator = make_creator(db, acct, uniq)
    posts = seed(db, acct, creator, vec, range(1, 31))
    statuses = {post_id: db.posts.find_by_id(account_id=acct, id=post_id).status for post_id in posts}
    query = vec(9000)
    check(db, acct, posts, statuses, query)
    steps = steps_of(db)
    ids = list(posts)

    def write(number: int) -> None:
        if number % 6 == 0:
            post = db.posts.create(account_id=acct, creator_id=creator, title=f"post new {number}",
                                   embedding=near(query, number, 0.3), status="published" if number % 4 else "draft")
            posts[post.id], statuses[post.id] = near(query, number, 0.3), post.status
            ids.append(post.id)
        elif number % 6 == 1:
            db.posts.create(account_id=acct, creator_id=creator, title="post without embedding")
        elif number % 6 == 2:
            target = ids[number % len(ids)]
            db.posts.update(account_id=acct, id=target, embedding=near(query, number, 0.2))
            posts[target] = near(query, number, 0.2)
        elif number % 6 == 3:
            target = ids[(3 * number) % len(ids)]
            statuses[target] = db.posts.publish(account_id=acct, id=target).status
        elif number % 6 == 4:
            target = ids[(5 * number) % len(ids)]
            statuses[target] = db.posts.archive(account_id=acct, id=target).status
        else:
            target = ids.pop((7 * number) % len(ids))
            assert db.posts.delete(account_id=acct, id=target) == 1
            del posts[target], statuses[target]

    for number in range(24):
        write(number)
        check(db, acct, posts, statuses, query)
        if db.dialect == "sqlite":
            ran = steps.take()
            # the first search after the write re-read the changed posts, not the account
            first = ran[:ran.index("posts.search_hits")]
            assert "posts.search_vectors" not in first


def test_a_title_edit_keeps_the_search_token(db: Any, acct: str, uniq: Any, vec: Vec) -> None:
    if db.dialect != "sqlite":
        return
    creator = make_creator(db, acct, uniq)
    post = db.posts.create(account_id=acct, creator_id=creator, title="a", embedding=vec(1))
    token = db.posts.search_version(account_id=acct)
    db.posts.update(account_id=acct, id=post.id, title="b", body="c")
    db.posts.publish(account_id=acct, id=post.id)
    published = db.posts.search_version(account_id=acct)
    assert published != token
    db.posts.publish(account_id=acct, id=post.id)  # already published: no change that matters to search
    db.posts.update(account_id=acct, id=post.id, embedding=vec(1))  # the same embedding
    assert db.posts.search_version(account_id=acct) == published


# --- SQLite: the change log and the cache -----------------------------------------------------


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A SQLite file of its own with one registered account."""
    path = tmp_path / "search.db"
    migrate.apply(f"sqlite:///{path}")
    register(path, "acc_one")
    yield path, "acc_one"


def register(path: Path, account: str) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("insert into accounts (account_id, created_at) values (?, ?)", (account, STAMP))


def open_db(path: Path, flavour: str) -> Any:
    if flavour == "sync":
        return vesta_sql.connect(f"sqlite:///{path}")
    import asyncio

    from .conftest import AsyncBridge

    loop = asyncio.new_event_loop()
    return AsyncBridge(loop, loop.run_until_complete(vesta_sql.connect_async(f"sqlite:///{path}")))


@contextlib.contextmanager
def opened(path: Path, flavour: str) -> Iterator[Any]:
    db = open_db(path, flavour)
    try:
        yield db
    finally:
        db.close()
        if flavour == "async":
            db._loop.close()


def raw(path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        return conn.execute(sql, params).fetchall()


def log_of(path: Path, account: str) -> list[tuple[int, str | None]]:
    return [(seq, post_id) for seq, post_id in
            raw(path, "select seq, post_id from posts_search_changes where account_id = ? order by seq", account)]


def embedded(path: Path, account: str) -> dict[str, Any]:
    rows = raw(path, "select id, embedding from posts where account_id = ? and embedding is not null", account)
    return {post_id: np.frombuffer(blob, dtype="<f4") for post_id, blob in rows}


def statuses_of(path: Path, account: str) -> dict[str, str]:
    return dict(raw(path, "select id, status from posts where account_id = ?", account))


FLAVOURS = ["sync", "async"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_the_log_numbers_each_change_and_keeps_the_last_256(lite: tuple[Path, str], flavour: str, vec: Vec) -> None:
    path, account = lite
    with opened(path, flavour) as db:
        creator = make_creator(db, account, lambda p: f"{p}-log")
        post = db.posts.create(account_id=account, creator_id=creator, title="a", embedding=vec(1))
        assert log_of(path, account) == [(1, post.id)]
        token = db.posts.search_version(account_id=account)
        changes = db.posts.search_changes(account_id=account)
        assert (changes.seqs, changes.post_ids, changes.versions) == ([1], [post.id], [token])
        db.posts.update(account_id=account, id=post.id, embedding=vec(2))
        assert log_of(path, account) == [(1, post.id), (2, post.id), (3, post.id)]  # the old row's, the new row's
        changed = db.posts.search_changed(account_id=account, ids=[post.id, "missing"])
        assert changed.ids == [post.id] and np.array_equal(changed.embeddings, vec(2))
        with contextlib.closing(sqlite3.connect(path)) as conn, conn:
            conn.executemany("update posts set embedding = ? where id = ?",
                             [(vec(n).astype("<f4").tobytes(), post.id) for n in range(3, 203)])
        seqs = [seq for seq, _ in log_of(path, account)]
        assert len(seqs) == 256 and seqs == list(range(403 - 255, 404))
        assert db.posts.search_similar(account_id=account, embedding=vec(202), k=1)[0].distance == pytest.approx(0, abs=1e-6)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_writes_from_another_connection_and_process_are_followed(lite: tuple[Path, str], flavour: str, vec: Vec) -> None:
    path, account = lite
    with opened(path, flavour) as db:
        posts = seed(db, account, make_creator(db, account, lambda p: f"{p}-other"), vec, range(1, 41))
        query = vec(500)
        check(db, account, posts, statuses_of(path, account), query)
        steps = steps_of(db)
        target = next(iter(posts))
        raw(path, "update posts set embedding = ? where id = ?", near(query, 1, 0.01).astype("<f4").tobytes(), target)
        check(db, account, embedded(path, account), statuses_of(path, account), query)
        assert db.posts.search_similar(account_id=account, embedding=query, k=1)[0].id == target
        script = ("import sqlite3, sys\n"
                  "conn = sqlite3.connect(sys.argv[1])\n"
                  "with conn:\n"
                  "    conn.execute(\"update posts set status = 'archived' where id = ?\", (sys.argv[2],))\n"
                  "    conn.execute('delete from posts where id = ?', (sys.argv[3],))\n")
        second = list(posts)[1]
        subprocess.run([sys.executable, "-c", script, str(path), target, second], check=True)
        steps.take()
        check(db, account, embedded(path, account), statuses_of(path, account), query)
        ran = steps.take()
        assert "posts.search_changed" in ran and "posts.search_vectors" not in ran[:ran.index("posts.search_hits")]
        assert second not in {hit.id for hit in db.posts.search_similar(account_id=account, embedding=query, k=100)}


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_past_the_log_the_search_reloads(lite: tuple[Path, str], flavour: str, vec: Vec) -> None:
    path, account = lite
    with opened(path, flavour) as db:
        posts = seed(db, account, make_creator(db, account, lambda p: f"{p}-past"), vec, range(1, 21))
        query = vec(600)
        check(db, account, posts, statuses_of(path, account), query)
        steps = steps_of(db)
        with contextlib.closing(sqlite3.connect(path)) as conn, conn:
            conn.executemany("update posts set embedding = ? where id = ?",
                             [(vec(1000 + n).astype("<f4").tobytes(), post_id)
                              for n in range(150) for post_id in list(posts)[n % 3:n % 3 + 1]])
        db.posts.search_similar(account_id=account, embedding=query, k=10)
        assert "posts.search_vectors" in steps.take()  # the cached token was pruned from the log
        check(db, account, embedded(path, account), statuses_of(path, account), query)
        # a token changed with no log row (0009's triggers put back by hand): reloaded, never a wrong answer
        raw(path, "update posts set embedding = ? where id = ?",
            vec(77).astype("<f4").tobytes(), next(iter(posts)))
        raw(path, "update posts_search_versions set version = lower(hex(randomblob(16))) where account_id = ?", account)
        steps.take()
        check(db, account, embedded(path, account), statuses_of(path, account), query)
        assert "posts.search_vectors" in steps.take()


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_copied_file_that_diverges_gets_its_own_answers(lite: tuple[Path, str], tmp_path: Path, flavour: str,
                                                          vec: Vec) -> None:
    path, account = lite
    copy = tmp_path / "copy.db"
    with opened(path, flavour) as db:
        posts = seed(db, account, make_creator(db, account, lambda p: f"{p}-copy"), vec, range(1, 31))
        query = vec(700)
        check(db, account, posts, statuses_of(path, account), query)
    shutil.copyfile(path, copy)
    first, second = list(posts)[:2]
    raw(path, "update posts set embedding = ? where id = ?", near(query, 1, 0.01).astype("<f4").tobytes(), first)
    raw(copy, "update posts set embedding = ? where id = ?", near(query, 2, 0.01).astype("<f4").tobytes(), second)
    with opened(copy, flavour) as theirs, opened(path, flavour) as ours:
        for _ in range(2):
            for db, where, nearest in ((theirs, copy, second), (ours, path, first)):
                check(db, account, embedded(where, account), statuses_of(where, account), query)
                assert db.posts.search_similar(account_id=account, embedding=query, k=1)[0].id == nearest
            raw(copy, "delete from posts where id = ?", first)
            raw(path, "update posts set status = 'archived' where id = ?", second)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_two_accounts_with_the_same_posts_never_mix(lite: tuple[Path, str], flavour: str, vec: Vec) -> None:
    path, one = lite
    two = "acc_two"
    register(path, two)
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        for account in (one, two):
            conn.execute("insert into creators (account_id, id, name, slug, bio, email, created_at, updated_at) "
                         "values (?, 'c', 'C', ?, '', 'c@example.com', ?, ?)", (account, f"slug-{account[4:]}", STAMP, STAMP))
            conn.executemany("insert into posts (account_id, id, creator_id, title, body, status, created_at, updated_at, "
                             "embedding) values (?, ?, 'c', 'post', '', 'draft', ?, ?, ?)",
                             [(account, f"p{n}", STAMP, STAMP, vec(n).astype("<f4").tobytes()) for n in range(20)])
    query = vec(800)
    with opened(path, flavour) as db:
        for round_ in range(3):
            for account in (one, two):
                check(db, account, embedded(path, account), statuses_of(path, account), query)
            raw(path, "update posts set embedding = ? where account_id = ? and id = 'p3'",
                near(query, round_, 0.01).astype("<f4").tobytes(), one)
            raw(path, "delete from posts where account_id = ? and id = ?", two, f"p{round_}")
        assert db.posts.search_similar(account_id=one, embedding=query, k=1)[0].id == "p3"
        assert "p3" not in [h.id for h in db.posts.search_similar(account_id=two, embedding=query, k=1)]
        # a post moved to the other account (and renamed) leaves one and reaches the other
        raw(path, "update posts set account_id = ?, id = 'moved' where account_id = ? and id = 'p3'", two, one)
        for account in (one, two):
            check(db, account, embedded(path, account), statuses_of(path, account), query)
        assert db.posts.search_similar(account_id=two, embedding=query, k=1)[0].id == "moved"


def test_threads_search_while_another_writes(lite: tuple[Path, str], vec: Vec) -> None:
    path, account = lite
    query = vec(900)
    with vesta_sql.connect(f"sqlite:///{path}") as db:
        creator = make_creator(db, account, lambda p: f"{p}-threads")
        seed(db, account, creator, vec, range(1, 201))
        done = threading.Event()
        failures: list[str] = []

        def search() -> None:
            while not done.is_set():
                with db.transaction(account_id=account, write=False) as tx:
                    hits = tx.posts.search_similar(embedding=query, k=10)
                    expected = full_search_in(tx, query, 10)
                if [(h.id, h.distance) for h in hits] != expected:
                    failures.append(f"{[h.id for h in hits]} != {[post_id for post_id, _ in expected]}")

        readers = [threading.Thread(target=search) for _ in range(3)]
        for reader in readers:
            reader.start()
        try:
            for n in range(120):
                if n % 3 == 2:
                    db.posts.delete(account_id=account, id=db.posts.search_similar(
                        account_id=account, embedding=vec(n), k=1)[0].id)
                else:
                    db.posts.create(account_id=account, creator_id=creator, title=f"t{n}",
                                    embedding=near(query, n, 0.5))
        finally:
            done.set()
            for reader in readers:
                reader.join()
        assert failures == []
        check(db, account, embedded(path, account), statuses_of(path, account), query)


def test_an_entry_never_changes_under_a_search_holding_it(vec: Vec) -> None:
    """Successors write into spare rows past the entry's end, or copy; the entry's own rows and mask stay."""
    expected = {f"p{n}": ("draft", vec(n)) for n in range(100)}

    def built(posts: dict[str, tuple[str, Any]]) -> AccountVectors:
        matrix = np.stack([e for _, e in posts.values()])
        return AccountVectors.build(list(posts), np.array([s for s, _ in posts.values()], dtype=object), matrix,
                                    np.linalg.norm(matrix, axis=1).astype(np.float32))

    def change(entry: AccountVectors, post_id: str, seed_: int) -> AccountVectors:
        return entry.updated([post_id], PostVectors([post_id], ["published"], vec(seed_)))

    base = built(expected)
    before = base.nearest(vec(5), 10)
    snapshot = base.block.matrix[:base.size].copy()
    first = change(base, "p5", 1000)  # claims the spare rows
    second = change(base, "p6", 1001)  # the same base again: copies
    assert first.block is base.block and second.block is not base.block
    assert first.dead is not None and base.dead is None
    later = first
    expected["p5"] = ("published", vec(1000))
    for n in range(300):  # past the spare rows and the dead-row share: copied, compacted
        later = change(later, f"p{(7 * n) % 100}", 2000 + n)
        expected[f"p{(7 * n) % 100}"] = ("published", vec(2000 + n))
        for status in (None, "published", "draft"):
            assert later.nearest(vec(n), 20, status) == built(expected).nearest(vec(n), 20, status)
    assert np.array_equal(base.block.matrix[:base.size], snapshot)
    assert base.nearest(vec(5), 10) == before
    assert [post_id for post_id, _ in first.nearest(vec(5), 100)].count("p5") == 1
    assert later.live == 100 and later.size <= 100 + 64
    gone = later.updated(["p1", "p2"], PostVectors([], [], None))
    assert "p1" not in {post_id for post_id, _ in gone.nearest(vec(1), 100)} and len(gone.nearest(vec(1), 100)) == 98


def test_the_d1_export_steps_of_the_copy_guide_leave_search_working(lite: tuple[Path, str], vec: Vec) -> None:
    """docs/copy.md: rollback 0013 then 0009, export, 0009 then 0013 again: the log and its triggers are back."""
    path, account = lite
    folder = migrations_dir("sqlite")
    with vesta_sql.connect(f"sqlite:///{path}") as db:
        posts = seed(db, account, make_creator(db, account, lambda p: f"{p}-d1"), vec, range(1, 11))
        query = vec(1100)
        check(db, account, posts, statuses_of(path, account), query)
        with contextlib.closing(sqlite3.connect(path)) as conn:
            for script in ("rollback/0013_post_search_changes.sql", "rollback/0009_post_search.sql",
                           "0009_post_search.sql", "0013_post_search_changes.sql"):
                conn.executescript((folder / script).read_text(encoding="utf-8"))
        assert [seq for seq, _ in log_of(path, account)] == [0]
        steps = steps_of(db)
        check(db, account, posts, statuses_of(path, account), query)
        assert "posts.search_vectors" in steps.take()  # new tokens: reloaded once
        target = next(iter(posts))
        db.posts.update(account_id=account, id=target, embedding=near(query, 3, 0.01))
        check(db, account, embedded(path, account), statuses_of(path, account), query)
        assert "posts.search_changed" in steps.take()
        assert log_of(path, account)[1:] == [(1, target), (2, target)]


def test_a_forked_child_starts_with_an_empty_cache(lite: tuple[Path, str], vec: Vec) -> None:
    """A lock some thread held at the fork would stay held in the child: the child's cache is new (and empty)."""
    import multiprocessing

    path, account = lite
    with vesta_sql.connect(f"sqlite:///{path}") as db:
        posts = seed(db, account, make_creator(db, account, lambda p: f"{p}-fork"), vec, range(1, 6))
        db.posts.search_similar(account_id=account, embedding=vec(1), k=3)
        assert len(CACHE) > 0
        CACHE._lock.acquire()  # as if another thread were inside the cache at the fork
        try:
            child = multiprocessing.get_context("fork").Process(target=_search_in_child, args=(path, account, vec(1)))
            child.start()
            child.join(60)
        finally:
            CACHE._lock.release()
        assert child.exitcode == 0
        assert db.posts.search_similar(account_id=account, embedding=vec(1), k=1)[0].id in posts


def _search_in_child(path: Path, account: str, query: Any) -> None:
    assert len(CACHE) == 0
    with vesta_sql.connect(f"sqlite:///{path}") as db:
        assert len(db.posts.search_similar(account_id=account, embedding=query, k=3)) == 3


def test_async_searches_and_writes_at_once(lite: tuple[Path, str], vec: Vec) -> None:
    """The async façade's connections run in their own threads: searches gathered with writes, each equal to
    a full search made in the same read transaction."""
    import asyncio

    path, account = lite
    query = vec(950)

    async def scenario() -> None:
        db = await vesta_sql.connect_async(f"sqlite:///{path}")
        try:
            creator = (await db.creators.create(account_id=account, name="A", slug="async-threads",
                                                email="a@example.com")).id
            for n in range(100):
                await db.posts.create(account_id=account, creator_id=creator, title=f"s{n}", embedding=vec(n))

            async def search() -> bool:
                async with db.transaction(account_id=account, write=False) as tx:
                    hits = await tx.posts.search_similar(embedding=query, k=10)
                    vectors = await tx.posts.search_vectors()  # type: ignore[attr-defined]  # a SQLite-only step
                    expected = AccountVectors.from_record(vectors).nearest(query, 10)
                return [(h.id, h.distance) for h in hits] == expected

            async def write(n: int) -> None:
                await db.posts.create(account_id=account, creator_id=creator, title=f"w{n}",
                                      embedding=near(query, n, 0.5))

            jobs = [search() if n % 2 else write(n) for n in range(120)]
            results = await asyncio.gather(*jobs)
            assert all(ok for ok in results if ok is not None)
            assert sum(1 for ok in results if ok is True) == 60
        finally:
            await db.close()

    asyncio.run(scenario())
