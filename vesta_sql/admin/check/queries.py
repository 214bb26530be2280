"""Run the tenant-scope proof over query folders, as `connect` runs it, and report every problem at once.

Files are split by the package's one parser and loaded by the loader's own rules; a
query the loader refuses (an unknown record class, a bad declaration) is reported and
still proven, so that one bad query does not hide the others. Only a file the parser
cannot split at all is reported as a whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ...errors import VestaError
from ...guard import DIRECTORY_NAMESPACE
from ...loader import _record_classes, _spec
from ...proof.prover import prove
from ...proof.record import ProofInput
from ...proof.tables import Tables
from ...sqlfile import QueryBlock, SqlSyntaxError, blank_comments, code_binds, parse_file
from .report import Problem, display


@dataclass(frozen=True)
class Entry:
    """One query as the proof reads it: its block and its record class, when the loader knows it."""

    block: QueryBlock
    record: type | None = None

    @property
    def qualified_name(self) -> str:
        return self.block.qualified_name

    @property
    def namespace(self) -> str:
        return self.block.namespace

    @property
    def sql(self) -> str:
        return self.block.sql

    @property
    def file(self) -> Path:
        return self.block.file

    @property
    def line(self) -> int:
        return self.block.line


def check_sql(sql: str, dialect: str, tables: Tables, *, directory: bool = False) -> list[tuple[str, int | None]]:
    """(message, line within `sql`) for everything not proven in one query's SQL."""
    try:
        code = blank_comments(sql, dialect)
        binds = [bind.name for bind in code_binds(code, dialect)]
    except SqlSyntaxError as exc:
        return [(str(exc), None)]
    return [(f.message, f.line) for f in prove(ProofInput(code, binds, directory=directory), dialect, tables)]


def folder_entries(folder: Path, dialect: str, problems: list[Problem],
                   classes: Mapping[str, type] | None = None) -> list[Entry]:
    """The queries of a folder for one dialect: shared files, with `<dialect>/` overrides replacing same-named ones."""
    merged: dict[tuple[str, str], Entry] = {}
    for path in [*sorted(folder.glob("*.sql")), *sorted((folder / dialect).glob("*.sql"))]:
        for entry in file_entries(path, dialect, problems, classes):
            merged[(entry.namespace, entry.block.name)] = entry
    return list(merged.values())


def file_entries(path: Path, dialect: str, problems: list[Problem],
                 classes: Mapping[str, type] | None = None) -> list[Entry]:
    try:
        blocks = parse_file(path, dialect)
    except VestaError as exc:
        problems.append(Problem(display(path), _line_in(str(exc)), "", f"the parser refuses this file: {_after_where(str(exc))}"))
        return []
    classes = classes if classes is not None else _record_classes()
    entries = []
    for block in blocks:
        try:
            spec = _spec(block, dialect, classes)
        except VestaError as exc:
            problems.append(Problem(display(path), block.line, block.qualified_name, _after_where(str(exc))))
            entries.append(Entry(block))
            continue
        entries.append(Entry(block, spec.record))
    return entries


def _line_in(message: str) -> int:
    head = message.split(": ", 1)[0]
    number = head.rsplit(":", 1)[-1]
    return int(number) if number.isdigit() else 1


def _after_where(message: str) -> str:
    """The message without its leading `file:line: query ns.name:` part (the report adds its own)."""
    parts = message.split(": ")
    for index, part in enumerate(parts[:-1]):
        if part.startswith("query ") or part.rsplit(":", 1)[-1].isdigit():
            continue
        return ": ".join(parts[index:])
    return parts[-1]


def check_entries(entries: Iterable[Entry], dialect: str, tables: Tables, *, package: bool) -> list[Problem]:
    problems: list[Problem] = []
    for entry in entries:
        block = entry.block
        directory = block.namespace == DIRECTORY_NAMESPACE
        if directory and not package:
            problems.append(Problem(display(block.file), block.line, block.qualified_name,
                                    "only the package may define account directory queries"))
            continue
        query = ProofInput(block.sql, block.bind_names(), directory=directory, record=entry.record)
        for finding in prove(query, dialect, tables):
            problems.append(Problem(display(block.file), block.file_line(finding.line), block.qualified_name, finding.message))
    return problems
