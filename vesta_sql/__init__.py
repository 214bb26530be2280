"""vesta-sql: the shared, tenant-guarded database layer (raw SQL files behind a thin façade)."""

from __future__ import annotations

from .connect import connect, connect_async
from .core import QueryEvent
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
    TenantScopeError,
    TransactionAborted,
    TransactionClosed,
    UniqueViolation,
    VestaError,
)
from .facade import Database, Transaction
from .facade_async import AsyncDatabase, AsyncTransaction
from .records import *  # noqa: F403 - the record dataclasses are public API
from .records import __all__ as _record_names

__all__ = [
    "AsyncDatabase", "AsyncTransaction", "CheckViolation", "ConfigError", "Database", "DatabaseError",
    "ForeignKeyViolation", "IntegrityError", "InvalidInputError", "MigrationError", "NotNullViolation",
    "OperationalError", "QueryEvent", "QueryLoadError", "QueryTimeout", "TenantScopeError", "Transaction",
    "TransactionAborted", "TransactionClosed",
    "UniqueViolation", "VestaError", "connect", "connect_async", *_record_names,
]
