"""The programs registry: each program's metadata is explicit, its steps exist, and it runs no other step."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest

from vesta_sql.loader import load_catalog
from vesta_sql.programs import registry
from vesta_sql.programs.driver import ProgramError, Step, declared_only, drive
from vesta_sql.resources import DIALECTS

from .test_collections import make_collection, order


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_declared_step_is_a_query_of_the_dialect(dialect: str) -> None:
    assert registry.missing_steps(dialect, load_catalog(dialect)[0]) == []


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_program_declares_exactly_the_steps_it_writes(dialect: str) -> None:
    """The declaration is the truth the runtime enforces; here it is compared with each program's own text, once."""
    for (namespace, name), spec in registry.programs_for(dialect).items():
        module = inspect.getmodule(spec.function)
        assert module is not None
        text = inspect.getsource(module)
        written = {step for step in spec.steps if f"q.{step[0]}.{step[1]}(" in text}
        assert written == spec.steps, f"{namespace}.{name} declares steps its module never runs"


def test_the_metadata_says_read_or_write_and_the_dialects() -> None:
    sqlite, postgres = registry.programs_for("sqlite"), registry.programs_for("postgres")
    assert not sqlite[("posts", "search_similar")].write and sqlite[("posts", "search_similar")].dialects == ("sqlite",)
    assert postgres[("posts", "search_hybrid")].dialects == ("postgres",)
    assert sqlite[("payment_shares", "split")] is postgres[("payment_shares", "split")]
    assert sqlite[("payment_shares", "split")].write
    assert ("posts", "search_vectors") in registry.dialect_steps("sqlite")
    assert ("posts", "search_vectors") not in registry.dialect_steps("postgres")


def test_a_declared_step_the_catalogue_lacks_is_named() -> None:
    spec = registry.programs_for("sqlite")[("purchase_codes", "create_batch")]
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(registry._REGISTRY, ("sqlite", "purchase_codes", "create_batch"),
                      dataclasses.replace(spec, steps=spec.steps | {("purchase_codes", "no_such_query")}))
        problems = registry.missing_steps("sqlite", load_catalog("sqlite")[0])
    assert problems == ["program purchase_codes.create_batch (sqlite) declares the step purchase_codes.no_such_query, "
                        "which is not a query of sqlite's catalogue"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"write": "yes", "dialects": ("sqlite",), "steps": ("a.b",)}, "write must be True or False"),
    ({"write": True, "dialects": ("sqlite", "oracle"), "steps": ("a.b",)}, "dialects must name"),
    ({"write": True, "dialects": ("sqlite",), "steps": ()}, "declares the steps"),
    ({"write": True, "dialects": ("sqlite",), "steps": ("find_by_id",)}, "'namespace.query'"),
])
def test_a_bad_registration_is_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ProgramError, match=message):
        registry.program("widgets", "make", **kwargs)


def test_a_program_registered_twice_is_refused() -> None:
    spec = registry.programs_for("sqlite")[("purchase_codes", "create_batch")]

    def other(q: Any, **kwargs: Any) -> Any:
        yield from ()

    register = registry.program("purchase_codes", "create_batch", write=True, dialects=("sqlite",),
                                steps=("purchase_codes.create",))
    with pytest.raises(ProgramError, match="registered twice for sqlite"):
        register(other)
    assert registry.programs_for("sqlite")[("purchase_codes", "create_batch")] is spec


def test_the_runtime_refuses_a_step_the_program_does_not_declare(
    db: Any, acct: str, uniq: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`remove_item` without `collections.lift_positions` among its steps: refused once it reaches that step, after
    its delete ran; the transaction is undone, so the collection is as it was."""
    collection, posts = make_collection(db, acct, uniq, items=3)
    item = db.collections.list_items(account_id=acct, collection_id=collection.id)[0]
    key = ("collections", "remove_item")
    spec = db._runtime.programs[key]
    monkeypatch.setitem(db._runtime.programs, key,
                        dataclasses.replace(spec, steps=spec.steps - {("collections", "lift_positions")}))
    with pytest.raises(ProgramError, match=r"collections\.remove_item ran the step collections\.lift_positions, "
                                           r"which it does not declare"):
        db.collections.remove_item(account_id=acct, collection_id=collection.id, item_id=item.id)
    monkeypatch.undo()
    assert order(db, acct, collection.id) == posts
    assert db.collections.remove_item(account_id=acct, collection_id=collection.id, item_id=item.id) is True
    assert order(db, acct, collection.id) == posts[1:]


def test_a_step_made_by_hand_is_checked_too() -> None:
    """The check is on what the program yields, not on how it built it; the program is closed when refused."""
    closed: list[bool] = []

    def sneaky() -> Any:
        try:
            yield Step("collections", "find_item", {})
            yield Step("collections", "delete_item", {"id": "x"})
        finally:
            closed.append(True)

    ran: list[str] = []
    checked = declared_only("collections.peek", frozenset({("collections", "find_item")}), sneaky())
    with pytest.raises(ProgramError, match=r"collections\.peek ran the step collections\.delete_item"):
        drive(checked, lambda step: ran.append(step.name if isinstance(step, Step) else "batch"))
    assert ran == ["find_item"] and closed == [True]
