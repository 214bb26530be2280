"""One description of a database's schema, read from a live SQLite or Postgres database.

`model.py` holds the description (frozen dataclasses); `sqlite.py` and `postgres.py` read it
from an open connection. The proof (which `connect` runs), `vesta-sql check`, `copy` and
account export/delete all read tables, columns, keys, foreign keys, indexes and triggers
from here. The Postgres reader needs no import of psycopg: it is given a connection.
"""

from __future__ import annotations

from .model import Column, ForeignKey, Index, Schema, Table, TableKind, Trigger, UniqueKey

__all__ = ["Column", "ForeignKey", "Index", "Schema", "Table", "TableKind", "Trigger", "UniqueKey"]
