"""`vesta-sql mark --to ID`: record migrations as applied without running them, once the schema is verified.

For a database that already has the schema — e.g. made by `wrangler d1 migrations apply`,
exported and copied — so that yoyo does not try to create it again. The live database's
tables and columns must be exactly those the migrations up to ID describe.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..config import parse_url
from ..errors import MigrationError
from ..proof.tables import introspect_sqlite, learn_tables
from . import drift
from .migrate import LOCK_TIMEOUT_S, _yoyo
from .schema_info import is_search_table, is_tool_table

Columns = dict[str, frozenset[str]]

_PG_COLUMNS = """
select c.table_name, c.column_name
  from information_schema.columns c
  join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
 where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
"""


def _data_tables(tables: Any) -> Columns:
    return {name: info.columns for name, info in tables.tables.items()
            if info.kind == "table" and not is_tool_table(name) and not is_search_table(name)}


def schema_columns(dialect: str, *, migrations: list[Path] | None = None, conn: Any = None) -> Columns:
    """Tables → columns, of the files `migrations` (in order) or of the live connection `conn`.

    The one place the schema is read for `mark`; a single schema model can replace it.
    """
    if migrations is not None:
        with tempfile.TemporaryDirectory(prefix="vesta-mark-") as scratch:
            for path in migrations:
                shutil.copyfile(path, Path(scratch) / path.name)
            return _data_tables(learn_tables(dialect, Path(scratch)))
    if dialect == "sqlite":
        return _data_tables(introspect_sqlite(conn))
    found: dict[str, set[str]] = {}
    for table, column in conn.execute(_PG_COLUMNS).fetchall():
        if not is_tool_table(str(table)) and not is_search_table(str(table)):
            found.setdefault(str(table).lower(), set()).add(str(column).lower())
    return {name: frozenset(columns) for name, columns in found.items()}


def differences(expected: Columns, live: Columns) -> list[str]:
    lines = [f"table {t} is missing" for t in sorted(set(expected) - set(live))]
    lines += [f"table {t} is not in the migrations" for t in sorted(set(live) - set(expected))]
    for table in sorted(set(expected) & set(live)):
        missing, extra = sorted(expected[table] - live[table]), sorted(live[table] - expected[table])
        if missing:
            lines.append(f"{table}: missing column(s) {', '.join(missing)}")
        if extra:
            lines.append(f"{table}: column(s) {', '.join(extra)} not in the migrations")
    return lines


def _live(url: str, dialect: str) -> Columns:
    from .db import open_postgres, open_sqlite

    conn = open_sqlite(url) if dialect == "sqlite" else open_postgres(url)
    try:
        return schema_columns(dialect, conn=conn)
    finally:
        conn.close()


def mark(url: str, to: str, *, folder: Path | None = None) -> list[str]:
    """Record every migration up to `to` as applied (checksums too); refuses unless the schema matches."""
    dialect = parse_url(url).dialect
    with _yoyo(url, folder) as (backend, migrations, source):
        ids = [m.id for m in migrations]
        if to not in ids:
            raise MigrationError(f"unknown migration {to!r} (known: {', '.join(ids)})")
        upto = migrations[: ids.index(to) + 1]
        with backend.lock(timeout=LOCK_TIMEOUT_S):
            expected = schema_columns(dialect, migrations=[source / f"{m.id}.sql" for m in upto])
            problems = differences(expected, _live(url, dialect))
            if problems:
                raise MigrationError(f"not marking: the database's schema is not the one migrations up to {to} make "
                                     f"({'; '.join(problems)}); nothing was changed")
            todo = [m for m in upto if not backend.is_applied(m)]
            backend.mark_migrations(todo)
            for migration in upto:
                drift.record(backend, migration.id, source)
        return [m.id for m in todo]
