"""The checks `vesta-sql copy` makes before it writes anything, and what it learns from them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ...errors import ConfigError
from ..db import per_scope
from ..schema_info import (
    ACCOUNT,
    DIRECTORY,
    SchemaError,
    Table,
    fk_order,
    pg_bypasses_rls,
    pg_migrations,
    pg_tables,
    sqlite_migrations,
    sqlite_tables,
)
from .source import CopySource


@dataclass
class Plan:
    source: CopySource
    bypass: bool
    copied: list[Table]  # target tables in foreign-key order, the directory left out
    verified: list[Table]  # the same, plus the directory
    source_accounts: list[str]
    accounts: list[str]  # the ones to copy
    present: set[str] = field(default_factory=set)  # of those, the ones the target already holds
    directory_conflicts: list[tuple[str, tuple[str, str], str]] = field(default_factory=list)


def check_versions(source: CopySource, target: Any) -> None:
    mine = sqlite_migrations(source.conn)
    theirs = pg_migrations(target)
    if mine is None:
        raise SchemaError(f"{source.path}: no migration history (neither yoyo's _yoyo_migration nor wrangler's d1_migrations)")
    if theirs is None:
        raise SchemaError("the target has no migrations applied: run `vesta-sql migrate --url <target>` first")
    if mine != theirs:
        parts = []
        if mine - theirs:
            parts.append("only in the source: " + ", ".join(sorted(mine - theirs)))
        if theirs - mine:
            parts.append("only in the target: " + ", ".join(sorted(theirs - mine)))
        raise SchemaError("the source and the target are at different schema versions (" + "; ".join(parts)
                          + "): migrate the one behind to the same version, then copy")


def check_tables(source: CopySource, target: dict[str, Table]) -> list[Table]:
    """The target's tables in foreign-key order, once both sides are known to hold the same columns."""
    mine = sqlite_tables(source.conn)
    unknown = sorted(set(mine) - set(target))
    if unknown:
        raise SchemaError(f"the source has tables the target does not know: {', '.join(unknown)}")
    missing = sorted(set(target) - set(mine))
    if missing:
        raise SchemaError(f"the target has tables the source lacks: {', '.join(missing)}")
    for name, table in target.items():
        ours, theirs = set(mine[name].column_names), set(table.column_names)
        if ours != theirs:
            raise SchemaError(f"{name}: columns differ (only in the source: {sorted(ours - theirs)}, "
                              f"only in the target: {sorted(theirs - ours)})")
        if not table.tenant:
            raise SchemaError(f"{name}: has no {ACCOUNT} column, so it cannot be copied by account")
        if not table.primary_key:
            raise SchemaError(f"{name}: has no primary key in the target")
    return fk_order(target.values())


def _source_accounts(source: CopySource, tables: Sequence[Table]) -> list[str]:
    found: set[str] = set()
    for table in tables:
        if table.name != DIRECTORY:
            found |= {row[0] for row in source.conn.execute(f'select distinct {ACCOUNT} from "{table.name}"')}
    return sorted(found)


def _present(target: Any, tables: Sequence[Table], accounts: Sequence[str], bypass: bool) -> set[str]:
    def read(group: list[str]) -> list[str]:
        found: set[str] = set()
        for table in tables:
            rows = target.execute(f'select distinct {ACCOUNT} from "{table.name}" where {ACCOUNT} = any(%s)', (group,))
            found |= {row[0] for row in rows}
        return sorted(found)

    return set(per_scope(target, accounts, bypass, read))


def _directory_conflicts(source: CopySource, target: Any, accounts: Sequence[str]) -> list[tuple[str, tuple[str, str], str]]:
    rows = source.conn.execute(f"select kind, key, {ACCOUNT} from {DIRECTORY} where {ACCOUNT} in "
                               "(select value from json_each(?))", (json.dumps(list(accounts)),)).fetchall()
    if not rows:
        return []
    owners = {(kind, key): account for kind, key, account in target.execute(
        f"select d.kind, d.key, d.{ACCOUNT} from {DIRECTORY} d "
        "join unnest(%s::text[], %s::text[]) k(kind, key) on d.kind = k.kind and d.key = k.key",
        ([r[0] for r in rows], [r[1] for r in rows])).fetchall()}
    return [(account, (kind, key), f"the target's directory gives this key to another account ({owners[(kind, key)]})")
            for kind, key, account in rows if owners.get((kind, key), account) != account]


def make_plan(source: CopySource, target: Any, accounts: Sequence[str] | None) -> Plan:
    check_versions(source, target)
    tables = check_tables(source, pg_tables(target))
    copied = [t for t in tables if t.name != DIRECTORY]
    everyone = _source_accounts(source, copied)
    if accounts:
        chosen = sorted(set(accounts))
        unknown = [a for a in chosen if a not in set(everyone)]
        if unknown:
            raise ConfigError(f"no rows in the source for account(s): {', '.join(unknown)}")
    else:
        chosen = everyone
    bypass = pg_bypasses_rls(target)
    plan = Plan(source, bypass, copied, tables, everyone, chosen)
    plan.present = _present(target, tables, chosen, bypass)
    if any(t.name == DIRECTORY for t in tables) and chosen:
        plan.directory_conflicts = _directory_conflicts(source, target, chosen)
    return plan
