"""The façade: `db.<namespace>.<query>(account_id=…, …)`, transactions, the directory.

Written once, as the async façade in `facade_async.py`; the sync one, `facade.py`, is
generated from it by `tools/async_to_sync.py`, so no rule can differ between the two.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from logging import DEBUG
from typing import Any, Protocol

from .errors import InvalidInputError
from .guard import DIRECTORY_NAMESPACE, require_account
from .namespace import Namespace, attach_namespaces, build_namespace
from .programs.driver import drive_async
from .runtime import (
    CompiledQuery,
    Hook,
    Runtime,
    TxState,
    account_for_transaction,
    bind_many,
    bind_rows,
    debug_enabled,
)


class AsyncSession(Protocol):
    async def execute(self, query: CompiledQuery, params: dict[str, Any]) -> Any: ...
    async def execute_batch(self, batch: list[tuple[CompiledQuery, dict[str, Any]]]) -> list[Any]: ...
    async def execute_many(self, query: CompiledQuery, rows: Iterable[dict[str, Any]]) -> int: ...
    def savepoint(self) -> AbstractAsyncContextManager[None]: ...


class AsyncDriver(Protocol):
    dialect: str

    async def execute(self, query: CompiledQuery, params: dict[str, Any], account_id: str) -> Any: ...
    async def execute_global(self, query: CompiledQuery, params: dict[str, Any]) -> Any: ...
    def session(self, account_id: str, write: bool) -> Any: ...
    def read_session(self, account_id: str) -> Any: ...
    async def close(self) -> None: ...


def async_query_call(query: CompiledQuery, driver: AsyncDriver, runtime: Runtime) -> Callable[..., Any]:
    """`db.<namespace>.<query>`: checks the account before anything else, then runs the query.

    A plain function rather than an object with `__call__`: this is the per-call hot path
    and calling a function costs less than calling an instance. Its `many` attribute is
    the many-row form.
    """
    execute, hooks, observed, name = driver.execute, runtime.hooks, runtime.observed_async, query.name

    async def call(account_id: Any = None, **kwargs: Any) -> Any:
        # guard.require_account's accepting test, inlined; anything else goes to it (and is refused)
        if (type(account_id) is str and 0 < len(account_id) <= 128 and account_id.isprintable()
                and not account_id[0].isspace() and not account_id[-1].isspace()):
            account: str = account_id
        else:
            account = require_account(account_id)
        params = query.bind(account, kwargs)
        if not hooks and not debug_enabled(DEBUG):
            return await execute(query, params, account)
        return await observed(name, execute, query, params, account)

    async def many(account_id: Any = None, rows: Iterable[Mapping[str, Any]] = ()) -> int:
        """Run this `!` query once per row, in one transaction; returns the total row count."""
        account = require_account(account_id)
        bound = bind_rows(query, account, rows)  # bound as they are written; a bad row undoes the transaction
        async with driver.session(account, True) as session:
            return int(await observed(name, session.execute_many, query, bound))

    call.__name__ = call.__qualname__ = many.__qualname__ = query.spec.name
    call.__doc__ = query.spec.doc or None
    call.many = many  # type: ignore[attr-defined]
    return call


class AsyncProgramCall:
    """A multi-query operation: a writing one runs in one write transaction; a read-only one
    in the driver's read session (on Postgres, one round trip per step or batch)."""

    __slots__ = ("_db", "_namespace", "_name", "__name__")

    def __init__(self, db: AsyncDatabase, namespace: str, name: str) -> None:
        self._db, self._namespace, self._name = db, namespace, name
        self.__name__ = name

    async def __call__(self, account_id: Any = None, **kwargs: Any) -> Any:
        account = require_account(account_id)
        db, namespace, name = self._db, self._namespace, self._name
        runtime = db._runtime
        scope = db.transaction(account_id=account) if runtime.program_writes(namespace, name) else db._reading(account)
        async with scope as tx:
            return await tx._run_program(f"{namespace}.{name}", runtime.start_program(namespace, name, kwargs, account))


class AsyncTxCall:
    """A query or program inside a transaction: the account is the transaction's."""

    __slots__ = ("_tx", "_namespace", "_name", "_query", "__name__")

    def __init__(self, tx: AsyncTransaction, namespace: str, name: str, query: CompiledQuery | None) -> None:
        self._tx, self._namespace, self._name, self._query = tx, namespace, name, query
        self.__name__ = name

    async def __call__(self, **kwargs: Any) -> Any:
        tx, name = self._tx, f"{self._namespace}.{self._name}"
        tx._state.check(name)
        account_for_transaction(tx.account_id, kwargs, name)
        if self._query is None:
            return await tx._run_program(name, tx._runtime.start_program(self._namespace, self._name, kwargs, tx.account_id))
        return await tx._run(self._query, kwargs)

    async def many(self, rows: Iterable[Mapping[str, Any]] = ()) -> int:
        """Run this `!` query once per row inside the transaction; returns the total row count."""
        tx, query = self._tx, self._query
        tx._state.check(f"{self._namespace}.{self._name}.many")
        if query is None:
            raise InvalidInputError(f"{self._namespace}.{self._name} is not a single query")
        bound = bind_many(query, tx.account_id, rows)
        return int(await tx._statement(query.name, tx._session.execute_many, query, bound))


class AsyncTransaction:
    """Several calls of one account in one database transaction (see `Database.transaction` for the rules)."""

    def __init__(self, runtime: Runtime, session: AsyncSession, state: TxState | str) -> None:
        self._runtime, self._session = runtime, session
        self._state = state if isinstance(state, TxState) else TxState(state)
        self.account_id = self._state.account_id

    def __getattr__(self, namespace: str) -> Namespace:
        """`tx.posts`, built on first use: a transaction often uses one namespace of many, or none (a program)."""
        if namespace.startswith("_") or namespace not in self._runtime.namespaces():
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {namespace!r}")
        space = build_namespace(self._runtime, namespace, lambda ns, name, query: AsyncTxCall(self, ns, name, query))
        setattr(self, namespace, space)
        return space

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | self._runtime.namespaces())

    async def _statement(self, name: str, function: Callable[..., Any], *args: Any) -> Any:
        """Run one statement; if it fails, the transaction is doomed."""
        state = self._state
        state.check(name)
        state.statements += 1
        try:
            return await self._runtime.observed_async(name, function, *args)
        except BaseException as exc:
            state.fail(name, exc)
            raise

    async def _run(self, query: CompiledQuery, kwargs: dict[str, Any]) -> Any:
        params = query.bind(self.account_id, kwargs)  # a bad value is refused before anything runs: not a failure
        return await self._statement(query.name, self._session.execute, query, params)

    async def _run_step(self, step: Any) -> Any:
        if not isinstance(step, tuple):
            return await self._run(self._runtime.step_query(step), dict(step.kwargs))
        batch = []
        for one in step:  # every value is checked before anything is sent
            query = self._runtime.step_query(one)
            batch.append((query, query.bind(self.account_id, dict(one.kwargs))))
        name = " + ".join(query.name for query, _ in batch)
        return tuple(await self._statement(name, self._session.execute_batch, batch))

    async def _run_program(self, name: str, program: Any) -> Any:
        state, before = self._state, self._state.statements
        try:
            return await drive_async(program, self._run_step)
        except BaseException as exc:
            if state.statements > before:  # it stopped part way, after writing: its work cannot be kept
                state.fail(name, exc)
            raise

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """`with tx.savepoint():` (`async with` when async) — if the block raises, its work is undone and the
        transaction goes on.

        A statement that fails inside the block and is caught there still undoes the
        savepoint: leaving the block then raises `TransactionAborted`.
        """
        state = self._state
        state.check("savepoint")
        try:
            async with self._session.savepoint():
                yield
                if state.failed is not None:  # a failure caught inside it: rolled back to the savepoint
                    raise state.savepoint_aborted()
        except BaseException:
            if state.open:
                state.failed = None  # rolled back to before the failure: the transaction is usable again
            raise


class AsyncDatabase:
    """A connected façade (see `vesta_sql.connect`, `vesta_sql.connect_async`)."""

    def __init__(self, runtime: Runtime, driver: AsyncDriver) -> None:
        self._runtime, self._driver = runtime, driver
        self.dialect = runtime.dialect
        attach_namespaces(self, runtime, lambda namespace, name, query: (
            AsyncProgramCall(self, namespace, name) if query is None else async_query_call(query, driver, runtime)))

    @asynccontextmanager
    async def transaction(self, account_id: Any = None, *, write: bool = True) -> AsyncIterator[AsyncTransaction]:
        """One transaction for several calls of one account.

        Committed when the block ends normally; rolled back when it raises. A statement
        that failed inside it dooms it even if the error was caught: nothing more runs in
        it, and leaving the block raises `TransactionAborted` (nothing is committed); use
        `tx.savepoint()` around what may fail. After the block the transaction, and every
        namespace taken from it, is dead: using it raises `TransactionClosed`.
        """
        account = require_account(account_id)
        state = TxState(account)
        try:
            async with self._driver.session(account, write) as session:
                yield AsyncTransaction(self._runtime, session, state)
                if state.failed is not None:
                    raise state.aborted()  # inside the session: it rolls back
        finally:
            state.open = False

    @asynccontextmanager
    async def _reading(self, account: str) -> AsyncIterator[AsyncTransaction]:
        """Where a read-only program runs: the driver's read session, with the rules of a transaction."""
        state = TxState(account)
        try:
            async with self._driver.read_session(account) as session:
                yield AsyncTransaction(self._runtime, session, state)
        finally:
            state.open = False

    async def resolve_account(self, kind: str, key: str) -> str | None:
        """The account owning a public key (`smart_link` slug, `stripe_payment_intent`, `sso_org`), or None.

        The one way into an account from outside; it returns nothing but the account id.
        """
        query, params = self._runtime.directory_lookup(kind, key)
        result = await self._driver.execute_global(query, params)
        return None if result is None else str(result)

    def add_hook(self, hook: Hook) -> None:
        """Call `hook(event)` after every query (for metrics or tracing spans)."""
        self._runtime.hooks.append(hook)

    async def close(self) -> None:
        await self._driver.close()

    async def __aenter__(self) -> AsyncDatabase:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<vesta_sql.{type(self).__name__} {self.dialect}: {', '.join(sorted(self._runtime.namespaces()))}>"


__all__ = ["AsyncDatabase", "AsyncTransaction", "DIRECTORY_NAMESPACE", "Namespace"]
