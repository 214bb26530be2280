"""Drift: applied migrations are what the files say — on SQLite and Postgres, with real files edited.

Each case lays the package's migrations of one dialect into a scratch folder (so a test may
edit an applied file, add a newer one, or remove one), migrates a real database from it, and
checks what `status`, `apply`, `rollback` and `mark` do.
"""

from __future__ import annotations

import itertools
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.pg import PostgresFixture
from vesta_sql.admin import drift, migrate
from vesta_sql.admin.mark import mark
from vesta_sql.errors import MigrationError
from vesta_sql.resources import migrations_dir

_numbers = itertools.count()
# the package's newest migration; the one a test adds takes the next number (`migrate` refuses a gap)
NEWEST = sorted(path.stem for path in migrations_dir("sqlite").glob("*.sql"))[-1]
NEXT = f"{int(NEWEST[:4]) + 1:04d}"
TAGS, INDEX = f"{NEXT}_tags", f"{NEXT}_posts_title_index"


@pytest.fixture(params=["sqlite", "postgres"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def folder(tmp_path: Path, dialect: str) -> Path:
    target = tmp_path / "migrations" / dialect
    shutil.copytree(migrations_dir(dialect), target)
    return target


@pytest.fixture
def url(tmp_path: Path, dialect: str, request: pytest.FixtureRequest) -> str:
    if dialect == "sqlite":
        return f"sqlite:///{tmp_path / 'drift.db'}"
    postgres: PostgresFixture = request.getfixturevalue("postgres")
    return postgres.create_database(f"vesta_drift_{next(_numbers)}")


def execute(url: str, sql: str) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()
    with psycopg.connect(url, autocommit=True) as pg:
        cursor = pg.execute(sql)
        return cursor.fetchall() if cursor.description else []


def states(url: str, folder: Path) -> dict[str, tuple[bool, str]]:
    return {s.id: (s.applied, s.drift) for s in migrate.status(url, folder=folder)}


def add(folder: Path, name: str, forward: str, rollback: str) -> None:
    (folder / f"{name}.sql").write_text(forward, encoding="utf-8")
    (folder / "rollback" / f"{name}.sql").write_text(rollback, encoding="utf-8")


def test_checksums_are_recorded_when_applied(url: str, folder: Path) -> None:
    migrate.apply(url, folder=folder)
    recorded = dict(execute(url, f"select migration_id, checksum from {drift.TABLE}"))
    assert recorded == {p.stem: drift.checksum(p) for p in folder.glob("*.sql")}
    assert all(state == (True, "") for state in states(url, folder).values())


def test_an_edited_applied_migration_is_drift_until_accepted(url: str, folder: Path) -> None:
    migrate.apply(url, folder=folder)
    edited = folder / "0003_smart_links.sql"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n-- edited after it was applied\n", encoding="utf-8")
    assert states(url, folder)["0003_smart_links"] == (True, "changed")
    actions: list[Callable[[], object]] = [lambda: migrate.apply(url, folder=folder),
                                           lambda: migrate.rollback(url, folder=folder)]
    for action in actions:
        with pytest.raises(MigrationError, match=r"changed since they were applied: 0003_smart_links \(.*0003_smart_links"):
            action()
    assert states(url, folder)[NEWEST] == (True, "")  # the refused rollback changed nothing
    with pytest.raises(MigrationError, match="not a drifted migration"):
        migrate.apply(url, folder=folder, accept_drift=["0004_engagement.sql"])
    notes: list[str] = []
    migrate.apply(url, folder=folder, accept_drift=[str(edited)], on_note=notes.append)
    assert notes == ["accepted drift: recorded the current checksum of 0003_smart_links"]
    assert states(url, folder)["0003_smart_links"] == (True, "")


def test_a_migration_unknown_to_this_install_is_drift(url: str, folder: Path, tmp_path: Path) -> None:
    newer = tmp_path / "newer"
    shutil.copytree(folder, newer)
    add(newer, TAGS, "create table tags (id text primary key);\n", "drop table tags;\n")
    migrate.apply(url, folder=newer)  # a newer release migrated this database
    assert states(url, folder)[TAGS] == (True, "unknown")
    with pytest.raises(MigrationError, match=rf"unknown to this install .*: {TAGS}"):
        migrate.rollback(url, folder=folder)  # it would undo the package's newest, not the newest applied
    assert states(url, folder)[NEWEST] == (True, "")
    assert migrate.rollback(url, folder=folder, accept_drift=[TAGS]) == [NEWEST]


def test_a_database_migrated_before_checksums_records_them_and_says_so(url: str, folder: Path) -> None:
    migrate.apply(url, folder=folder)
    execute(url, f"drop table {drift.TABLE}")
    assert states(url, folder)["0001_accounts_and_creators"] == (True, "unrecorded")
    notes: list[str] = []
    assert migrate.apply(url, folder=folder, on_note=notes.append) == []
    count = len(list(folder.glob("*.sql")))
    assert len(notes) == 1 and f"recorded the checksums of {count} applied migration(s)" in notes[0]
    assert "migrated before checksums were kept" in notes[0]
    assert all(state == (True, "") for state in states(url, folder).values())


def test_reapply_last_accepts_the_newest_files_new_content_only(url: str, folder: Path) -> None:
    add(folder, TAGS, "create table tags (account_id text not null, id text not null, primary key (account_id, id));\n",
        "drop table tags;\n")
    migrate.apply(url, folder=folder)
    add(folder, TAGS, "create table tags (account_id text not null, id text not null, label text, "
                             "primary key (account_id, id));\n", "drop table tags;\n")
    assert states(url, folder)[TAGS] == (True, "changed")
    with pytest.raises(MigrationError, match=TAGS):
        migrate.apply(url, folder=folder)
    assert migrate.apply(url, folder=folder, reapply_last=True) == [TAGS]
    assert execute(url, "select count(label) from tags") == [(0,)]
    assert states(url, folder)[TAGS] == (True, "")
    # any other drift still refuses
    edited = folder / "0002_posts.sql"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n-- edited\n", encoding="utf-8")
    with pytest.raises(MigrationError, match="0002_posts"):
        migrate.apply(url, folder=folder, reapply_last=True)


def test_mark_records_a_matching_schema_and_refuses_another(url: str, folder: Path) -> None:
    migrate.apply(url, folder=folder)
    # a database whose schema was made elsewhere: no migration record at all
    execute(url, "delete from _yoyo_migration")
    execute(url, f"drop table {drift.TABLE}")
    with pytest.raises(MigrationError, match=r"table accounts is not in the migrations"):
        mark(url, "0011_app_role_wall", folder=folder)
    execute(url, "alter table likes drop column created_at")
    with pytest.raises(MigrationError, match=r"likes: missing column\(s\) created_at\); nothing was changed"):
        mark(url, NEWEST, folder=folder)
    assert execute(url, "select count(*) from _yoyo_migration") == [(0,)]
    execute(url, "alter table likes add column created_at text")
    assert mark(url, NEWEST, folder=folder) == [p.stem for p in sorted(folder.glob("*.sql"))]
    assert all(state == (True, "") for state in states(url, folder).values())


def test_a_failed_non_transactional_migration_says_it_was_not_rolled_back(postgres: PostgresFixture,
                                                                          tmp_path: Path) -> None:
    folder = tmp_path / "postgres"
    shutil.copytree(migrations_dir("postgres"), folder)
    url = postgres.create_database("vesta_drift_loose")
    migrate.apply(url, folder=folder)
    # yoyo undoes a statement that ran only by its paired rollback statement: the body index has none
    add(folder, INDEX, "-- transactional: false\n"
        "create index concurrently if not exists posts_title_idx on posts (title);\n"
        "create index concurrently if not exists posts_body_idx on posts (body);\n"
        "create index concurrently if not exists posts_nowhere_idx on posts (no_such_column);\n",
        "drop index concurrently if exists posts_title_idx;\n")
    with pytest.raises(MigrationError, match=rf"{INDEX}.sql: failed and was NOT rolled back") as caught:
        migrate.apply(url, folder=folder)
    assert "the statements before the failing one stay applied" in str(caught.value)
    assert execute(url, "select count(*) from pg_indexes where indexname = 'posts_body_idx'") == [(1,)]
    assert states(url, folder)[INDEX] == (False, "")
    # a transactional one is rolled back, and says so
    add(folder, INDEX, "create table t (id text);\ncreate index t_nowhere on t (nothing);\n",
        "drop table t;\n")
    with pytest.raises(MigrationError, match=r"failed and was rolled back"):
        migrate.apply(url, folder=folder)
    assert execute(url, "select to_regclass('t') is null") == [(True,)]
