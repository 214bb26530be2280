"""What sync and async share: compiled queries, the call-time rules, result shaping, events.

Everything decided per query (SQL for the dialect, the parameter binder, the row
converter) is built here once, at connect time. The drivers run it: they own connections
and pools, the account setting each call sends, and retries, but decide nothing per query.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from .constraint_names import remember_target
from .dialects import Dialect
from .errors import InvalidInputError, TenantScopeError, TransactionAborted, TransactionClosed
from .guard import require_account
from .ids import new_id
from .loader import QuerySpec, load_catalog
from .params import Codec, make_binder
from .programs.driver import AccountMemos, Program, Step, Steps
from .programs.registry import ProgramSpec, programs_for
from .rows import Decoder, RowConverter, build_converter

logger = logging.getLogger("vesta_sql")
debug_enabled = logger.isEnabledFor  # bound once: it is asked on every call
MAX_MEMOS = 10_000  # accounts whose program memos a connection keeps (Steps.memo)


@dataclass(frozen=True, slots=True)
class QueryEvent:
    """What a hook receives after each call: never parameter values (they hold personal data)."""

    query: str
    dialect: str
    duration_s: float
    rows: int
    error: str | None = None


Hook = Callable[[QueryEvent], None]


# The package's clock: aware UTC by construction (a C-level partial: no Python frame per call).
utc_now: Callable[[], datetime] = partial(datetime.now, timezone.utc)


class ResultCursor(Protocol):
    """What `shape` reads of a driver's cursor (sqlite3's, aiosqlite's or psycopg's) after the fetch."""

    @property
    def rowcount(self) -> int: ...

    @property
    def description(self) -> Sequence[Sequence[Any]] | None: ...


VALUE_TYPES: dict[str, Callable[[Any], Any]] = {"bool": bool, "int": int, "float": float, "str": str}


class CompiledQuery:
    """One query ready to run on one dialect."""

    __slots__ = ("spec", "name", "sql", "bind", "op", "_decoders", "_convert", "_many", "_binder_args", "read_only", "_value")

    def __init__(self, spec: QuerySpec, codec: Codec, decoders: Mapping[str, Decoder | None],
                 id_factory: Callable[[], str], clock: Callable[[], datetime]) -> None:
        self.spec = spec
        self.name = spec.qualified_name
        self.sql = spec.sql
        self.op = spec.op
        # The binder is compiled on first use: `connect` stays quick with hundreds of queries.
        self._binder_args = (codec, id_factory, clock)
        self.bind: Callable[[str, Mapping[str, Any]], dict[str, Any]] = self._first_bind
        self._decoders = decoders
        self._convert: RowConverter | None = None
        self._many = spec.op == "many"
        # `$` queries may declare their value's type (`-- returns: bool`): SQLite has no
        # boolean, so without it `exists (…)` would be 0/1 there and True/False on Postgres
        self._value: Callable[[Any], Any] | None = VALUE_TYPES.get(spec.returns or "")
        # a plain select, which a driver may run again when its connection broke under it
        self.read_only = spec.op in ("many", "one", "value") and spec.sql.lstrip().lower().startswith("select")
        if not self.read_only:
            remember_target(self.name, spec.sql)  # for errors that name no table (SQLite's foreign keys)

    def _first_bind(self, account_id: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        codec, id_factory, clock = self._binder_args
        self.bind = bind = make_binder(self.name, self.spec.params, codec, id_factory, clock,
                                       trusted_clock=clock is utc_now)
        return bind(account_id, kwargs)

    def shape(self, rows: Sequence[Sequence[Any]], cursor: ResultCursor) -> Any:
        """The call's result from the fetched rows: records, one record, a value or a count.

        `cursor` (the driver's, after the fetch) is asked for its `rowcount` or its
        `description` only when needed: reading a description costs more than a record.
        """
        convert = self._convert
        if convert is not None:  # the hot path: a record query whose converter is built
            if self._many:
                return [convert(row) for row in rows]
            return convert(rows[0]) if rows else None
        op = self.op
        if op == "count":
            return cursor.rowcount
        if op == "value":
            value = rows[0][0] if rows else None
            return value if value is None or self._value is None else self._value(value)
        description = cursor.description
        if description is None:
            return [] if op == "many" else None
        assert self.spec.record is not None
        convert = self._convert = build_converter(
            self.spec.record, [column[0] for column in description], self._decoders, self.name)
        if op == "many":
            return [convert(row) for row in rows]
        return convert(rows[0]) if rows else None


class Runtime:
    """The loaded, guarded catalogue of one connection, plus hooks."""

    def __init__(self, dialect: Dialect, codec: Codec, *, extra_queries: Sequence[str | Path] | None,
                 clock: Callable[[], datetime] | None, id_factory: Callable[[], str] | None,
                 record_classes: Mapping[str, type] | None = None, prepared_statements: bool = False) -> None:
        self.dialect = dialect.NAME
        self.prepared_statements = prepared_statements
        self._memos = AccountMemos(MAX_MEMOS)  # per account: see Steps.memo
        catalog, directory = load_catalog(dialect.NAME, extra_queries, record_classes)
        make = clock or utc_now
        ids = id_factory or new_id
        decoders: Mapping[str, Decoder | None] = dialect.DECODERS
        self.translate_error: Callable[[Any, str], Exception] = dialect.translate_error
        self.queries = {
            namespace: {name: CompiledQuery(spec, codec, decoders, ids, make) for name, spec in specs.items()}
            for namespace, specs in catalog.items()
        }
        self.directory = {name: CompiledQuery(spec, codec, decoders, ids, make) for name, spec in directory.items()}
        self.programs: dict[tuple[str, str], ProgramSpec] = programs_for(dialect.NAME)
        for namespace, name in self.programs:
            # a dialect's program stands in for the other dialect's single-statement query
            self.queries.get(namespace, {}).pop(name, None)
        self.hooks: list[Hook] = []
        self._namespaces = frozenset(self.queries) | {namespace for namespace, _ in self.programs}

    def namespaces(self) -> frozenset[str]:
        return self._namespaces

    def observing(self) -> bool:
        return bool(self.hooks) or debug_enabled(logging.DEBUG)

    def emit(self, query: str, started: float, result: Any, error: BaseException | None) -> None:
        duration = time.perf_counter() - started
        if isinstance(result, tuple) and result:  # a program's batch: its last statement's rows
            result = result[-1]
        if isinstance(result, list):
            rows = len(result)
        elif isinstance(result, int) and not isinstance(result, bool):
            rows = result  # a row count
        else:
            rows = int(result is not None)
        event = QueryEvent(query, self.dialect, duration, rows, None if error is None else type(error).__name__)
        logger.debug("%s on %s: %.3f ms, %d row(s)%s", query, self.dialect, duration * 1000, rows,
                     f", failed: {event.error}" if error else "")
        for hook in self.hooks:
            try:
                hook(event)
            except Exception:  # a hook's failure must never turn a committed write into an error
                logger.exception("a hook failed after %s (the call's result is returned as usual)", query)

    def directory_lookup(self, kind: str, key: str) -> tuple[CompiledQuery, dict[str, Any]]:
        """The directory's `resolve` query and its validated parameters (it binds no account)."""
        query = self.directory["resolve"]
        params = query.bind("", {"kind": kind, "key": key})
        del params["account_id"]
        return query, params

    def observed(self, name: str, function: Callable[..., Any], *args: Any) -> Any:
        """Run `function(*args)`, emitting an event when anyone listens."""
        if not self.observing():
            return function(*args)
        started, result, error = time.perf_counter(), None, None
        try:
            result = function(*args)
            return result
        except BaseException as exc:
            error = exc
            raise
        finally:
            self.emit(name, started, result, error)

    async def observed_async(self, name: str, function: Callable[..., Any], *args: Any) -> Any:
        if not self.observing():
            return await function(*args)
        started, result, error = time.perf_counter(), None, None
        try:
            result = await function(*args)
            return result
        except BaseException as exc:
            error = exc
            raise
        finally:
            self.emit(name, started, result, error)

    def step_query(self, step: Step) -> CompiledQuery:
        try:
            return self.queries[step.namespace][step.name]
        except KeyError:
            raise InvalidInputError(f"program step names an unknown query {step.namespace}.{step.name}") from None

    def program_writes(self, namespace: str, name: str) -> bool:
        return self.programs[(namespace, name)].write

    def start_program(self, namespace: str, name: str, kwargs: dict[str, Any], account_id: str) -> Program[Any]:
        """The program's generator for one call of `account_id` (its steps see that account's memo only)."""
        steps = Steps(self.prepared_statements, self._memos, account_id)
        try:
            return self.programs[(namespace, name)].start(kwargs, steps)
        except TypeError as exc:
            raise InvalidInputError(f"{namespace}.{name}: {exc}") from None


def bind_rows(query: CompiledQuery, account_id: str, rows: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """Each row of a many-row call, validated as it is reached.

    For `db.<ns>.<query>.many`, which runs in a transaction of its own: the rows are bound
    while the first batches are already being written (on Postgres, pipelined), and a bad
    row raises there and undoes the transaction, so nothing is written either way.
    """
    if query.op != "count":
        raise InvalidInputError(f"{query.name}: only row-count ('!') queries have a many-row form")
    if isinstance(rows, (str, bytes, Mapping)):
        raise InvalidInputError(f"{query.name}.many: rows must be an iterable of parameter mappings")
    try:
        iterator = iter(rows)
    except TypeError:
        raise InvalidInputError(f"{query.name}.many: rows must be an iterable of parameter mappings, "
                                f"got {type(rows).__name__}") from None
    return _bound(query, account_id, iterator)


def _bound(query: CompiledQuery, account_id: str, rows: Iterator[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise InvalidInputError(f"{query.name}.many: row {index} is a {type(row).__name__}, not a mapping")
        if "account_id" in row and row["account_id"] != account_id:
            raise TenantScopeError(f"{query.name}.many: row {index} names another account")
        yield query.bind(account_id, {k: v for k, v in row.items() if k != "account_id"})


def bind_many(query: CompiledQuery, account_id: str, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Validate every row before anything runs (inside a transaction: a bad row must not doom it)."""
    return list(bind_rows(query, account_id, rows))


def account_for_transaction(tx_account: str, kwargs: dict[str, Any], query: str) -> None:
    """Inside a transaction the account is the transaction's; naming another one is refused."""
    given = kwargs.pop("account_id", tx_account)
    if given != tx_account:
        require_account(given)
        raise TenantScopeError(f"{query}: this transaction belongs to another account; a call may not switch accounts")


class TxState:
    """What a transaction knows about itself: open or ended, and the first statement that failed in it.

    Shared by the sync and async transactions and by everything taken from them, so that a
    transaction used after its block, or after one of its statements failed, is refused
    before anything is sent.
    """

    __slots__ = ("account_id", "open", "failed", "statements")

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        self.open = True
        self.failed: str | None = None  # "creators.create (UniqueViolation)"
        self.statements = 0

    def check(self, name: str) -> None:
        if not self.open:
            raise TransactionClosed(
                f"{name}: this transaction's block has ended; nothing was sent. Start a new "
                "`db.transaction(account_id=…)` (a transaction and its namespaces live only inside their block)")
        if self.failed is not None:
            raise TransactionAborted(
                f"{name}: this transaction is doomed: {self.failed} failed in it, so nothing more runs and nothing "
                "will be committed. Leave the block, or wrap statements that may fail in `with tx.savepoint():`")

    def fail(self, name: str, exc: BaseException) -> None:
        if self.failed is None:
            self.failed = f"{name} ({type(exc).__name__})"

    def aborted(self) -> TransactionAborted:
        return TransactionAborted(
            f"transaction rolled back: {self.failed} failed inside it, and nothing was committed "
            "(catching the error does not make the rest of the block commit; use `with tx.savepoint():` for that)")

    def savepoint_aborted(self) -> TransactionAborted:
        return TransactionAborted(
            f"savepoint rolled back: {self.failed} failed inside it; the transaction goes on without the savepoint's work")
