"""A migration may not drop (or rename) a table or column that a query in `queries/` still uses.

Under a rolling deploy the old release keeps running the old queries until it is gone: a
column leaves the queries in one release and the schema in a later one (expand, deploy,
contract — docs/migrations.md). Only what the final schema lacks counts: a table rebuilt in
the same file, or a column added back later, is not a drop.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ...loader import QuerySpec
from ...migration_files import forward_files
from ..check.d1 import _strip, split_statements
from ..check.report import Problem
from ..schema_info import is_search_table, is_tool_table

RULE = "dropped-still-used"
_N = r"[\"`\[]?(\w+)[\"`\]]?"
_TABLE = rf"(?:(?:main|public)\.)?{_N}"
_DROP_TABLE = re.compile(rf"^\s*drop\s+table\s+(?:if\s+exists\s+)?((?:{_TABLE}\s*,\s*)*{_TABLE})", re.I)
_ALTER = re.compile(rf"^\s*alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?{_TABLE}\s+(.*)$", re.I | re.S)
_DROP_COLUMN = re.compile(rf"\bdrop\s+(?:column\s+)?(?!constraint\b|default\b|not\b|identity\b|expression\b)"
                          rf"(?:if\s+exists\s+)?{_N}", re.I)
_RENAME_COLUMN = re.compile(rf"\brename\s+(?:column\s+)?(?!to\b){_N}\s+to\b", re.I)
_RENAME_TABLE = re.compile(r"^\s*rename\s+to\b", re.I)
_CREATE = re.compile(rf"^\s*create\s+table\s+(?:if\s+not\s+exists\s+)?{_TABLE}", re.I)
_ADD_COLUMN = re.compile(rf"\badd\s+(?:column\s+)?(?!constraint\b|primary\b|unique\b|foreign\b|check\b)"
                         rf"(?:if\s+not\s+exists\s+)?{_N}", re.I)
_RENAME_TO = re.compile(rf"\brename\s+(?:column\s+)?(?!to\b)\w+\s+to\s+{_N}", re.I)


@dataclass(frozen=True)
class Removal:
    file: Path
    line: int
    table: str
    column: str | None  # None: the whole table
    verb: str  # "drops" or "renames"


def _statement_removals(path: Path) -> list[Removal]:
    """What a file's statements drop or rename, read from their text (Postgres)."""
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


def _columns(conn: sqlite3.Connection) -> dict[str, frozenset[str]]:
    names = [str(r[0]) for r in conn.execute("select name from sqlite_master where type = 'table'").fetchall()]
    return {n.lower(): frozenset(str(r[1]).lower() for r in conn.execute("select * from pragma_table_info(?)", (n,)))
            for n in names if not is_tool_table(n) and not is_search_table(n)}


def _line(path: Path, table: str) -> int:
    """The line of the first statement that drops or alters `table` (a rebuild drops it)."""
    pattern = re.compile(rf"^\s*(?:drop\s+table\s+(?:if\s+exists\s+)?|alter\s+table\s+)[\"`\[]?{re.escape(table)}\b", re.I)
    for statement in split_statements(path.read_text(encoding="utf-8")):
        if pattern.match(_strip(statement.text)):
            return statement.line
    return 1


def sqlite_removals(folder: Path) -> list[Removal]:
    """What each forward file removes, seen by applying the files in order (a rebuild that leaves a column out
    removes it too); only what the final schema lacks."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    found: list[Removal] = []
    try:
        for path in forward_files(folder):
            before = _columns(conn)
            try:
                conn.executescript(path.read_text(encoding="utf-8"))
            except sqlite3.Error:
                break  # the rebuild rules report a file that does not apply
            after = _columns(conn)
            for table, columns in before.items():
                if table not in after:
                    found.append(Removal(path, _line(path, table), table, None, "drops"))
                    continue
                found += [Removal(path, _line(path, table), table, c, "drops") for c in sorted(columns - after[table])]
        final = _columns(conn)
    finally:
        conn.close()
    return [r for r in found if r.table not in final or (r.column is not None and r.column not in final[r.table])]


def postgres_removals(folder: Path) -> list[Removal]:
    """What the forward files drop or rename, unless a later statement makes that table or column again."""
    events: list[tuple[Removal | None, str, str | None]] = []  # (removal, or None and what is added)
    for path in forward_files(folder):
        removals = {(r.line, r.table, r.column): r for r in _statement_removals(path)}
        for statement in split_statements(path.read_text(encoding="utf-8")):
            code = _strip(statement.text)
            for key, gone in removals.items():
                if key[0] == statement.line:
                    events.append((gone, gone.table, gone.column))
            created = _CREATE.match(code)
            alter = _ALTER.match(code)
            if created:
                events.append((None, created.group(1).lower(), None))
            elif alter:
                table, rest = alter.group(1).lower(), alter.group(2)
                renamed = re.match(rf"\s*rename\s+to\s+{_N}", rest, re.I)
                if renamed:
                    events.append((None, renamed.group(1).lower(), None))
                events += [(None, table, c.lower()) for c in _ADD_COLUMN.findall(rest) + _RENAME_TO.findall(rest)]
    kept: list[Removal] = []
    for index, (removal, table, column) in enumerate(events):
        if removal is None:
            continue
        later = events[index + 1:]
        again = any(r is None and t == table and (c is None or c == column) for r, t, c in later)
        if not again:
            kept.append(removal)
    return kept


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


def lint_still_used(folder: Path, dialect: str, specs: Sequence[QuerySpec]) -> list[Problem]:
    """Each removal, in `folder`'s forward files, of a table or column a query uses and the final schema lacks."""
    found = sqlite_removals(folder) if dialect == "sqlite" else postgres_removals(folder)
    problems: list[Problem] = []
    for removal in found:
        users = sorted({s.qualified_name for s in specs if _user(removal, s, dialect)})
        if not users:
            continue
        what = removal.table if removal.column is None else f"{removal.table}.{removal.column}"
        problems.append(Problem(str(removal.file), removal.line, RULE, (
            f"{removal.verb} {what}, which {len(users)} quer{'y' if len(users) == 1 else 'ies'} in queries/ still "
            f"use ({', '.join(users[:5])}{', …' if len(users) > 5 else ''}): under a rolling deploy the running "
            "release still sends them. First release the queries without it (expand, deploy), then drop it in "
            "a later migration (contract)")))
    return problems
