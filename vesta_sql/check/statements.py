"""Walks a parsed statement (SELECT, set operations, CTEs, INSERT, UPDATE, DELETE) and collects what it cannot prove scoped.

The rules of the proof live in `scope.py`; this module applies them to every SELECT
scope, subquery, CTE and set-operation branch, and adds the write rules: an INSERT puts
`:account_id` (or a scoped `account_id`) into `account_id`, an UPDATE or DELETE scopes its
target in its WHERE, and nothing ever assigns `account_id` (UPDATE … SET, ON CONFLICT DO UPDATE SET).
"""

from __future__ import annotations

from sqlglot import exp

from .scope import (
    QUERIES,
    STATEMENTS,
    Finding,
    Scope,
    Source,
    Term,
    and_terms,
    derived_source,
    describe,
    exposes_scoped_account,
    is_account_column,
    is_bind,
    is_scoped_value,
    line_of,
    nested_queries,
    solve,
    sql_text,
    table_source,
    why_not,
)
from .tables import ACCOUNT, Tables

Branch = tuple[exp.Select, Scope]
Item = tuple[exp.Expression, exp.Join | None]


class Analyzer:
    """Collects findings for one statement; `check()` is the entry point."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self.findings: list[Finding] = []
        self._context: list[str] = []

    def check(self, statement: exp.Expression) -> list[Finding]:
        self.statement(statement, None, {})
        return self.findings

    # -- helpers -------------------------------------------------------------------------------

    def report(self, message: str, node: exp.Expression | None) -> None:
        where = f" (in {' > '.join(self._context)})" if self._context else ""
        finding = Finding(message + where, line_of(node))
        if finding not in self.findings:
            self.findings.append(finding)

    def nested(self, node: object, scope: Scope | None, ctes: dict[str, Source], context: str = "a subquery") -> None:
        for query in nested_queries(node):
            self._context.append(context)
            try:
                self.statement(query, scope, ctes)
            finally:
                self._context.pop()

    # -- statements ----------------------------------------------------------------------------

    def statement(self, node: exp.Expression, outer: Scope | None, ctes: dict[str, Source]) -> list[Branch]:
        while isinstance(node, exp.Subquery):
            node = node.this
        if isinstance(node, QUERIES):
            return self.query(node, outer, ctes)
        if isinstance(node, exp.Insert):
            self.insert(node, outer, self.with_(node, outer, ctes))
        elif isinstance(node, exp.Update | exp.Delete):
            self.update_or_delete(node, outer, self.with_(node, outer, ctes))
        elif isinstance(node, exp.Values):
            self.nested(node, outer, ctes)
        else:
            self.report(f"cannot analyse a {node.key} statement: only select, insert, update and delete are proven", node)
        return []

    def with_(self, node: exp.Expression, outer: Scope | None, ctes: dict[str, Source]) -> dict[str, Source]:
        with_ = node.args.get("with_")
        if not isinstance(with_, exp.With):
            return ctes
        known = dict(ctes)
        for cte in with_.expressions:
            name = cte.alias_or_name.lower()
            if with_.args.get("recursive"):
                known[name] = derived_source(name, name, cte.this, False, cte)
            self._context.append(f"cte {name}")
            try:
                branches = self.statement(cte.this, outer, known)
            finally:
                self._context.pop()
            anchored = bool(branches) and all(exposes_scoped_account(s, sc) for s, sc in branches)
            if with_.args.get("recursive") and name in _referenced_tables(cte.this):
                anchored = False
            known[name] = derived_source(name, name, cte.this, anchored, cte)
        return known

    def query(self, node: exp.Expression, outer: Scope | None, ctes: dict[str, Source]) -> list[Branch]:
        ctes = self.with_(node, outer, ctes)
        if isinstance(node, exp.Select):
            return [self.select(node, outer, ctes)]
        assert isinstance(node, exp.SetOperation)
        branches: list[Branch] = []
        for index, side in enumerate((node.this, node.expression), start=1):
            self._context.append(f"{node.key} branch {index}")
            try:
                branches += self.statement(side, outer, ctes)
            finally:
                self._context.pop()
        for key, value in node.args.items():
            if key not in ("this", "expression", "with_"):
                self.nested(value, outer, ctes)
        return branches

    def select(self, node: exp.Select, outer: Scope | None, ctes: dict[str, Source]) -> Branch:
        from_ = node.args.get("from_")
        items = _from_items(from_.this if isinstance(from_, exp.From) else None, node.args.get("joins") or [])
        scope, roots = self.build_scope(items, node.args.get("where"), outer, ctes)
        for alias, source in scope.sources.items():
            if source.kind == "tenant" and alias not in scope.constrained:
                place = " in its join's on or in the where" if alias in scope.left_join_sides else ""
                hint = why_not(scope, alias, roots)
                self.report(
                    f"{describe(source)} has no '{alias}.{ACCOUNT} = :{ACCOUNT}' term{place}" + (f"; {hint}" if hint else ""),
                    source.node,
                )
        for key, value in node.args.items():
            if key not in ("from_", "joins", "with_"):
                self.nested(value, scope, ctes)
        self._finish_sources(scope, ctes)
        return node, scope

    def build_scope(
        self, items: list[Item], where: exp.Expression | None, outer: Scope | None, ctes: dict[str, Source]
    ) -> tuple[Scope, list[exp.Expression]]:
        """The aliases of one FROM clause with its joins, proven as far as the terms go."""
        scope = Scope(parent=outer)
        terms: list[Term] = []
        roots: list[exp.Expression] = []
        for node, join in items:
            before = frozenset(scope.sources)
            added = self.add_source(scope, node, outer, ctes)
            if join is None:
                continue
            side = str(join.args.get("side") or "").upper()
            targets: frozenset[str] | None = None
            if side == "LEFT":
                targets = frozenset({added})
                scope.left_join_sides |= targets
            elif side == "RIGHT":
                targets = before
            elif side == "FULL":
                targets = frozenset()
            on = join.args.get("on")
            if isinstance(on, exp.Expression):
                roots.append(on)
                scope.on_clauses.append(on)
                terms += [Term(t, targets) for t in and_terms(on)]
            using = [u.name.lower() for u in join.args.get("using") or []]
            holders = [a for a in before if scope.sources[a].account_column]
            if ACCOUNT in using and len(holders) == 1:
                pair = exp.EQ(this=exp.column(ACCOUNT, added), expression=exp.column(ACCOUNT, holders[0]))
                terms.append(Term(pair, targets))
        if isinstance(where, exp.Where):
            roots.append(where.this)
            terms += [Term(t) for t in and_terms(where.this)]
        scope.constrained |= {alias for alias, source in scope.sources.items() if source.anchored}
        solve(scope, terms)
        return scope, roots

    def add_source(self, scope: Scope, node: exp.Expression, outer: Scope | None, ctes: dict[str, Source]) -> str:
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            source, problem = table_source(self.tables, ctes, node)
            if problem:
                self.report(problem, node)
        elif isinstance(node, exp.Subquery):
            alias = node.alias.lower() or "subquery"
            self._context.append(f"derived table {alias}")
            try:
                branches = self.statement(node.this, outer, ctes)
            finally:
                self._context.pop()
            anchored = bool(branches) and all(exposes_scoped_account(s, sc) for s, sc in branches)
            source = derived_source(alias, alias, node.this, anchored, node)
        elif isinstance(node, exp.Lateral):
            alias = node.alias.lower() or "lateral"
            source = derived_source(
                alias, alias, node.this.this if isinstance(node.this, exp.Subquery) else node.this, False, node
            )
        else:  # table functions (json_each, unnest), values
            alias = node.alias.lower() if isinstance(node, exp.Expression) and node.alias else node.key
            self.nested(node, outer, ctes)
            names = node.args["alias"].columns if isinstance(node.args.get("alias"), exp.TableAlias) else []
            source = Source(alias, node.sql(), "function", ACCOUNT in {n.name.lower() for n in names}, node=node)
        if source.alias in scope.sources:
            self.report(f"alias {source.alias} is used twice in one from clause", node)
        scope.sources[source.alias] = source
        return source.alias

    def _finish_sources(self, scope: Scope, ctes: dict[str, Source]) -> None:
        """Lateral subqueries and subqueries in joins' ON see the solved scope."""
        for source in scope.sources.values():
            if isinstance(source.node, exp.Lateral):
                self.nested(source.node.this, scope, ctes, f"lateral {source.alias}")
        self.nested(scope.on_clauses, scope, ctes)

    # -- writes --------------------------------------------------------------------------------

    def insert(self, node: exp.Insert, outer: Scope | None, ctes: dict[str, Source]) -> None:
        target = node.this
        columns = [c.name.lower() for c in target.expressions] if isinstance(target, exp.Schema) else None
        table = target.this if isinstance(target, exp.Schema) else target
        if not isinstance(table, exp.Table):
            self.report("cannot tell which table this insert writes", node)
            return
        source, problem = table_source(self.tables, {}, table)
        if problem:
            self.report(problem, table)
        source_rows = node.expression
        if source.kind != "tenant":
            self.nested(source_rows, outer, ctes)
            return
        index: int | None = None
        if columns is None:
            self.report(f"insert into {source.name} names no columns: cannot see what goes into {ACCOUNT}", table)
        elif ACCOUNT not in columns:
            self.report(f"insert into {source.name} does not set {ACCOUNT}", table)
        else:
            index = columns.index(ACCOUNT)
        if isinstance(source_rows, exp.Values):
            for row in source_rows.expressions:
                values = row.expressions if isinstance(row, exp.Tuple) else [row]
                if index is not None and index < len(values) and not is_bind(values[index]):
                    self.report(
                        f"insert into {source.name} puts {sql_text(values[index])} into {ACCOUNT} instead of :{ACCOUNT}", table
                    )
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
        written = Scope({source.alias: source, "excluded": Source("excluded", "excluded", "plain", True)}, parent=outer)
        written.constrained |= set(written.sources)
        conflict = node.args.get("conflict")
        if isinstance(conflict, exp.OnConflict):
            for assignment in conflict.expressions or []:
                if isinstance(assignment, exp.EQ) and is_account_column(assignment.this):
                    self.report(f"upsert into {source.name}: do update sets {ACCOUNT} (rows never change account)", assignment)
            self.nested(conflict, written, ctes)
        self.nested(node.args.get("returning"), written, ctes)

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

    def update_or_delete(self, node: exp.Update | exp.Delete, outer: Scope | None, ctes: dict[str, Source]) -> None:
        verb = "update" if isinstance(node, exp.Update) else "delete"
        target = node.this
        if not isinstance(target, exp.Table):
            self.report(f"cannot tell which table this {verb} writes", node)
            return
        items: list[Item] = [(target, None)]
        from_ = node.args.get("from_")
        if isinstance(from_, exp.From):
            items += _from_items(from_.this, [])
        using = node.args.get("using")
        if isinstance(using, list):
            items += [(u, None) for u in using]
        items += [(j.this, j) for j in node.args.get("joins") or []]
        scope, roots = self.build_scope(items, node.args.get("where"), outer, ctes)
        target_alias = (target.alias or target.name).lower()
        for alias, source in scope.sources.items():
            if source.kind == "tenant" and alias not in scope.constrained:
                what = f"{verb} of {describe(source)}" if alias == target_alias else describe(source)
                hint = why_not(scope, alias, roots)
                self.report(
                    f"{what} has no '{alias}.{ACCOUNT} = :{ACCOUNT}' term in its where" + (f"; {hint}" if hint else ""),
                    source.node,
                )
        for assignment in node.expressions if isinstance(node, exp.Update) else []:
            if isinstance(assignment, exp.EQ) and is_account_column(assignment.this):
                self.report(f"update of {target.name} assigns {ACCOUNT} (rows never change account)", assignment)
        for key in ("expressions", "where", "returning", "order", "limit"):
            self.nested(node.args.get(key), scope, ctes)
        self._finish_sources(scope, ctes)


def _from_items(first: exp.Expression | None, joins: list[exp.Join]) -> list[Item]:
    """The sources of a FROM clause in order, each with its join (None for the first)."""
    if first is None:
        return []
    nested: list[exp.Join] = first.args.get("joins") or []
    return [(first, None), *((j.this, j) for j in [*nested, *joins])]


def _referenced_tables(node: exp.Expression) -> set[str]:
    return {t.name.lower() for t in node.find_all(exp.Table)}


def check_statement(statement: exp.Expression, tables: Tables) -> list[Finding]:
    """What is not proven scoped in one parsed statement."""
    return Analyzer(tables).check(statement)


__all__ = ["STATEMENTS", "Analyzer", "check_statement"]
