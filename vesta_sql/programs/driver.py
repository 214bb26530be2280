"""Driving a program: the steps it yields, run one by one by the sync or the async façade.

A program is a generator that yields `Step`s (a query and its parameters) and gets each
step's result back. It may also yield a tuple of steps, a batch: they run in order and it
gets a tuple of their results. On Postgres a batch is sent as one pipeline (one round
trip), so a program that needs no result between two statements yields them together.
It never touches a connection itself, so the same program runs on both dialects, sync and
async. The account comes from the transaction, never from the
program; the steps it may run are the ones its registration declares (`registry.py`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import VestaError

T = TypeVar("T")
Program = Generator["Step | tuple[Step, ...]", Any, T]


class ProgramError(VestaError):
    """A program broke its registration: a step it does not declare, a bad declaration (a bug of the program)."""


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


class AccountMemos:
    """What programs remember per account between calls on one connection (`Steps.memo`).

    Bounded: past `limit` accounts the one used longest ago is forgotten (a memo only saves
    time). A lock, because the threads of a sync `Database` share it."""

    __slots__ = ("_memos", "_lock", "_limit")

    def __init__(self, limit: int) -> None:
        self._memos: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit

    def of(self, account_id: str) -> dict[str, Any]:
        with self._lock:
            memo = self._memos.get(account_id)
            if memo is None:
                memo = self._memos[account_id] = {}
                if len(self._memos) > self._limit:
                    self._memos.popitem(last=False)
            else:
                self._memos.move_to_end(account_id)
            return memo


class Steps:
    """`q.posts.find_by_id(id=…)` builds a step for the program to yield.

    `q.prepared_statements`: whether the connection prepares repeated statements (Postgres'
    `prepared_statements=True`), for a program whose best plan depends on it.

    `q.memo`: what a program remembers about its account between calls on this connection
    (`Database`), to go faster the next time: the same dict for every call of the account,
    none shared with another account. Made on first use. What it holds may be out of date
    when it is read (the search programs keep a size for a minute), so it may only choose
    among answers that are right for the account: its rows alone, none of them missing,
    as search picks the exact scan or the index by the account's size.
    """

    __slots__ = ("prepared_statements", "_memos", "_account_id", "_memo")

    def __init__(self, prepared_statements: bool = False, memos: AccountMemos | None = None,
                 account_id: str = "") -> None:
        self.prepared_statements = prepared_statements
        self._memos, self._account_id = memos, account_id
        self._memo: dict[str, Any] | None = None

    @property
    def memo(self) -> dict[str, Any]:
        if self._memo is None:
            self._memo = {} if self._memos is None else self._memos.of(self._account_id)
        return self._memo

    def __getattr__(self, namespace: str) -> _StepNamespace:
        return _StepNamespace(namespace)


def declared_only(program: str, declared: frozenset[tuple[str, str]], running: Program[T]) -> Program[T]:
    """`running`, refused at the first step it yields that `declared` lacks (before that step runs)."""
    result: Any = None
    while True:
        try:
            step = running.send(result)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        for one in step if isinstance(step, tuple) else (step,):
            if not isinstance(one, Step):
                running.close()
                raise ProgramError(f"program {program} yielded {type(one).__name__}; a program yields a step "
                                   "(`q.namespace.query(…)`) or a tuple of steps")
            if (one.namespace, one.name) not in declared:
                running.close()
                raise ProgramError(f"program {program} ran the step {one.namespace}.{one.name}, which it does not "
                                   "declare; a program runs only the steps its registration lists (steps=…)")
        result = yield step


def drive(program_: Program[T], run: Callable[[Step | tuple[Step, ...]], Any]) -> T:
    """Run a program synchronously, `run` executing each step or batch."""
    result: Any = None
    while True:
        try:
            step = program_.send(result)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        result = run(step)


async def drive_async(program_: Program[T], run: Callable[[Step | tuple[Step, ...]], Awaitable[Any]]) -> T:
    """Run a program with an async `run`; the program itself is the same code."""
    result: Any = None
    while True:
        try:
            step = program_.send(result)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        result = await run(step)
