"""Cold start: `import vesta_sql` + `connect` (which loads and guards every query), in a fresh process.

    python benchmarks/startup.py [--runs 15] [--only sqlite|postgres] [--extra 100]

Each run is a new interpreter (a subprocess); the figures are medians over the runs:
the whole process (spawn to exit), and inside it the time from before `import vesta_sql`
to a connected façade. A bare interpreter is timed the same way for reference. The
script also checks that the SQLite path imports none of psycopg, sqlglot or NumPy.

The package's modules are byte-compiled first, as an installed wheel's are (pip compiles
them): from a source checkout with PYTHONDONTWRITEBYTECODE set, every run would otherwise
compile the package from source, which doubled the import time measured here.
"""

from __future__ import annotations

import argparse
import compileall
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import postgres_database, sqlite_database

TARGET_MS = 150
HEAVY = ("psycopg", "psycopg_pool", "sqlglot", "numpy", "pgvector", "yoyo", "aiosqlite", "asyncio")

CHILD = """
import time, sys, json
started = time.perf_counter()
import vesta_sql
imported = time.perf_counter()
db = vesta_sql.connect(sys.argv[1], extra_queries=sys.argv[3:])
connected = time.perf_counter()
heavy = [name for name in json.loads(sys.argv[2]) if name in sys.modules]
db.close()
print(json.dumps({"import": imported - started, "connect": connected - imported, "heavy": heavy}))
"""


def run_child(url: str, runs: int, extra: list[str] | None = None) -> dict[str, float | list[str]]:
    walls, imports, connects = [], [], []
    heavy: list[str] = []
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD, url, json.dumps(HEAVY), *(extra or [])], check=True,
                             capture_output=True, text=True).stdout
        walls.append(time.perf_counter() - started)
        data = json.loads(out)
        imports.append(data["import"])
        connects.append(data["connect"])
        heavy = data["heavy"]
    return {"wall": statistics.median(walls), "import": statistics.median(imports),
            "connect": statistics.median(connects),
            "in_process": statistics.median(i + c for i, c in zip(imports, connects)), "heavy": heavy}


def write_extra_queries(folder: Path, count: int) -> None:
    """An app's query file of `count` distinct texts (a join each), none of them in the package's proof record."""
    blocks = [
        f"-- name: likes_{n}(account_id, id)$\n-- param: id str\n"
        f"select count(*) from posts p join likes l on l.account_id = p.account_id and l.post_id = p.id\n"
        f" where p.account_id = :account_id and p.id = :id and l.user_id <> 'user-{n}';\n"
        for n in range(count)
    ]
    (folder / "app_stats.sql").write_text("\n".join(blocks), encoding="utf-8")


def bare_interpreter(runs: int) -> float:
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        walls.append(time.perf_counter() - started)
    return statistics.median(walls)


def importtime_top(url: str, count: int = 8) -> list[tuple[str, float]]:
    """The slowest imports (cumulative, ms) of one run, from `python -X importtime`."""
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", CHILD, url, json.dumps(HEAVY)], check=True,
                         capture_output=True, text=True).stderr
    rows = []
    for line in err.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].rstrip()
            if name.strip() != "vesta_sql":
                rows.append((name[1:], int(parts[1]) / 1000))
    return sorted(rows, key=lambda row: -row[1])[:count]


def report(label: str, result: dict[str, float | list[str]], bare: float, target: bool) -> str:
    in_process = float(result["in_process"])  # type: ignore[arg-type]
    verdict = ""
    if target:
        verdict = f" — target < {TARGET_MS} ms: {'met' if in_process * 1000 < TARGET_MS else 'MISSED'}"
    return (f"| {label} | {float(result['wall']) * 1000:.0f} | {float(result['import']) * 1000:.0f} | "  # type: ignore[arg-type]
            f"{float(result['connect']) * 1000:.0f} | {in_process * 1000:.0f}{verdict} | "
            f"{', '.join(result['heavy']) or 'none'} |")  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--extra", type=int, default=100,
                        help="also time SQLite with an extra_queries folder of this many queries, proven at load (0: skip)")
    args = parser.parse_args()
    compileall.compile_dir(str(Path(__file__).resolve().parent.parent / "vesta_sql"), quiet=1)
    bare = bare_interpreter(args.runs)
    lines = [f"bare interpreter (`python -c pass`): {bare * 1000:.0f} ms (median of {args.runs})", "",
             "| path | whole process, ms | import vesta_sql, ms | connect (load + guard all queries), ms | "
             "import + connect, ms | heavy modules imported |",
             "|---|---:|---:|---:|---:|---|"]
    top: list[tuple[str, float]] = []
    if args.only in (None, "sqlite"):
        with sqlite_database() as (url, _):
            result = run_child(url, args.runs)
            lines.append(report("SQLite (file)", result, bare, target=True))
            top = importtime_top(url)
            if args.extra:
                with tempfile.TemporaryDirectory() as folder:
                    write_extra_queries(Path(folder), args.extra)
                    with_extra = run_child(url, args.runs, [folder])
                lines.append(report(f"SQLite + {args.extra} app queries (not in the proof record)", with_extra, bare,
                                    target=False))
                per_query = (float(with_extra["connect"]) - float(result["connect"])) / args.extra  # type: ignore[arg-type]
                lines.append(f"| per extra query (includes importing sqlglot once) | | | {per_query * 1000:.2f} | | |")
    if args.only in (None, "postgres"):
        with postgres_database("vesta_bench_startup") as pg:
            result = run_child(pg.app_url, args.runs)
            lines.append(report("Postgres (app role, unix socket; pool opened)", result, bare, target=False))
    print("\n".join(lines))
    if top:
        print("\nslowest imports on the SQLite path (one `python -X importtime` run, cumulative, nested by indent):")
        for name, ms in top:
            print(f"  {ms:6.1f} ms  {name}")


if __name__ == "__main__":
    main()
