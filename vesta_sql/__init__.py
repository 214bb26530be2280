"""vesta-sql: the shared, tenant-guarded database layer (raw SQL files behind a thin façade)."""

from __future__ import annotations

from .connect import connect, connect_async
from .errors import (
    CheckViolation,
    ConfigError,
    DatabaseError,
    ForeignKeyViolation,
    IntegrityError,
    InvalidInputError,
    MigrationError,
    NotNullViolation,
    OperationalError,
    QueryLoadError,
    QueryTimeout,
    SchemaVersionError,
    TenantScopeError,
    TransactionAborted,
    TransactionClosed,
    UniqueViolation,
    UnknownAccount,
    VestaError,
)
from .facade import Database, Transaction
from .facade_async import AsyncDatabase, AsyncTransaction
from .json_ready import jsonable
from .records import *  # noqa: F403 - the record dataclasses are public API
from .records import __all__ as _record_names
from .runtime import QueryEvent

__all__ = [
    "AsyncDatabase", "AsyncTransaction", "CheckViolation", "ConfigError", "Database", "DatabaseError",
    "ForeignKeyViolation", "IntegrityError", "InvalidInputError", "MigrationError", "NotNullViolation",
    "OperationalError", "QueryEvent", "QueryLoadError", "QueryTimeout", "SchemaVersionError", "TenantScopeError", "Transaction",
    "TransactionAborted", "TransactionClosed",
    "UniqueViolation", "UnknownAccount", "VestaError", "connect", "connect_async", "jsonable", *_record_names,
]
