"""The end of `vesta-sql copy`: per table and per account, row counts and a content checksum on both sides."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..checksum import pg_row_hash, row_hasher
from ..db import per_scope
from ..schema_info import ACCOUNT, Table

Tally = dict[str, tuple[int, int]]  # account → (rows, checksum)


@dataclass
class TableCheck:
    table: str
    source_rows: int
    target_rows: int
    mismatched: list[str] = field(default_factory=list)  # accounts whose count or checksum differ

    @property
    def ok(self) -> bool:
        return not self.mismatched


def account_filter(accounts: Sequence[str] | None) -> tuple[str, tuple[Any, ...]]:
    """A SQLite where-clause for a set of accounts (none: every account), as json_each does it on D1."""
    if accounts is None:
        return "", ()
    import json

    return f" where {ACCOUNT} in (select value from json_each(?))", (json.dumps(list(accounts)),)


def source_tally(conn: sqlite3.Connection, table: Table, accounts: Sequence[str] | None) -> Tally:
    columns = [c for c in table.columns]
    hash_row = row_hasher(columns)
    names = ", ".join(f'"{c.name}"' for c in columns)
    where, params = account_filter(accounts)
    position = table.column_names.index(ACCOUNT)
    tally: dict[str, list[int]] = {}
    cursor = conn.execute(f'select {names} from "{table.name}"{where}', params)
    while rows := cursor.fetchmany(5000):
        for row in rows:
            entry = tally.setdefault(row[position], [0, 0])
            entry[0] += 1
            entry[1] += hash_row(row)
    return {account: (n, s) for account, (n, s) in tally.items()}


def target_tally(conn: Any, table: Table, accounts: Sequence[str], bypass: bool) -> Tally:
    sql = (f'select {ACCOUNT}, count(*), coalesce(sum(h::numeric), 0) from '
           f'(select {ACCOUNT}, {pg_row_hash(table.columns)} as h from "{table.name}" where {ACCOUNT} = any(%s)) q '
           f'group by {ACCOUNT}')

    def read(group: list[str]) -> list[tuple[str, int, Any]]:
        return list(conn.execute(sql, (group,)).fetchall())

    return {account: (int(n), int(s)) for account, n, s in per_scope(conn, accounts, bypass, read)}


def verify(source: sqlite3.Connection, target: Any, tables: Sequence[Table], accounts: Sequence[str],
           filtered: bool, bypass: bool) -> list[TableCheck]:
    """Compare every table (the directory included) for `accounts`; `filtered` when not every source account is copied.

    Postgres computes its side while Python hashes the source rows (one thread waits on the server).
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = [pool.submit(target_tally, target, table, accounts, bypass) for table in tables]
        mine = [source_tally(source, table, accounts if filtered else None) for table in tables]
        theirs = [future.result() for future in pending]
    checks = []
    for table, ours, other in zip(tables, mine, theirs, strict=True):
        wrong = sorted(a for a in accounts if ours.get(a, (0, 0)) != other.get(a, (0, 0)))
        checks.append(TableCheck(table.name, sum(n for n, _ in ours.values()), sum(n for n, _ in other.values()), wrong))
    return checks


def format_checks(checks: Sequence[TableCheck]) -> str:
    width = max([len(c.table) for c in checks] + [5])
    lines = [f"{'table':<{width}} {'source rows':>12} {'target rows':>12}  checksum"]
    for check in checks:
        status = "ok" if check.ok else "MISMATCH in " + ", ".join(check.mismatched[:5]) + (
            f" (+{len(check.mismatched) - 5} more)" if len(check.mismatched) > 5 else "")
        lines.append(f"{check.table:<{width}} {check.source_rows:>12,} {check.target_rows:>12,}  {status}")
    return "\n".join(lines)
