"""`vesta-sql copy`: SQLite (a file or a D1 export) → Postgres, on real databases of both kinds."""

from __future__ import annotations

import io
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from vesta_sql.admin import migrate
from vesta_sql.admin.accounts import export_account
from vesta_sql.admin.cli import main
from vesta_sql.admin.copy.run import copy
from vesta_sql.admin.schema_info import SchemaError
from vesta_sql.errors import ConfigError, OperationalError

from .copy_support import read_back, seed, write_d1_export
from .pg import PostgresFixture


@pytest.fixture
def target(postgres: PostgresFixture) -> str:
    url = postgres.create_database(f"copy_{uuid.uuid4().hex[:10]}")
    migrate.apply(url)
    return url


@pytest.fixture
def source(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'source.db'}"
    migrate.apply(url)
    return url


@pytest.fixture
def seeded(source: str) -> dict[str, Any]:
    return seed(source, {"acc_a": uuid.uuid4().hex[:8], "acc_b": uuid.uuid4().hex[:8], "acc_c": uuid.uuid4().hex[:8]})


def exported(url: str, account: str) -> str:
    out = io.StringIO()
    export_account(url, account, out)
    return out.getvalue()


def pg_count(url: str, table: str, account: str | None = None) -> int:
    with psycopg.connect(url) as conn:
        if account is None:
            return int(scalar(conn.execute(f"select count(*) from {table}")))
        return int(scalar(conn.execute(f"select count(*) from {table} where account_id = %s", (account,))))


def scalar(cursor: psycopg.Cursor[tuple[Any, ...]]) -> Any:
    """The first column of the one row a `count(*)` gives."""
    row = cursor.fetchone()
    assert row is not None
    return row[0]


def assert_same(source: str, target: str, seeded: dict[str, Any], accounts: list[str]) -> None:
    for account in accounts:
        mine, theirs = read_back(source, account, seeded[account]), read_back(target, account, seeded[account])
        assert mine == theirs
        assert theirs["directory"] == [account, account, account]
        assert theirs["posts"][0].embedding is not None and theirs["link"].destinations["nested"][2] == {"z": None, "ok": True}
        assert exported(source, account) == exported(target, account)  # every row, every table, same values


def test_full_copy_equals_the_source(
    source: str, target: str, seeded: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    report = copy(source, target, batch_rows=7)
    assert report.ok, report.summary()
    assert sorted(report.fresh) == ["acc_a", "acc_b", "acc_c"] and report.merged == []
    assert report.inserted["likes"] == 15 and report.inserted["posts"] == 9
    assert "account_directory" not in report.inserted  # filled by the target's triggers, verified like the rest
    checks = {c.table: c for c in report.checks}
    assert checks["account_directory"].source_rows == checks["account_directory"].target_rows == 9
    assert all(c.source_rows == c.target_rows for c in report.checks)
    assert_same(source, target, seeded, ["acc_a", "acc_b", "acc_c"])
    assert "likes" in capsys.readouterr().err  # a progress line per table on stderr

    again = copy(source, target)  # nothing is copied twice
    assert again.ok and sum(again.inserted.values()) == 0 and sorted(again.merged) == ["acc_a", "acc_b", "acc_c"]
    assert pg_count(target, "likes") == 15


def test_interrupted_copy_then_rerun_completes_it(source: str, target: str, seeded: dict[str, Any]) -> None:
    batches: list[tuple[str, int]] = []

    def stop_after_a_few(table: str, rows: int) -> None:
        batches.append((table, rows))
        if len(batches) == 6:
            raise KeyboardInterrupt  # a kill between two batches

    with pytest.raises(KeyboardInterrupt):
        copy(source, target, batch_rows=2, on_batch=stop_after_a_few)
    copied = sum(rows for _, rows in batches)
    assert 6 <= copied <= 12  # six committed batches of one or two rows, nothing else
    with psycopg.connect(target) as conn:
        total = sum(scalar(conn.execute(f"select count(*) from {t}")) for t in {t for t, _ in batches})
    assert total == copied

    report = copy(source, target, batch_rows=2)
    assert report.ok, report.summary()
    assert sum(report.inserted.values()) == 84 - copied  # the rest, and only the rest (3 accounts x 28 rows)
    assert_same(source, target, seeded, ["acc_a", "acc_b", "acc_c"])


def test_account_option_copies_only_those_accounts(source: str, target: str, seeded: dict[str, Any]) -> None:
    assert main(["copy", "--from", source, "--to", target, "--account", "acc_b"]) == 0
    assert pg_count(target, "creators") == 1 and pg_count(target, "likes", "acc_b") == 5
    assert pg_count(target, "account_directory") == 3
    assert_same(source, target, seeded, ["acc_b"])
    report = copy(source, target, accounts=["acc_a", "acc_c"])
    assert report.ok and sorted(report.fresh) == ["acc_a", "acc_c"]
    assert_same(source, target, seeded, ["acc_a", "acc_b", "acc_c"])
    with pytest.raises(ConfigError, match="no rows in the source for account"):
        copy(source, target, accounts=["acc_nobody"])


def test_different_schema_versions_are_refused(source: str, target: str, seeded: dict[str, Any]) -> None:
    latest = migrate.rollback(target)
    with pytest.raises(SchemaError, match=f"different schema versions.*only in the source: {latest[0]}"):
        copy(source, target)
    assert pg_count(target, "creators") == 0
    migrate.apply(target)
    migrate.rollback(source)
    assert main(["copy", "--from", source, "--to", target]) == 1
    assert pg_count(target, "creators") == 0


def test_conflicting_rows_are_reported_and_the_account_is_not_written(
    source: str, target: str, seeded: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert copy(source, target).ok
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("update creators set name = 'Changed' where account_id = 'acc_a'")
        conn.execute("delete from likes where account_id in ('acc_a', 'acc_b')")
    capsys.readouterr()
    assert main(["copy", "--from", source, "--to", target]) == 1
    out = capsys.readouterr().out
    assert "CONFLICTS: 1" in out and "creators acc_a" in out and "different content" in out
    assert "MISMATCH in acc_a" in out and "result: FAILED" in out
    assert pg_count(target, "likes", "acc_a") == 0  # the conflicting account was rolled back as a whole
    assert pg_count(target, "likes", "acc_b") == 5  # the others were completed


def test_a_directory_key_owned_by_another_account_stops_before_writing(
    source: str, target: str, seeded: dict[str, Any]
) -> None:
    slug = f"link-{seeded['acc_c']['tag']}"
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("insert into account_directory (kind, key, account_id) values ('smart_link', %s, 'acc_other')", (slug,))
    report = copy(source, target)
    assert not report.ok
    assert [(c.table, c.account, c.key) for c in report.conflicts] == [("account_directory", "acc_c", ("smart_link", slug))]
    assert pg_count(target, "creators") == 0  # nothing written


def test_a_d1_export_file_as_source(source: str, target: str, seeded: dict[str, Any], tmp_path: Path) -> None:
    dump = tmp_path / "vesta-d1.sql"
    write_d1_export(source[len("sqlite:///"):], str(dump))
    text = dump.read_text()
    assert text.startswith("PRAGMA defer_foreign_keys=TRUE;") and "INSERT INTO \"d1_migrations\"" in text and "X'" in text
    assert main(["copy", "--from", str(dump), "--to", target]) == 0
    assert_same(source, target, seeded, ["acc_a", "acc_b", "acc_c"])


def test_unreadable_inputs_give_clear_errors(source: str, target: str, seeded: dict[str, Any], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(OperationalError) as info:
        copy(source, "postgresql://owner:s3cret-pw@127.0.0.1:1/vesta")
    assert "s3cret-pw" not in str(info.value) and "owner:***@" in str(info.value)
    assert main(["copy", "--from", source, "--to", "postgresql://owner:s3cret-pw@127.0.0.1:1/vesta"]) == 1
    assert "s3cret-pw" not in capsys.readouterr().err
    with pytest.raises(ConfigError, match="no such source file"):
        copy(str(tmp_path / "missing.db"), target)
    with pytest.raises(ConfigError, match="must be SQLite"):
        copy(target, target)
    (tmp_path / "not-a-db.db").write_text("hello")
    with pytest.raises(ConfigError, match="not a SQLite database"):
        copy(str(tmp_path / "not-a-db.db"), target)
    (tmp_path / "broken.sql").write_text("CREATE TABLE x (a);\nINSERT INTO nope VALUES(1);\n")
    with pytest.raises(ConfigError, match=r"broken\.sql:2: cannot load the SQL dump"):
        copy(str(tmp_path / "broken.sql"), target)

    with sqlite3.connect(source[len("sqlite:///"):]) as conn:
        conn.execute("create table gadgets (account_id text not null, id text not null, primary key (account_id, id))")
    with pytest.raises(SchemaError, match="tables the target does not know: gadgets"):
        copy(source, target)
    assert pg_count(target, "creators") == 0


def test_an_owner_under_row_level_security_copies_account_by_account(
    postgres: PostgresFixture, source: str, target: str, seeded: dict[str, Any]
) -> None:
    """Without BYPASSRLS the copy sets vesta.account_id per transaction (batches never span accounts)."""
    from vesta_sql.admin.roles import create_app_role

    role = f"copier_{uuid.uuid4().hex[:8]}"
    create_app_role(target, role, "pw")
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute(f"grant select on _yoyo_migration to {role}")
        # the copy stages rows in a TEMP table; since migration 0011 only roles granted TEMP may make one
        conn.execute(f"grant temporary on database {conn.info.dbname} to {role}")
    limited = postgres.url_for(target, role, "pw")
    report = copy(source, limited, batch_rows=4)
    assert report.ok, report.summary()
    assert_same(source, target, seeded, ["acc_a", "acc_b", "acc_c"])
    again = copy(source, limited)
    assert again.ok and sum(again.inserted.values()) == 0
