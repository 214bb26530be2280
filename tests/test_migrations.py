"""Migrations on a real SQLite file and a real Postgres: apply, status, rollback, parity, failure, concurrency."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

from vesta_sql import MigrationError
from vesta_sql.admin import migrate
from vesta_sql.resources import migrations_dir
from vesta_sql.schema.postgres import read_postgres
from vesta_sql.schema.sqlite import read_sqlite

from .pg import PostgresFixture

TABLES = {
    "account_directory", "creators", "creator_labels", "posts", "post_updates", "smart_links", "likes", "comments",
    "reposts", "collections", "collection_items", "follows", "subscriptions", "plans", "tiers", "stripe_payments",
    "payouts", "payment_shares", "payout_routes", "payment_settings", "payment_system_logs", "purchase_codes",
    "account_agents",
}


def sqlite_columns(path: Path) -> dict[str, set[str]]:
    with sqlite3.connect(path) as conn:
        return {name: set(table.column_names) for name, table in read_sqlite(conn).tables.items()}


def pg_columns(url: str) -> dict[str, set[str]]:
    with psycopg.connect(url) as conn:
        return {name: set(table.column_names) for name, table in read_postgres(conn).tables.items()}


def project_tables(columns: dict[str, set[str]]) -> set[str]:
    # search-index objects (FTS5 shadow tables) are named *_search* and compared apart
    return {t for t in columns if "_search" not in t}


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'm.db'}"


@pytest.fixture
def pg_db(postgres: PostgresFixture, request: pytest.FixtureRequest) -> str:
    return postgres.create_database(f"vesta_m_{abs(hash(request.node.name)) % 10**8}")


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_db" if request.param == "sqlite" else "pg_db"))


def columns_of(url: str) -> dict[str, set[str]]:
    return sqlite_columns(Path(url[len("sqlite:///"):])) if url.startswith("sqlite") else pg_columns(url)


def test_migrate_status_rollback_all_and_again(url: str) -> None:
    applied = migrate.apply(url)
    assert applied == [p.stem for p in sorted(migrations_dir("sqlite").glob("*.sql"))]
    assert TABLES <= set(columns_of(url))
    assert all(state.applied for state in migrate.status(url))
    assert migrate.apply(url) == []  # nothing left to do

    rolled = migrate.rollback(url, all_=True)
    assert rolled == list(reversed(applied))
    assert project_tables(columns_of(url)) == set()
    assert not any(state.applied for state in migrate.status(url))

    assert migrate.apply(url) == applied
    assert TABLES <= set(columns_of(url))


def test_rollback_latest_and_to(url: str) -> None:
    applied = migrate.apply(url)
    assert migrate.rollback(url) == [applied[-1]]
    assert migrate.rollback(url, to=applied[0]) == list(reversed(applied[1:-1]))
    assert [s.id for s in migrate.status(url) if s.applied] == [applied[0]]
    with pytest.raises(MigrationError, match="unknown migration"):
        migrate.rollback(url, to="9999_nope")


def test_both_dialects_describe_the_same_tables_and_columns(sqlite_db: str, pg_db: str) -> None:
    migrate.apply(sqlite_db)
    migrate.apply(pg_db)
    lite, pg = columns_of(sqlite_db), columns_of(pg_db)
    assert project_tables(lite) == project_tables(pg)
    for table in project_tables(lite):
        assert lite[table] == pg[table], table


def test_every_tenant_table_has_account_id(url: str) -> None:
    migrate.apply(url)
    for table, columns in columns_of(url).items():
        if table in TABLES:
            assert "account_id" in columns, table


NOW = "2026-01-01T00:00:00.000000Z"


def test_foreign_key_cannot_point_at_another_accounts_row(sqlite_db: str, pg_db: str) -> None:
    migrate.apply(sqlite_db)
    migrate.apply(pg_db)
    creator = ("acc_a", "cr_1", "Ada", "ada", "", "a@x.io", NOW, NOW)
    post = ("acc_b", "po_1", "cr_1", "Hi", "body", "draft", NOW, NOW)
    insert_creator = ("insert into creators (account_id, id, name, slug, bio, email, created_at, updated_at) "
                      "values ({0}, {0}, {0}, {0}, {0}, {0}, {0}, {0})")
    insert_post = ("insert into posts (account_id, id, creator_id, title, body, status, created_at, updated_at) "
                   "values ({0}, {0}, {0}, {0}, {0}, {0}, {0}, {0})")
    path = sqlite_db[len("sqlite:///"):]
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("pragma foreign_keys = on")
    register = f"insert into accounts (account_id, created_at) values ('acc_a', '{NOW}'), ('acc_b', '{NOW}')"
    conn.execute(register)
    conn.execute(insert_creator.format("?"), creator)
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        conn.execute(insert_post.format("?"), post)
    assert conn.execute("select count(*) from posts").fetchone()[0] == 0
    with psycopg.connect(pg_db, autocommit=True) as pg:
        pg.execute(register)
        pg.execute(insert_creator.format("%s"), creator)
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            pg.execute(insert_post.format("%s"), post)
        assert pg.execute("select count(*) from posts").fetchone()[0] == 0  # type: ignore[index]


BROKEN = f"{len(list(migrations_dir('sqlite').glob('*.sql'))) + 1:04d}_broken"  # the next number


def broken_folder(tmp_path: Path, dialect: str) -> Path:
    """The package's migrations plus one that creates a table, then fails."""
    folder = tmp_path / f"broken-{dialect}"
    shutil.copytree(migrations_dir(dialect), folder)
    (folder / f"{BROKEN}.sql").write_text(
        "create table half_done (account_id text not null, id text not null, primary key (account_id, id));\n"
        "insert into half_done (account_id, id) values ('a', '1');\n"
        "insert into table_that_does_not_exist (x) values (1);\n"
    )
    (folder / "rollback" / f"{BROKEN}.sql").write_text("drop table half_done;\n")
    return folder


def test_failed_migration_leaves_database_as_before(url: str, tmp_path: Path) -> None:
    dialect = "sqlite" if url.startswith("sqlite") else "postgres"
    migrate.apply(url)
    before = columns_of(url)
    folder = broken_folder(tmp_path, dialect)
    with pytest.raises(MigrationError) as caught:
        migrate.apply(url, folder=folder)
    assert f"{BROKEN}.sql" in str(caught.value)
    assert columns_of(url) == before
    states = migrate.status(url, folder=folder)
    assert [s.id for s in states if not s.applied] == [BROKEN]


def test_in_memory_sqlite_is_refused() -> None:
    with pytest.raises(MigrationError, match="in-memory"):
        migrate.apply("sqlite://:memory:")


def test_password_never_printed(postgres: PostgresFixture) -> None:
    url = "postgresql://someone:hunter2secret@127.0.0.1:1/nowhere?connect_timeout=1"
    with pytest.raises(MigrationError) as caught:
        migrate.apply(url)
    assert "hunter2secret" not in str(caught.value)
    result = subprocess.run([sys.executable, "-m", "vesta_sql", "status", "--url", url], capture_output=True, text=True)
    assert result.returncode == 1
    assert "hunter2secret" not in result.stdout + result.stderr
    assert "***" in result.stderr


def test_two_migrate_processes_at_once(url: str) -> None:
    command = [sys.executable, "-m", "vesta_sql", "migrate", "--url", url]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs: list[Any] = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    texts = sorted(out for out, _ in outputs)
    assert "up to date" in texts[1] or "up to date" in texts[0]
    assert sum("applied 8 migration" in out or ("applied" in out and "up to date" not in out) for out, _ in outputs) == 1
    assert all(state.applied for state in migrate.status(url))


def test_new_creates_numbered_pair_in_both_dialects(tmp_path: Path) -> None:
    for dialect in ("sqlite", "postgres"):
        shutil.copytree(migrations_dir(dialect), tmp_path / dialect)
    created = migrate.new("Add Widgets!", root=tmp_path)
    names = {p.relative_to(tmp_path).as_posix() for p in created}
    last = max(int(p.name[:4]) for p in (tmp_path / "sqlite").glob("[0-9]*.sql"))
    name = f"{last:04d}_add_widgets.sql"
    assert names == {f"sqlite/{name}", f"sqlite/rollback/{name}", f"postgres/{name}", f"postgres/rollback/{name}"}
