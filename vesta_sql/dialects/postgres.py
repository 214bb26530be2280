"""Postgres + pgvector: connection settings, codecs, errors, the account setting each call sends."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Final

import psycopg
from psycopg.abc import AdaptContext
from psycopg.types.datetime import TimestamptzBinaryLoader, TimestamptzLoader
from psycopg.types.json import Jsonb

from .. import constraint_names, errors
from ..config import redact_error
from ..names import SET_ACCOUNT_SQL
from ..rows import Decoder

NAME: Final = "postgres"
# Transaction-local (`true`): the setting lives exactly as long as the transaction of the
# statement it guards, so nothing survives on a connection a pooler hands to someone else.
# Calls send it pipelined with their statement under one Sync (one implicit transaction,
# one round trip); explicit transactions send it first. Row-level security policies read it.
SET_ACCOUNT_AND_TIMEOUT_SQL = (
    SET_ACCOUNT_SQL + ", set_config('statement_timeout', %s, true)")
SET_TIMEOUT_SQL = "select set_config('statement_timeout', %s, true)"

# What a pooler answers when it meets a startup parameter it does not pass on.
_POOLER_REFUSAL = "unsupported startup parameter"


@dataclass(frozen=True, slots=True)
class CallSetup:
    """The statement each call or transaction sends first (nothing rides on startup parameters)."""

    timeout: str | None  # statement_timeout in ms, as set_config wants it

    def scoped(self, account_id: str) -> tuple[str, tuple[str, ...]]:
        if self.timeout is None:
            return SET_ACCOUNT_SQL, (account_id,)
        return SET_ACCOUNT_AND_TIMEOUT_SQL, (account_id, self.timeout)

    def unscoped(self) -> tuple[str, tuple[str, ...]] | None:
        return None if self.timeout is None else (SET_TIMEOUT_SQL, (self.timeout,))


def call_setup(statement_timeout_ms: int | None) -> CallSetup:
    return CallSetup(str(int(statement_timeout_ms)) if statement_timeout_ms else None)


def connection_kwargs(prepared_statements: bool = False) -> dict[str, Any]:
    """No startup `options`: poolers refuse or drop them. No named prepared statements unless
    asked for: a transaction-mode pooler before PgBouncer 1.21 cannot carry them."""
    return {"autocommit": True, "prepare_threshold": 5 if prepared_statements else None}


def connect_failure(exc: BaseException | None, timeout_s: float, url: str) -> errors.OperationalError:
    """The error for a pool that could not open, naming the server's own reason when there is one
    (with the URL's passwords redacted: this text ends up in an app's logs)."""
    if exc is None:
        return errors.OperationalError(f"cannot connect to Postgres within {timeout_s:g} s")
    text = redact_error(exc, url)
    reason = text.splitlines()[-1] if text else type(exc).__name__
    if _POOLER_REFUSAL in str(exc):
        return errors.OperationalError(
            f"cannot connect to Postgres: the server refused a startup parameter ({reason}). This is what a "
            "connection pooler such as PgBouncer says about parameters it does not pass on: vesta-sql sends none "
            "itself, so remove `options` from the URL (or PGOPTIONS from the environment), or set "
            "`ignore_startup_parameters = extra_float_digits,options` in pgbouncer.ini")
    return errors.OperationalError(f"cannot connect to Postgres within {timeout_s:g} s: {reason}")


def _is_utc(conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any]) -> bool:
    zone = conn.info.timezone
    return getattr(zone, "key", str(zone)) in _UTC_NAMES or zone is timezone.utc


_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "UCT", "Etc/UCT", "Zulu", "Etc/Zulu", "Universal", "Etc/Universal"})


class _UtcTimestamptzLoader(TimestamptzLoader):
    """timestamptz as an aware datetime in UTC, whatever the session's TimeZone."""

    def __init__(self, oid: int, context: AdaptContext | None = None) -> None:
        super().__init__(oid, context)
        self._timezone = timezone.utc


class _UtcTimestamptzBinaryLoader(TimestamptzBinaryLoader):
    def __init__(self, oid: int, context: AdaptContext | None = None) -> None:
        super().__init__(oid, context)
        self._timezone = timezone.utc


def _force_utc(conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any]) -> None:
    """Timestamps in UTC without a startup parameter: a pooler may drop `-c TimeZone=UTC`.

    Only a session whose TimeZone is not UTC pays for the slower Python loaders.
    """
    if not _is_utc(conn):
        conn.adapters.register_loader("timestamptz", _UtcTimestamptzLoader)
        conn.adapters.register_loader("timestamptz", _UtcTimestamptzBinaryLoader)


def configure(conn: psycopg.Connection[Any]) -> None:
    from pgvector.psycopg import register_vector

    try:
        register_vector(conn)
    except psycopg.ProgrammingError as exc:
        raise errors.ConfigError("the database has no 'vector' type: run `vesta-sql migrate` first") from exc
    _force_utc(conn)


async def configure_async(conn: psycopg.AsyncConnection[Any]) -> None:
    from pgvector.psycopg import register_vector_async

    try:
        await register_vector_async(conn)
    except psycopg.ProgrammingError as exc:
        raise errors.ConfigError("the database has no 'vector' type: run `vesta-sql migrate` first") from exc
    _force_utc(conn)


def _same(text: str) -> str:
    return text


class PostgresCodec:
    def datetime_in(self, value: datetime) -> Any:
        return value

    def json_text(self, value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)  # refuses NaN, as SQLite does

    def json_bind(self, text: str) -> Any:
        return Jsonb(text, dumps=_same)  # dumped once, by json_text (which also measured it)

    def vector_in(self, value: Any) -> Any:
        return value

    def str_list_in(self, value: list[str]) -> Any:
        return value


def _decode_embedding(value: Any) -> Any:
    """pgvector gives a `Vector`; records hold a read-only float32 array, as on SQLite."""
    import numpy

    array = value.to_numpy() if hasattr(value, "to_numpy") else numpy.asarray(value)
    array = array.astype(numpy.float32, copy=False)
    array.setflags(write=False)
    return array


def _decode_datetime(value: datetime) -> datetime:
    """psycopg's C loader gives the session's zone (`ZoneInfo('Etc/UTC')`); records hold `timezone.utc`,
    the very object SQLite's give (the same instant either way: only `tzinfo ==` / `is` could tell)."""
    return value.astimezone(timezone.utc)


DECODERS: dict[str, Decoder | None] = {"embedding": _decode_embedding, "datetime": _decode_datetime}

_SQLSTATE: dict[str, type[errors.DatabaseError]] = {
    "23505": errors.UniqueViolation,
    "23503": errors.ForeignKeyViolation,
    "23514": errors.CheckViolation,
    "23502": errors.NotNullViolation,
    "57014": errors.QueryTimeout,
}


def _integrity_fields(diag: Any, cls: type[errors.DatabaseError]) -> dict[str, Any]:
    """table / columns / constraint as Postgres reports them (the key's values are never kept)."""
    table = diag.table_name
    if cls is errors.NotNullViolation:
        columns: tuple[str, ...] = (diag.column_name,) if diag.column_name else ()
        default = constraint_names.default_name(table, columns, "not_null") if table and columns else None
        return {"table": table, "columns": columns, "constraint": diag.constraint_name or default}
    columns = constraint_names.key_columns(diag.message_detail) or constraint_names.columns_of(diag.constraint_name)
    return {"table": table, "columns": columns, "constraint": diag.constraint_name}


UNKNOWN_ACCOUNT = "the account is not registered: register it first (db.accounts.register(account_id=…))"


def translate_error(exc: psycopg.Error, query: str) -> errors.VestaError:
    """Our error class for a psycopg error; the message names the constraint, never the values."""
    state = exc.sqlstate or ""
    cls = _SQLSTATE.get(state)
    diag = exc.diag
    if cls is errors.QueryTimeout:
        return cls(f"{query}: statement timeout reached")
    if cls is not None:
        where = ", ".join(part for part in (diag.table_name, diag.constraint_name) if part)
        text = f"{query}: {diag.message_primary} ({where})" if where else f"{query}: {diag.message_primary}"
        if cls is errors.ForeignKeyViolation and (diag.constraint_name or "").endswith("_account_registered"):
            return errors.UnknownAccount(f"{query}: {UNKNOWN_ACCOUNT} ({where})", **_integrity_fields(diag, cls))
        if issubclass(cls, errors.IntegrityError):
            return cls(text, **_integrity_fields(diag, cls))
        return cls(text)
    if state == "42501" and "row-level security" in (diag.message_primary or ""):
        return errors.TenantScopeError(f"{query}: {diag.message_primary}")
    if state.startswith("23") or state == "P0001":
        return errors.IntegrityError(f"{query}: {diag.message_primary}")
    if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
        return errors.OperationalError(f"{query}: {exc}")
    return errors.DatabaseError(f"{query}: {diag.message_primary or exc}")
