"""Admin: copy accounts from SQLite (a file, or a `wrangler d1 export` dump) into Postgres.

    vesta-sql copy --from sqlite:///vesta.db --to postgresql://owner@host/vesta [--account ID ...]

1. Checks, before writing anything: both sides reachable, the same applied migrations,
   the same tables and columns, no source key of the account directory owned by another
   account in the target.
2. Tables in foreign-key order (learned from the target). Accounts the target does not
   hold yet are copied in batches with COPY, one transaction per batch. Accounts it
   already holds (a re-run after an interruption) are merged, one transaction per
   account: rows are COPYed into a staging table, inserted with `on conflict do
   nothing`, and every source row then must be in the target with the same content; a
   difference is a conflict, the account is rolled back and the run ends with exit 1.
3. Values are converted by the target's column types: vectors from float32 blobs; ISO
   text, JSON text and 0/1 pass as text that Postgres parses into timestamptz, jsonb and
   boolean. The account directory is not copied: the target's triggers fill it from the
   copied rows, and the verification compares it like any table.
4. Verification: per table and account, row counts and a content checksum on both sides.

Run it as the owner role. A superuser or BYPASSRLS owner copies many accounts per batch
with COPY straight into the tables (the fast path). Any other owner is served one account
at a time, with `vesta.account_id` set per transaction; as Postgres refuses COPY into a
table under row-level security, its batches go through the staging table.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from ...errors import DatabaseError
from ..db import SET_ACCOUNT_LOCAL, open_postgres
from ..progress import Progress
from ..schema_info import ACCOUNT, DIRECTORY, Table
from .plan import Plan, make_plan
from .source import CopySource
from .verify import TableCheck, account_filter, format_checks, verify

BATCH_ROWS = 20_000
MAX_CONFLICTS_SHOWN = 20
BatchHook = Callable[[str, int], None]  # (table, rows committed) after each committed batch


@dataclass(frozen=True)
class Conflict:
    table: str
    account: str
    key: tuple[Any, ...]
    reason: str

    def __str__(self) -> str:
        return f"{self.table} {self.account} key={list(self.key)}: {self.reason}"


@dataclass
class CopyReport:
    accounts: list[str]
    fresh: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    inserted: dict[str, int] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    checks: list[TableCheck] = field(default_factory=list)
    table_seconds: dict[str, float] = field(default_factory=dict)  # fresh accounts' COPY time per table
    copy_seconds: float = 0.0
    verify_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.conflicts and all(check.ok for check in self.checks)

    def summary(self) -> str:
        rows = sum(self.inserted.values())
        rate = rows / self.copy_seconds if self.copy_seconds > 0 else 0.0
        lines = [f"accounts: {len(self.accounts)} ({len(self.fresh)} new, {len(self.merged)} already present: merged)",
                 f"rows inserted: {rows:,} in {self.copy_seconds:.1f} s ({rate:,.0f} rows/s); "
                 f"verified in {self.verify_seconds:.1f} s"]
        if self.conflicts:
            lines.append(f"CONFLICTS: {len(self.conflicts)} (the accounts concerned were not written)")
            lines += [f"  {c}" for c in self.conflicts[:MAX_CONFLICTS_SHOWN]]
        if self.checks:
            lines.append(format_checks(self.checks))
        lines.append("result: " + ("ok" if self.ok else "FAILED"))
        return "\n".join(lines)


class _AccountConflict(Exception):
    """Raised inside an account's transaction to roll it back."""


def _vector_text(blob: Any) -> Any:
    import numpy

    if blob is None or not isinstance(blob, (bytes, bytearray, memoryview)):
        return blob
    return "[" + ",".join(map(repr, numpy.frombuffer(bytes(blob), dtype="<f4").tolist())) + "]"


def _converter(table: Table) -> Callable[[Sequence[Any]], Sequence[Any]] | None:
    """Row conversion for COPY's text format; only vectors need Python (the rest is parsed by Postgres)."""
    vectors = [i for i, c in enumerate(table.columns) if c.kind == "vector"]
    if not vectors:
        return None

    def convert(row: Sequence[Any]) -> Sequence[Any]:
        values = list(row)
        for i in vectors:
            values[i] = _vector_text(values[i])
        return values

    return convert


def _quoted(table: Table) -> str:
    return ", ".join(f'"{c.name}"' for c in table.columns)


def _copy_rows(cursor: Any, target: str, table: Table, rows: Sequence[Sequence[Any]]) -> None:
    convert = _converter(table)
    with cursor.copy(f'copy "{target}" ({_quoted(table)}) from stdin') as copy:
        write = copy.write_row
        if convert is None:
            for row in rows:
                write(row)
        else:
            for row in rows:
                write(convert(row))


def _batches(cursor: Any, size: int, split_accounts: bool, position: int) -> Iterator[list[Any]]:
    """Source rows in batches; under RLS a batch holds one account only."""
    carry: list[Any] = []
    while rows := cursor.fetchmany(size):
        for row in rows:
            if carry and (len(carry) >= size or (split_accounts and row[position] != carry[0][position])):
                yield carry
                carry = []
            carry.append(row)
    if carry:
        yield carry


def _describe(exc: Any) -> str:
    diag = getattr(exc, "diag", None)
    if diag is None:
        return str(exc)
    detail = f" ({diag.message_detail})" if diag.message_detail else ""
    return f"{diag.message_primary}{detail}"


def _copy_fresh(plan: Plan, target: Any, report: CopyReport, batch_rows: int, stream: TextIO | None,
                on_batch: BatchHook | None) -> None:
    """Accounts the target does not hold yet: COPY straight into the tables, one transaction per batch."""
    import psycopg

    where, params = account_filter(None if set(report.fresh) == set(plan.source_accounts) else report.fresh)
    for table in plan.copied:
        position = table.column_names.index(ACCOUNT)
        order = f" order by {ACCOUNT}" if not plan.bypass else ""
        total = plan.source.conn.execute(f'select count(*) from "{table.name}"{where}', params).fetchone()[0]
        bar = Progress(table.name, total, stream=stream)
        started = time.perf_counter()
        cursor = plan.source.conn.execute(f'select {_quoted(table)} from "{table.name}"{where}{order}', params)
        for batch in _batches(cursor, batch_rows, not plan.bypass, position):
            try:
                with target.transaction(), target.cursor() as out:
                    if plan.bypass:
                        _copy_rows(out, table.name, table, batch)
                    else:  # Postgres refuses COPY into a table under row-level security: stage, then insert
                        out.execute(SET_ACCOUNT_LOCAL, (batch[0][position],))
                        stage = _stage(out, table)
                        _copy_rows(out, stage, table, batch)
                        out.execute(f'insert into "{table.name}" ({_quoted(table)}) select {_quoted(table)} from "{stage}"')
            except psycopg.Error as exc:
                raise DatabaseError(f"{table.name}: the copy failed and its batch was rolled back: {_describe(exc)}; "
                                    "earlier batches are kept, run the copy again once the cause is fixed") from None
            report.inserted[table.name] = report.inserted.get(table.name, 0) + len(batch)
            bar.advance(len(batch))
            if on_batch is not None:
                on_batch(table.name, len(batch))
        report.table_seconds[table.name] = time.perf_counter() - started
        bar.finish()


def _stage(out: Any, table: Table) -> str:
    """A session-local staging table with the copied columns' types and no constraints, emptied at each commit."""
    stage = f"vesta_copy_{table.name}"
    out.execute(f'create temp table if not exists "{stage}" on commit delete rows as '
                f'select {_quoted(table)} from "{table.name}" with no data')
    return stage


def _merge_table(plan: Plan, out: Any, table: Table, account: str, batch_rows: int, bar: Progress) -> tuple[int, list[Conflict]]:
    stage = _stage(out, table)
    names = _quoted(table)
    cursor = plan.source.conn.execute(f'select {names} from "{table.name}" where {ACCOUNT} = ?', (account,))
    for batch in _batches(cursor, batch_rows, False, 0):
        _copy_rows(out, stage, table, batch)
        bar.advance(len(batch))
    inserted = out.execute(f'insert into "{table.name}" ({names}) select {names} from "{stage}" '
                           f"on conflict do nothing").rowcount
    key = table.primary_key
    joined = " and ".join(f't."{k}" = s."{k}"' for k in key)

    def value(alias: str, kind: str, name: str) -> str:
        return f'{alias}."{name}"::text' if kind == "json" else f'{alias}."{name}"'

    mine = ", ".join(value("s", c.kind, c.name) for c in table.columns)
    theirs = ", ".join(value("t", c.kind, c.name) for c in table.columns)
    rows = out.execute(
        f'select {", ".join(f"s.{chr(34)}{k}{chr(34)}" for k in key)}, t."{key[0]}" is null from "{stage}" s '
        f'left join "{table.name}" t on {joined} where t."{key[0]}" is null or ({theirs}) is distinct from ({mine}) '
        f"limit {MAX_CONFLICTS_SHOWN}").fetchall()
    out.execute(f'truncate "{stage}"')
    conflicts = [Conflict(table.name, account, tuple(row[:-1]),
                          "its unique values are taken by another row of the target" if row[-1]
                          else "the target holds this key with different content") for row in rows]
    return max(inserted, 0), conflicts


def _copy_merged(plan: Plan, target: Any, report: CopyReport, batch_rows: int, stream: TextIO | None) -> None:
    """Accounts the target already holds: merge each in one transaction, or roll it back on a conflict."""
    import psycopg

    for account in report.merged:
        counts: dict[str, int] = {}
        total = sum(plan.source.conn.execute(f'select count(*) from "{t.name}" where {ACCOUNT} = ?', (account,)).fetchone()[0]
                    for t in plan.copied)
        bar = Progress(f"merge {account}", total, stream=stream)
        try:
            with target.transaction(), target.cursor() as out:
                out.execute(SET_ACCOUNT_LOCAL, (account,))
                for table in plan.copied:
                    try:
                        counts[table.name], conflicts = _merge_table(plan, out, table, account, batch_rows, bar)
                    except psycopg.Error as exc:
                        conflicts = [Conflict(table.name, account, (), _describe(exc))]
                    if conflicts:
                        report.conflicts.extend(conflicts)
                        raise _AccountConflict
        except _AccountConflict:
            continue
        finally:
            bar.finish()
        for name, count in counts.items():
            report.inserted[name] = report.inserted.get(name, 0) + count


def copy(source: str, target: str, *, accounts: Sequence[str] | None = None, batch_rows: int = BATCH_ROWS,
         stream: TextIO | None = None, on_batch: BatchHook | None = None) -> CopyReport:
    """Copy `accounts` (default: every account of the source) and verify; see the module docstring."""
    with CopySource(source) as opened:
        conn = open_postgres(target)
        try:
            plan = make_plan(opened, conn, accounts)
            report = CopyReport(plan.accounts)
            report.conflicts.extend(Conflict(DIRECTORY, a, k, r) for a, k, r in plan.directory_conflicts)
            if report.conflicts:
                return report  # nothing written
            report.fresh = [a for a in plan.accounts if a not in plan.present]
            report.merged = [a for a in plan.accounts if a in plan.present]
            out = stream if stream is not None else sys.stderr
            started = time.perf_counter()
            if report.fresh:
                _copy_fresh(plan, conn, report, batch_rows, out, on_batch)
            if report.merged:
                _copy_merged(plan, conn, report, batch_rows, out)
            report.copy_seconds = time.perf_counter() - started
            filtered = set(plan.accounts) != set(plan.source_accounts)
            report.checks = verify(opened.conn, conn, plan.verified, plan.accounts, filtered, plan.bypass)
            report.verify_seconds = time.perf_counter() - started - report.copy_seconds
            return report
        finally:
            conn.close()


__all__ = ["BATCH_ROWS", "Conflict", "CopyReport", "copy"]
