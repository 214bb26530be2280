"""The tenant-scope proof for one parsed statement: every tenant table it reads or writes is pinned to `:account_id`.

A tenant table reference (in any FROM, JOIN, subquery, CTE or set-operation branch) is
*scoped* when its SELECT has a top-level `and` term `<alias>.account_id = :account_id`
(in the WHERE, or in its JOIN's ON — a LEFT JOIN's ON scopes only its right side), or
an equality of its `account_id` with the `account_id` of an alias that is itself scoped
(in the same SELECT or an enclosing one). A CTE or derived table whose body is proven and
whose `account_id` column is the bound account counts as a scoped alias. Anything else —
OR, NOT, CASE, functions, comparisons with literals or other parameters — proves nothing.
Statements (INSERT/UPDATE/DELETE) are handled in `statements.py` on top of this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from sqlglot import exp

from .tables import ACCOUNT, Tables

BIND = "account_id"
QUERIES = (exp.Select, exp.SetOperation)
STATEMENTS = (exp.Insert, exp.Update, exp.Delete)
_TEXT_TYPES = {"TEXT", "VARCHAR"}  # never char(n) or varchar(n): a cast that truncates names another account


@dataclass(frozen=True)
class Finding:
    """One unproven thing, with its line in the query text (1-based) when known."""

    message: str
    line: int | None = None


@dataclass(frozen=True)
class RowSource:
    """One alias of a SELECT (or UPDATE/DELETE) scope."""

    alias: str
    name: str
    kind: str  # "tenant", "plain", "derived", "function", "unknown"
    account_column: bool  # whether it may expose an account_id column
    anchored: bool = False  # derived: its account_id column is the bound account
    node: exp.Expression | None = None


@dataclass
class Scope:
    sources: dict[str, RowSource] = field(default_factory=dict)
    constrained: set[str] = field(default_factory=set)
    parent: Scope | None = None
    left_join_sides: set[str] = field(default_factory=set)
    on_clauses: list[exp.Expression] = field(default_factory=list)


@dataclass(frozen=True)
class Term:
    """A top-level AND term, and the aliases it may scope (None: every alias of the scope)."""

    expr: exp.Expression
    targets: frozenset[str] | None = None


def line_of(node: exp.Expression | None) -> int | None:
    """The 1-based line of a node in the parsed text, from its first identifier or token."""
    if node is None:
        return None
    for candidate in (node, *node.find_all(exp.Identifier, exp.Placeholder, exp.Literal)):
        line = candidate.meta.get("line") if candidate.meta else None
        if isinstance(line, int):
            return line
    return None


def unwrap(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def and_terms(node: exp.Expression | None) -> list[exp.Expression]:
    """The top-level AND terms; a row-value equality `(a, b) = (x, y)` counts as `a = x and b = y`."""
    if node is None:
        return []
    node = unwrap(node)
    if isinstance(node, exp.And):
        return and_terms(node.this) + and_terms(node.expression)
    if isinstance(node, exp.NullSafeEQ):  # `is not distinct from`: account_id is never null
        node = exp.EQ(this=node.this.copy(), expression=node.expression.copy())
    if isinstance(node, exp.In) and len(node.expressions) == 1 and not node.args.get("query") and not node.args.get("not"):
        node = exp.EQ(this=node.this.copy(), expression=node.expressions[0].copy())
    elif isinstance(node, exp.In) and not node.args.get("not") and (only := _only_value(node.args.get("query"))) is not None:
        node = exp.EQ(this=node.this.copy(), expression=only.copy())  # `in (select :account_id)`
    if isinstance(node, exp.EQ):
        left, right = unwrap(node.this), unwrap(node.expression)
        if isinstance(left, exp.Tuple) and isinstance(right, exp.Tuple) and len(left.expressions) == len(right.expressions):
            return [exp.EQ(this=a.copy(), expression=b.copy()) for a, b in zip(left.expressions, right.expressions, strict=True)]
    return [node]


def _only_value(query: object) -> exp.Expression | None:
    """The one value of `(select v)`: a select of one projection with no from, where, group or set operation."""
    select = query.this if isinstance(query, exp.Subquery) else query
    if not isinstance(select, exp.Select) or len(select.expressions) != 1:
        return None
    if any(select.args.get(key) for key in ("from_", "joins", "where", "group", "having", "with_", "limit")):
        return None
    value: exp.Expression = select.expressions[0].unalias()
    return value


def is_bind(node: exp.Expression) -> bool:
    """`:account_id`, or `cast(:account_id as text)`."""
    node = unwrap(node)
    if (isinstance(node, exp.Cast) and isinstance(node.to, exp.DataType) and node.to.this.name in _TEXT_TYPES
            and not node.to.expressions):
        node = unwrap(node.this)
    return isinstance(node, exp.Placeholder) and node.name == BIND


def is_account_column(node: exp.Expression) -> bool:
    node = unwrap(node)
    return isinstance(node, exp.Column) and not isinstance(node.this, exp.Star) and node.name == ACCOUNT


def nested_queries(node: object) -> Iterator[exp.Expression]:
    """The queries and statements directly inside `node` (not those inside them)."""
    if isinstance(node, list):
        for item in node:
            yield from nested_queries(item)
        return
    if not isinstance(node, exp.Expression):
        return
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, QUERIES + STATEMENTS):
            yield current
            continue
        stack.extend(reversed(list(current.iter_expressions())))


def resolve(scope: Scope, column: exp.Column) -> tuple[Scope, str] | None:
    """The scope and alias a column belongs to; None when unknown or ambiguous."""
    table = column.table
    current: Scope | None = scope
    while current is not None:
        if table:
            if table in current.sources:
                return current, table
        else:
            candidates = [alias for alias, source in current.sources.items() if source.account_column]
            if len(candidates) == 1:
                return current, candidates[0]
            if candidates:
                return None
        current = current.parent
    return None


def is_scoped_value(node: exp.Expression, scope: Scope) -> bool:
    """`:account_id`, or the account_id of a scoped alias."""
    if is_bind(node):
        return True
    node = unwrap(node)
    if not is_account_column(node):
        return False
    assert isinstance(node, exp.Column)
    found = resolve(scope, node)
    return found is not None and found[1] in found[0].constrained


def solve(scope: Scope, terms: list[Term]) -> None:
    """Grow `scope.constrained` to the fixpoint of the terms."""
    changed = True
    while changed:
        changed = False
        for term in terms:
            for alias in _proves(scope, term):
                if alias not in scope.constrained:
                    scope.constrained.add(alias)
                    changed = True


def _proves(scope: Scope, term: Term) -> list[str]:
    node = unwrap(term.expr)
    if not isinstance(node, exp.EQ):
        return []
    sides = (unwrap(node.this), unwrap(node.expression))
    proven = []
    for mine, other in (sides, sides[::-1]):
        if not is_account_column(mine):
            continue
        assert isinstance(mine, exp.Column)
        found = resolve(scope, mine)
        if found is None or found[0] is not scope:
            continue
        alias = found[1]
        if term.targets is not None and alias not in term.targets:
            continue
        if is_bind(other):
            proven.append(alias)
        elif is_account_column(other):
            assert isinstance(other, exp.Column)
            anchor = resolve(scope, other)
            if anchor is not None and anchor != (scope, alias) and anchor[1] in anchor[0].constrained:
                proven.append(alias)
    return proven


def why_not(scope: Scope, alias: str, roots: list[exp.Expression]) -> str:
    """A hint on why the account_id terms mentioning `alias` prove nothing."""
    for root in roots:
        for column in root.find_all(exp.Column):
            if not is_account_column(column):
                continue
            found = resolve(scope, column)
            if found is None or found != (scope, alias):
                continue
            return _reason(column, root)
    return ""


def _reason(column: exp.Column, root: exp.Expression) -> str:
    ancestors: list[exp.Expr] = []
    node: exp.Expr = column
    while node is not root and node.parent is not None:
        node = node.parent
        ancestors.append(node)
    for kinds, reason in (
        (QUERIES, "its account_id appears only inside a subquery"),
        ((exp.Or,), "its account_id appears only under an or"),
        ((exp.Not,), "its account_id appears only under a not"),
        ((exp.Case, exp.If), "its account_id appears only inside a case"),
    ):
        if any(isinstance(a, kinds) for a in ancestors):
            return reason
    for ancestor in ancestors:
        if isinstance(ancestor, exp.Func) and not isinstance(ancestor, exp.Binary):
            return f"its account_id appears only inside {ancestor.sql_name().lower()}()"
    parent = column.parent
    if isinstance(parent, exp.EQ):
        other = unwrap(parent.expression if parent.this is column else parent.this)
        if is_bind(other):
            return "its account_id term sits where it does not filter this table (an outer join's on)"
        if isinstance(other, exp.Literal):
            return f"its account_id is compared to the literal {sql_text(other)} instead of :account_id"
        if isinstance(other, exp.Placeholder):
            return f"its account_id is compared to :{other.name} instead of :account_id"
        if is_account_column(other):
            return f"its account_id is compared to {sql_text(other)}, which is not itself scoped"
        return f"its account_id is compared to {sql_text(other)}, which is not :account_id"
    if isinstance(parent, exp.Expression) and parent is not root.parent:
        return f"its account_id appears only in '{sql_text(parent)}'"
    return ""


def sql_text(node: exp.Expression) -> str:
    """Lower-case SQL of a node, for messages."""
    return node.sql(normalize_functions="lower").replace("NULL", "null")


def derived_source(alias: str, name: str, output: Output, node: exp.Expression) -> RowSource:
    return RowSource(alias, name, "derived", output.exposes, output.anchored, node)


@dataclass(frozen=True)
class Output:
    """What a derived table, CTE or VALUES list exposes as `account_id`."""

    exposes: bool  # it may have an account_id column (unknown counts as yes)
    anchored: bool  # that column is the bound account in every row


UNKNOWN_OUTPUT = Output(True, False)


def column_list(node: exp.Expression) -> list[str] | None:
    """The column names of `alias(c1, c2, …)`, or None when the alias has no list."""
    alias = node.args.get("alias")
    if isinstance(alias, exp.TableAlias) and alias.columns:
        return [column.name for column in alias.columns]
    return None


def query_output(branches: list[tuple[exp.Select, Scope]], columns: list[str] | None) -> Output:
    """The account_id output of a query's branches, after the alias's column list renames them by position."""
    if not branches:
        return UNKNOWN_OUTPUT
    first = branches[0][0].expressions
    stars = [index for index, p in enumerate(first) if _is_star(p)]
    names: list[str | None] = [output_name(p) for p in first]
    if columns is not None:
        if stars:  # positions under a star are unknown
            return UNKNOWN_OUTPUT
        names = [*columns, *names[len(columns):]]
    if any(name is None for index, name in enumerate(names) if index not in stars):
        return UNKNOWN_OUTPUT  # the database names an unaliased expression its own way (a cast after its column, …)
    hits = [index for index, name in enumerate(names) if name == ACCOUNT]
    if len(hits) > 1 or (hits and stars):
        return UNKNOWN_OUTPUT  # two account_id columns: which one a reader gets is not for us to guess
    if hits:
        position = hits[0]
        anchored = all(
            position < len(select.expressions) and not _is_star(select.expressions[position])
            and is_scoped_value(select.expressions[position].unalias(), scope)
            for select, scope in branches
        )
        return Output(True, anchored)
    if not stars:
        return Output(False, False)
    if len(branches) > 1:
        return UNKNOWN_OUTPUT
    select, scope = branches[0]
    return Output(True, _star_is_scoped(select, scope))


def output_name(projection: exp.Expression) -> str | None:
    """A projection's column name when the proof can be sure of it: an alias, or a plain column."""
    if isinstance(projection, exp.Alias):
        return projection.alias
    if isinstance(projection, exp.Column) and isinstance(projection.this, exp.Identifier):
        return projection.name
    return None


def values_output(values: exp.Values, columns: list[str] | None) -> Output:
    """A `(values …) as v(c1, …)` list: anchored when every row puts :account_id at account_id's position."""
    names = columns or []
    hits = [index for index, name in enumerate(names) if name == ACCOUNT]
    if not hits:
        return Output(False, False)
    if len(hits) > 1:
        return UNKNOWN_OUTPUT
    rows = [row.expressions if isinstance(row, exp.Tuple) else [row] for row in values.expressions]
    anchored = bool(rows) and all(hits[0] < len(row) and is_bind(row[hits[0]]) for row in rows)
    return Output(True, anchored)


def _is_star(projection: exp.Expression) -> bool:
    return isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star))


def _star_is_scoped(select: exp.Select, scope: Scope) -> bool:
    """`*` / `t.*` projections whose one account_id holder, among all of them, is scoped."""
    holders: set[str] = set()
    for projection in select.expressions:
        if _is_star(projection):
            table = projection.table if isinstance(projection, exp.Column) else ""
            holders |= {a for a, s in scope.sources.items() if s.account_column and (not table or a == table)}
    return len(holders) == 1 and holders.pop() in scope.constrained


_DEFAULT_SCHEMAS = {"public", "main"}


def table_source(tables: Tables, ctes: dict[str, RowSource], node: exp.Table) -> tuple[RowSource, str | None]:
    """The source of a table reference, and a problem when it cannot be classified."""
    name = node.name
    alias = node.alias or node.name
    schema = node.args.get("db")
    if schema is None and name in ctes:
        return replace(ctes[name], alias=alias, node=node), None
    if node.args.get("catalog") is not None or (schema is not None and node.db not in _DEFAULT_SCHEMAS):
        return RowSource(alias, name, "unknown", True, node=node), f"table {node.sql()} is outside the package's schema"
    info = tables.get(name)
    if info is None:
        return RowSource(
            alias, name, "unknown", True, node=node
        ), f"table {name} is not in the schema: cannot tell whether it holds tenant rows"
    if info.kind == "fts5-shadow":
        return RowSource(
            alias, name, "plain", False, node=node
        ), f"reads the FTS5 shadow table {name} directly: query its FTS5 table instead"
    return RowSource(alias, name, "tenant" if info.tenant else "plain", info.tenant, node=node), None


def describe(source: RowSource) -> str:
    alias = f" (alias {source.alias})" if source.alias != source.name else ""
    return f"table {source.name}{alias}"
