"""The D1 lint: one bad migration or query per rule, each caught with its file and line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from vesta_sql.admin.check.d1 import MAX_BOUND_PARAMETERS, MAX_STATEMENT_BYTES, check_d1, d1_exempt, split_statements
from vesta_sql.admin.cli import main
from vesta_sql.admin.export.d1 import to_ordered
from vesta_sql.loader import QuerySpec, load_file

BASE = """-- a tenant table the bad files can use
create table notes (
  account_id text not null,
  id text not null,
  body text not null,
  primary key (account_id, id)
);
"""


def _migrations(tmp_path: Path, bad: str | None = None) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir(parents=True)
    (folder / "0001_base.sql").write_text(BASE, encoding="utf-8")
    if bad is not None:
        (folder / "0002_bad.sql").write_text(bad, encoding="utf-8")
    return folder


def _lint_migration(tmp_path: Path, bad: str) -> list[str]:
    return check_d1(migrations=_migrations(tmp_path, bad), queries=[])


def _queries(tmp_path: Path, text: str) -> list[QuerySpec]:
    path = tmp_path / "notes.sql"
    path.write_text(text, encoding="utf-8")
    return load_file(path, "sqlite")


def _lint_query(tmp_path: Path, text: str) -> list[str]:
    return check_d1(migrations=_migrations(tmp_path), queries=_queries(tmp_path, text))


def _only(problems: list[str], pattern: str, where: str) -> None:
    assert len(problems) == 1, problems
    assert problems[0].startswith(where), problems
    assert re.search(pattern, problems[0]), problems


def test_the_package_sql_passes_the_d1_lint() -> None:
    assert check_d1() == []


@pytest.mark.parametrize(
    ("statement", "pattern"),
    [
        ("begin transaction;", r"BEGIN: transaction statements are not allowed"),
        ("commit;", r"COMMIT: transaction"),
        ("end transaction;", r"COMMIT: transaction"),
        ("rollback;", r"ROLLBACK: transaction"),
        ("savepoint before_notes;", r"SAVEPOINT before_notes: savepoint statements are not allowed"),
        ("release before_notes;", r"RELEASE before_notes: savepoint"),
    ],
)
def test_transaction_statements_are_refused(tmp_path: Path, statement: str, pattern: str) -> None:
    problems = _lint_migration(tmp_path, f"-- bad\n\ninsert into notes values ('a', '1', 'x');\n{statement}\n")
    _only(problems, pattern, f"{tmp_path}/migrations/0002_bad.sql:4: ")


def test_pragmas_outside_the_allowlist_are_refused(tmp_path: Path) -> None:
    allowed = "pragma foreign_keys = on;\npragma defer_foreign_keys = on;\n"
    problems = _lint_migration(tmp_path, allowed + "pragma journal_mode = wal;\n")
    _only(problems, r"PRAGMA journal_mode: not in D1's pragma allowlist", f"{tmp_path}/migrations/0002_bad.sql:3: ")


def test_attach_and_detach_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    problems = _lint_migration(tmp_path, f"attach database '{other}' as other;\ndetach database other;\n")
    assert problems == [
        f"{tmp_path}/migrations/0002_bad.sql:1: ATTACH: D1 has one database per binding; attach/detach are not allowed",
        f"{tmp_path}/migrations/0002_bad.sql:2: DETACH: D1 has one database per binding; attach/detach are not allowed",
    ]
    assert not other.exists()  # refused before it ran


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        ("create temp table scratch (x text);", "temporary table scratch"),
        ("create temporary view recent as select id from notes;", "temporary view recent"),
        ("create temp trigger t_notes after insert on notes begin select 1; end;", "temporary trigger t_notes"),
        ("create index temp.notes_body on notes (body);", None),
    ],
)
def test_temp_objects_are_refused(tmp_path: Path, statement: str, kind: str | None) -> None:
    problems = _lint_migration(tmp_path, f"\n{statement}\n")
    assert problems, statement
    assert problems[0].startswith(f"{tmp_path}/migrations/0002_bad.sql:2: "), problems
    if kind:
        assert f"{kind}: TEMP objects are not allowed on D1" in problems[0]


def test_virtual_tables_other_than_fts5_are_refused(tmp_path: Path) -> None:
    problems = _lint_migration(
        tmp_path,
        "create virtual table notes_fts using fts5(body);\n\ncreate virtual table boxes using rtree(id, x0, x1);\n",
    )
    _only(problems, r"virtual table boxes using rtree: D1 only allows FTS5", f"{tmp_path}/migrations/0002_bad.sql:3: ")


def test_cf_names_are_refused(tmp_path: Path) -> None:
    problems = _lint_migration(tmp_path, "create table _cf_stuff (x text);\ncreate index notes_cf on notes (\"_cf_col\");\n")
    assert f"{tmp_path}/migrations/0002_bad.sql:1: _cf_stuff: names starting with _cf_ are reserved by D1" in problems
    assert any(p.startswith(f"{tmp_path}/migrations/0002_bad.sql:2: _cf_col") for p in problems), problems


def test_statements_over_100_kb_are_refused(tmp_path: Path) -> None:
    statement = f"create table big (x text check (x <> '{'x' * MAX_STATEMENT_BYTES}'));"
    problems = _lint_migration(tmp_path, statement + "\n")
    where = f"{tmp_path}/migrations/0002_bad.sql:1: "
    _only(problems, rf"statement is {len(statement)} bytes; D1's limit is {MAX_STATEMENT_BYTES}", where)
    fits = f"create table big (x text check (x <> '{'x' * (MAX_STATEMENT_BYTES - 42)}'));"
    assert len(fits) == MAX_STATEMENT_BYTES
    assert check_d1(migrations=_migrations(tmp_path / "fits", fits), queries=[]) == []


def test_migrations_cannot_bind(tmp_path: Path) -> None:
    problems = _lint_migration(tmp_path, "insert into notes values (:account_id, '1', 'x');\n")
    _only(problems, r"a migration cannot bind parameters", f"{tmp_path}/migrations/0002_bad.sql:1: ")


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        ("sqlite_version()", r"function sqlite_version\(\): refused by D1"),
        ("sqlite_source_id()", r"function sqlite_source_id\(\): refused by D1"),
        ("sqlite_compileoption_used('THREADSAFE')", r"function sqlite_compileoption_used\(\): refused by D1"),
        ("sqlite_compileoption_get(0)", r"function sqlite_compileoption_get\(\): refused by D1"),
        ("load_extension('x')", r"function load_extension\(\): refused by D1"),
        ("no_such_udf(n.body)", r"function no_such_udf\(\): not in D1's function allowlist"),
    ],
)
def test_functions_outside_the_allowlist_are_refused_in_queries(tmp_path: Path, call: str, pattern: str) -> None:
    problems = _lint_query(
        tmp_path,
        "-- name: bad(account_id)$\n-- A bad query.\nselect n.id\n  from notes n\n"
        f" where n.account_id = :account_id\n   and {call} is not null;\n",
    )
    _only(problems, r"query notes\.bad: " + pattern, f"{tmp_path}/notes.sql:6: ")


def test_allowed_functions_pass(tmp_path: Path) -> None:
    assert _lint_query(
        tmp_path,
        "-- name: fine(account_id, ids)$\n-- param: ids str_list\n"
        "select cast(count(*) as bigint) + length(hex(randomblob(4))) + coalesce(max(json_array_length('[1]')), 0)\n"
        "  from notes n\n where n.account_id = :account_id\n   and n.id in (select value from json_each(:ids))\n"
        "   and iif(n.body like 'a%', 1, 1) = abs(-1)\n   and strftime('%Y', 'now') is not null;\n",
    ) == []


def test_functions_in_trigger_bodies_are_refused(tmp_path: Path) -> None:
    problems = _lint_migration(
        tmp_path,
        "create trigger notes_stamp\nafter insert on notes\nbegin\n"
        "  update notes set body = sqlite_version() where account_id = new.account_id;\nend;\n",
    )
    _only(problems, r"function sqlite_version\(\): refused by D1", f"{tmp_path}/migrations/0002_bad.sql:4: ")


def test_functions_in_migrations_are_refused(tmp_path: Path) -> None:
    problems = _lint_migration(
        tmp_path, "create table stamped (\n  v text default (sqlite_version()),\n  w text check (w <> sqlite_source_id())\n);\n",
    )
    assert any("sqlite_source_id(): refused by D1" in p and ":3: " in p for p in problems), problems


def _wide(count: int) -> str:
    names = [f"p{i}" for i in range(count)]
    return (
        f"-- name: wide(account_id, {', '.join(names)})$\n-- A wide IN-list.\n"
        + "".join(f"-- param: {name} str\n" for name in names)
        + "select n.id\n  from notes n\n where n.account_id = :account_id\n"
        + f"   and n.id in ({', '.join(':' + name for name in names)});\n"
    )


def test_more_than_100_bound_parameters_are_refused(tmp_path: Path) -> None:
    problems = _lint_query(tmp_path, _wide(MAX_BOUND_PARAMETERS))  # account_id makes 101
    where = f"{tmp_path}/notes.sql:{MAX_BOUND_PARAMETERS + 3}: "
    _only(problems, r"query notes\.wide: 101 bound parameters; D1 allows at most 100", where)


def test_100_bound_parameters_pass(tmp_path: Path) -> None:
    assert _lint_query(tmp_path, _wide(MAX_BOUND_PARAMETERS - 1)) == []


def test_queries_with_more_than_one_statement_are_refused(tmp_path: Path) -> None:
    problems = _lint_query(
        tmp_path,
        "-- name: two(account_id)!\n-- Two statements.\ndelete from notes where account_id = :account_id;\n"
        "delete from notes where account_id = :account_id;\n",
    )
    _only(problems, r"query notes\.two: 2 statements; a D1 prepared statement holds exactly one", f"{tmp_path}/notes.sql:1: ")


def test_queries_marked_d1_no_are_exempt_and_listed(tmp_path: Path) -> None:
    specs = _queries(
        tmp_path,
        "-- name: version(account_id)$\n-- Uses SQLite's version: never on D1.\n-- d1: no\n"
        "select sqlite_version()\n  from notes n\n where n.account_id = :account_id;\n",
    )
    assert specs[0].runs_on_d1 is False
    assert check_d1(migrations=_migrations(tmp_path), queries=specs) == []
    expected = f"{tmp_path}/notes.sql:1: query notes.version is marked '-- d1: no' and is not checked or run on D1"
    assert d1_exempt(specs) == [expected]


def test_splitting_keeps_triggers_whole_and_finds_lines() -> None:
    text = "-- header\n\ncreate table a (x text);\n-- note\ncreate trigger t after insert on a\nbegin\n  select ';';\nend;\n"
    statements = list(split_statements(text))
    assert [(s.line, s.text.splitlines()[0]) for s in statements] == [
        (3, "create table a (x text);"),
        (5, "create trigger t after insert on a"),
    ]


def test_ordered_parameters_reuse_numbers_and_skip_literals() -> None:
    sql, order = to_ordered("select ':no', \"x:y\" -- :comment\n from t where a = :a and b = :b or a = :a /* :c */ and d = :d")
    assert sql == "select ':no', \"x:y\" -- :comment\n from t where a = ?1 and b = ?2 or a = ?1 /* :c */ and d = ?3"
    assert order == ["a", "b", "d"]


def test_export_command_writes_every_query(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "d1.json"
    assert main(["export", "d1", "--out", str(out)]) == 0
    artifact = json.loads(out.read_text(encoding="utf-8"))
    assert artifact["format"] == "vesta-sql/d1-queries"
    names = {(q["namespace"], q["name"]) for q in artifact["queries"]}
    assert ("posts", "feed") in names and ("account_directory", "resolve") in names
    for query in artifact["queries"]:
        assert ":" + "account_id" not in query["sql"]
        numbers = {int(n) for n in re.findall(r"\?(\d+)", query["sql"])}
        assert numbers == set(range(1, len(query["params"]) + 1)), query
    assert main(["export", "d1"]) == 0
    assert json.loads(capsys.readouterr().out) == artifact
