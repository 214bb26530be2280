"""Postgres + pgvector: connection settings, codecs, errors, the per-connection account."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from .. import constraint_names, errors
from ..rows import Decoder

NAME = "postgres"
# Session-level on purpose: cached per connection so a call whose account is already
# set costs no extra round trip; row-level security policies read it.
SET_ACCOUNT_SQL = "select set_config('vesta.account_id', %s, false)"


def connection_kwargs(statement_timeout_ms: int | None) -> dict[str, Any]:
    options = "-c TimeZone=UTC"
    if statement_timeout_ms:
        options += f" -c statement_timeout={int(statement_timeout_ms)}"
    return {"autocommit": True, "options": options}


def configure(conn: psycopg.Connection[Any]) -> None:
    from pgvector.psycopg import register_vector

    try:
        register_vector(conn)
    except psycopg.ProgrammingError as exc:
        raise errors.ConfigError("the database has no 'vector' type: run `vesta-sql migrate` first") from exc


async def configure_async(conn: psycopg.AsyncConnection[Any]) -> None:
    from pgvector.psycopg import register_vector_async

    try:
        await register_vector_async(conn)
    except psycopg.ProgrammingError as exc:
        raise errors.ConfigError("the database has no 'vector' type: run `vesta-sql migrate` first") from exc


class PostgresCodec:
    def datetime_in(self, value: datetime) -> Any:
        return value

    def json_in(self, value: Any) -> Any:
        import json

        json.dumps(value, allow_nan=False)  # refuse NaN here, as SQLite does
        return Jsonb(value)

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


DECODERS: dict[str, Decoder | None] = {"embedding": _decode_embedding}

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
