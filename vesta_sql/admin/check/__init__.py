"""Static checks behind `vesta-sql check`: queries proven scoped to one account; the schema's tenant invariants.

- `check_queries(paths)`: the tenant-scope proof (see `scope.py`) for the package's own
  queries (both dialects: shared files plus dialect overrides), or for the given folders
  of a consuming app, against the package's schema.
- `check_schema(...)`: the schema invariants (see `schema.py`) on scratch databases.
- `lint_migrations(...)`: the migration safety lint (see `admin/lint/`: Squawk, the D1
  rebuild rules, drops of what a query still uses).
- `run_check(...)`: all three, as the command runs them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ...app_records import app_record_classes
from ...loader import _record_classes
from ...proof.tables import Tables, learn_tables
from ...resources import DIALECTS, queries_dir
from .queries import check_entries, check_sql, folder_entries
from .report import CheckResult, Problem, merge_dialects
from .schema import check_schema

POSTGRES_URL_ENV = "VESTA_CHECK_POSTGRES_URL"


def check_queries(paths: Sequence[str | Path] | None = None, *, dialects: Sequence[str] = DIALECTS) -> CheckResult:
    """The scope proof for the package's queries (no paths) or for the given query folders."""
    result = CheckResult()
    folders = [Path(p) for p in paths] if paths else [queries_dir()]
    classes = _record_classes(app_record_classes()) if paths else None  # an app's folders may use its own records
    found: dict[str, list[Problem]] = {}
    for dialect in dialects:
        tables = learn_tables(dialect)
        problems: list[Problem] = []
        checked = 0
        for folder in folders:
            if not folder.is_dir():
                problems.append(Problem(str(folder), 0, "", "no such query folder"))
                continue
            entries = folder_entries(folder, dialect, problems, classes)
            if dialect == "sqlite":
                problems += _declared_values(folder, classes)
            checked += len(entries)
            problems += check_entries(entries, dialect, tables, package=not paths)
        found[dialect] = problems
        result.queries[dialect] = checked
    result.problems = merge_dialects(found)
    return result


def _declared_values(folder: Path, classes: dict[str, type] | None) -> list[Problem]:
    """Declared `in (…)` / `lo..hi` values against the columns' CHECK constraints (files that load)."""
    from ...errors import VestaError
    from ...loader import folder_specs
    from .declared_values import check_declared_values

    try:
        specs = list(folder_specs(folder, "sqlite", classes))
    except VestaError:
        return []  # the file-level problem is reported by the proof's pass
    return check_declared_values(specs)


def run_check(paths: Sequence[str | Path] | None = None, *, postgres_url: str | None = None,
              migrations: Path | None = None) -> CheckResult:
    """What `vesta-sql check` runs: the scope proof, the schema invariants, the migration safety lint."""
    from ..lint import lint_migrations

    result = check_queries(paths)
    result.problems += lint_migrations(migrations, extra_queries=list(paths or ()))
    url = postgres_url or os.environ.get(POSTGRES_URL_ENV) or None
    schema = check_schema(postgres_url=url, queries=list(paths or ()))
    result.problems += schema.problems
    result.schemas = schema.schemas
    return result


__all__ = [
    "POSTGRES_URL_ENV",
    "CheckResult",
    "Problem",
    "Tables",
    "check_queries",
    "check_schema",
    "check_sql",
    "learn_tables",
    "run_check",
]
