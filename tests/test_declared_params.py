"""Richer `-- param:` declarations: enumerations and ranges, validated before any SQL and checked against the schema."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

import vesta_sql
from vesta_sql import InvalidInputError, QueryLoadError
from vesta_sql.admin.cli import main
from vesta_sql.dialects.postgres import PostgresCodec
from vesta_sql.dialects.sqlite import SQLiteCodec
from vesta_sql.param_declarations import ParamSpec, parse_param_lines
from vesta_sql.params import make_binder


@pytest.mark.parametrize("codec", [SQLiteCodec(), PostgresCodec()], ids=["sqlite", "postgres"])
def test_enumerations_and_ranges_are_validated_the_same_on_both_dialects(codec: Any) -> None:
    specs = parse_param_lines("\n".join([
        "param: status str in ('draft', 'published', 'it''s') = 'draft'",
        "param: limit int 1..1000 = 50",
        "param: level int? in (1, 2, 3)",
        "param: ratio float 0..1 = 0",
    ]), "q")
    bind = make_binder("ns.q", specs, codec, lambda: "id", lambda: None)  # type: ignore[arg-type, return-value]
    assert bind("acc", {})["status"] == "draft" and bind("acc", {})["limit"] == 50
    assert bind("acc", {"status": "it's", "limit": 1000, "level": None, "ratio": 0.5})["status"] == "it's"
    cases: list[tuple[dict[str, Any], str]] = [
        ({"status": "gone"}, "'status' must be one of 'draft', 'published', \"it's\", got 'gone'"),
        ({"limit": 0}, "'limit' must be between 1 and 1000, got 0"),
        ({"limit": -1}, "between 1 and 1000"),
        ({"limit": 1001}, "between 1 and 1000"),
        ({"level": 4}, "'level' must be one of 1, 2, 3"),
        ({"ratio": 1.5}, "'ratio' must be between 0 and 1"),
        ({"status": 3}, "'status' must be a str"),
    ]
    for kwargs, message in cases:
        with pytest.raises(InvalidInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
            bind("acc", kwargs)


def test_the_old_declarations_load_unchanged() -> None:
    assert parse_param_lines("param: x str? = none", "q")["x"] == ParamSpec("x", "str", True, None)
    assert parse_param_lines("param: n int = 5", "q")["n"] == ParamSpec("n", "int", False, 5)


@pytest.mark.parametrize(("line", "message"), [
    ("param: s str in ('a', 'b') = 'c'", "default that must be one of"),
    ("param: n int 1..10 = 0", "default that must be between"),
    ("param: n int 10..1", "is empty"),
    ("param: b bool in (1)", "only str and int"),
    ("param: s str 1..2", "only int and float"),
    ("param: s str in ('a', 'a')", "distinct"),
    ("param: n int 1.5..2", "whole numbers"),
])
def test_bad_declarations_are_load_errors(line: str, message: str) -> None:
    with pytest.raises(QueryLoadError, match=message):
        parse_param_lines(line, "q")


def test_the_stubs_type_an_enumeration_as_a_literal() -> None:
    specs = parse_param_lines("param: s str in ('a', 'b')\nparam: t str? in ('x')", "q")
    assert specs["s"].python_type == "Literal['a', 'b']" and specs["t"].python_type == "Literal['x'] | None"


def test_package_queries_declare_their_enumerations_and_limits(db: Any, acct: str) -> None:
    with pytest.raises(InvalidInputError, match="'limit' must be between 1 and 1000, got -1"):
        db.creators.list(account_id=acct, limit=-1)  # before 0.2.0: every row on SQLite, an error on Postgres
    with pytest.raises(InvalidInputError, match="'kind' must be one of"):
        db.resolve_account("twitter_handle", "ada")


def test_check_compares_declarations_with_the_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mine.sql").write_text(textwrap.dedent("""\
        -- name: set_status(account_id, id, status)!
        -- param: id str
        -- param: status str in ('draft', 'gone')
        update posts set status = :status where account_id = :account_id and id = :id;

        -- name: undeclared(account_id, id, status)!
        -- param: id str
        -- param: status str
        update posts set status = :status where account_id = :account_id and id = :id;
        """), encoding="utf-8")
    assert main(["check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "mine.sql:1: mine.set_status: parameter status allows gone, which the CHECK of posts.status refuses" in out
    assert "mine.sql:6: note: mine.undeclared: parameter status goes to posts.status, which allows only" in out


def test_the_package_stubs_return_no_any_and_plain_values_where_a_row_always_comes() -> None:
    text = (Path(vesta_sql.__file__).parent / "_namespaces.pyi").read_text(encoding="utf-8")
    assert not re.findall(r"\) -> Any:", text)
    assert re.search(r"def has_liked\(self, \*, account_id: str, post_id: str, user_id: str\) -> bool:", text)
    assert re.search(r"def follower_count\(self, \*, account_id: str, creator_id: str\) -> int:", text)
