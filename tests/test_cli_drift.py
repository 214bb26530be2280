"""Drift, the dev loop and `mark` through the real `vesta-sql` command (the package's own migrations).

An applied file edited afterwards is simulated by changing its recorded checksum; a migration
from a newer install by a row in yoyo's record that no file names. D1: the real local D1's
database file (made by `wrangler d1 migrations apply`) is compared and then marked.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.cli_support import project, run
from tests.pg import PostgresFixture
from tests.test_d1 import D1State, d1_state  # noqa: F401  (the fixture: a local D1 migrated by wrangler)
from vesta_sql.admin.drift import TABLE
from vesta_sql.resources import migrations_dir

FILES = [p.stem for p in sorted(migrations_dir("sqlite").glob("*.sql"))]
NEWEST = FILES[-1]


def _sql(db: Path, statement: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        return conn.execute(statement).fetchall()
    finally:
        conn.close()


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "app.db"
    assert run(capsys, "migrate", "--url", str(path)).code == 0
    return path


def test_status_reports_changed_and_unknown_and_migrate_refuses(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = run(capsys, "status", "--url", str(db))
    assert clean.code == 0 and clean.out.endswith(f"{len(FILES)} applied, 0 pending\n")
    _sql(db, f"update {TABLE} set checksum = 'edited' where migration_id = '0003_smart_links'")
    _sql(db, "insert into _yoyo_migration (migration_hash, migration_id, applied_at_utc) "
             "values ('h', '0013_from_a_newer_release', '2030-01-01 00:00:00')")
    status = run(capsys, "status", "--url", str(db))
    assert status.code == 1
    assert "[!] 0003_smart_links  (changed since it was applied)" in status.out
    assert "[?] 0013_from_a_newer_release  (applied, unknown to this install)" in status.out
    assert f"{len(FILES)} applied, 0 pending, 1 changed since applied, 1 unknown to this install" in status.out
    for argv in (["migrate"], ["migrate", "--dry-run"], ["rollback", "--yes"]):
        refused = run(capsys, *argv, "--url", str(db))
        assert refused.code == 1 and "Traceback" not in refused.err
        assert "0003_smart_links" in refused.err and "0013_from_a_newer_release" in refused.err
        assert "--accept-drift 0003_smart_links 0013_from_a_newer_release" in refused.err
    assert _sql(db, "select count(*) from _yoyo_migration")[0][0] == len(FILES) + 1  # nothing rolled back
    partly = run(capsys, "migrate", "--url", str(db), "--accept-drift", "0003_smart_links.sql")
    assert partly.code == 1 and "0013_from_a_newer_release" in partly.err
    accepted = run(capsys, "migrate", "--url", str(db), "--accept-drift", "0003_smart_links.sql", "0013_from_a_newer_release")
    assert accepted.code == 0 and "recorded the current checksum of 0003_smart_links" in accepted.err


def test_a_pre_checksum_database_is_recorded_on_the_first_run(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _sql(db, f"drop table {TABLE}")
    status = run(capsys, "status", "--url", str(db))
    assert status.code == 0 and "applied before checksums were kept" in status.out
    first = run(capsys, "migrate", "--url", str(db))
    assert first.code == 0 and f"recorded the checksums of {len(FILES)} applied migration(s)" in first.err
    assert "migrated before checksums were kept" in first.err
    assert run(capsys, "migrate", "--url", str(db)).err.count("recorded") == 0


def test_reapply_last_reruns_the_newest_migration(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _sql(db, f"update {TABLE} set checksum = 'being written' where migration_id = '{NEWEST}'")
    assert run(capsys, "migrate", "--url", str(db)).code == 1
    again = run(capsys, "migrate", "--url", str(db), "--reapply-last")
    assert again.code == 0 and f"applied 1 migration(s): {NEWEST}" in again.out
    assert run(capsys, "status", "--url", str(db)).code == 0
    _sql(db, f"update {TABLE} set checksum = 'edited' where migration_id = '0002_posts'")
    other = run(capsys, "migrate", "--url", str(db), "--reapply-last")
    assert other.code == 1 and "0002_posts" in other.err


def test_reapply_last_is_refused_on_a_protected_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(project(tmp_path, '[environments]\nprod = "sqlite:///prod.db"\n'))
    assert run(capsys, "migrate", "--env", "prod", "--yes").code == 0
    refused = run(capsys, "migrate", "--env", "prod", "--reapply-last", "--yes")
    assert refused.code == 1 and "--reapply-last is refused on protected environment 'prod'" in refused.err
    assert _sql(tmp_path / "prod.db", "select count(*) from _yoyo_log where operation = 'rollback'") == [(0,)]


def _d1_file(state: D1State) -> Path:
    files = [p for p in sorted((state.persist / "v3" / "d1").rglob("*.sqlite")) if p.name != "metadata.sqlite"]
    assert len(files) == 1, files
    return files[0]


def test_d1_status_and_marking_a_database_wrangler_migrated(d1_state: D1State, tmp_path: Path,  # noqa: F811
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "from-d1.db"
    source, target = sqlite3.connect(_d1_file(d1_state)), sqlite3.connect(copy)
    source.backup(target)  # with what is still in its write-ahead log
    source.close()
    target.close()
    status = run(capsys, "status", "--d1", str(copy))
    assert status.code == 0 and f"{len(FILES)} applied, 0 pending, 0 unknown to this install" in status.out
    # a SQL dump of it, as `wrangler d1 export` writes one (its --local export has no --persist-to to point it here)
    dump = tmp_path / "export.sql"
    conn = sqlite3.connect(copy)
    dump.write_text("\n".join(line for line in conn.iterdump() if line not in ("BEGIN TRANSACTION;", "COMMIT;")),
                    encoding="utf-8")
    conn.close()
    exported = run(capsys, "status", "--d1", str(dump))
    assert exported.code == 0 and f"{len(FILES)} applied, 0 pending" in exported.out
    _sql(copy, "insert into d1_migrations (name) values ('0099_elsewhere.sql')")
    unknown = run(capsys, "status", "--d1", str(copy))
    assert unknown.code == 1 and "[?] 0099_elsewhere  (applied, unknown to this install)" in unknown.out
    # yoyo does not know the wrangler-made schema yet; mark verifies it, then records it
    before = run(capsys, "status", "--url", str(copy))
    assert "0 applied" in before.out and "`vesta-sql mark --to ID` records them" in before.err
    marked = run(capsys, "mark", "--url", str(copy), "--to", NEWEST)
    assert marked.code == 0 and f"marked {len(FILES)} migration(s) as applied" in marked.out
    assert run(capsys, "status", "--url", str(copy)).code == 0
    assert run(capsys, "migrate", "--url", str(copy)).out.startswith("applied 0 migration(s)")


def test_mark_refuses_a_schema_that_does_not_match(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _sql(db, "delete from _yoyo_migration")
    refused = run(capsys, "mark", "--url", str(db), "--to", FILES[0])
    assert refused.code == 1 and "table posts is not in the migrations" in refused.err and "Traceback" not in refused.err
    assert _sql(db, "select count(*) from _yoyo_migration") == [(0,)]


def test_drift_on_postgres_through_the_cli(postgres: PostgresFixture, capsys: pytest.CaptureFixture[str]) -> None:
    import psycopg

    url = postgres.create_database("vesta_cli_drift")
    assert run(capsys, "migrate", "--url", url).code == 0
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"update {TABLE} set checksum = 'edited' where migration_id = '0008_payments'")
    status = run(capsys, "status", "--url", url)
    assert status.code == 1 and "[!] 0008_payments  (changed since it was applied)" in status.out
    refused = run(capsys, "rollback", "--url", url, "--yes")
    assert refused.code == 1 and "refusing to roll back" in refused.err and "0008_payments" in refused.err
    accepted = run(capsys, "rollback", "--url", url, "--yes", "--accept-drift", "0008_payments")
    assert accepted.code == 0 and f"rolled back 1 migration(s): {NEWEST}" in accepted.out
    assert run(capsys, "migrate", "--url", url).code == 0
    assert run(capsys, "status", "--url", url).code == 0
