"""Read the schema model from an open SQLite database (its catalog and pragmas)."""

from __future__ import annotations

import re
import sqlite3
from typing import cast

from .model import Column, ForeignKey, Index, OnDelete, Schema, Table, TableKind, Trigger, UniqueKey, is_tool_table

FTS5_SHADOW_SUFFIXES = ("_data", "_idx", "_content", "_docsize", "_config")
_FTS5 = re.compile(r"\busing\s+fts5\b", re.IGNORECASE)
_ON_DELETE = {"no action", "restrict", "cascade", "set null", "set default"}


def read_sqlite(conn: sqlite3.Connection) -> Schema:
    """Every table and view (the migration tools' bookkeeping left out), with their triggers."""
    rows = conn.execute("select name, type, coalesce(sql, '') from sqlite_master where type in ('table', 'view') "
                        "order by name").fetchall()
    rows = [(str(name), str(kind), str(sql)) for name, kind, sql in rows if not is_tool_table(str(name))]
    fts5 = {name.lower() for name, _, sql in rows if _FTS5.search(sql)}
    shadows = {base + suffix for base in fts5 for suffix in FTS5_SHADOW_SUFFIXES}
    tables: dict[str, Table] = {}
    for name, kind, _sql in rows:
        lowered = name.lower()
        label: TableKind = ("fts5" if lowered in fts5 else "fts5-shadow" if lowered in shadows
                            else "view" if kind == "view" else "table")
        tables[lowered] = _table(conn, name, label)
    triggers = tuple(Trigger(str(n).lower(), str(t).lower()) for n, t in conn.execute(
        "select name, tbl_name from sqlite_master where type = 'trigger' order by name"))
    return Schema("sqlite", tables, triggers)


def _table(conn: sqlite3.Connection, name: str, kind: TableKind) -> Table:
    # table_xinfo also lists generated columns (hidden 2 or 3); hidden 1 is a virtual table's own
    info = [row for row in conn.execute("select cid, name, type, \"notnull\", pk, hidden from pragma_table_xinfo(?)",
                                        (name,)) if row[5] != 1]
    columns = tuple(Column(str(n).lower(), str(t or "").lower(), bool(nn), hidden in (2, 3))
                    for _, n, t, nn, _pk, hidden in info)
    key = tuple(str(row[1]).lower() for row in sorted((r for r in info if r[4]), key=lambda r: r[4]))
    if kind == "view":
        return Table(name.lower(), kind, columns)
    uniques: list[UniqueKey] = []
    indexes: list[Index] = []
    for _, index, unique, origin, partial in conn.execute("select * from pragma_index_list(?)", (name,)).fetchall():
        if origin == "pk":
            continue
        cols = tuple(str(r[2]).lower() if r[2] is not None else "" for r in sorted(
            conn.execute("select seqno, cid, name from pragma_index_info(?)", (index,)).fetchall()))
        if origin == "u":
            uniques.append(UniqueKey(str(index), cols))
        else:
            indexes.append(Index(str(index), cols, bool(unique), partial=bool(partial)))
    return Table(name.lower(), kind, columns, key, tuple(sorted(uniques, key=lambda u: u.name)),
                 _foreign_keys(conn, name), tuple(sorted(indexes, key=lambda i: i.name)))


def _foreign_keys(conn: sqlite3.Connection, name: str) -> tuple[ForeignKey, ...]:
    groups: dict[int, list[tuple[int, str, str, str | None, str]]] = {}
    for fk_id, seq, ref, column, to, _update, on_delete, _match in conn.execute(
            "select * from pragma_foreign_key_list(?)", (name,)):
        groups.setdefault(fk_id, []).append((seq, str(ref).lower(), str(column).lower(), to, str(on_delete).lower()))
    keys = []
    for fk_id, rows in sorted(groups.items()):
        rows.sort()
        ref = rows[0][1]
        ref_columns = tuple(str(r[3]).lower() for r in rows if r[3] is not None)
        if not ref_columns:  # references the parent's primary key
            parent = conn.execute("select name, pk from pragma_table_info(?) where pk > 0 order by pk", (ref,)).fetchall()
            ref_columns = tuple(str(n).lower() for n, _ in parent)
        action = rows[0][4] if rows[0][4] in _ON_DELETE else "no action"
        keys.append(ForeignKey(f"foreign key #{fk_id} to {ref}", tuple(r[2] for r in rows), ref, ref_columns,
                               cast(OnDelete, action)))
    return tuple(keys)
