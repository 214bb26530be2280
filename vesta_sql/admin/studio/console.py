"""The SQL console: a read-only query runs only when the scope proof accepts it, with `:account_id` filled in.

Anything else — an unscoped query, a write, a bind other than `:account_id`, several
statements — shows the proof's (or the console's) reason and runs nothing. The database
refuses writes too (SQLite `query_only`, a Postgres read-only transaction); rows are
capped and the statement has a time-out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from ...errors import QueryLoadError
from ...sqlfile import code_binds
from .database import Result, Studio
from .sqlgen import Statement, findings

ROW_CAP = 500


@dataclass(frozen=True)
class Outcome:
    refused: list[str]
    result: Result | None = None
    capped: bool = False


def _is_read(sql: str, dialect: str) -> bool:
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except (ParseError, TokenError):
        return True  # the proof reports what cannot be parsed
    finally:
        logger.setLevel(level)
    return all(isinstance(s, exp.Query) and not list(s.find_all(exp.Insert, exp.Update, exp.Delete)) for s in statements)


def check(studio: Studio, sql: str) -> list[str]:
    """Why the console will not run `sql` (empty: it may run)."""
    dialect = studio.dialect
    try:
        binds = {b.name for b in code_binds(sql, dialect)}
    except QueryLoadError as exc:
        return [str(exc)]
    if binds - {"account_id"}:
        return [f"only :account_id can be bound here (the studio fills it); found {', '.join(sorted(binds))}"]
    problems = findings(sql, dialect, studio.schema.proof)
    if not problems and not _is_read(sql, dialect):
        problems = ["the console runs read-only queries (SELECT); edit rows in the grid with --write"]
    return problems


def run(studio: Studio, account: str, sql: str, cap: int = ROW_CAP) -> Outcome:
    text = sql.strip().rstrip(";").strip()
    if not text:
        return Outcome(["no query"])
    problems = check(studio, text)
    if problems:
        return Outcome(problems)
    result = studio.read(account, Statement(text, {}), cap=cap + 1)
    return Outcome([], Result(result.columns, result.rows[:cap]), len(result.rows) > cap)
