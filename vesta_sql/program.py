"""Programs: façade operations made of several queries, run in one transaction.

A program is a generator that yields `Step`s (a query and its parameters) and gets each
step's result back. It never touches a connection itself, so the same program runs on
both dialects, sync and async: the drivers below feed it. The account comes from the
transaction, never from the program.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
Program = Generator["Step", Any, T]
ProgramFunction = Callable[..., "Program[Any]"]

PROGRAMS: dict[tuple[str, str], ProgramFunction] = {}
DIALECT_PROGRAMS: dict[tuple[str, str, str], ProgramFunction] = {}


@dataclass(frozen=True, slots=True)
class Step:
    namespace: str
    name: str
    kwargs: dict[str, Any]


class _StepNamespace:
    __slots__ = ("_namespace",)

    def __init__(self, namespace: str) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> Callable[..., Step]:
        namespace = self._namespace

        def make(**kwargs: Any) -> Step:
            if "account_id" in kwargs:
                raise TypeError("a program's steps take the account from its transaction")
            return Step(namespace, name, kwargs)

        return make


class Steps:
    """`q.posts.find_by_id(id=…)` builds a step for the program to yield."""

    def __getattr__(self, namespace: str) -> _StepNamespace:
        return _StepNamespace(namespace)


def program(
    namespace: str, name: str, *, write: bool = True, dialect: str | None = None
) -> Callable[[ProgramFunction], ProgramFunction]:
    """Register a program as `db.<namespace>.<name>`.

    `write=False` runs it in a read transaction (no write lock on SQLite). A `dialect`
    program exists only there and stands in for a query of the same name that the other
    dialect answers in one SQL statement.
    """

    def register(function: ProgramFunction) -> ProgramFunction:
        function.vesta_write = write  # type: ignore[attr-defined]
        if dialect is None:
            PROGRAMS[(namespace, name)] = function
        else:
            DIALECT_PROGRAMS[(dialect, namespace, name)] = function
        return function

    return register


def writes(function: ProgramFunction) -> bool:
    return bool(getattr(function, "vesta_write", True))


def load_programs() -> dict[tuple[str, str], ProgramFunction]:
    import importlib
    import pkgutil

    from . import programs

    for module in pkgutil.iter_modules(programs.__path__):
        importlib.import_module(f"{programs.__name__}.{module.name}")
    return PROGRAMS


def programs_for(dialect: str) -> dict[tuple[str, str], ProgramFunction]:
    load_programs()
    found = dict(PROGRAMS)
    for (program_dialect, namespace, name), function in DIALECT_PROGRAMS.items():
        if program_dialect == dialect:
            found[(namespace, name)] = function
    return found


def drive(program_: Program[T], run: Callable[[Step], Any]) -> T:
    """Run a program synchronously, `run` executing each step."""
    result: Any = None
    while True:
        try:
            step = program_.send(result)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        result = run(step)


async def drive_async(program_: Program[T], run: Callable[[Step], Awaitable[Any]]) -> T:
    """Run a program with an async `run`; the program itself is the same code."""
    result: Any = None
    while True:
        try:
            step = program_.send(result)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        result = await run(step)
