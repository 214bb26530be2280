"""Run the tenant-scope proof over query folders: load each file as the package does, parse, analyse, locate.

Files are loaded with `vesta_sql.loader.load_file` (the SQL kept with its `:name` binds).
A file the loader refuses is reported, then still split by its `-- name:` headers and
analysed, so that one bad query does not hide the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from ..errors import VestaError
from ..guard import DIRECTORY_NAMESPACE
from ..loader import load_file
from .directory import check_directory_statement
from .report import Problem, display
from .statements import check_statement
from .tables import Tables

_HEADER = re.compile(r"^[ \t]*--\s*name\s*:\s*([\w-]+)", re.MULTILINE)


@dataclass(frozen=True)
class Entry:
    """One query's SQL and, for each of its lines, the line of the file it came from."""

    namespace: str
    name: str
    file: Path
    line: int
    sql: str
    lines: tuple[int, ...]

    @property
    def qualified_name(self) -> str:
        return f"{self.namespace}.{self.name}"

    def file_line(self, relative: int | None) -> int:
        if relative is None or not 1 <= relative <= len(self.lines):
            return self.line
        return self.lines[relative - 1]


def check_sql(sql: str, dialect: str, tables: Tables, *, directory: bool = False) -> list[tuple[str, int | None]]:
    """(message, line within `sql`) for everything not proven scoped in `sql`."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if isinstance(s, exp.Expression)]
    except (ParseError, TokenError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return [(f"cannot parse as {dialect} SQL, so cannot prove it scoped: {first}", None)]
    if not statements:
        return [("no SQL statement to check", None)]
    out: list[tuple[str, int | None]] = []
    for statement in statements:
        findings = check_directory_statement(statement) if directory else check_statement(statement, tables)
        out += [(f.message, f.line) for f in findings]
    return out


def folder_entries(folder: Path, dialect: str, problems: list[Problem]) -> list[Entry]:
    """The queries of a folder for one dialect: shared files, with `<dialect>/` overrides replacing same-named ones."""
    merged: dict[tuple[str, str], Entry] = {}
    for path in [*sorted(folder.glob("*.sql")), *sorted((folder / dialect).glob("*.sql"))]:
        for entry in file_entries(path, dialect, problems):
            merged[(entry.namespace, entry.name)] = entry
    return list(merged.values())


def file_entries(path: Path, dialect: str, problems: list[Problem]) -> list[Entry]:
    text = path.read_text(encoding="utf-8")
    file_lines = text.splitlines()
    try:
        specs = load_file(path, dialect)
    except VestaError as exc:
        match = re.match(r".*?:(\d+):", str(exc))
        problems.append(Problem(display(path), int(match.group(1)) if match else 1, "", f"the loader refuses this file: {exc}"))
        return list(_raw_entries(path, text))
    return [
        Entry(spec.namespace, spec.name, path, spec.line, spec.source_sql, _map_lines(file_lines, spec.line, spec.source_sql))
        for spec in specs
    ]


def _map_lines(file_lines: list[str], header: int, sql: str) -> tuple[int, ...]:
    """Match each line of the loaded SQL to the next file line with the same text (comment lines were dropped)."""
    mapped: list[int] = []
    cursor = header  # 0-based index of the line after the header
    for line in sql.splitlines():
        wanted = line.strip()
        probe = cursor
        while probe < len(file_lines) and file_lines[probe].strip() != wanted:
            probe += 1
        if probe < len(file_lines):
            mapped.append(probe + 1)
            cursor = probe + 1
        else:
            mapped.append(mapped[-1] if mapped else header)
    return tuple(mapped)


def _raw_entries(path: Path, text: str) -> Iterator[Entry]:
    """Split a file the loader refused by its headers; SQL lines are the non-comment lines."""
    lines = text.splitlines()
    headers = [(text.count("\n", 0, m.start()) + 1, m.group(1).replace("-", "_")) for m in _HEADER.finditer(text)]
    for index, (line, name) in enumerate(headers):
        end = headers[index + 1][0] - 1 if index + 1 < len(headers) else len(lines)
        body = [
            (number, lines[number - 1]) for number in range(line + 1, end + 1) if not lines[number - 1].lstrip().startswith("--")
        ]
        yield Entry(path.stem, name, path, line, "\n".join(t for _, t in body), tuple(n for n, _ in body))


def check_entries(entries: Iterable[Entry], dialect: str, tables: Tables, *, package: bool) -> list[Problem]:
    problems: list[Problem] = []
    for entry in entries:
        directory = entry.namespace == DIRECTORY_NAMESPACE
        if directory and not package:
            problems.append(
                Problem(
                    display(entry.file), entry.line, entry.qualified_name, "only the package may define account directory queries"
                )
            )
            continue
        for message, line in check_sql(entry.sql, dialect, tables, directory=directory):
            problems.append(Problem(display(entry.file), entry.file_line(line), entry.qualified_name, message))
    return problems
