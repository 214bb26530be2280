"""The many-row path: 100,000 likes through `db.engagement.like.many(...)` against raw executemany (and COPY).

    python benchmarks/bulk.py [--rows 100000] [--rounds 3] [--only sqlite|postgres]

Every contender writes the same number of new likes (a fresh post per contender and
round, so nothing conflicts) in one transaction, with the same ids (UUIDv7) and the same
timestamp encoding. The façade validates every row before anything runs; raw
executemany binds what it is given. On Postgres the app role is used (RLS on), and COPY
is the floor (as the owner: Postgres refuses `COPY FROM` under row-level security; same
table, indexes and triggers). On Postgres the façade sends an insert's rows as arrays
(`unnest`, a statement per 10,000 rows); "executemany, before" is the same call with that
turned off, as it ran before. An insert with `on conflict … do nothing` goes first without it
and is sent again with it only when a row conflicts: the last contender's last row repeats
its first, the worst case (everything sent twice). Figures: median seconds per 100,000 rows over the rounds, and rows/s.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from _harness import postgres_database, sqlite_connect, sqlite_database

import vesta_sql
from vesta_sql.dialects import postgres_bulk as bulk_form
from vesta_sql.ids import new_id
from vesta_sql.loader import load_catalog

ACCOUNT = "acc_bulk_0001"
UTC = timezone.utc
CONFLICTING = "vesta-sql like.many, the last row a repeat"


def rounds_of(contenders: dict[str, Callable[[str], int]], new_post: Callable[[], str], rows: int,
              rounds: int, skipped: dict[str, int] | None = None) -> dict[str, float]:
    """Median seconds per contender; `skipped`: the rows a contender's call skips as already there."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for round_no in range(rounds):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            post_id = new_post()
            started = time.perf_counter()
            written = contenders[name](post_id)
            samples[name].append(time.perf_counter() - started)
            assert written == rows - (skipped or {}).get(name, 0), (name, written)
    return {name: statistics.median(values) for name, values in samples.items()}


def table(title: str, results: dict[str, float], rows: int, baseline: str, floor: str | None = None) -> str:
    extra = f" rows/s ÷ {floor}'s |" if floor else ""
    lines = [f"### {title}", "", f"{rows:,} likes in one transaction; median of rounds", "",
             "| contender | seconds | rows/s | × " + baseline + " |" + extra, "|---|---:|---:|---:|" + ("---:|" if floor else "")]
    for name, seconds in results.items():
        share = f" {results[floor] / seconds:.0%} |" if floor else ""
        lines.append(f"| {name} | {seconds:.2f} | {rows / seconds:,.0f} | {seconds / results[baseline]:.2f}× |{share}")
    return "\n".join(lines) + "\n"


def like_rows(post_id: str, rows: int) -> list[dict[str, str]]:
    return [{"post_id": post_id, "user_id": f"user-{i}"} for i in range(rows)]


def sqlite_bulk(rows: int, rounds: int) -> str:
    with sqlite_database() as (url, path):
        db = vesta_sql.connect(url)
        db.accounts.register(account_id=ACCOUNT)
        creator = db.creators.create(account_id=ACCOUNT, name="Bulk", slug="bulk", email="b@example.com")
        sql = load_catalog("sqlite")[0]["engagement"]["like"].sql
        conn: Any = sqlite_connect(path)

        def new_post() -> str:
            return str(db.posts.create(account_id=ACCOUNT, creator_id=creator.id, title="p").id)

        def vesta(post_id: str) -> int:
            return int(db.engagement.like.many(account_id=ACCOUNT, rows=like_rows(post_id, rows)))

        def raw(post_id: str) -> int:
            now = datetime.now(UTC).isoformat(timespec="microseconds")[:-6] + "Z"
            params = [{"account_id": ACCOUNT, "id": new_id(), "post_id": post_id, "user_id": f"user-{i}", "now": now}
                      for i in range(rows)]
            conn.execute("begin immediate")
            count = conn.executemany(sql, params).rowcount
            conn.execute("commit")
            return int(count)

        results = rounds_of({"raw sqlite3 executemany": raw, "vesta-sql like.many": vesta}, new_post, rows, rounds)
        db.close()
        conn.close()
    return table("SQLite (file, WAL)", results, rows, "raw sqlite3 executemany")


def postgres_bulk(rows: int, rounds: int) -> str:
    import psycopg

    with postgres_database("vesta_bench_bulk") as pg:
        db = vesta_sql.connect(pg.app_url, pool_size=2)
        db.accounts.register(account_id=ACCOUNT)
        creator = db.creators.create(account_id=ACCOUNT, name="Bulk", slug="bulk", email="b@example.com")
        sql = load_catalog("postgres")[0]["engagement"]["like"].sql
        conn = psycopg.connect(pg.app_url, options="-c TimeZone=UTC")  # not autocommit: one transaction per run
        # COPY FROM is refused under row-level security, so the floor runs as the owner (a superuser here)
        owner = psycopg.connect(pg.owner_url, options="-c TimeZone=UTC")

        def new_post() -> str:
            return str(db.posts.create(account_id=ACCOUNT, creator_id=creator.id, title="p").id)

        def vesta(post_id: str) -> int:
            return int(db.engagement.like.many(account_id=ACCOUNT, rows=like_rows(post_id, rows)))

        def vesta_with_a_conflict(post_id: str) -> int:
            """The same rows, the last one a like of the first one's user: sent again with `on conflict`."""
            sent = like_rows(post_id, rows)
            sent[-1] = sent[0]
            return int(db.engagement.like.many(account_id=ACCOUNT, rows=sent))

        def executemany_path(post_id: str) -> int:
            """The façade as it was before issue 18: every row its own statement (pipelined by psycopg)."""
            plan_for = bulk_form.plan_for
            bulk_form.plan_for = lambda query: None  # type: ignore[assignment]
            try:
                return vesta(post_id)
            finally:
                bulk_form.plan_for = plan_for

        def raw(post_id: str) -> int:
            now = datetime.now(UTC)
            params = [{"account_id": ACCOUNT, "id": new_id(), "post_id": post_id, "user_id": f"user-{i}", "now": now}
                      for i in range(rows)]
            with conn.transaction(), conn.cursor() as cursor:
                cursor.execute("select set_config('vesta.account_id', %s, true)", (ACCOUNT,))
                cursor.executemany(sql, params)
                return cursor.rowcount

        def copy(post_id: str) -> int:
            now = datetime.now(UTC)
            with owner.transaction(), owner.cursor() as cursor:
                with cursor.copy("copy likes (account_id, id, post_id, user_id, created_at) from stdin") as out:
                    for i in range(rows):
                        out.write_row((ACCOUNT, new_id(), post_id, f"user-{i}", now))
                return cursor.rowcount

        results = rounds_of({"raw psycopg executemany": raw, "COPY (owner role: no RLS)": copy,
                             "vesta-sql like.many (executemany, before)": executemany_path, "vesta-sql like.many": vesta,
                             CONFLICTING: vesta_with_a_conflict},
                            new_post, rows, rounds, skipped={CONFLICTING: 1})
        db.close()
        conn.close()
        owner.close()
    return table("Postgres (unix socket, app role, RLS on)", results, rows, "raw psycopg executemany",
                 "COPY (owner role: no RLS)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    if args.only in (None, "sqlite"):
        print(sqlite_bulk(args.rows, args.rounds), flush=True)
    if args.only in (None, "postgres"):
        print(postgres_bulk(args.rows, args.rounds), flush=True)


if __name__ == "__main__":
    main()
