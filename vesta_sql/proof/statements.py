"""Walks a parsed statement (SELECT, set operations, CTEs, INSERT, UPDATE, DELETE, MERGE) and collects what it cannot
prove scoped.

The rules of the proof live in `scope.py`; `reads.py` applies them to every SELECT scope,
subquery, CTE and set-operation branch; this module dispatches and adds the write rules: an INSERT puts
`:account_id` (or a scoped `account_id`) into `account_id`, an UPDATE or DELETE scopes its
target in its WHERE, and nothing ever assigns `account_id` (UPDATE … SET, ON CONFLICT DO UPDATE SET).
"""

from __future__ import annotations

from sqlglot import exp

from ..names import DELETION_PERMITS_TABLE
from .reads import Branch, Item, ReadAnalyzer, _from_items
from .scope import (
    QUERIES,
    STATEMENTS,
    Finding,
    RowSource,
    Scope,
    column_list,
    describe,
    is_account_column,
    is_bind,
    is_scoped_value,
    sql_text,
    table_source,
    unwrap,
    why_not,
)
from .tables import ACCOUNT, DIRECTORY_TABLE, Tables


class Analyzer(ReadAnalyzer):
    """The reads' analyser plus the write rules; `check()` is the entry point."""

    def statement(self, node: exp.Expression, outer: Scope | None, ctes: dict[str, RowSource]) -> list[Branch]:
        while isinstance(node, exp.Subquery):
            node = node.this
        if isinstance(node, QUERIES):
            return self.query(node, outer, ctes)
        if isinstance(node, exp.Insert):
            self.insert(node, outer, self.with_(node, outer, ctes))
        elif isinstance(node, exp.Update | exp.Delete):
            self.update_or_delete(node, outer, self.with_(node, outer, ctes))
        elif isinstance(node, exp.Merge):
            self.merge(node, outer, self.with_(node, outer, ctes))
        elif isinstance(node, exp.Values):
            self.nested(node, outer, ctes)
        else:
            self.report(f"cannot analyse a {node.key} statement: only select, insert, update, delete and merge are proven", node)
        return []

    # -- writes --------------------------------------------------------------------------------

    def write_target(self, verb: str, table: exp.Table) -> RowSource:
        """The source a write changes; account_directory is written by the database's triggers alone."""
        source, problem = table_source(self.tables, {}, table)
        if problem:
            self.report(problem, table)
        if source.name == DIRECTORY_TABLE:
            self.report(f"{verb} of {DIRECTORY_TABLE}: only the database's own triggers write the account directory", table)
        if source.name == DELETION_PERMITS_TABLE:
            self.report(f"{verb} of {DELETION_PERMITS_TABLE}: only `vesta-sql account delete` writes it (a row there lets "
                        "the account's append-only payment system log be deleted)", table)
        info = self.tables.get(source.name)
        if info is not None and info.kind == "fts5":
            self.report(f"{verb} of the FTS5 index {source.name}: the database's triggers keep it (and a command row such as "
                        "'rank' or 'rebuild' would change it for every account)", table)
        if column_list(table) is not None:
            self.report(f"{describe(source)} renames its columns with a column list: the proof cannot follow that", table)
        return source

    def conflict_policy(self, verb: str, node: exp.Expression, source: RowSource) -> None:
        """SQLite's `insert or …` / `update or …`: the policy also overrides the triggers' own statements."""
        alternative = str(node.args.get("alternative") or "").lower()
        if not alternative:
            return
        if alternative == "replace":
            self.report(
                f"{verb} or replace on {source.name}: replace deletes whichever row conflicts, in any table its triggers "
                "write (the account directory included); use on conflict (account_id, …) do update", node)
        elif source.name in self.tables.triggered:
            self.report(
                f"{verb} or {alternative} on {source.name}, which has triggers: the policy would override the triggers' "
                "own conflict handling; use on conflict (account_id, …) instead", node)

    def insert(self, node: exp.Insert, outer: Scope | None, ctes: dict[str, RowSource]) -> None:
        target = node.this
        columns = [c.name for c in target.expressions] if isinstance(target, exp.Schema) else None
        table = target.this if isinstance(target, exp.Schema) else target
        if not isinstance(table, exp.Table):
            self.report("cannot tell which table this insert writes", node)
            return
        source = self.write_target("insert", table)
        self.conflict_policy("insert", node, source)
        source_rows = node.expression
        if source.kind != "tenant":
            self.nested(source_rows, outer, ctes)
            return
        index = self.account_index(source, columns, table, "insert into")
        if isinstance(source_rows, exp.Values):
            self.values_rows(source.name, source_rows, index, table)
            self.nested(source_rows, outer, ctes)
        elif source_rows is None:
            self.report(f"insert into {source.name} has no rows to check (default values?)", table)
        else:
            self._context.append(f"insert into {source.name} … select")
            try:
                branches = self.statement(source_rows, outer, ctes)
            finally:
                self._context.pop()
            for select, scope in branches:
                self._check_projection(source.name, select, scope, index)
        written = Scope({source.alias: source, "excluded": RowSource("excluded", "excluded", "plain", True)}, parent=outer)
        written.constrained |= set(written.sources)
        conflict = node.args.get("conflict")
        if isinstance(conflict, exp.OnConflict):
            self.on_conflict(source, conflict)
            self.nested(conflict, written, ctes)
        self.nested(node.args.get("returning"), written, ctes)

    def account_index(self, source: RowSource, columns: list[str] | None, node: exp.Expression, verb: str) -> int | None:
        if columns is None:
            self.report(f"{verb} {source.name} names no columns: cannot see what goes into {ACCOUNT}", node)
            return None
        if columns.count(ACCOUNT) != 1:
            self.report(f"{verb} {source.name} does not set {ACCOUNT} exactly once", node)
            return None
        return columns.index(ACCOUNT)

    def values_rows(self, table: str, rows: exp.Values, index: int | None, node: exp.Expression) -> None:
        for row in rows.expressions:
            values = row.expressions if isinstance(row, exp.Tuple) else [row]
            if index is not None and (index >= len(values) or not is_bind(values[index])):
                shown = sql_text(values[index]) if index < len(values) else "nothing"
                self.report(f"insert into {table} puts {shown} into {ACCOUNT} instead of :{ACCOUNT}", node)

    def on_conflict(self, source: RowSource, conflict: exp.OnConflict) -> None:
        """An upsert may only meet the account's own rows, and never moves one to another account."""
        action = str(conflict.args.get("action") or "").upper()
        keys = [unwrap(k.this if isinstance(k, exp.Ordered) else k) for k in conflict.args.get("conflict_keys") or []]
        if "UPDATE" in action:
            if conflict.args.get("constraint") is not None:
                self.report(f"upsert into {source.name}: name the conflict columns, account_id first, not a constraint", conflict)
            elif not any(is_account_column(k) for k in keys):
                self.report(
                    f"upsert into {source.name}: its conflict target does not include {ACCOUNT}, so the row it updates "
                    "may not be the account's", conflict)
        self.assignments(f"upsert into {source.name}: do update sets", conflict.expressions or [])

    def assignments(self, what: str, assignments: list[exp.Expression]) -> None:
        for assignment in assignments:
            if not isinstance(assignment, exp.EQ):
                continue
            target = unwrap(assignment.this)
            targets = target.expressions if isinstance(target, exp.Tuple) else [target]
            if any(is_account_column(t) for t in targets):
                self.report(f"{what} {ACCOUNT} (rows never change account)", assignment)

    def _check_projection(self, table: str, select: exp.Select, scope: Scope, index: int | None) -> None:
        if index is None:
            return
        projections = select.expressions
        if index >= len(projections) or any(isinstance(p, exp.Star) or isinstance(p.this, exp.Star) for p in projections):
            self.report(f"insert into {table} … select: cannot tell which selected value goes into {ACCOUNT}", select)
            return
        value = projections[index].unalias()
        if not is_scoped_value(value, scope):
            self.report(
                f"insert into {table} … select puts {sql_text(value)} into {ACCOUNT}, not :{ACCOUNT} or a scoped {ACCOUNT}", value
            )

    def update_or_delete(self, node: exp.Update | exp.Delete, outer: Scope | None, ctes: dict[str, RowSource]) -> None:
        verb = "update" if isinstance(node, exp.Update) else "delete"
        target = node.this
        if not isinstance(target, exp.Table):
            self.report(f"cannot tell which table this {verb} writes", node)
            return
        written = self.write_target(verb, target)
        self.conflict_policy(verb, node, written)
        items: list[Item] = [(target, None)]
        from_ = node.args.get("from_")
        if isinstance(from_, exp.From):
            items += _from_items(from_.this, [])
        using = node.args.get("using")
        if isinstance(using, list):
            items += [(u, None) for u in using]
        items += [(j.this, j) for j in node.args.get("joins") or []]
        scope, roots = self.build_scope(items, node.args.get("where"), outer, ctes, target=True)
        target_alias = target.alias or target.name
        for alias, source in scope.sources.items():
            if source.kind == "tenant" and alias not in scope.constrained:
                what = f"{verb} of {describe(source)}" if alias == target_alias else describe(source)
                hint = why_not(scope, alias, roots)
                self.report(
                    f"{what} has no '{alias}.{ACCOUNT} = :{ACCOUNT}' term in its where" + (f"; {hint}" if hint else ""),
                    source.node,
                )
        if isinstance(node, exp.Update):
            self.assignments(f"update of {target.name} assigns", node.expressions)
        for key in ("expressions", "where", "returning", "order", "limit"):
            self.nested(node.args.get(key), scope, ctes)
        self._finish_sources(scope, ctes)

    def merge(self, node: exp.Merge, outer: Scope | None, ctes: dict[str, RowSource]) -> None:
        """`merge into t using s on …`: t scoped in the on, no `not matched by source`, inserts bound to :account_id."""
        target, using = node.this, node.args.get("using")
        if not isinstance(target, exp.Table) or not isinstance(using, exp.Expression):
            self.report("cannot tell which table this merge writes", node)
            return
        written = self.write_target("merge", target)
        scope, roots = self.build_scope([(target, None), (using, None)], exp.Where(this=node.args.get("on")), outer, ctes,
                                        target=True)
        target_alias = target.alias or target.name
        for alias, source in scope.sources.items():
            if source.kind == "tenant" and alias not in scope.constrained:
                what = f"merge into {describe(source)}" if alias == target_alias else describe(source)
                hint = why_not(scope, alias, roots)
                self.report(f"{what} has no '{alias}.{ACCOUNT} = :{ACCOUNT}' term in its on" + (f"; {hint}" if hint else ""),
                            source.node)
        whens = node.args.get("whens")
        for when in whens.expressions if isinstance(whens, exp.Whens) else []:
            action = when.args.get("then")
            if when.args.get("source"):
                self.report(f"merge into {written.name}: when not matched by source reaches rows the on did not pick "
                            "(every other account's)", when)
            if isinstance(action, exp.Update):
                self.assignments(f"merge into {written.name}: update sets", action.expressions)
            elif isinstance(action, exp.Insert) and written.kind == "tenant":
                self.merge_insert(written, action, scope)
            self.nested(when.args.get("condition"), scope, ctes)
            if isinstance(action, exp.Expression):
                self.nested(action.args.get("expressions"), scope, ctes)
                self.nested(action.args.get("expression"), scope, ctes)
        self.nested(node.args.get("returning"), scope, ctes)
        self._finish_sources(scope, ctes)

    def merge_insert(self, written: RowSource, action: exp.Insert, scope: Scope) -> None:
        columns_node, values = action.this, action.expression
        columns = [unwrap(c).name for c in columns_node.expressions] if isinstance(columns_node, exp.Tuple) else None
        index = self.account_index(written, columns, action, "merge … insert into")
        row = values.expressions if isinstance(values, exp.Tuple) else None
        if index is None:
            return
        if row is None or index >= len(row) or not is_scoped_value(row[index], scope):
            shown = sql_text(row[index]) if row is not None and index < len(row) else "nothing"
            self.report(f"merge into {written.name} inserts {shown} into {ACCOUNT}, not :{ACCOUNT}", action)


def check_statement(statement: exp.Expression, tables: Tables) -> list[Finding]:
    """What is not proven scoped in one parsed statement."""
    return Analyzer(tables).check(statement)


__all__ = ["STATEMENTS", "Analyzer", "check_statement"]
