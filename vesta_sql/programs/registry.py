"""The programs registry: every multi-query façade operation, with what it may do said up front.

A program registers as `db.<namespace>.<name>` with explicit metadata: whether it writes
(a read runs in a read transaction, with no write lock on SQLite), the dialects it serves
(a one-dialect program stands in for a query of the same name that the other dialect
answers in one statement), and the queries it may run as steps (`"namespace.name"`). The
runtime refuses any other step; the stub generator and the tests read the steps from here,
and `missing_steps` checks them against a dialect's catalogue.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ..resources import DIALECTS
from .driver import Program, ProgramError, Steps, declared_only

ProgramFunction = Callable[..., Program[Any]]
R = TypeVar("R", bound=type)
_STEP = re.compile(r"([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)")


@dataclass(frozen=True, slots=True)
class ProgramSpec:
    """One registered program on the dialects it serves."""

    namespace: str
    name: str
    write: bool
    dialects: tuple[str, ...]
    steps: frozenset[tuple[str, str]]
    function: ProgramFunction

    @property
    def qualified_name(self) -> str:
        return f"{self.namespace}.{self.name}"

    def start(self, kwargs: Mapping[str, Any], steps: Steps | None = None) -> Program[Any]:
        """The program's generator, refused at any step it does not declare; nothing has run yet.

        `steps`: what the program sees of its connection and account (a fresh `Steps()` when none)."""
        return declared_only(self.qualified_name, self.steps, self.function(steps or Steps(), **kwargs))


_REGISTRY: dict[tuple[str, str, str], ProgramSpec] = {}  # (dialect, namespace, name)
_RECORDS: dict[str, type] = {}


def program(namespace: str, name: str, *, write: bool, dialects: Sequence[str],
            steps: Iterable[str]) -> Callable[[ProgramFunction], ProgramFunction]:
    """Register a program as `db.<namespace>.<name>`: read or write, its dialects, the steps (queries) it may run."""
    where = f"program {namespace}.{name}"
    if type(write) is not bool:
        raise ProgramError(f"{where}: write must be True or False, got {write!r}")
    unknown = sorted(set(dialects) - set(DIALECTS))
    if not dialects or unknown:
        raise ProgramError(f"{where}: dialects must name some of {', '.join(DIALECTS)}, got {list(dialects)!r}")
    declared = set()
    for step in [steps] if isinstance(steps, str) else steps:
        match = _STEP.fullmatch(step)
        if match is None:
            raise ProgramError(f"{where}: a step is written 'namespace.query', got {step!r}")
        declared.add((match[1], match[2]))
    if not declared:
        raise ProgramError(f"{where}: a program declares the steps it runs (steps=…)")

    def register(function: ProgramFunction) -> ProgramFunction:
        spec = ProgramSpec(namespace, name, write, tuple(dialects), frozenset(declared), function)
        for dialect in spec.dialects:
            existing = _REGISTRY.setdefault((dialect, namespace, name), spec)
            if existing.function is not function:
                raise ProgramError(f"{where} is registered twice for {dialect} "
                                   f"({existing.function.__module__} and {function.__module__})")
        return function

    return register


def step_record(cls: R) -> R:
    """Register a record class that only a program's step returns: the loader knows it, the public API does not."""
    _RECORDS.setdefault(cls.__name__, cls)
    if _RECORDS[cls.__name__] is not cls:
        raise ProgramError(f"two step records are named {cls.__name__}")
    return cls


def load_programs() -> None:
    """Import every domain module of `vesta_sql.programs`, which registers its programs."""
    from .. import programs

    for module in pkgutil.iter_modules(programs.__path__):
        importlib.import_module(f"{programs.__name__}.{module.name}")


def programs_for(dialect: str) -> dict[tuple[str, str], ProgramSpec]:
    """The programs `dialect` runs, by (namespace, name)."""
    load_programs()
    return {(namespace, name): spec for (owner, namespace, name), spec in sorted(_REGISTRY.items()) if owner == dialect}


def step_records() -> dict[str, type]:
    """The record classes of the programs' steps, by name (not part of `vesta_sql.records`)."""
    load_programs()
    return dict(_RECORDS)


def dialect_steps(dialect: str) -> set[tuple[str, str]]:
    """Every (namespace, query) that `dialect`'s programs declare as a step."""
    return {step for spec in programs_for(dialect).values() for step in spec.steps}


def missing_steps(dialect: str, catalog: Mapping[str, Mapping[str, object]]) -> list[str]:
    """A line per declared step that `dialect`'s catalogue does not define as a query (a program is no step)."""
    programs = programs_for(dialect)
    problems = []
    for (namespace, name), spec in programs.items():
        for step in sorted(spec.steps):
            if step in programs or step[1] not in catalog.get(step[0], {}):
                problems.append(f"program {namespace}.{name} ({dialect}) declares the step {'.'.join(step)}, "
                                f"which is not a query of {dialect}'s catalogue")
    return problems
