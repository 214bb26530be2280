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
    UNKNOWN_OUTPUT,
    Finding,
    Output,
    RowSource,
    Scope,
    Term,
    and_terms,
    column_list,
    derived_source,
    describe,
    is_account_column,
    is_bind,
    is_scoped_value,
    line_of,
    nested_queries,
    query_output,
    solve,
    sql_text,
    table_source,
    unwrap,
    values_output,
    why_not,
)
from .tables import ACCOUNT, DIRECTORY_TABLE, Tables

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

    def nested(self, node: object, scope: Scope | None, ctes: dict[str, RowSource], context: str = "a subquery") -> None:
        for query in nested_queries(node):
            self._context.append(context)
            try:
                self.statement(query, scope, ctes)
            finally:
                self._context.pop()

    # -- statements ----------------------------------------------------------------------------

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

    def with_(self, node: exp.Expression, outer: Scope | None, ctes: dict[str, RowSource]) -> dict[str, RowSource]:
        with_ = node.args.get("with_")
        if not isinstance(with_, exp.With):
            return ctes
        known = dict(ctes)
        for cte in with_.expressions:
            name = cte.alias_or_name
            if with_.args.get("recursive") and name in _referenced_tables(cte.this) and self._inductive(cte, outer, known):
                known[name] = derived_source(name, name, Output(True, True), cte)
                continue
            if with_.args.get("recursive"):
                known[name] = derived_source(name, name, UNKNOWN_OUTPUT, cte)
            self._context.append(f"cte {name}")
            try:
                branches = self.statement(cte.this, outer, known)
            finally:
                self._context.pop()
            values = _values_body(cte.this)
            output = values_output(values, column_list(cte)) if values is not None else query_output(branches, column_list(cte))
            if with_.args.get("recursive") and name in _referenced_tables(cte.this):
                output = Output(output.exposes, False)
            known[name] = derived_source(name, name, output, cte)
        return known

    def _inductive(self, cte: exp.CTE, outer: Scope | None, ctes: dict[str, RowSource]) -> bool:
        """A recursive CTE proven by induction: assuming its own rows belong to the account, its body
        proves everything and its account_id output is the account again, so every round's rows do."""
        name = cte.alias_or_name
        trial = Analyzer(self.tables)
        assumed = {**ctes, name: derived_source(name, name, Output(True, True), cte)}
        branches = trial.statement(cte.this, outer, assumed)
        return not trial.findings and query_output(branches, column_list(cte)).anchored

    def query(self, node: exp.Expression, outer: Scope | None, ctes: dict[str, RowSource]) -> list[Branch]:
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

    def select(self, node: exp.Select, outer: Scope | None, ctes: dict[str, RowSource]) -> Branch:
        if node.args.get("into"):
            self.report("select … into creates a table: only reads and writes of existing tables are proven", node)
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
        self, items: list[Item], where: exp.Expression | None, outer: Scope | None, ctes: dict[str, RowSource],
        *, target: bool = False,
    ) -> tuple[Scope, list[exp.Expression]]:
        """The aliases of one FROM clause with its joins, proven as far as the terms go.

        `target`: the first item is the table a write changes, always the real table (a CTE of
        the same name does not hide it from the database, so it must not hide it from the proof).
        """
        items = _flatten_parenthesized(items)
        scope = Scope(parent=outer)
        terms: list[Term] = []
        roots: list[exp.Expression] = []
        merged_left = True
        for index, (node, join) in enumerate(items):
            ordered = list(scope.sources)  # in from-clause order: `using` needs the leftmost holder
            before = frozenset(ordered)
            added = self.add_source(scope, node, outer, ctes, real_table=index == 0 and target)
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
            using = [u.name for u in join.args.get("using") or []]
            if side in ("RIGHT", "FULL"):
                merged_left = False  # the merged column is no longer the leftmost table's
            holders = [a for a in ordered if scope.sources[a].account_column]
            if ACCOUNT in using and holders and merged_left:
                # `using (account_id)` compares with the merged column, which after inner and
                # left joins is the leftmost holder's account_id
                pair = exp.EQ(this=exp.column(ACCOUNT, added), expression=exp.column(ACCOUNT, holders[0]))
                terms.append(Term(pair, targets))
        if isinstance(where, exp.Where):
            roots.append(where.this)
            terms += [Term(t) for t in and_terms(where.this)]
        scope.constrained |= {alias for alias, source in scope.sources.items() if source.anchored}
        solve(scope, terms)
        return scope, roots

    def add_source(self, scope: Scope, node: exp.Expression, outer: Scope | None, ctes: dict[str, RowSource],
                   *, real_table: bool = False) -> str:
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            source, problem = table_source(self.tables, {} if real_table else ctes, node)
            if problem:
                self.report(problem, node)
            if column_list(node) is not None:
                self.report(f"{describe(source)} renames its columns with a column list: the proof cannot follow that", node)
        elif isinstance(node, exp.Subquery):
            alias = node.alias or "subquery"
            self._context.append(f"derived table {alias}")
            try:
                branches = self.statement(node.this, outer, ctes)
            finally:
                self._context.pop()
            source = derived_source(alias, alias, query_output(branches, column_list(node)), node)
        elif isinstance(node, exp.Lateral):
            alias = node.alias or "lateral"
            source = derived_source(alias, alias, UNKNOWN_OUTPUT, node)
        elif isinstance(node, exp.Values):
            alias = node.alias or "values"
            self.nested(node, outer, ctes)
            output = values_output(node, column_list(node))
            source = RowSource(alias, "values", "derived", output.exposes, output.anchored, node)
        else:  # table functions (json_each, unnest)
            alias = node.alias if isinstance(node, exp.Expression) and node.alias else node.key
            self.nested(node, outer, ctes)
            source = RowSource(alias, node.sql(), "function", ACCOUNT in (column_list(node) or []), node=node)
        if source.alias in scope.sources:
            self.report(f"alias {source.alias} is used twice in one from clause", node)
        scope.sources[source.alias] = source
        return source.alias

    def _finish_sources(self, scope: Scope, ctes: dict[str, RowSource]) -> None:
        """Lateral subqueries and subqueries in joins' ON see the solved scope."""
        for source in scope.sources.values():
            if isinstance(source.node, exp.Lateral):
                self.nested(source.node.this, scope, ctes, f"lateral {source.alias}")
        self.nested(scope.on_clauses, scope, ctes)

    # -- writes --------------------------------------------------------------------------------

    def write_target(self, verb: str, table: exp.Table) -> RowSource:
        """The source a write changes; account_directory is written by the database's triggers alone."""
        source, problem = table_source(self.tables, {}, table)
        if problem:
            self.report(problem, table)
        if source.name == DIRECTORY_TABLE:
            self.report(f"{verb} of {DIRECTORY_TABLE}: only the database's own triggers write the account directory", table)
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


def _from_items(first: exp.Expression | None, joins: list[exp.Join]) -> list[Item]:
    """The sources of a FROM clause in order, each with its join (None for the first)."""
    if first is None:
        return []
    nested: list[exp.Join] = first.args.get("joins") or []
    return [(first, None), *((j.this, j) for j in [*nested, *joins])]


def _flatten_parenthesized(items: list[Item]) -> list[Item]:
    """`a join (b join c on x) on y` read as `a join b join c on x and y` when every join involved is inner.

    Any outer join inside or around the parentheses is left as it is (and then refused as a
    derived table the proof cannot read), since its meaning changes when flattened.
    """
    out: list[Item] = []
    for node, join in items:
        inner = node.this if isinstance(node, exp.Subquery) and not node.alias else None
        nested = inner.args.get("joins") if isinstance(inner, exp.Table) else None
        if not isinstance(inner, exp.Table) or not nested or not _all_inner([*nested, *([join] if join else [])]):
            out.append((node, join))
            continue
        first = inner.copy()
        first.set("joins", None)
        out.append((first, join))
        out += [(j.this, j) for j in nested]
    return out


def _all_inner(joins: list[exp.Join]) -> bool:
    return all(not str(j.args.get("side") or "").strip() for j in joins)


def _values_body(node: exp.Expression) -> exp.Values | None:
    """A CTE's `values (…)` body, which sqlglot writes as `select * from (values …)`."""
    if isinstance(node, exp.Values):
        return node
    from_ = node.args.get("from_") if isinstance(node, exp.Select) else None
    if (
        isinstance(from_, exp.From) and isinstance(from_.this, exp.Values) and not node.args.get("joins")
        and not node.args.get("where") and len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Star)
        and not column_list(from_.this)
    ):
        return from_.this
    return None


def _referenced_tables(node: exp.Expression) -> set[str]:
    return {t.name for t in node.find_all(exp.Table)}


def check_statement(statement: exp.Expression, tables: Tables) -> list[Finding]:
    """What is not proven scoped in one parsed statement."""
    return Analyzer(tables).check(statement)


__all__ = ["STATEMENTS", "Analyzer", "check_statement"]
