"""Migration safety lint, run by `vesta-sql check`: Squawk on Postgres, the D1 rebuild rules, dropped-but-used.

Every finding is a `Problem` printed as `file:line: rule: what`; `check` fails on any. A new
migration may set a rule of ours aside in the file itself, with the reason on the same line:
`-- lint-ignore: RULE -- the reason` (Squawk's rules: `-- squawk-ignore RULE -- the reason`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from ...errors import VestaError
from ...loader import QuerySpec, folder_specs
from ...migration_files import problems as numbering_problems
from ...resources import inside_installed_package, migrations_dir, queries_dir
from ..check.report import Problem
from .sqlite_rebuild import lint_sqlite
from .squawk import SquawkMissing, lint_postgres
from .still_used import lint_still_used

_IGNORE = re.compile(r"^--\s*lint-ignore:\s*([\w-]+)\s*(?:--\s*(\S.*))?$", re.I | re.M)


def _queries(dialect: str, extra: Sequence[Path]) -> list[QuerySpec]:
    specs: list[QuerySpec] = []
    for folder in [queries_dir(), *extra]:
        try:
            specs += folder_specs(folder, dialect)
        except VestaError:
            continue  # a folder that does not load is reported by the scope check
    return specs


def _ignored(problems: list[Problem]) -> list[Problem]:
    """Drop problems a file sets aside with a reason; a set-aside without one is a problem itself."""
    kept: list[Problem] = []
    notes: dict[str, dict[str, str | None]] = {}
    for problem in problems:
        if problem.file not in notes:
            path = Path(problem.file)
            text = path.read_text(encoding="utf-8") if path.is_file() else ""
            notes[problem.file] = {m.group(1).lower(): m.group(2) for m in _IGNORE.finditer(text)}
        reason = notes[problem.file].get(problem.query.lower(), "")
        if reason == "":
            kept.append(problem)
        elif reason is None:
            kept.append(Problem(problem.file, problem.line, problem.query,
                                f"{problem.message} [`-- lint-ignore: {problem.query}` needs a reason: `-- the reason`]"))
    return kept


def lint_migrations(root: Path | None = None, *, extra_queries: Sequence[str | Path] = ()) -> list[Problem]:
    """Every safety finding in `root/{postgres,sqlite}` (default: the package's migrations)."""
    base = root or migrations_dir("sqlite").parent
    extra = [Path(p) for p in extra_queries]
    problems: list[Problem] = []
    try:
        problems += lint_postgres(base / "postgres", root=base.parent)
    except SquawkMissing as exc:
        if root is None and inside_installed_package(base):
            # an installed release's own migrations were linted before it shipped: an app checking its
            # queries needs no linter for them (a checkout, or --migrations, still fails without it)
            problems.append(Problem(str(base / "postgres"), 0, "squawk", "not linted here (squawk is not installed); "
                                    "the installed package's migrations were linted at release", severity="info"))
        else:
            problems.append(Problem(str(base / "postgres"), 0, "squawk", str(exc)))
    problems += lint_sqlite(base / "sqlite")
    for dialect in ("sqlite", "postgres"):
        # what `migrate` would refuse: a gap, a repeated number, a rollback without its forward file
        problems += [Problem(str(base / dialect), 0, "migration-numbering", what) for what in numbering_problems(base / dialect)]
        problems += lint_still_used(base / dialect, dialect, _queries(dialect, extra))
    return sorted(_ignored(problems))


__all__ = ["lint_migrations"]
