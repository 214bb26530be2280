"""The async side is written once and the sync side generated from it (tools/async_to_sync.py);
what the two SQLite drivers write by hand follows the same rules."""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import vesta_sql
from vesta_sql.drivers.sqlite_async import AsyncSQLiteDriver
from vesta_sql.drivers.sqlite_sync import SQLiteDriver
from vesta_sql.runtime import CompiledQuery

from .test_lifecycle import in_child

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "async_to_sync.py"


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("async_to_sync", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True, timeout=120, check=False)


def test_the_generated_sync_modules_are_current() -> None:
    ran = run_tool("--check")
    assert ran.returncode == 0, ran.stderr
    for source, target in load_tool().MODULES.items():
        first = (ROOT / target).read_text(encoding="utf-8").splitlines()[0]
        assert first == f"# generated from {source} by tools/async_to_sync.py — edit that file, not this one"


def test_a_stale_generated_module_fails_the_check(tmp_path: Path) -> None:
    modules = load_tool().MODULES
    for relative in [*modules, *modules.values(), "pyproject.toml"]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / relative, tmp_path / relative)
    generated = tmp_path / "vesta_sql/facade.py"
    generated.write_text(generated.read_text(encoding="utf-8") + "# a hand edit\n", encoding="utf-8")
    stale = run_tool("--check", "--root", str(tmp_path))
    assert stale.returncode == 1
    assert "vesta_sql/facade.py" in stale.stderr and "postgres_sync" not in stale.stderr
    assert "# a hand edit" in generated.read_text(encoding="utf-8")  # --check writes nothing
    assert run_tool("--root", str(tmp_path)).returncode == 0
    assert run_tool("--check", "--root", str(tmp_path)).returncode == 0
    assert generated.read_text(encoding="utf-8") == (ROOT / "vesta_sql/facade.py").read_text(encoding="utf-8")


SOURCE = '''\
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncio
import threading


class AsyncThing:
    async def __aenter__(self) -> AsyncThing:  # a comment stays
        return self

    @asynccontextmanager
    async def session(self) -> AsyncIterator[None]:
        async with self.lock:
            yield

    async def run(self, first: int,
                  second: int) -> int:
        if True:  # ASYNC
            await asyncio.sleep(0)
        else:
            threading.Event().wait(0)  # noqa: V201 (vulture: unreachable in the async module)
        if True:  # ASYNC
            pass
        total = await self.add(first,
                               second)
        async for item in self.items():
            total += item
        return total


__all__ = ["AsyncThing", "async words in prose stay"]
'''

EXPECTED = '''\
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Thing:
    def __enter__(self) -> Thing:  # a comment stays
        return self

    @contextmanager
    def session(self) -> Iterator[None]:
        with self.lock:
            yield

    def run(self, first: int,
            second: int) -> int:
        threading.Event().wait(0)
        total = self.add(first,
                         second)
        for item in self.items():
            total += item
        return total


__all__ = ["Thing", "async words in prose stay"]
'''


def test_the_transform(tmp_path: Path) -> None:
    tool = load_tool()
    tool.NAMES["AsyncThing"] = "Thing"
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 130\n", encoding="utf-8")
    text = tool.rewrite_tokens(tool.keep_sync_branches(SOURCE, "thing_async.py"))
    assert tool.tidy(text, "thing.py", tmp_path) == EXPECTED


def test_a_misplaced_async_word_is_refused() -> None:
    with pytest.raises(SystemExit, match="`async` before"):
        load_tool().rewrite_tokens("async = 1\n")


def test_each_facade_names_its_own_class(sqlite_url: str) -> None:
    with vesta_sql.connect(sqlite_url) as db:
        assert repr(db).startswith("<vesta_sql.Database sqlite: ")

    async def main() -> str:
        async with await vesta_sql.connect_async(sqlite_url) as adb:
            return repr(adb)

    assert asyncio.run(main()).startswith("<vesta_sql.AsyncDatabase sqlite: ")


# --- the two hand-written SQLite drivers: the same rules ----------------------------------------


def a_read(sqlite_url: str) -> CompiledQuery:
    with vesta_sql.connect(sqlite_url) as db:
        query: CompiledQuery = db._runtime.queries["creators"]["list"]
    assert query.read_only
    return query


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_both_sqlite_drivers_fail_fast_on_a_bad_path(flavour: str, tmp_path: Path) -> None:
    path = str(tmp_path / "no-such-folder" / "vesta.db")
    with pytest.raises(vesta_sql.OperationalError, match="cannot open SQLite database") as caught:
        if flavour == "sync":
            SQLiteDriver(path, busy_timeout_ms=1000, statement_timeout_ms=None)
        else:
            asyncio.run(AsyncSQLiteDriver(path, busy_timeout_ms=1000).open())
    assert path in str(caught.value)


def test_connect_async_opens_its_first_sqlite_connection_before_returning(sqlite_url: str) -> None:
    async def main() -> int:
        db = await vesta_sql.connect_async(sqlite_url)
        try:
            driver: Any = db._driver
            return len(driver._idle)
        finally:
            await db.close()

    assert asyncio.run(main()) == 1
    with vesta_sql.connect(sqlite_url) as db:
        sync_driver: Any = db._driver
        assert len(sync_driver._idle) == 1  # as the sync façade does


def test_the_sync_in_memory_lock_times_out(sqlite_url: str) -> None:
    query = a_read(sqlite_url)
    driver = SQLiteDriver(":memory:", busy_timeout_ms=100, statement_timeout_ms=None)
    try:
        with driver.session("acc_one", write=False):  # holds the one in-memory connection
            with pytest.raises(vesta_sql.OperationalError, match="stayed busy past the busy timeout"):
                driver.execute(query, query.bind("acc_one", {}), "acc_one")
    finally:
        driver.close()


def test_the_async_in_memory_lock_times_out(sqlite_url: str) -> None:
    query = a_read(sqlite_url)

    async def main() -> Any:
        driver = AsyncSQLiteDriver(":memory:", busy_timeout_ms=100)
        await driver.open()
        try:
            async with driver.session("acc_one", write=False):  # holds the one in-memory connection
                call = driver.execute(query, query.bind("acc_one", {}), "acc_one")
                # the guard: before the fix this call waited for ever
                with pytest.raises(vesta_sql.OperationalError, match="stayed busy past the busy timeout"):
                    await asyncio.wait_for(call, timeout=30)
            return await driver.execute(query, query.bind("acc_one", {}), "acc_one")  # free again: it runs
        finally:
            await driver.close()

    with pytest.raises(vesta_sql.OperationalError, match="no such table"):
        asyncio.run(main())  # an empty in-memory database: reaching SQLite is the point


def test_an_async_postgres_database_closed_in_a_forked_child_leaves_the_parents_pool(
        pg_urls: tuple[str, str], acct: str) -> None:
    loop = asyncio.new_event_loop()
    db = loop.run_until_complete(vesta_sql.connect_async(pg_urls[1], pool_size=1))
    try:
        assert loop.run_until_complete(db.creators.list(account_id=acct)) == []

        def child() -> dict[str, Any]:
            fresh = asyncio.new_event_loop()
            try:
                fresh.run_until_complete(asyncio.wait_for(db.close(), timeout=10))  # as the sync one: a no-op
            finally:
                fresh.close()
            return {}

        report = in_child(child)
        assert report["ok"], report
        assert loop.run_until_complete(db.creators.list(account_id=acct)) == []  # the parent's pool still works
    finally:
        loop.run_until_complete(db.close())
        loop.close()
