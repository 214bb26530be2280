"""What `vesta-sql check` found, and how it is printed: one line per problem, `file:line: query: what`."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    query: str  # qualified query name, or "" for file- and schema-level problems
    message: str
    severity: str = "error"  # "error" fails the check; "info" is printed as a note

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file else ""
        note = "note: " if self.severity == "info" else ""
        return f"{where}{note}{self.query + ': ' if self.query else ''}{self.message}"


@dataclass
class CheckResult:
    problems: list[Problem] = field(default_factory=list)
    queries: dict[str, int] = field(default_factory=dict)  # dialect -> number of queries checked
    schemas: dict[str, str] = field(default_factory=dict)  # dialect -> "checked" or why not

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def notes(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "info"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def lines(self) -> list[str]:
        """Errors first, then notes, then one summary line."""
        out = [str(p) for p in sorted(self.errors)] + [str(p) for p in sorted(self.notes)]
        checked = ", ".join(f"{count} {dialect}" for dialect, count in self.queries.items())
        schemas = "; ".join(f"{dialect}: {state}" for dialect, state in self.schemas.items())
        if self.ok:
            out.append(f"vesta-sql check: ok: every query is scoped to one account ({checked} queries); schema {schemas}")
        else:
            out.append(f"vesta-sql check: {len(self.errors)} problem(s) ({checked} queries checked; schema {schemas})")
        return out


def merge_dialects(found: dict[str, list[Problem]]) -> list[Problem]:
    """One line per problem; a problem seen in only some of the dialects checked says which."""
    seen: dict[Problem, list[str]] = {}
    for dialect, problems in found.items():
        for problem in problems:
            dialects = seen.setdefault(problem, [])
            if dialect not in dialects:
                dialects.append(dialect)
    merged = []
    for problem, dialects in seen.items():
        if len(found) > 1 and len(dialects) < len(found):
            problem = Problem(
                problem.file, problem.line, problem.query, f"{problem.message} [{', '.join(dialects)}]", problem.severity
            )
        merged.append(problem)
    return sorted(merged)


def display(path: Path) -> str:
    """A path relative to the working directory when it lies below it."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd().resolve()) else str(path)
    except ValueError:
        return str(path)


def count(problems: Iterable[Problem]) -> int:
    return sum(1 for p in problems if p.severity == "error")
