"""The one `.sql` parser: it splits files as aiosql does, refuses ambiguous markers, and finds only real binds."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from aiosql.adapters.generic import GenericAdapter
from aiosql.query_loader import _QUERY_DEF, QueryLoader
from aiosql.utils import SQLParseException

import vesta_sql
from vesta_sql import QueryLoadError, TenantScopeError, records
from vesta_sql.admin.cli import main
from vesta_sql.programs.registry import step_records
from vesta_sql.resources import queries_dir
from vesta_sql.sqlfile import SqlSyntaxError, code_binds, parse_text, pyformat

CORPUS = Path(__file__).parent / "corpus"


def write(folder: Path, text: str, name: str = "mine.sql") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def all_query_files() -> list[Path]:
    roots = [queries_dir(), CORPUS / "safe", CORPUS / "unsafe"]
    return sorted(p for root in roots for p in [*root.glob("*.sql"), *root.glob("*/*.sql")])


@pytest.mark.parametrize("path", all_query_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_files_split_exactly_as_aiosql_splits_them(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    classes = {name: getattr(records, name) for name in records.__all__} | step_records()
    dialect = "postgres" if path.parent.name == "postgres" else "sqlite"
    ours = parse_text(text, path, dialect)
    try:
        theirs = QueryLoader(GenericAdapter(None), classes).load_query_data_from_sql(text, [], path)  # type: ignore[no-untyped-call]
    except SQLParseException:  # aiosql refuses the file (a declared parameter never bound): compare the split alone
        assert [b.name for b in ours] == [part.split("(")[0].strip() for part in _QUERY_DEF.split(text)[1:]]
        return
    assert [b.name for b in ours] == [d.query_name for d in theirs]
    assert [b.declared for b in ours] == [tuple(d.parameters) if d.parameters is not None else None for d in theirs]
    assert [b.doc.splitlines() for b in ours] == [[line.strip() for line in d.doc_comments.splitlines()] for d in theirs]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("-- name: a(account_id)$\nselect 1 from t where x = :account_id; -- name: b(account_id)$\n", "in the middle of a line"),
        ("-- name: a(account_id)$\nselect '\n-- name: b(account_id)$\n' from t\n", "inside a string literal"),
        ("-- name: a(account_id)$\nselect 1 /*\n-- name: b(account_id)$\n*/ from t\n", "inside a block comment"),
        ("-- name: a(account_id)$\nselect 1 from t; ---name: b(account_id)$\n", "in the middle of a line"),
    ],
)
def test_a_name_marker_anywhere_but_a_line_start_is_a_load_error_naming_the_line(text: str, where: str, tmp_path: Path) -> None:
    with pytest.raises(SqlSyntaxError, match=rf"mine\.sql:\d+: a '-- name:' marker {where}"):
        parse_text(text, tmp_path / "mine.sql", "sqlite")
    folder = write(tmp_path / "q", text)
    with pytest.raises(QueryLoadError, match="marker"):
        vesta_sql.connect(f"sqlite:///{tmp_path / 'x.db'}", extra_queries=[folder])
    assert main(["check", str(folder)]) == 1


@pytest.mark.parametrize(
    ("dialect", "sql", "binds"),
    [
        ("sqlite", "select ':a', \"x:b\", [y:c], `z:d` from t where e = :e -- :f\n and g = :g /* :h */", ["e", "g"]),
        ("postgres", "select E'it\\'s :a', $$ :b $$, $q$ :c $q$ from t where d = :d::text /* /* :e */ :f */", ["d"]),
        ("postgres", "select x::int, a[1:2] from t where y = :y", ["y"]),
        ("sqlite", "select 1 from t where a = :a and a = :a", ["a", "a"]),
        # the lexer jumps between the characters that may open or close something: these are its edges
        ("postgres", "select 1 /**/ :a /*/ :b */ :c /*/**/ :d */ :e", ["a", "c", "e"]),
        ("sqlite", "select 1 /* /* :a */ :b */ :c", ["b", "c"]),
        ("postgres", "select 'it''s :a', E'\\\\' || :b, E'\\'' || ':c', e'x' :d, ze':e' :f from t", ["b", "d", "f"]),
        ("postgres", "select a$b, $q1$ :a $q1$ :b, $_$ :c $_$ :d from t", ["b", "d"]),
        ("postgres", "select \"a\"\":b\" :c, ':::d' :::e, -:f - -- :g\n :h", ["c", "e", "f", "h"]),
        ("sqlite", "select [a]:b, `x``:c` :d, \"\":e, '' :f --", ["b", "d", "e", "f"]),
    ],
)
def test_binds_are_found_outside_comments_and_literals(dialect: str, sql: str, binds: list[str]) -> None:
    assert [b.name for b in code_binds(sql, dialect)] == binds


def test_pyformat_doubles_every_other_percent() -> None:
    sql = "select 1 from t where a like '10%' and b = :b and c = 5 % 2"
    assert pyformat(sql, tuple(code_binds(sql, "postgres"))) == "select 1 from t where a like '10%%' and b = %(b)s and c = 5 %% 2"


@pytest.mark.parametrize("sql", ["where a = ?", "where a = ?1", "where a = @a", "where a = $a"])
def test_other_placeholder_styles_are_refused_on_sqlite(sql: str) -> None:
    with pytest.raises(SqlSyntaxError, match="not a :name bind"):
        code_binds(f"select 1 from t {sql}", "sqlite")


def test_a_bind_only_in_a_comment_or_literal_does_not_count(tmp_path: Path) -> None:
    for body in ("select count(*) from creators c -- where c.account_id = :account_id",
                 "select count(*) from creators c where c.name <> ':account_id'"):
        folder = write(tmp_path / str(len(body)), f"-- name: n(account_id)$\n{body};\n")
        with pytest.raises((TenantScopeError, QueryLoadError), match="account_id"):
            vesta_sql.connect(f"sqlite:///{tmp_path / 'x.db'}", extra_queries=[folder])


def test_an_unscoped_join_in_an_app_folder_is_refused_at_load(tmp_path: Path) -> None:
    folder = write(tmp_path / "app", """\
        -- name: stats(account_id)$
        select count(*)
          from creators c
          join posts p on p.creator_id = c.id
         where c.account_id = :account_id;
        """)
    with pytest.raises(TenantScopeError) as refused:
        vesta_sql.connect(f"sqlite:///{tmp_path / 'x.db'}", extra_queries=[folder])
    assert "mine.sql:4: query mine.stats: table posts (alias p) has no 'p.account_id = :account_id' term" in str(refused.value)


def test_a_record_class_that_does_not_match_the_columns_is_refused_at_load_and_by_check(tmp_path: Path) -> None:
    folder = write(tmp_path / "app", """\
        -- name: names(account_id)
        -- record_class: Creator
        select c.id, c.name from creators c where c.account_id = :account_id;
        """)
    with pytest.raises(TenantScopeError, match="do not match record Creator; missing"):
        vesta_sql.connect(f"sqlite:///{tmp_path / 'x.db'}", extra_queries=[folder])
    assert main(["check", str(folder)]) == 1


def test_record_class_must_follow_the_name_line(tmp_path: Path) -> None:
    text = "-- name: a(account_id)\n-- doc\n-- record_class: Creator\nselect 1 from t where a = :account_id;\n"
    with pytest.raises(SqlSyntaxError, match="right after"):
        parse_text(text, tmp_path / "mine.sql", "sqlite")


def test_the_sql_that_runs_has_no_comments(tmp_path: Path) -> None:
    text = "-- name: a(account_id)$\nselect 1 -- why\n  from t /* a\n b */ where a = :account_id;\n"
    block = parse_text(text, tmp_path / "mine.sql", "sqlite")[0]
    assert "why" not in block.sql and "/*" not in block.sql
    assert block.sql.count("\n") == 2 and block.lines == (2, 3, 4)


def test_a_query_file_named_like_the_facades_own_attributes_is_a_load_error(tmp_path: Path) -> None:
    from vesta_sql.facade import Database, Transaction
    from vesta_sql.facade_async import AsyncDatabase, AsyncTransaction
    from vesta_sql.names import FACADE_NAMES
    from vesta_sql.programs.driver import Steps

    public = {name for cls in (Database, Transaction, AsyncDatabase, AsyncTransaction, Steps)
              for name in dir(cls) if not name.startswith("_")}
    assert public | {"account_id", "dialect"} == FACADE_NAMES  # instance attributes too
    for name in ("memo", "transaction"):
        folder = write(tmp_path / name, "-- name: one(account_id)$\nselect 1 from creators where account_id = :account_id;\n",
                       name=f"{name}.sql")
        with pytest.raises(QueryLoadError, match=rf"{name}\.sql: a query file named '{name}' would be hidden"):
            vesta_sql.connect(f"sqlite:///{tmp_path / 'x.db'}", extra_queries=[folder])
