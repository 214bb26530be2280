"""The tenant-scope proof, run by `connect` on every query text the proof record does not already vouch for.

`prove(block, dialect, tables, …)` parses a query's SQL with sqlglot and returns what it
cannot prove scoped to the bound account: every tenant table reference pinned to
`:account_id` (`scope.py`, `reads.py`, `statements.py`), writes that never assign, move or replace
another account's row, only allowlisted functions (`functions.py`), the binds sqlglot sees
equal to the ones the package's parser found (else the proof and the driver would not be
reading the same query), one statement per query, and a record class whose fields are the
selected columns. Identifiers are compared as the dialect resolves them: case-folded on
SQLite, and on Postgres case-folded unless quoted (`"ACCOUNT_ID"` is not `account_id`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter

import sqlglot
from sqlglot import TokenType, exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError

from ..errors import QueryLoadError
from ..sqlfile import regions
from .directory import check_directory_statement
from .functions import function_findings
from .record import ProofInput
from .scope import Finding, line_of
from .statements import check_statement
from .tables import Tables

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def prove(query: ProofInput, dialect: str, tables: Tables) -> list[Finding]:
    """What is not proven about one query; empty when it is proven."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        statements = [s for s in sqlglot.parse(query.sql, read=dialect) if isinstance(s, exp.Expression)]
    except (ParseError, TokenError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return [Finding(f"cannot parse as {dialect} SQL, so cannot prove it scoped: {first}")]
    finally:
        logger.setLevel(level)
    if not statements:
        return [Finding("no SQL statement to check")]
    if len(statements) > 1:
        return [Finding(f"{len(statements)} statements: a query is exactly one statement", line_of(statements[1]))]
    statement = statements[0]
    findings: list[Finding] = _literal_findings(query.sql, dialect)
    seen = [p.name for p in statement.find_all(exp.Placeholder)]
    if Counter(seen) != Counter(query.binds):
        findings.append(Finding(
            f"the SQL parser sees the binds {sorted(set(seen))} where the file's lexer sees {sorted(set(query.binds))}: "
            "the proof would not be reading what the driver runs"))
    if query.record is not None:
        findings += _record_findings(statement, query.record, dialect)
    normalize_identifiers(statement, dialect)
    findings += check_directory_statement(statement) if query.directory else check_statement(statement, tables)
    findings += function_findings(statement, dialect)
    findings += _fts5_rank_findings(statement, tables)
    return findings


_LITERAL_TOKENS = {
    TokenType.STRING, TokenType.BYTE_STRING, TokenType.HEREDOC_STRING, TokenType.UNICODE_STRING,
    TokenType.NATIONAL_STRING, TokenType.BIT_STRING, TokenType.HEX_STRING, TokenType.RAW_STRING, TokenType.IDENTIFIER,
}


def _literal_findings(sql: str, dialect: str) -> list[Finding]:
    """sqlglot and the package's lexer must end every literal and quoted name at the same place."""
    try:
        ours = [region.end for region in regions(sql, dialect) if region.kind != "comment"]
        theirs = [t.end + 1 for t in Dialect.get_or_raise(dialect).tokenize(sql) if t.token_type in _LITERAL_TOKENS]
    except (QueryLoadError, TokenError) as exc:
        return [Finding(f"cannot tell where its literals end: {exc}")]
    if ours != theirs:
        return [Finding("the SQL parser and the file's lexer disagree on where a string literal or quoted name ends: "
                        "the proof would not be reading what the database runs")]
    return []


def _fts5_rank_findings(statement: exp.Expression, tables: Tables) -> list[Finding]:
    """An FTS5 table's hidden `rank` column is bm25() by another name: statistics over every account's rows."""
    fts5 = {t.alias_or_name for t in statement.find_all(exp.Table)
            if (info := tables.get(t.name)) is not None and info.kind == "fts5"}
    if not fts5:
        return []
    for column in statement.find_all(exp.Column):
        if column.name == "rank" and (not column.table or column.table in fts5):
            return [Finding("reads the FTS5 rank column, which is bm25() over every account's rows: rank by the "
                            "account's own statistics instead", line_of(column))]
    return []


def normalize_identifiers(statement: exp.Expression, dialect: str) -> None:
    """Names as the dialect resolves them: SQLite folds every identifier's case, Postgres folds unquoted ones."""
    for identifier in statement.find_all(exp.Identifier):
        if dialect == "sqlite" or not identifier.quoted:
            identifier.set("this", identifier.this.translate(_ASCII_LOWER))


def output_names(statement: exp.Expression, dialect: str) -> list[str] | None:
    """The column names a statement returns, as the driver reports them; None when a star or an unnamed expression hides them."""
    node = statement
    while isinstance(node, exp.SetOperation):
        node = node.this
    if isinstance(node, exp.Subquery):
        node = node.this
    if isinstance(node, exp.Select):
        projections = node.expressions
    else:
        returning = node.args.get("returning")
        projections = returning.expressions if isinstance(returning, exp.Returning) else []
    names = []
    for projection in projections:
        if isinstance(projection, exp.Star) or isinstance(projection.this, exp.Star):
            return None
        identifier = projection.args.get("alias") if isinstance(projection, exp.Alias) else projection.this
        if isinstance(projection, exp.Column) and isinstance(projection.this, exp.Identifier):
            identifier = projection.this
        if not isinstance(identifier, exp.Identifier) or not identifier.this:
            return None
        name = identifier.this
        names.append(name if dialect == "sqlite" or identifier.quoted else name.translate(_ASCII_LOWER))
    return names


def _record_findings(statement: exp.Expression, record: type, dialect: str) -> list[Finding]:
    names = output_names(statement, dialect)
    if names is None:
        return []
    wanted = [field.name for field in dataclasses.fields(record)]
    if sorted(names) == sorted(wanted):
        return []
    missing = sorted(set(wanted) - set(names))
    extra = sorted(set(names) - set(wanted))
    doubled = sorted(name for name, count in Counter(names).items() if count > 1)
    return [Finding(
        f"its columns do not match record {record.__name__}"
        + (f"; missing {', '.join(missing)}" if missing else "")
        + (f"; unexpected {', '.join(extra)}" if extra else "")
        + (f"; selected twice: {', '.join(doubled)}" if doubled else ""),
        line_of(statement),
    )]


__all__ = ["Finding", "ProofInput", "normalize_identifiers", "output_names", "prove"]
