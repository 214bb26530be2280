"""The read side of the proof: SELECT scopes, subqueries, CTEs and set-operation branches.

Each SELECT scope is solved by the rules in `scope.py`; `statements.py` adds the writes on top
and dispatches each statement.
"""

from __future__ import annotations

from sqlglot import exp

from .scope import (
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
    line_of,
    nested_queries,
    query_output,
    solve,
    table_source,
    values_output,
    why_not,
)
from .tables import ACCOUNT, Tables

Branch = tuple[exp.Select, Scope]
Item = tuple[exp.Expression, exp.Join | None]


class ReadAnalyzer:
    """Collects findings for one statement; `check()` is the entry point, `statement()` the dispatch."""

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

    def statement(self, node: exp.Expression, outer: Scope | None, ctes: dict[str, RowSource]) -> list[Branch]:
        raise NotImplementedError  # `statements.Analyzer` knows the writes too

    # -- queries -------------------------------------------------------------------------------

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
        trial = type(self)(self.tables)  # the whole analyser: a CTE's body may write
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
