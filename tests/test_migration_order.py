"""A migration missing from the folder, or skipped by the database, is refused before anything is applied.

Real SQLite files and a real Postgres. A database with a migration skipped is made the way an
earlier release made it: yoyo itself, applying a folder that lacked the file.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import tempfile
from pathlib import Path

import psycopg
import pytest
from yoyo import get_backend, read_migrations

from vesta_sql import MigrationError, SchemaVersionError
from vesta_sql.admin import migrate
from vesta_sql.admin.lint import lint_migrations
from vesta_sql.config import parse_url
from vesta_sql.migration_files import problems
from vesta_sql.resources import migrations_dir
from vesta_sql.schema_version import Applied, verdict

from .cli_support import run
from .pg import PostgresFixture

PRICING = "0005_pricing"
# what each dialect can apply without: on Postgres 0006 needs 0005's tables (SQLite checks foreign keys later)
SKIP = {"sqlite": PRICING, "postgres": "0004_engagement"}


def ids(dialect: str) -> list[str]:
    return [p.stem for p in sorted(migrations_dir(dialect).glob("*.sql"))]


def copy_without(tmp: Path, dialect: str, *names: str, rollback_too: bool = False) -> Path:
    """The package's migrations of `dialect` without the forward files `names` (rollbacks kept unless asked)."""
    folder = tmp / f"copy-{dialect}"
    shutil.copytree(migrations_dir(dialect), folder)
    for name in names:
        (folder / f"{name}.sql").unlink()
        if rollback_too:
            (folder / "rollback" / f"{name}.sql").unlink()
    return folder


def applied(url: str) -> list[str]:
    """The database's applied list, read apart from the package (an absent record reads as none)."""
    sql = "select migration_id from _yoyo_migration order by migration_id"
    if url.startswith("sqlite"):
        path = Path(url[len("sqlite:///"):])
        if not path.exists():
            return []
        with sqlite3.connect(path) as conn:
            try:
                return [r[0] for r in conn.execute(sql)]
            except sqlite3.OperationalError:
                return []
    with psycopg.connect(url) as conn:
        try:
            return [r[0] for r in conn.execute(sql)]
        except psycopg.errors.UndefinedTable:
            return []


def tables(url: str) -> set[str]:
    if url.startswith("sqlite"):
        with sqlite3.connect(url[len("sqlite:///"):]) as conn:
            return {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("select tablename from pg_tables where schemaname = 'public'")}


def migrate_with_a_gap(url: str, skip: str | None = None, upto: str = "0011_app_role_wall") -> str:
    """What an earlier release did with a file missing: yoyo applied every file up to `upto` but that one."""
    dialect = parse_url(url).dialect
    skip = skip or SKIP[dialect]
    source = migrations_dir(dialect)
    with tempfile.TemporaryDirectory() as scratch:
        for forward in sorted(source.glob("*.sql")):
            if forward.stem != skip and forward.stem <= upto:
                shutil.copyfile(forward, Path(scratch) / forward.name)
                shutil.copyfile(source / "rollback" / forward.name, Path(scratch) / f"{forward.stem}.rollback.sql")
        if dialect == "sqlite":
            Path(url[len("sqlite:///"):]).touch()
        backend = get_backend(parse_url(url).yoyo_url)
        try:
            with backend.lock():
                backend.apply_migrations(backend.to_apply(read_migrations(scratch)))
        finally:
            backend.connection.close()
    return skip


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'fresh.db'}"


@pytest.fixture
def pg_db(postgres: PostgresFixture, request: pytest.FixtureRequest) -> str:
    return postgres.create_database(f"vesta_order_{abs(hash(request.node.name)) % 10**8}")


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_db" if request.param == "sqlite" else "pg_db"))


# --- the folder ------------------------------------------------------------------------------------

def test_the_packages_own_folders_are_in_order() -> None:
    assert problems(migrations_dir("sqlite")) == [] and problems(migrations_dir("postgres")) == []


def test_a_folder_with_a_gap_applies_nothing(url: str, tmp_path: Path) -> None:
    dialect = parse_url(url).dialect
    folder = copy_without(tmp_path, dialect, PRICING)
    with pytest.raises(MigrationError) as caught:
        migrate.apply(url, folder=folder)
    message = str(caught.value)
    assert "no file numbered 0005 (rollback/ still holds 0005_pricing.sql): restore the missing file(s)" in message
    assert "nothing was changed" in message and "\n" not in message
    assert applied(url) == []
    if dialect == "sqlite":
        assert not Path(url[len("sqlite:///"):]).exists()  # not even created


def test_a_gap_is_named_without_a_rollback_left_behind(tmp_path: Path) -> None:
    folder = copy_without(tmp_path, "sqlite", PRICING, "0006_subscriptions", "0008_payments", rollback_too=True)
    assert problems(folder) == ["no file numbered 0005–0006, 0008: restore the missing file(s); the numbers must run "
                                "0001–0016 without a gap (a new migration takes the next number: `vesta-sql new NAME`)"]


def test_a_repeated_number_a_misnamed_file_and_unpaired_rollbacks_are_named(tmp_path: Path) -> None:
    folder = copy_without(tmp_path, "sqlite")
    (folder / "0016_second.sql").write_text("create table t (id text);\n", encoding="utf-8")
    (folder / "rollback" / "0016_second.sql").write_text("drop table t;\n", encoding="utf-8")
    (folder / "notes.sql").write_text("select 1;\n", encoding="utf-8")
    (folder / "rollback" / "notes.sql").write_text("select 1;\n", encoding="utf-8")
    (folder / "rollback" / "0017_gone.sql").write_text("select 1;\n", encoding="utf-8")
    (folder / "rollback" / "0002_posts.sql").unlink()
    found = problems(folder)
    assert "notes.sql: not named NNNN_name.sql (four digits, an underscore, a name): rename it" in found
    assert ("0016 is used by 0016_drop_posts_embedding_idx.sql and 0016_second.sql: give all but one the next free "
            "number") in found
    assert "0002_posts.sql: has no rollback file at rollback/0002_posts.sql: write it" in found
    assert "rollback/0017_gone.sql: has no forward file 0017_gone.sql: restore it, or delete the rollback" in found
    with pytest.raises(MigrationError, match="0016 is used by"):
        migrate.apply(f"sqlite:///{tmp_path / 'x.db'}", folder=folder)


def test_status_rollback_and_mark_refuse_a_folder_with_a_gap(sqlite_db: str, tmp_path: Path) -> None:
    migrate.apply(sqlite_db)
    before = applied(sqlite_db)
    folder = copy_without(tmp_path, "sqlite", "0003_smart_links")
    for action in (lambda: migrate.status(sqlite_db, folder=folder), lambda: migrate.rollback(sqlite_db, folder=folder),
                   lambda: migrate.plan_rollback(sqlite_db, folder=folder),
                   lambda: migrate.pending(sqlite_db, folder=folder),
                   lambda: migrate.check_drift(sqlite_db, action="roll back", folder=folder)):
        with pytest.raises(MigrationError, match="no file numbered 0003"):
            action()
    assert applied(sqlite_db) == before


def test_check_names_a_gap_in_an_apps_migrations_root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "migrations"
    shutil.copytree(migrations_dir("sqlite").parent, root)
    (root / "postgres" / f"{PRICING}.sql").unlink()
    found = [p for p in lint_migrations(root) if p.query == "migration-numbering"]
    assert [(p.file, p.message.split(":")[0]) for p in found] == [
        (str(root / "postgres"), "no file numbered 0005 (rollback/ still holds 0005_pricing.sql)")]
    result = run(capsys, "check", "--migrations", str(root))
    assert result.code == 1
    assert f"{root / 'postgres'}:0: migration-numbering: no file numbered 0005 (rollback/" in result.out


# --- the database ----------------------------------------------------------------------------------

def test_a_skipped_migration_is_refused_and_nothing_changes(url: str) -> None:
    skip = migrate_with_a_gap(url)
    before, tables_before = applied(url), tables(url)
    assert skip not in before and "0011_app_role_wall" in before
    known = ids(parse_url(url).dialect)
    after, previous = known[known.index(skip) + 1], known[known.index(skip) - 1]
    expected = (f"refusing to migrate: {skip} not applied while later migrations are ({after} … "
                f"0011_app_role_wall ({11 - int(skip[:4])} migrations)): applying it now would run it out of order")
    with pytest.raises(MigrationError, match=re.escape(expected)) as caught:
        migrate.apply(url)
    assert f"`vesta-sql rollback --to {previous}`" in str(caught.value)
    assert f"a backup taken before {after} was applied" in str(caught.value)
    with pytest.raises(MigrationError, match=re.escape(expected)):
        migrate.check_drift(url, action="migrate")
    with pytest.raises(MigrationError, match=re.escape(expected)):
        migrate.apply(url, reapply_last=True)
    assert applied(url) == before and tables(url) == tables_before  # not even the checksum table


def test_status_marks_the_skipped_migration(url: str) -> None:
    skip = migrate_with_a_gap(url)
    states = {s.id: s for s in migrate.status(url)}
    assert states[skip].skipped and not states[skip].applied
    assert [s for s in states if states[s].skipped] == [skip]
    assert not states["0012_accounts"].skipped  # pending after the newest applied: simply pending


def test_rolling_back_past_the_gap_then_migrating_applies_in_order(sqlite_db: str) -> None:
    migrate_with_a_gap(sqlite_db)
    undone = migrate.rollback(sqlite_db, to="0004_engagement")
    assert undone == [m for m in reversed(ids("sqlite")) if "0006" <= m <= "0011_app_role_wall"]
    assert migrate.apply(sqlite_db) == ids("sqlite")[4:]
    assert applied(sqlite_db) == ids("sqlite")


def test_connect_names_the_skipped_migration() -> None:
    wanted = ids("sqlite")
    with pytest.raises(SchemaVersionError, match=r"db skipped 0005_pricing \(later migrations are applied\).*status"):
        verdict("sqlite", Applied([m for m in wanted if m != PRICING], set()), allow_newer=False, where="db")


# --- the command -----------------------------------------------------------------------------------

def test_the_cli_refuses_in_one_line_and_status_exits_1(url: str, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    skip = migrate_with_a_gap(url)
    before = applied(url)
    result = run(capsys, "migrate", "--url", url, "--yes")
    assert result.code == 1 and "Traceback" not in result.err
    refusal = [line for line in result.err.splitlines() if "refusing" in line]
    assert len(refusal) == 1 and refusal[0].startswith(f"vesta-sql: MigrationError: refusing to migrate: {skip} not applied")
    assert run(capsys, "migrate", "--url", url, "--dry-run").code == 1
    status = run(capsys, "status", "--url", url)
    assert status.code == 1
    assert f"  [-] {skip}  (skipped: not applied, though later migrations are)" in status.out
    pending = len(ids(parse_url(url).dialect)) - len(before)
    assert f"{len(before)} applied, {pending} pending, 1 skipped (pending before applied ones)" in status.out
    assert f"out of order: `migrate` refuses to apply {skip} after" in status.out
    assert applied(url) == before
