"""The schema model: tables with their columns, keys, foreign keys and indexes, and the triggers.

Names are lower-case as each dialect resolves unquoted identifiers. Column types are the
dialect's own names (SQLite's declared type, Postgres's `udt_name` such as int8 or
timestamptz), so the two dialects agree on everything here except those type names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ..names import ACCOUNT_COLUMN

TableKind = Literal["table", "view", "fts5", "fts5-shadow"]
OnDelete = Literal["no action", "restrict", "cascade", "set null", "set default"]


@dataclass(frozen=True)
class Column:
    name: str
    type: str = ""  # "" when unknown (learned from migration text, or SQLite without a declared type)
    not_null: bool = False
    generated: bool = False  # computed by the database, never written


@dataclass(frozen=True)
class UniqueKey:
    """A unique constraint (not the primary key; unique indexes are in `Table.indexes`)."""

    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]  # resolved to the parent's primary key when the migration left them out
    on_delete: OnDelete = "no action"


@dataclass(frozen=True)
class Index:
    """An index made by `create index` (the ones behind primary keys and unique constraints are left out)."""

    name: str
    columns: tuple[str, ...]  # an expression: its text on Postgres ("(embedding::halfvec(384))"), "" on SQLite
    unique: bool = False
    method: str = ""  # Postgres's access method (btree, gin, hnsw, …); "" on SQLite
    partial: bool = False  # has a where clause: covers some rows only


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str


@dataclass(frozen=True)
class Table:
    name: str
    kind: TableKind = "table"
    columns: tuple[Column, ...] = ()
    primary_key: tuple[str, ...] = ()
    uniques: tuple[UniqueKey, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[Index, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def tenant(self) -> bool:
        """A tenant table holds one account's rows per row: it has an account_id column."""
        return any(c.name == ACCOUNT_COLUMN for c in self.columns)

    @property
    def parents(self) -> frozenset[str]:
        """The tables this one references."""
        return frozenset(fk.ref_table for fk in self.foreign_keys)


@dataclass(frozen=True)
class Schema:
    """The tables (and views) of one database, by lower-case name, and its triggers."""

    dialect: str
    tables: Mapping[str, Table] = field(default_factory=dict)
    triggers: tuple[Trigger, ...] = ()

    def get(self, name: str) -> Table | None:
        """By the name as the dialect resolves it (the proof normalises identifiers first)."""
        return self.tables.get(name)

    @property
    def triggered(self) -> frozenset[str]:
        """The tables that carry triggers."""
        return frozenset(t.table for t in self.triggers)


# Bookkeeping of the migration tools, never data: yoyo's tables and wrangler's history.
_TOOL_PREFIXES = ("_yoyo", "yoyo", "d1_migrations", "sqlite_", "_cf_")


def is_tool_table(name: str) -> bool:
    return name.lower().startswith(_TOOL_PREFIXES)
