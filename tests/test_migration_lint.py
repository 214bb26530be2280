"""The migration safety lint in `vesta-sql check`: one bad migration per rule, each reported with its file and line.

Each case copies the package's migrations (and its `.squawk.toml`) into a scratch root and adds
one new migration, numbered next, to both dialects; the package's own migrations pass.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.cli_support import run
from vesta_sql.admin.lint import lint_migrations
from vesta_sql.admin.lint.squawk import CONFIG_NAME, OLDEST_POSTGRES, SquawkMissing, squawk_binary
from vesta_sql.resources import migrations_dir

ROOT = Path(__file__).resolve().parents[1]
TIMEOUTS = "set local lock_timeout = '5s';\nset local statement_timeout = '15min';\n"
NAME = f"{len(list(migrations_dir('sqlite').glob('*.sql'))) + 1:04d}_change.sql"  # the next number


def _root(tmp_path: Path, *, postgres: str | None = None, sqlite: str | None = None,
          pg_rollback: str = "select 1;\n", sqlite_rollback: str = "select 1;\n") -> Path:
    shutil.copytree(migrations_dir("sqlite").parent, tmp_path / "migrations")
    shutil.copyfile(ROOT / CONFIG_NAME, tmp_path / CONFIG_NAME)
    for dialect, forward, back in (("postgres", postgres, pg_rollback), ("sqlite", sqlite, sqlite_rollback)):
        folder = tmp_path / "migrations" / dialect
        (folder / NAME).write_text(forward or "select 1;\n", encoding="utf-8")
        (folder / "rollback" / NAME).write_text(back, encoding="utf-8")
    return tmp_path / "migrations"


def _found(root: Path) -> list[tuple[str, int, str]]:
    return [(str(Path(p.file).relative_to(root)), p.line, p.query) for p in lint_migrations(root)]


def test_the_packages_own_migrations_pass() -> None:
    assert lint_migrations() == []


def test_the_config_names_the_oldest_supported_postgres() -> None:
    assert f'pg_version = "{OLDEST_POSTGRES}"' in (ROOT / CONFIG_NAME).read_text(encoding="utf-8")


# --- Squawk -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("sql", "line", "rule"), [
    (TIMEOUTS + "\ncreate index posts_title on posts (title);\n", 4, "require-concurrent-index-creation"),
    ("alter table posts add column rating text;\n", 1, "require-lock-timeout"),
    (TIMEOUTS + "alter table posts add column rating bigint not null;\n", 3, "adding-required-field"),
    (TIMEOUTS + "alter table posts alter column title type varchar(80);\n", 3, "changing-column-type"),
    (TIMEOUTS + "alter table creators add constraint creators_name_short check (length(name) < 500);\n", 3,
     "constraint-missing-not-valid"),
])
def test_squawk_findings_come_with_file_line_and_rule(tmp_path: Path, sql: str, line: int, rule: str) -> None:
    root = _root(tmp_path, postgres=sql)
    assert ("postgres/" + NAME, line, rule) in _found(root)


def test_a_rollback_may_drop_what_its_migration_made(tmp_path: Path) -> None:
    forward = TIMEOUTS + "create table tags (id text primary key);\n"
    root = _root(tmp_path, postgres=forward, pg_rollback=TIMEOUTS + "drop table tags;\n")
    assert _found(root) == []
    # … but the rollback is still linted for everything else
    root = _root(tmp_path / "again", postgres=forward, pg_rollback="drop table tags;\n")
    assert ("postgres/rollback/" + NAME, 1, "require-lock-timeout") in _found(root)


def test_create_index_concurrently_needs_the_non_transactional_header(tmp_path: Path) -> None:
    # outside a transaction a failed build can be run again only if the statement is idempotent
    body = ("set lock_timeout = '5s';\nset statement_timeout = '0';\n"
            "create index concurrently if not exists posts_title on posts (title);\n")
    assert ("postgres/" + NAME, 3, "ban-concurrent-index-creation-in-transaction") in _found(_root(tmp_path, postgres=body))
    assert _found(_root(tmp_path / "ok", postgres="-- transactional: false\n" + body)) == []


def test_a_squawk_ignore_needs_a_reason(tmp_path: Path) -> None:
    drop = TIMEOUTS + "-- squawk-ignore ban-drop-column{}\nalter table creators drop column if exists nickname;\n"
    assert ("postgres/" + NAME, 3, "squawk-ignore") in _found(_root(tmp_path, postgres=drop.format("")))
    assert _found(_root(tmp_path / "ok", postgres=drop.format(" -- never read since 0.2"))) == []


def test_without_squawk_the_lint_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(SquawkMissing, match=r"pip install 'vesta-sql\[dev\]'"):
        squawk_binary(beside=tmp_path, path="")


# --- D1: rebuilds -------------------------------------------------------------------------------

def _smart_links_rebuild(with_triggers: bool, tmp_path: Path) -> str:
    conn = sqlite3.connect(":memory:")
    for path in sorted(migrations_dir("sqlite").glob("*.sql")):
        conn.executescript(path.read_text(encoding="utf-8"))
    table = conn.execute("select sql from sqlite_master where name = 'smart_links'").fetchone()[0]
    indexes, triggers = ([row[0] + ";" for row in conn.execute(
        "select sql from sqlite_master where type = ? and tbl_name = 'smart_links' and sql is not null order by name",
        (kind,))] for kind in ("index", "trigger"))
    conn.close()
    return "\n".join([
        "-- rebuild smart_links",
        table.replace("smart_links", "smart_links_new", 1) + ";",
        "insert into smart_links_new select * from smart_links;",
        "drop table smart_links;",
        "alter table smart_links_new rename to smart_links;",
        *indexes,
        *(triggers if with_triggers else []),
    ]) + "\n"


def test_a_rebuild_must_recreate_the_tables_triggers(tmp_path: Path) -> None:
    root = _root(tmp_path, sqlite=_smart_links_rebuild(False, tmp_path))
    problems = [p for p in lint_migrations(root) if p.query == "d1-rebuild-triggers"]
    drop = 1 + _smart_links_rebuild(False, tmp_path).splitlines().index("drop table smart_links;")
    assert [(Path(p.file).name, p.line) for p in problems] == [(NAME, drop)]
    assert "smart_links_directory_insert" in problems[0].message
    assert _found(_root(tmp_path / "ok", sqlite=_smart_links_rebuild(True, tmp_path))) == []


def test_a_rebuild_of_a_cascaded_parent_is_refused(tmp_path: Path) -> None:
    rebuild = ("create table creators_copy as select * from creators;\n"
               "drop table creators;\n")
    found = _found(_root(tmp_path, sqlite=rebuild))
    assert ("sqlite/" + NAME, 2, "d1-rebuild-cascade") in found


# --- drops of what a query still uses ------------------------------------------------------------

@pytest.mark.parametrize(("postgres", "sqlite", "line"), [
    (TIMEOUTS + "-- squawk-ignore ban-drop-column -- testing the other rule\nalter table plans drop column description;\n",
     "alter table plans drop column description;\n", {"postgres": 4, "sqlite": 1}),
    (TIMEOUTS + "-- squawk-ignore renaming-column -- testing the other rule\n"
                "alter table plans rename column description to summary;\n",
     "alter table plans rename column description to summary;\n", {"postgres": 4, "sqlite": 1}),
])
def test_dropping_a_column_a_query_uses_is_refused(tmp_path: Path, postgres: str, sqlite: str,
                                                   line: dict[str, int]) -> None:
    problems = [p for p in lint_migrations(_root(tmp_path, postgres=postgres, sqlite=sqlite))
                if p.query == "dropped-still-used"]
    assert sorted((Path(p.file).parent.name, p.line) for p in problems) == sorted(line.items())
    assert all("plans.description" in p.message and "pricing." in p.message.split("use (")[1] for p in problems)
    assert all("expand, deploy" in p.message for p in problems)


def _recreate(table: str) -> str:
    """A rollback that makes `table` again as the migrations made it (table, indexes, triggers)."""
    conn = sqlite3.connect(":memory:")
    for path in sorted(migrations_dir("sqlite").glob("*.sql")):
        conn.executescript(path.read_text(encoding="utf-8"))
    rows = conn.execute("select sql from sqlite_master where tbl_name = ? and sql is not null "
                        "order by type = 'trigger', type = 'index', name", (table,)).fetchall()
    conn.close()
    return "\n".join(row[0] + ";" for row in rows) + "\n"


def test_dropping_a_table_a_query_uses_is_refused(tmp_path: Path) -> None:
    found = _found(_root(tmp_path, sqlite="drop table likes;\n", sqlite_rollback=_recreate("likes")))
    assert found == [("sqlite/" + NAME, 1, "dropped-still-used")]


def test_a_rule_of_ours_may_be_set_aside_with_a_reason(tmp_path: Path) -> None:
    body = "-- lint-ignore: dropped-still-used{}\ndrop table likes;\n"
    back = _recreate("likes")
    assert ("sqlite/" + NAME, 2, "dropped-still-used") in _found(_root(tmp_path, sqlite=body.format(""), sqlite_rollback=back))
    assert _found(_root(tmp_path / "ok", sqlite=body.format(" -- the queries go in this release"), sqlite_rollback=back)) == []


def test_check_reports_them_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _root(tmp_path, sqlite="drop table likes;\n", sqlite_rollback=_recreate("likes"))
    result = run(capsys, "check", "--migrations", str(root))
    assert result.code == 1
    assert f"{root / 'sqlite' / NAME}:1: dropped-still-used: drops likes" in result.out
    assert "problem(s)" in result.out


def test_check_fails_in_a_process_with_the_findings_on_stdout(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = _root(tmp_path, postgres="alter table posts add column rating text;\n")
    result = subprocess.run([sys.executable, "-m", "vesta_sql", "check", "--migrations", str(root)],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert f"{root / 'postgres' / NAME}:1: require-lock-timeout: Missing `set lock_timeout`" in result.stdout
    assert "Traceback" not in result.stderr
