"""Is the database at this package's migration version? Checked once, by `connect`, before any pool opens.

The record is yoyo's: `_yoyo_migration` lists the applied migrations. A database behind
this package (unmigrated or older) is refused. One ahead of it (a rolling deploy, where old
instances still run against a database the new release migrated) is refused too, unless
every migration this package does not know was marked compatible — a forward file with a
`-- compatible: yes` line, which `vesta-sql migrate` records in `_yoyo_log.comment` — or
the app passes `allow_newer_schema=True`.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import DatabaseUrl, redact, redact_error
from .errors import SchemaVersionError
from .migration_files import forward_files, problems
from .resources import migrations_dir

MIGRATIONS = "_yoyo_migration"
LOG = "_yoyo_log"
COMPATIBLE_MARK = "vesta-sql: compatible: yes"
_COMPATIBLE_HEADER = re.compile(r"^--\s*compatible:\s*yes\s*$", re.I | re.M)


def is_compatible(path: Path) -> bool:
    """Whether a forward migration says older releases keep working against it."""
    return bool(_COMPATIBLE_HEADER.search(path.read_text(encoding="utf-8")))


def expected(dialect: str) -> list[str]:
    """This install's migrations, in order; refused when the folder has a gap (a file lost from the install)."""
    folder = migrations_dir(dialect)
    found = problems(folder)
    if found:
        raise SchemaVersionError(f"this install's migrations at {folder} are incomplete: {'; '.join(found)} "
                                 "(or reinstall vesta-sql)")
    return [path.stem for path in forward_files(folder)]


@dataclass(frozen=True)
class Applied:
    ids: list[str]
    compatible: set[str]


def _sqlite_applied(target: DatabaseUrl) -> Applied | None:
    path = Path(str(target.sqlite_path))
    if target.sqlite_path == ":memory:":
        raise SchemaVersionError("an in-memory SQLite database cannot be migrated (yoyo uses its own connection): "
                                 "use a file, e.g. `vesta-sql migrate --url sqlite:///vesta.db`")
    if not path.is_file():
        raise SchemaVersionError(f"no SQLite database at {path}: run `vesta-sql migrate --url sqlite:///{path}` first")
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        tables = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
        if MIGRATIONS not in tables:
            return None
        ids = [row[0] for row in conn.execute(f"select migration_id from {MIGRATIONS}")]
        marked = set()
        if LOG in tables:
            marked = {row[0] for row in conn.execute(
                f"select migration_id from {LOG} where operation = 'apply' and comment = ?", (COMPATIBLE_MARK,))}
        return Applied(ids, marked)
    finally:
        conn.close()


def _postgres_rows(conn: Any) -> Applied | None:
    import psycopg

    try:
        ids = [row[0] for row in conn.execute(f"select migration_id from {MIGRATIONS}")]
    except psycopg.errors.UndefinedTable:
        return None
    except psycopg.errors.InsufficientPrivilege:
        raise SchemaVersionError(f"role {conn.info.user} may not read the migration record ({MIGRATIONS}): "
                                 "run `vesta-sql app-role` again as the owner") from None
    try:
        marked = {row[0] for row in conn.execute(
            f"select migration_id from {LOG} where operation = 'apply' and comment = %s", (COMPATIBLE_MARK,))}
    except psycopg.errors.Error:  # no log, or no right to read it: nothing is marked compatible
        marked = set()
    return Applied(ids, marked)


def _postgres_applied(target: DatabaseUrl) -> Applied | None:
    import psycopg

    try:
        conn = psycopg.connect(target.conninfo, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        from .dialects.postgres import _POOLER_REFUSAL, connect_failure
        from .errors import OperationalError

        if _POOLER_REFUSAL in str(exc):  # the same words as the pool's: name the pooler and its setting
            raise connect_failure(exc, 10, target.url) from None
        reason = redact_error(exc, target.url, one_line=True)
        raise OperationalError(f"cannot connect to {redact(target.url)}: {reason}") from None
    with conn:
        return _postgres_rows(conn)


def verdict(dialect: str, applied: Applied | None, *, allow_newer: bool, where: str) -> None:
    """Raise SchemaVersionError unless `applied` is this package's version (or a compatible newer one)."""
    wanted = expected(dialect)
    if applied is None or not applied.ids:
        raise SchemaVersionError(f"{where} is not migrated, this package expects {wanted[-1]}: run `vesta-sql migrate`")
    known = [m for m in wanted if m in applied.ids]
    missing = [m for m in wanted if m not in applied.ids]
    skipped = [m for m in missing if known and m < known[-1]]
    if skipped:  # `migrate` cannot close this gap: it refuses to run them after the later ones
        raise SchemaVersionError(f"{where} skipped {', '.join(skipped)} (later migrations are applied): it was "
                                 "migrated out of order; `vesta-sql status` shows the gap and what to do")
    if missing:
        at = known[-1] if known else "none of this package's migrations"
        raise SchemaVersionError(f"database at {at}, this package expects {wanted[-1]} ({len(missing)} migration(s) "
                                 f"missing: {', '.join(missing)}): run `vesta-sql migrate`")
    newer = sorted(set(applied.ids) - set(wanted))
    unmarked = [m for m in newer if m not in applied.compatible]
    if unmarked and not allow_newer:
        raise SchemaVersionError(f"database at {newer[-1]}, this package expects {wanted[-1]}: the newer migration(s) "
                                 f"{', '.join(unmarked)} are not marked `-- compatible: yes`; upgrade vesta-sql, or pass "
                                 "allow_newer_schema=True if this release is known to work with them")


def check(target: DatabaseUrl, *, allow_newer: bool = False) -> None:
    """Read the database's migration record once and refuse a database this package cannot use."""
    applied = _sqlite_applied(target) if target.dialect == "sqlite" else _postgres_applied(target)
    verdict(target.dialect, applied, allow_newer=allow_newer, where=f"database {redact(target.url)}")
