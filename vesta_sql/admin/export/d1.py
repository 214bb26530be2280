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

from ...loader import QuerySpec, load_catalog
from ...sqlfile import code_binds, ordered

FORMAT = "vesta-sql/d1-queries"
FORMAT_VERSION = 1


def bind_names(sql: str) -> list[str]:
    """The `:name` binds of a statement in order of appearance (repeats included), outside literals and comments."""
    return [bind.name for bind in code_binds(sql, "sqlite")]


def to_ordered(sql: str) -> tuple[str, list[str]]:
    """Rewrite `:name` binds as `?N`, the same name keeping its number; returns the SQL and the names in order."""
    return ordered(sql, tuple(code_binds(sql, "sqlite")))


def export_entry(spec: QuerySpec) -> dict[str, Any]:
    """One query as D1 runs it."""
    sql, order = to_ordered(spec.source_sql)
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
