"""The package's SQLite queries as Cloudflare D1 runs them: ordered `?N` parameters, as JSON.

D1 binds parameters by position only (`?1`, `?2`, … or `?`), while the `.sql` files use
named binds (`:account_id`). `to_ordered` rewrites a statement so that each distinct name
becomes one number, in order of first appearance (the same name reuses its number), and
returns the names in that order: a Worker binds `values[name]` for each name in turn.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .errors import QueryLoadError
from .loader import QuerySpec, load_catalog

FORMAT = "vesta-sql/d1-queries"
FORMAT_VERSION = 1


def _skip_quoted(sql: str, start: int, quote: str) -> int:
    """The index just past a quoted string or identifier starting at `start` (doubled quotes escape)."""
    end = start + 1
    while end < len(sql):
        if sql[end] == quote:
            if end + 1 < len(sql) and sql[end + 1] == quote:
                end += 2
                continue
            return end + 1
        end += 1
    return end


def _skip_comment(sql: str, start: int) -> int:
    """The index just past the comment starting at `start`, or `start` when there is none."""
    if sql.startswith("--", start):
        newline = sql.find("\n", start)
        return len(sql) if newline == -1 else newline
    if sql.startswith("/*", start):
        close = sql.find("*/", start + 2)
        return len(sql) if close == -1 else close + 2
    return start


def bind_names(sql: str) -> list[str]:
    """The `:name` binds of a statement in order of appearance (repeats included), outside literals and comments."""
    return [name for name, _, _ in _binds(sql)]


def _binds(sql: str) -> list[tuple[str, int, int]]:
    found: list[tuple[str, int, int]] = []
    index = 0
    while index < len(sql):
        char = sql[index]
        if char in "'\"`":
            index = _skip_quoted(sql, index, char)
        elif char == "[":
            close = sql.find("]", index)
            index = len(sql) if close == -1 else close + 1
        elif (after := _skip_comment(sql, index)) != index:
            index = after
        elif char == "?":
            raise QueryLoadError("positional '?' parameters are not supported in the .sql files; use :name")
        elif char == ":" and index + 1 < len(sql) and (sql[index + 1].isalpha() or sql[index + 1] == "_"):
            if index > 0 and sql[index - 1] == ":":
                index += 1
                continue
            end = index + 1
            while end < len(sql) and (sql[end].isalnum() or sql[end] == "_"):
                end += 1
            found.append((sql[index + 1:end], index, end))
            index = end
        else:
            index += 1
    return found


def to_ordered(sql: str) -> tuple[str, list[str]]:
    """Rewrite `:name` binds as `?N`, the same name keeping its number; returns the SQL and the names in order."""
    order: list[str] = []
    pieces: list[str] = []
    last = 0
    for name, start, end in _binds(sql):
        if name not in order:
            order.append(name)
        pieces.append(sql[last:start])
        pieces.append(f"?{order.index(name) + 1}")
        last = end
    pieces.append(sql[last:])
    return "".join(pieces), order


def export_entry(spec: QuerySpec) -> dict[str, Any]:
    """One query as D1 runs it."""
    sql, order = to_ordered(spec.sql)
    kinds = {name: param.kind for name, param in spec.params.items()}
    kinds.setdefault("account_id", "str")
    return {
        "namespace": spec.namespace,
        "name": spec.name,
        "op": spec.op,
        "sql": sql,
        "params": order,
        "param_types": {name: kinds.get(name, "str") for name in order},
        "runs_on_d1": spec.runs_on_d1,
    }


def package_specs(extra_queries: Sequence[str | Path] | None = None) -> list[QuerySpec]:
    """Every SQLite query of the package (the account directory's included), by namespace and name."""
    catalog, directory = load_catalog("sqlite", extra_queries)
    specs = [spec for queries in catalog.values() for spec in queries.values()] + list(directory.values())
    return sorted(specs, key=lambda spec: (spec.namespace, spec.name))


def export(specs: Iterable[QuerySpec] | None = None) -> dict[str, Any]:
    """The whole artifact: a format tag and one entry per query."""
    chosen = package_specs() if specs is None else list(specs)
    return {"format": FORMAT, "version": FORMAT_VERSION, "queries": [export_entry(spec) for spec in chosen]}


def export_json(specs: Iterable[QuerySpec] | None = None) -> str:
    return json.dumps(export(specs), indent=2, ensure_ascii=False) + "\n"
