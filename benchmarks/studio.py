"""Studio benchmark: the server's time for a grid page of a 1,000,000-row table (target: median < 100 ms).

    python benchmarks/studio.py [--rows 1000000] [--requests 50] [--rounds 5]

One account holds ROWS posts in a throwaway SQLite file (the embedded default's setup:
WAL, foreign keys on). A real `vesta-sql studio` server (uvicorn on 127.0.0.1, in this
process's thread) serves the grid sorted on an indexed column — `id` (the primary key)
and `status` (the index `posts_status_idx`, keyset status, created_at, id) — at its first
page, a middle page (a keyset cursor at row ROWS/2) and its last page. Each figure is the
median of the server's own time (its `Server-Timing` header; every page also counts up to
10,000 matching rows) over REQUESTS requests per page, interleaved in rounds with the
baseline: the same keyset statement alone, run by sqlite3 on its own connection.
"""

# ruff: noqa: E402 - the standard imports follow a sys.path fix (see below)
from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

import argparse
import http.client
import statistics
import threading
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from benchmarks._harness import sqlite_connect, sqlite_database

ACCOUNT = "acc_bench_studio"


def load(path: object, rows: int) -> None:
    from vesta_sql.ids import new_id

    conn = sqlite_connect(path)
    conn.execute("insert into accounts (account_id, created_at) values (?, '2026-01-01T00:00:00.000000Z')",  # type: ignore[attr-defined]
                 (ACCOUNT,))
    conn.execute(  # type: ignore[attr-defined]
        "insert into creators (account_id, id, name, slug, bio, email, created_at, updated_at) values "
        "(?, 'c1', 'Ada', 'ada', '', 'ada@example.com', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')",
        (ACCOUNT,))
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    statuses = ("draft", "archived")
    conn.execute("begin")  # type: ignore[attr-defined]
    batch = []
    for i in range(rows):
        stamp = (start + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        batch.append((ACCOUNT, new_id(), "c1", f"post {i}", "body", statuses[i % 2], stamp, stamp))
        if len(batch) == 50_000:
            conn.executemany("insert into posts (account_id, id, creator_id, title, body, status, created_at, updated_at) "  # type: ignore[attr-defined]
                             "values (?, ?, ?, ?, ?, ?, ?, ?)", batch)
            batch = []
    if batch:
        conn.executemany("insert into posts (account_id, id, creator_id, title, body, status, created_at, updated_at) "  # type: ignore[attr-defined]
                         "values (?, ?, ?, ?, ?, ?, ?, ?)", batch)
    conn.execute("commit")  # type: ignore[attr-defined]
    conn.execute("analyze")  # type: ignore[attr-defined]
    conn.close()  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import uvicorn

    from vesta_sql.admin.studio import sqlgen, views
    from vesta_sql.admin.studio.app import bind
    from vesta_sql.admin.studio.database import Studio
    from vesta_sql.admin.studio.routes import build_app
    from vesta_sql.admin.studio.security import allowed_hosts, new_token

    with sqlite_database() as (url, path):
        began = time.perf_counter()
        load(path, args.rows)
        print(f"loaded {args.rows:,} posts in {time.perf_counter() - began:.1f} s")
        studio = Studio(url)
        sock = bind("127.0.0.1", 0)
        port = sock.getsockname()[1]
        token = new_token()
        app = build_app(studio, token=token, hosts=allowed_hosts("127.0.0.1", port), audit=None, describe="bench")
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)

        table = studio.schema.tables["posts"]
        raw = sqlite_connect(path)
        pages: dict[str, tuple[dict[str, str], object]] = {}
        for sort in ("id", "status"):
            keyset = table.sort_keys()[sort]
            middle = raw.execute(  # type: ignore[attr-defined]
                f"select {', '.join(keyset)} from posts where account_id = ? order by {', '.join(keyset)} "
                "limit 1 offset ?", (ACCOUNT, args.rows // 2)).fetchone()
            cursor = views.encode_cursor(list(middle))
            for name, params in (("first", {}), ("middle", {"after": cursor}), ("last", {"last": "1"})):
                query = {"sort": sort, **params}
                statement = sqlgen.grid(studio.schema, table, sort=sort, descending=False, filters={},
                                        after=views.decode_cursor(params["after"]) if "after" in params else None,
                                        last=name == "last")
                pages[f"{sort} {name}"] = (query, statement)

        def page_time(query: dict[str, str]) -> float:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", f"/a/{ACCOUNT}/t/posts?{urlencode(query)}", headers={"x-studio-token": token})
            response = conn.getresponse()
            body = response.read()
            assert response.status == 200 and b"post " in body, body[-300:]
            timing = response.getheader("server-timing") or ""
            conn.close()
            return float(timing.split("dur=")[1]) / 1000

        def raw_time(statement: object) -> float:
            began = time.perf_counter()
            raw.execute(statement.sql, {**statement.params, "account_id": ACCOUNT}).fetchall()  # type: ignore[attr-defined]
            return time.perf_counter() - began

        samples: dict[str, list[float]] = {f"{k} {w}": [] for k in pages for w in ("page", "raw")}
        for _ in range(2):  # warm-up: the proof of each statement text, the page cache
            for query, statement in pages.values():
                page_time(query)
                raw_time(statement)
        per_round = max(1, args.requests // args.rounds)
        for round_no in range(args.rounds):
            names = list(pages)
            names = names[round_no % len(names):] + names[:round_no % len(names)]
            for name in names:
                query, statement = pages[name]
                for _ in range(per_round):
                    samples[f"{name} page"].append(page_time(query))
                    samples[f"{name} raw"].append(raw_time(statement))
        server.should_exit = True
        thread.join(timeout=10)
        studio.close()

        print(f"\nmedian of {per_round * args.rounds} requests per page, {args.rows:,}-row table, one account (SQLite)\n")
        print(f"{'page':<16}{'studio page (server)':>22}{'statement alone':>18}{'ratio':>8}")
        worst = 0.0
        for name in pages:
            page = statistics.median(samples[f"{name} page"])
            alone = statistics.median(samples[f"{name} raw"])
            worst = max(worst, page)
            print(f"{name:<16}{page * 1000:>19.2f} ms{alone * 1000:>15.2f} ms{page / alone:>7.1f}x")
        print(f"\nslowest page median: {worst * 1000:.2f} ms (target < 100 ms): {'met' if worst < 0.1 else 'MISSED'}")


if __name__ == "__main__":
    main()
