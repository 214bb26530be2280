"""Constraint names that read the same on both dialects, for the fields of integrity errors.

Postgres reports a violated constraint's name; SQLite reports only `table.column` lists
(and, for a foreign key, nothing at all). So SQLite names are taken from the schema the
package's SQLite migrations build (a unique index keeps its own name) and, for constraints
written without a name, from Postgres's own default rule (`creators_account_id_slug_key`,
`creators_pkey`, `creators_name_not_null`), which is what Postgres calls the same
constraint. The table a statement writes is remembered per query, for SQLite's bare
foreign-key error.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from dataclasses import dataclass

from .migration_files import forward_files
from .resources import migrations_dir

_NAME_BYTES = 63  # Postgres's NAMEDATALEN - 1
_TARGET = re.compile(r"\b(?:insert\s+(?:or\s+\w+\s+)?into|update(?:\s+or\s+\w+)?|delete\s+from)\s+\"?(\w+)", re.I)
_targets: dict[str, str] = {}


def default_name(table: str, columns: tuple[str, ...], label: str) -> str:
    """Postgres's name for an unnamed constraint: table and columns shortened in turn to fit 63 bytes."""
    addition = "_".join(columns)
    available = _NAME_BYTES - len(label) - 1 - (1 if addition else 0)
    first, second = len(table), len(addition)
    while first + second > available:
        if first > second:
            first -= 1
        else:
            second -= 1
    return "_".join(part for part in (table[:first], addition[:second], label) if part)


@dataclass(frozen=True)
class Keys:
    unique: dict[tuple[str, tuple[str, ...]], str]  # (table, columns) → name of each unique key
    by_name: dict[str, tuple[str, tuple[str, ...]]]  # name → (table, columns) of each unique and foreign key


@functools.lru_cache(maxsize=1)
def schema_keys() -> Keys:
    """The unique and foreign keys of the schema the package's (SQLite) migrations build, named as Postgres names them."""
    keys = Keys({}, {})
    conn = sqlite3.connect(":memory:")
    try:
        for path in forward_files(migrations_dir("sqlite")):
            conn.executescript(path.read_text(encoding="utf-8"))
        tables = [row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")]
        for table in tables:
            for _, index, unique, origin, _partial in conn.execute("select * from pragma_index_list(?)", (table,)):
                if not unique:
                    continue
                columns = tuple(row[2] for row in conn.execute("select * from pragma_index_info(?)", (index,)))
                name = f"{table}_pkey" if origin == "pk" else default_name(table, columns, "key") if origin == "u" else index
                keys.unique.setdefault((table, columns), name)
                keys.by_name.setdefault(name, (table, columns))
            groups: dict[int, list[str]] = {}
            for row in conn.execute("select id, \"from\" from pragma_foreign_key_list(?) order by id, seq", (table,)):
                groups.setdefault(row[0], []).append(row[1])
            for columns_list in groups.values():
                keys.by_name.setdefault(default_name(table, tuple(columns_list), "fkey"), (table, tuple(columns_list)))
    except sqlite3.Error:  # a schema this build cannot replay: fall back to the default rule
        pass
    finally:
        conn.close()
    return keys


def sqlite_unique_name(table: str, columns: tuple[str, ...]) -> str:
    return schema_keys().unique.get((table, columns)) or default_name(table, columns, "key")


def columns_of(constraint: str | None) -> tuple[str, ...]:
    """The columns of a unique or foreign key, by its name (Postgres hides the key in errors under row-level security)."""
    found = schema_keys().by_name.get(constraint or "")
    return found[1] if found else ()


def remember_target(query: str, sql: str) -> None:
    """Note the table a write query writes (SQLite names no table in a foreign-key error)."""
    match = _TARGET.search(sql)
    if match:
        _targets[query] = match.group(1)


def target_of(query: str) -> str | None:
    return _targets.get(query)


def key_columns(detail: str | None) -> tuple[str, ...]:
    """The column list of Postgres's `Key (a, b)=(…) …` detail, without the values."""
    if not detail or not detail.startswith("Key (") or ")=(" not in detail:
        return ()
    return tuple(part.strip() for part in detail[len("Key ("):detail.index(")=(")].split(","))
