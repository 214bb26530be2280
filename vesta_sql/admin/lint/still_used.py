"""A migration may not drop (or rename) a table or column that a query in `queries/` still uses.

Under a rolling deploy the old release keeps running the old queries until it is gone: a
column leaves the queries in one release and the schema in a later one (expand, deploy,
contract — docs/migrations.md). Only what the final schema lacks counts: a table rebuilt in
the same file, or a column added back later, is not a drop.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ...loader import QuerySpec
from ...proof.tables import Tables
from ..check.d1 import _strip, split_statements
from ..check.report import Problem

RULE = "dropped-still-used"
_N = r"[\"`\[]?(\w+)[\"`\]]?"
_TABLE = rf"(?:(?:main|public)\.)?{_N}"
_DROP_TABLE = re.compile(rf"^\s*drop\s+table\s+(?:if\s+exists\s+)?((?:{_TABLE}\s*,\s*)*{_TABLE})", re.I)
_ALTER = re.compile(rf"^\s*alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?{_TABLE}\s+(.*)$", re.I | re.S)
_DROP_COLUMN = re.compile(rf"\bdrop\s+(?:column\s+)?(?!constraint\b|default\b|not\b|identity\b|expression\b)"
                          rf"(?:if\s+exists\s+)?{_N}", re.I)
_RENAME_COLUMN = re.compile(rf"\brename\s+(?:column\s+)?(?!to\b){_N}\s+to\b", re.I)
_RENAME_TABLE = re.compile(r"^\s*rename\s+to\b", re.I)


@dataclass(frozen=True)
class Removal:
    file: Path
    line: int
    table: str
    column: str | None  # None: the whole table
    verb: str  # "drops" or "renames"


def removals(path: Path) -> list[Removal]:
    found: list[Removal] = []
    for statement in split_statements(path.read_text(encoding="utf-8")):
        code = _strip(statement.text)
        dropped = _DROP_TABLE.match(code)
        if dropped:
            for name in re.findall(_N, dropped.group(1)):
                if name.lower() not in ("main", "public"):
                    found.append(Removal(path, statement.line, name.lower(), None, "drops"))
            continue
        alter = _ALTER.match(code)
        if not alter:
            continue
        table, rest = alter.group(1).lower(), alter.group(2)
        if _RENAME_TABLE.match(rest):
            found.append(Removal(path, statement.line, table, None, "renames"))
            continue
        found += [Removal(path, statement.line, table, c.lower(), "drops") for c in _DROP_COLUMN.findall(rest)]
        found += [Removal(path, statement.line, table, c.lower(), "renames") for c in _RENAME_COLUMN.findall(rest)]
    return found


def _uses(spec: QuerySpec, dialect: str) -> tuple[set[str], set[tuple[str | None, str]], dict[str, str]]:
    """The tables a query names, its columns (qualifier, name), and its aliases → tables."""
    import sqlglot
    from sqlglot import exp

    try:
        trees = [t for t in sqlglot.parse(spec.source_sql or spec.sql, read=dialect) if t is not None]
    except sqlglot.errors.ParseError:
        return set(), set(), {}
    tables: set[str] = set()
    aliases: dict[str, str] = {}
    columns: set[tuple[str | None, str]] = set()
    for tree in trees:
        for table in tree.find_all(exp.Table):
            tables.add(table.name.lower())
            aliases[(table.alias or table.name).lower()] = table.name.lower()
        for column in tree.find_all(exp.Column):
            columns.add(((column.table or "").lower() or None, column.name.lower()))
    return tables, columns, aliases


def _user(removal: Removal, spec: QuerySpec, dialect: str) -> bool:
    tables, columns, aliases = _uses(spec, dialect)
    if removal.table not in tables:
        return False
    if removal.column is None:
        return True
    for qualifier, name in columns:
        if name == removal.column and (qualifier is None or aliases.get(qualifier, qualifier) == removal.table):
            return True
    return False


def lint_still_used(folder: Path, dialect: str, final: Tables, specs: Sequence[QuerySpec],
                    *, skip: Iterable[str] = ()) -> list[Problem]:
    """Each drop or rename in `folder`'s forward files of something the final schema lacks and a query uses."""
    skipped = set(skip)
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.sql")):
        if path.name in skipped:
            continue
        for removal in removals(path):
            info = final.get(removal.table)
            gone = info is None if removal.column is None else (info is None or removal.column not in info.columns)
            if not gone:
                continue
            users = sorted({s.qualified_name for s in specs if _user(removal, s, dialect)})
            if not users:
                continue
            what = removal.table if removal.column is None else f"{removal.table}.{removal.column}"
            problems.append(Problem(str(path), removal.line, RULE, (
                f"{removal.verb} {what}, which {len(users)} quer{'y' if len(users) == 1 else 'ies'} in queries/ still "
                f"use ({', '.join(users[:5])}{', …' if len(users) > 5 else ''}): under a rolling deploy the running "
                "release still sends them. First release the queries without it (expand, deploy), then drop it in "
                "a later migration (contract)")))
    return problems
