"""The SQL style check (`.sqlfluff`, run over queries/ by scripts/test) reports what breaks the house style,
and accepts what the house writes, binds named after keywords included."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlfluff

CONFIG = str(Path(__file__).resolve().parents[1] / ".sqlfluff")

HOUSE = """\
-- name: recent(account_id, before_created_at, limit)
-- record_class: Post
-- param: before_created_at datetime = max
-- param: limit int = 50
select p.id, p.title,
       p.created_at
  from posts p
  join creators c on c.account_id = p.account_id
 where p.account_id = :account_id
   and c.id = p.creator_id
   and p.created_at < :before_created_at
 order by p.created_at desc, p.id
 limit :limit;
"""


def codes(sql: str, dialect: str) -> list[str]:
    return [violation["code"] for violation in sqlfluff.lint(sql, dialect=dialect, config_path=CONFIG)]


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_the_house_style_passes(dialect: str) -> None:
    assert codes(HOUSE, dialect) == []


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_upper_case_keywords_are_reported(dialect: str) -> None:
    shouting = HOUSE.replace("select p.id", "SELECT p.id").replace("  from posts p", "  FROM posts p")
    assert codes(shouting, dialect).count("CP01") == 2


def test_an_unqualified_column_in_a_join_is_reported() -> None:
    loose = HOUSE.replace("select p.id, p.title", "select p.id, title")
    assert "RF02" in codes(loose, "postgres")


def test_a_trailing_space_and_a_long_line_are_reported() -> None:
    sloppy = HOUSE.replace("p.title,\n", "p.title, \n").replace("p.id\n limit", "p.id" + ", p.id" * 30 + "\n limit")
    found = codes(sloppy, "sqlite")
    assert "LT01" in found and "LT05" in found
