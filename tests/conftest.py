"""Fixtures: a real SQLite file and a real Postgres (embedded unless VESTA_TEST_POSTGRES_URL is set).

Every façade test takes `db`, which runs it four ways: SQLite and Postgres, sync and
async (the async façade is driven through a small bridge so the test code is the same).
Databases are migrated once per session; tests stay apart by using fresh accounts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest

import vesta_sql
from vesta_sql.admin import migrate
from vesta_sql.admin.roles import create_app_role
from vesta_sql.facade import Namespace
from vesta_sql.runtime import QueryEvent

from .pg import PostgresFixture, start_postgres
from .pgbouncer import PgBouncer, start_pgbouncer

CALLED: dict[str, set[str]] = defaultdict(set)
APP_ROLE = "vesta_app_test"
pytest_plugins = ["vesta_sql.testing"]  # the fixtures apps use (tests/test_testing_fixtures.py uses them too)


def record_call(dialect: str) -> Callable[[QueryEvent], None]:
    def hook(event: QueryEvent) -> None:
        CALLED[dialect].add(event.query)

    return hook


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresFixture]:
    with start_postgres() as fixture:
        yield fixture


@pytest.fixture(scope="session")
def vesta_postgres_server(postgres: PostgresFixture) -> str:
    """The `vesta_sql.testing` fixtures share this suite's server instead of starting their own."""
    return postgres.admin_url


@pytest.fixture(scope="session")
def pg_urls(postgres: PostgresFixture) -> tuple[str, str]:
    """(owner URL, app-role URL) of a freshly migrated database."""
    owner = postgres.create_database("vesta_facade")
    migrate.apply(owner)
    create_app_role(owner, APP_ROLE, "app-secret")
    return owner, postgres.url_for(owner, APP_ROLE, "app-secret")


# A database alias whose server sessions run in a zone other than UTC (PgBouncer's
# `timezone=` setting): timestamps must still come back in UTC.
ELSEWHERE = "vesta_facade_kolkata"


@pytest.fixture(scope="session")
def pgbouncer(postgres: PostgresFixture, pg_urls: tuple[str, str]) -> Iterator[PgBouncer]:
    """PgBouncer in transaction mode, as a managed Postgres would run it for an app."""
    databases = {"vesta_facade": "dbname=vesta_facade", ELSEWHERE: "dbname=vesta_facade timezone=Asia/Kolkata"}
    with start_pgbouncer(postgres.admin_url, databases, {APP_ROLE: "app-secret"},
                         ignore_startup_parameters="extra_float_digits,options") as bouncer:
        yield bouncer


@pytest.fixture(scope="session")
def pooled_url(pgbouncer: PgBouncer) -> str:
    """The app role's URL through PgBouncer."""
    return pgbouncer.url("vesta_facade", APP_ROLE, "app-secret")


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'vesta.db'}"
    migrate.apply(url)
    return url


class AsyncBridge:
    """Drives an async façade from sync test code, on one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, target: Any) -> None:
        self._loop, self._target = loop, target

    def __getattr__(self, name: str) -> Any:
        if name in ("transaction", "savepoint"):
            return lambda *args, **kwargs: self._context(name, *args, **kwargs)
        value = getattr(self._target, name)
        if isinstance(value, Namespace) or callable(value):
            return AsyncBridge(self._loop, value)
        return value

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result = self._target(*args, **kwargs)
        return self._loop.run_until_complete(result) if asyncio.iscoroutine(result) else result

    @contextlib.contextmanager
    def _context(self, name: str, *args: Any, **kwargs: Any) -> Iterator[AsyncBridge]:
        manager = getattr(self._target, name)(*args, **kwargs)
        tx = self._loop.run_until_complete(manager.__aenter__())
        try:
            yield AsyncBridge(self._loop, tx)
        except BaseException as exc:
            if not self._loop.run_until_complete(manager.__aexit__(type(exc), exc, exc.__traceback__)):
                raise
        else:
            self._loop.run_until_complete(manager.__aexit__(None, None, None))


@pytest.fixture(scope="session")
def event_loop_for_bridge() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


FLAVOURS = ["sqlite", "sqlite-async", "postgres", "postgres-async"]
POOLED_FLAVOURS = ["pgbouncer", "pgbouncer-async"]
_open: dict[str, Any] = {}


@pytest.fixture(scope="session")
def databases(request: pytest.FixtureRequest, event_loop_for_bridge: asyncio.AbstractEventLoop) -> Iterator[dict[str, Any]]:
    yield _open
    for db in _open.values():
        db.close()
    _open.clear()


def open_flavour(flavour: str, request: pytest.FixtureRequest) -> Any:
    databases = request.getfixturevalue("databases")
    if flavour in databases:
        return databases[flavour]
    dialect = "postgres" if flavour.startswith("pgbouncer") else flavour.split("-")[0]
    if flavour.startswith("pgbouncer"):
        url = request.getfixturevalue("pooled_url")
    else:
        url = request.getfixturevalue("sqlite_url") if dialect == "sqlite" else request.getfixturevalue("pg_urls")[1]
    if flavour.endswith("async"):
        loop = request.getfixturevalue("event_loop_for_bridge")
        db: Any = AsyncBridge(loop, loop.run_until_complete(vesta_sql.connect_async(url)))
    else:
        db = vesta_sql.connect(url)
    db.add_hook(record_call(dialect))
    databases[flavour] = db
    return db


@pytest.fixture(params=FLAVOURS)
def db(request: pytest.FixtureRequest) -> Any:
    """A connected façade; runs the test on SQLite and Postgres, sync and async."""
    return open_flavour(request.param, request)


@pytest.fixture(params=FLAVOURS + POOLED_FLAVOURS)
def any_db(request: pytest.FixtureRequest) -> Any:
    """Like `db`, and also through PgBouncer (transaction mode), sync and async."""
    return open_flavour(request.param, request)


@pytest.fixture
def dialect(db: Any) -> str:
    return str(db.dialect)


@pytest.fixture
def db_url(request: pytest.FixtureRequest, db: Any) -> str:
    """The URL the `db` fixture is connected to (the app role on Postgres)."""
    return str(request.getfixturevalue("sqlite_url") if db.dialect == "sqlite" else request.getfixturevalue("pg_urls")[1])


@pytest.fixture
def sqlite_path(sqlite_url: str) -> Path:
    return Path(sqlite_url[len("sqlite:///"):])


def _account(request: pytest.FixtureRequest) -> str:
    """A fresh account, registered in the suite's shared SQLite and Postgres databases: writes need one."""
    account = f"acc_{uuid.uuid4().hex[:16]}"
    with contextlib.closing(sqlite3.connect(request.getfixturevalue("sqlite_url")[len("sqlite:///"):])) as conn, conn:
        conn.execute(REGISTER.replace("%s", "?"), (account,))
    with psycopg.connect(request.getfixturevalue("pg_urls")[0], autocommit=True) as pg:
        pg.execute(REGISTER, (account,))
    return account


REGISTER = "insert into accounts (account_id, created_at) values (%s, '2026-01-01T00:00:00.000000Z') on conflict do nothing"


@pytest.fixture
def acct(request: pytest.FixtureRequest) -> str:
    return _account(request)


@pytest.fixture
def acct2(request: pytest.FixtureRequest) -> str:
    return _account(request)


@pytest.fixture
def uniq() -> Callable[[str], str]:
    """`uniq("ada")` → a string unique to this test run (slugs and public keys are global)."""
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def vec() -> Callable[[int], Any]:
    """`vec(seed)` → a deterministic 384-d float32 unit vector."""
    def make(seed: int) -> Any:
        rng = np.random.default_rng(seed)
        v = rng.standard_normal(384).astype(np.float32)
        return v / np.linalg.norm(v)
    return make


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The meta-test: when the whole suite ran, every loaded query must have been called on both dialects."""
    check_no_skips(session)
    if exitstatus != 0 or os.environ.get("VESTA_REQUIRE_ALL_QUERIES") != "1" or session.config.option.keyword:
        return
    if any("::" in arg or arg.endswith(".py") for arg in session.config.args):
        return  # a partial run cannot call everything
    from vesta_sql.loader import load_catalog

    missing = []
    for dialect in ("sqlite", "postgres"):
        catalog, _ = load_catalog(dialect)
        for namespace, queries in catalog.items():
            for name in queries:
                if f"{namespace}.{name}" not in CALLED[dialect]:
                    missing.append(f"{dialect}: {namespace}.{name}")
    if missing:
        print("\nqueries never called by the suite:\n  " + "\n  ".join(missing))
        session.exitstatus = 1


_SKIPPED: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _SKIPPED.append(report.nodeid)


def check_no_skips(session: pytest.Session) -> None:
    """In CI (VESTA_NO_SKIPS=1) a skipped test is a failure: nothing required may be skipped."""
    if os.environ.get("VESTA_NO_SKIPS") == "1" and _SKIPPED:
        print("\nskipped tests are not allowed in CI:\n  " + "\n  ".join(_SKIPPED))
        session.exitstatus = 1
