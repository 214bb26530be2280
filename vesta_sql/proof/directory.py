"""The account directory's queries, the one exemption from the tenant scope: each may only return the account id.

A directory query is one plain select of exactly one column, `account_id`, from
`account_directory` alone (no join, no subquery, no other table).
"""

from __future__ import annotations

from sqlglot import exp

from .scope import Finding, is_account_column, line_of, nested_queries
from .tables import ACCOUNT, DIRECTORY_TABLE


def check_directory_statement(statement: exp.Expression) -> list[Finding]:
    """A directory query selects exactly one column, account_id, from account_directory only."""
    node = statement
    findings: list[Finding] = []
    if not isinstance(node, exp.Select) or node.args.get("with_"):
        return [Finding("a directory query must be one plain select (no cte, set operation or write)", line_of(node))]
    projections = node.expressions
    if (
        len(projections) != 1
        or not is_account_column(projections[0].unalias())
        or projections[0].alias_or_name != ACCOUNT
    ):
        findings.append(Finding(f"a directory query must select exactly one column, {ACCOUNT}", line_of(node)))
    from_ = node.args.get("from_")
    first = from_.this if isinstance(from_, exp.From) else None
    if not isinstance(first, exp.Table) or first.name != DIRECTORY_TABLE or node.args.get("joins"):
        findings.append(Finding(f"a directory query must read {DIRECTORY_TABLE} alone (no join)", line_of(node)))
    others = sorted({t.name or t.sql() for t in node.find_all(exp.Table)} - {DIRECTORY_TABLE})
    if others:
        findings.append(Finding(f"a directory query may read only {DIRECTORY_TABLE}, not {', '.join(others)}", line_of(node)))
    if any(True for _ in nested_queries([v for k, v in node.args.items() if k != "from_"])):
        findings.append(Finding("a directory query may not hold subqueries", line_of(node)))
    return findings
