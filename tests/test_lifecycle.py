"""Process lifecycle: a database opened before a fork never shares a connection with the child,
and an unclosed async database leaves nothing printing at interpreter exit."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import textwrap
import uuid
from typing import Any

import pytest

import vesta_sql
from vesta_sql.drivers import forks


def in_child(work: Any) -> dict[str, Any]:
    """Run `work()` in a forked child; return what it reported (a JSON object)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running the parent's cleanup
        os.close(read)
        try:
            outcome = {"ok": True, **work()}
        except BaseException as exc:
            outcome = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        with os.fdopen(write, "w") as out:
            out.write(json.dumps(outcome))
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as report:
        text = report.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return dict(json.loads(text))


def backend_pid(db: Any) -> int:
    with db._driver._pool.connection() as conn:
        return int(conn.execute("select pg_backend_pid()").fetchone()[0])


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_a_fork_after_connect(dialect: str, request: pytest.FixtureRequest, acct: str) -> None:
    url = request.getfixturevalue("sqlite_url") if dialect == "sqlite" else request.getfixturevalue("pg_urls")[1]
    db = vesta_sql.connect(url, pool_size=1)
    try:
        db.accounts.register(account_id=acct)
        made = db.creators.create(account_id=acct, name="P", slug=f"p-{uuid.uuid4().hex[:8]}", email="p@x.io")
        before = backend_pid(db) if dialect == "postgres" else None

        def child() -> dict[str, Any]:
            slug = f"c-{uuid.uuid4().hex[:8]}"
            mine = db.creators.create(account_id=acct, name="C", slug=slug, email="c@x.io")
            seen = [c.id for c in db.creators.list(account_id=acct)]
            pid = backend_pid(db) if dialect == "postgres" else None
            for inherited in forks.INHERITED:  # even closing what the child inherited ...
                if hasattr(inherited, "close"):
                    inherited.close(timeout=1)
            forks.INHERITED.clear()
            gc.collect()
            db.close()  # ... and its own: none of it may reach the parent's sessions
            return {"id": mine.id, "seen": seen, "pid": pid}

        report = in_child(child)
        assert report["ok"], report
        assert set(report["seen"]) == {made.id, report["id"]}
        if dialect == "postgres":
            assert report["pid"] != before  # the child had a connection of its own
            assert backend_pid(db) == before  # the parent's connection is untouched, and works
        assert {c.id for c in db.creators.list(account_id=acct)} == {made.id, report["id"]}
    finally:
        db.close()


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_an_async_database_refuses_in_a_forked_child(dialect: str, request: pytest.FixtureRequest, acct: str) -> None:
    url = request.getfixturevalue("sqlite_url") if dialect == "sqlite" else request.getfixturevalue("pg_urls")[1]
    loop = asyncio.new_event_loop()
    db = loop.run_until_complete(vesta_sql.connect_async(url))
    try:
        assert loop.run_until_complete(db.creators.list(account_id=acct)) == []

        def child() -> dict[str, Any]:
            fresh = asyncio.new_event_loop()
            try:
                fresh.run_until_complete(db.creators.list(account_id=acct))
            except vesta_sql.OperationalError as exc:
                return {"refused": str(exc)}
            finally:
                fresh.close()
            return {"refused": None}

        report = in_child(child)
        assert report["ok"], report
        assert "opened in another process" in report["refused"] and "connect_async" in report["refused"]
        assert loop.run_until_complete(db.creators.list(account_id=acct)) == []  # the parent's still works
    finally:
        loop.run_until_complete(db.close())
        loop.close()


EXIT_SCRIPT = textwrap.dedent("""
    import asyncio, sys
    import vesta_sql

    async def main(keep):
        db = await vesta_sql.connect_async(sys.argv[1])
        await db.creators.list(account_id="acc_exit")
        if keep:
            globals()["kept"] = db  # unclosed until the interpreter exits

    asyncio.run(main(sys.argv[2] == "keep"))
    print("done")
""")


@pytest.mark.parametrize("how", ["keep", "drop"])
@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_an_unclosed_async_database_exits_quietly(dialect: str, how: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("sqlite_url") if dialect == "sqlite" else request.getfixturevalue("pg_urls")[1]
    ran = subprocess.run([sys.executable, "-c", EXIT_SCRIPT, url, how], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "done"
    assert "Traceback" not in ran.stderr and "Event loop is closed" not in ran.stderr, ran.stderr
