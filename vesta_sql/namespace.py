"""`db.posts`, `tx.posts`: one attribute per query file, one call per query and program (both façades)."""

from __future__ import annotations

from collections.abc import Callable

from .runtime import CompiledQuery, Runtime


class Namespace:
    """`db.posts`: the queries (and programs) of one `.sql` file."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        calls = sorted(key for key in vars(self) if not key.startswith("_"))
        return f"<namespace {self._name}: {', '.join(calls)}>"


MakeCall = Callable[[str, str, CompiledQuery | None], object]


def build_namespace(runtime: Runtime, namespace: str, make_call: MakeCall) -> Namespace:
    """One namespace: one call per query and program of it."""
    space = Namespace(namespace)
    for name, query in runtime.queries.get(namespace, {}).items():
        setattr(space, name, make_call(namespace, name, query))
    for program_namespace, name in runtime.programs:
        if program_namespace == namespace:
            setattr(space, name, make_call(namespace, name, None))
    return space


def attach_namespaces(owner: object, runtime: Runtime, make_call: MakeCall) -> None:
    """Give `owner` one attribute per namespace, holding one call per query and program."""
    for namespace in runtime.namespaces():
        setattr(owner, namespace, build_namespace(runtime, namespace, make_call))
