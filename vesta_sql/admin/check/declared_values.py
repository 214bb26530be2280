"""Declared parameter values against the schema: `in (…)` and `lo..hi` must fit the column's own CHECK.

A parameter is matched to the column it is written to or compared with (an insert's
value, an update's `set col = …`, a `col = :param` term); when that column has a CHECK
constraint `col in (…)` or `col between lo and hi`, the declared choices or range must
lie inside it (else a call the package accepts would fail in the database), and a
parameter with no declaration gets a note saying which one to write.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from ...loader import QuerySpec
from ...migration_files import forward_files
from ...resources import migrations_dir
from .report import Problem, display

_ENUM = re.compile(r"check\s*\(\s*(\w+)\s+in\s*\(([^)]*)\)\s*\)", re.IGNORECASE)
_RANGE = re.compile(r"\b(\w+)\s+between\s+(-?\d+)\s+and\s+(-?\d+)", re.IGNORECASE)
_QUOTED = re.compile(r"'((?:[^']|'')*)'")


@dataclass(frozen=True)
class ColumnRule:
    choices: frozenset[str] | None = None
    bounds: tuple[int, int] | None = None


def column_rules() -> dict[tuple[str, str], ColumnRule]:
    """(table, column) -> its CHECK enumeration or range, read from the SQLite schema the migrations make."""
    conn = sqlite3.connect(":memory:")
    try:
        for path in forward_files(migrations_dir("sqlite")):
            conn.executescript(path.read_text(encoding="utf-8"))
        rows = conn.execute("select name, sql from sqlite_master where type = 'table' and sql is not null").fetchall()
    finally:
        conn.close()
    rules: dict[tuple[str, str], ColumnRule] = {}
    for table, sql in rows:
        for column, values in _ENUM.findall(sql):
            choices = frozenset(v.replace("''", "'") for v in _QUOTED.findall(values))
            rules[(table.lower(), column.lower())] = ColumnRule(choices=choices)
        for column, low, high in _RANGE.findall(sql):
            key = (table.lower(), column.lower())
            rules.setdefault(key, ColumnRule(bounds=(int(low), int(high))))
    return rules


def _pairs(statement: exp.Expression) -> Iterator[tuple[str, str, str]]:
    """(table, column, parameter) for each parameter written to or compared with a column."""
    aliases = {(t.alias or t.name).lower(): t.name.lower() for t in statement.find_all(exp.Table) if t.name}
    for insert in statement.find_all(exp.Insert):
        target = insert.this
        values = insert.expression
        if isinstance(target, exp.Schema) and isinstance(target.this, exp.Table) and isinstance(values, exp.Values):
            columns = [c.name.lower() for c in target.expressions]
            for row in values.expressions:
                for column, value in zip(columns, row.expressions if isinstance(row, exp.Tuple) else [row], strict=False):
                    for placeholder in value.find_all(exp.Placeholder):
                        yield target.this.name.lower(), column, placeholder.name
    for update in statement.find_all(exp.Update):
        if isinstance(update.this, exp.Table):
            for assignment in update.expressions:
                if isinstance(assignment, exp.EQ) and isinstance(assignment.this, exp.Column):
                    for placeholder in assignment.expression.find_all(exp.Placeholder):
                        yield update.this.name.lower(), assignment.this.name.lower(), placeholder.name
    for equality in statement.find_all(exp.EQ):
        column, value = equality.this, equality.expression
        if isinstance(value, exp.Column):
            column, value = value, column
        while isinstance(value, exp.Cast | exp.Paren):
            value = value.this
        if isinstance(column, exp.Column) and isinstance(value, exp.Placeholder) and column.table.lower() in aliases:
            yield aliases[column.table.lower()], column.name.lower(), value.name


def check_declared_values(specs: Iterable[QuerySpec]) -> list[Problem]:
    rules = column_rules()
    problems: list[Problem] = []
    for spec in specs:
        try:
            statement = sqlglot.parse_one(spec.source_sql, read="sqlite")
        except sqlglot.errors.ParseError:
            continue  # the scope proof reports it
        if not isinstance(statement, exp.Expression):
            continue
        seen: set[tuple[str, str, str]] = set()
        for table, column, name in _pairs(statement):
            param, rule = spec.params.get(name), rules.get((table, column))
            if param is None or rule is None or (table, column, name) in seen:
                continue
            seen.add((table, column, name))
            where = (display(spec.file), spec.line, spec.qualified_name)
            if rule.choices is not None:
                if param.choices is None:
                    allowed = ", ".join(f"'{c}'" for c in sorted(rule.choices))
                    problems.append(Problem(*where, f"parameter {name} goes to {table}.{column}, which allows only "
                                                    f"{allowed}: declare '-- param: {name} {param.kind} in ({allowed})'",
                                            severity="info"))
                elif not set(map(str, param.choices)) <= rule.choices:
                    extra = ", ".join(sorted(set(map(str, param.choices)) - rule.choices))
                    problems.append(Problem(*where, f"parameter {name} allows {extra}, which the CHECK of {table}.{column} "
                                                    "refuses"))
            elif rule.bounds is not None and param.bounds is not None:
                if not rule.bounds[0] <= param.bounds[0] <= param.bounds[1] <= rule.bounds[1]:
                    problems.append(Problem(*where, f"parameter {name}'s range {param.bounds[0]}..{param.bounds[1]} "
                                                    f"goes beyond the CHECK of {table}.{column} "
                                                    f"({rule.bounds[0]}..{rule.bounds[1]})"))
    return problems
