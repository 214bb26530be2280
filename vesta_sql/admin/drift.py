"""Drift: the applied migrations are what the files say.

yoyo knows a migration by its file name only, so an applied migration edited afterwards, or
one applied by a newer install, goes unnoticed. `migrate` records each file's checksum (of
its forward file, line endings normalised) in a table of ours next to yoyo's; `status` and
`migrate`/`rollback` compare. The table is named under yoyo's prefix so that every check,
copy and grant that skips yoyo's bookkeeping skips it too.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import MigrationError
from ..migration_files import check_folder, forward_files

TABLE = "_yoyo_vesta_checksum"
_CREATE = (f"create table if not exists {TABLE} (migration_id varchar(255) primary key, "
           "checksum varchar(64) not null, recorded_at varchar(32) not null)")


def checksum(path: Path) -> str:
    text = path.read_bytes().replace(b"\r\n", b"\n")
    return hashlib.sha256(text).hexdigest()


@dataclass
class Drift:
    changed: list[str] = field(default_factory=list)  # applied, and the file differs from what was applied
    unknown: list[str] = field(default_factory=list)  # applied, and no file of this install has that name
    unrecorded: list[str] = field(default_factory=list)  # applied before checksums were kept

    def __bool__(self) -> bool:
        return bool(self.changed or self.unknown)


def _has_table(backend: Any) -> bool:
    return TABLE in set(backend.list_tables())


def recorded(backend: Any) -> dict[str, str]:
    if not _has_table(backend):
        return {}
    return {str(r[0]): str(r[1]) for r in backend.execute(f"select migration_id, checksum from {TABLE}").fetchall()}


def applied_ids(backend: Any) -> list[str]:
    """Every migration yoyo lists as applied, known to this install or not, in the order applied."""
    if "_yoyo_migration" not in set(backend.list_tables()):
        return []
    rows = backend.execute("select migration_id from _yoyo_migration order by applied_at_utc, migration_id").fetchall()
    return [str(r[0]) for r in rows]


def find(backend: Any, migrations: Iterable[Any], source: Path) -> Drift:
    known = [m.id for m in migrations]
    sums = recorded(backend)
    drift = Drift()
    for migration_id in applied_ids(backend):
        if migration_id not in known:
            drift.unknown.append(migration_id)
        elif migration_id not in sums:
            drift.unrecorded.append(migration_id)
        elif sums[migration_id] != checksum(source / f"{migration_id}.sql"):
            drift.changed.append(migration_id)
    return drift


def record(backend: Any, migration_id: str, source: Path) -> None:
    """Record (or replace) the checksum of `migration_id`'s file as applied now."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with backend.transaction():
        backend.execute(_CREATE)
        backend.execute(f"delete from {TABLE} where migration_id = :id", {"id": migration_id})
        backend.execute(f"insert into {TABLE} (migration_id, checksum, recorded_at) values (:id, :sum, :at)",
                        {"id": migration_id, "sum": checksum(source / f"{migration_id}.sql"), "at": now})


def forget(backend: Any, migration_id: str) -> None:
    if _has_table(backend):
        with backend.transaction():
            backend.execute(f"delete from {TABLE} where migration_id = :id", {"id": migration_id})


def prepare(backend: Any, migrations: Iterable[Any], source: Path) -> list[str]:
    """Create our table; record the checksums of applied migrations that have none. Returns what to tell the user."""
    first = not _has_table(backend)
    with backend.transaction():
        backend.execute(_CREATE)
    missing = find(backend, migrations, source).unrecorded
    for migration_id in missing:
        record(backend, migration_id, source)
    if not missing:
        return []
    why = ("this database was migrated before checksums were kept" if first
           else "they were applied without one")
    return [f"recorded the checksums of {len(missing)} applied migration(s) as the files are now ({why}); "
            "from now on an edited applied migration is reported as drift"]


def _names(accepted: Sequence[str]) -> set[str]:
    return {Path(name).name.removesuffix(".sql") for name in accepted}


def refuse(drift: Drift, accepted: Sequence[str], source: Path, *, action: str) -> list[str]:
    """Raise unless every drifted migration is accepted; returns the accepted ones whose checksum to renew."""
    names = _names(accepted)
    drifted = set(drift.changed) | set(drift.unknown)
    stray = sorted(names - drifted)
    if stray:
        raise MigrationError(f"--accept-drift {', '.join(stray)}: not a drifted migration "
                             f"(drifted: {', '.join(sorted(drifted)) or 'none'}); nothing was changed")
    changed = [m for m in drift.changed if m not in names]
    unknown = [m for m in drift.unknown if m not in names]
    if changed or unknown:
        parts = []
        if changed:
            parts.append("changed since they were applied: " + ", ".join(f"{m} ({source / (m + '.sql')})" for m in changed))
        if unknown:
            parts.append("applied but unknown to this install (applied by a newer release?): " + ", ".join(unknown))
        raise MigrationError(
            f"refusing to {action}: the database has drifted from the migration files — {'; '.join(parts)}. "
            "Nothing was changed. Restore the files as they were applied (e.g. from version control), or upgrade "
            "vesta-sql to the release that applied the unknown ones; if the difference is intended, pass "
            f"--accept-drift {' '.join(changed + unknown)}")
    return [m for m in drift.changed if m in names]


# --- D1: wrangler's d1_migrations keeps names only -------------------------------------------------

@dataclass(frozen=True)
class D1Status:
    applied: list[str]
    pending: list[str]
    unknown: list[str]


def d1_status(database: Path, folder: Path) -> D1Status:
    """Compare a D1 database's `d1_migrations` (a SQLite file, e.g. the local D1's, or a `wrangler d1 export`
    dump) with `folder`'s files, by name: it stores no content, so a changed file cannot be seen."""
    import tempfile

    from .copy.source import load_dump

    if not database.is_file():
        raise MigrationError(f"no such file: {database}")
    check_folder(folder)
    with tempfile.TemporaryDirectory(prefix="vesta-d1-") as scratch:
        path = database
        if database.suffix.lower() == ".sql":
            path = Path(scratch) / "dump.sqlite"
            load_dump(database, path)
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            names = conn.execute("select name from d1_migrations order by id").fetchall()
        except sqlite3.Error as exc:
            raise MigrationError(f"{database}: no D1 migration history (d1_migrations): {exc}") from None
        finally:
            conn.close()
    applied = [str(row[0]).removesuffix(".sql") for row in names]
    files = [p.stem for p in forward_files(folder)]
    return D1Status([m for m in files if m in applied], [m for m in files if m not in applied],
                    [m for m in applied if m not in files])
