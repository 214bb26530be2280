"""The package's errors: one hierarchy that reads the same on SQLite and Postgres."""

from __future__ import annotations


class VestaError(Exception):
    """Base class of every error raised by vesta-sql."""


class TenantScopeError(VestaError):
    """A query or call is not scoped to exactly one account."""


class InvalidInputError(VestaError, ValueError):
    """A parameter has the wrong type, shape or value; nothing was sent to the database."""


class QueryLoadError(VestaError):
    """A query file could not be loaded (syntax, unknown record class, bad declaration)."""


class MigrationError(VestaError):
    """A migration could not be applied or rolled back; the database is left as it was."""


class ConfigError(VestaError):
    """A URL or environment could not be resolved."""


class SchemaVersionError(VestaError):
    """The database is not at this package's migration version (run `vesta-sql migrate`)."""


class DatabaseError(VestaError):
    """The database refused a statement; the driver's error is chained as ``__cause__``."""


class IntegrityError(DatabaseError):
    """A constraint refused the write.

    `table`, `columns` and `constraint` say which, with the same names on both dialects
    (a form can map `columns` to its fields). SQLite names no more than the table for a
    foreign key (`columns` is empty, `constraint` None there).
    """

    def __init__(self, message: str, *, table: str | None = None, columns: tuple[str, ...] = (),
                 constraint: str | None = None) -> None:
        super().__init__(message)
        self.table = table
        self.columns = columns
        self.constraint = constraint


class UniqueViolation(IntegrityError):
    """A row with the same unique key already exists."""


class ForeignKeyViolation(IntegrityError):
    """A reference to a missing row (or a row of another account)."""


class UnknownAccount(ForeignKeyViolation):
    """A write for an account that is not registered: register it first (`db.accounts.register(account_id=…)`)."""


class CheckViolation(IntegrityError):
    """A value is outside what a CHECK constraint allows."""


class NotNullViolation(IntegrityError):
    """A required column was given no value."""


class OperationalError(DatabaseError):
    """The database could not run the statement (connection lost, locked, busy...)."""


class QueryTimeout(OperationalError):
    """The statement ran longer than the configured statement timeout."""


class TransactionAborted(DatabaseError):
    """A statement failed inside the transaction (or savepoint): it was rolled back, nothing of it was committed."""


class TransactionClosed(VestaError, RuntimeError):
    """A transaction (or a namespace taken from it) was used after its block ended; nothing was sent."""


__all__ = [
    "CheckViolation",
    "ConfigError",
    "DatabaseError",
    "ForeignKeyViolation",
    "IntegrityError",
    "InvalidInputError",
    "MigrationError",
    "NotNullViolation",
    "OperationalError",
    "QueryLoadError",
    "QueryTimeout",
    "SchemaVersionError",
    "TenantScopeError",
    "TransactionAborted",
    "TransactionClosed",
    "UniqueViolation",
    "VestaError",
]
