"""Admin: apply, inspect and roll back the package's migrations with yoyo (not part of the façade).

Forward files live in `migrations/<dialect>/`, rollbacks in `migrations/<dialect>/rollback/`
(so that `wrangler d1 migrations apply` can take the SQLite folder as it is). yoyo wants
`NAME.sql` beside `NAME.rollback.sql`, so both are laid out in a scratch folder for it.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import DatabaseUrl, parse_url, redact
from .errors import MigrationError
from .resources import DIALECTS, migrations_dir

LOCK_TIMEOUT_S = 600


@dataclass(frozen=True)
class MigrationState:
    id: str
    applied: bool


def _ensure_target(target: DatabaseUrl) -> None:
    if target.dialect == "sqlite":
        if target.sqlite_path == ":memory:":
            raise MigrationError("an in-memory SQLite database cannot be migrated (yoyo uses its own connection); use a file")
        assert target.sqlite_path is not None
        Path(target.sqlite_path).parent.mkdir(parents=True, exist_ok=True)


@contextmanager
def _yoyo(url: str, folder: Path | None) -> Iterator[tuple[Any, Any, Path]]:
    from yoyo import get_backend, read_migrations

    target = parse_url(url)
    _ensure_target(target)
    source = folder or migrations_dir(target.dialect)
    if not source.is_dir():
        raise MigrationError(f"no migrations folder at {source}")
    with tempfile.TemporaryDirectory(prefix="vesta-migrations-") as scratch:
        laid_out = Path(scratch)
        for forward in sorted(source.glob("*.sql")):
            shutil.copyfile(forward, laid_out / forward.name)
            rollback = source / "rollback" / forward.name
            if not rollback.is_file():
                raise MigrationError(f"{forward}: has no rollback file at {rollback}")
            shutil.copyfile(rollback, laid_out / f"{forward.stem}.rollback.sql")
        try:
            backend = get_backend(target.yoyo_url)
        except Exception as exc:  # yoyo raises driver errors of either dialect
            raise MigrationError(f"cannot connect to {redact(url)}: {_clean(exc, url)}") from None
        try:
            yield backend, read_migrations(str(laid_out)), source
        finally:
            backend.connection.close()


def _clean(exc: BaseException, url: str) -> str:
    text = str(exc)
    password = re.search(r"://[^:/@]+:([^@]+)@", url)
    return text.replace(password.group(1), "***") if password else text


def apply(url: str, *, folder: Path | None = None) -> list[str]:
    """Apply what is pending, one migration per transaction, under yoyo's lock. Returns the ids applied."""
    with _yoyo(url, folder) as (backend, migrations, source):
        applied: list[str] = []
        with backend.lock(timeout=LOCK_TIMEOUT_S):
            # re-read under the lock: a concurrent process may have applied them meanwhile
            for migration in backend.to_apply(migrations):
                try:
                    backend.apply_migrations_only([migration])
                except Exception as exc:
                    where = source / f"{migration.id}.sql"
                    raise MigrationError(f"{where}: failed and was rolled back: {_clean(exc, url)}") from None
                applied.append(migration.id)
        return applied


def status(url: str, *, folder: Path | None = None) -> list[MigrationState]:
    with _yoyo(url, folder) as (backend, migrations, _):
        return [MigrationState(m.id, backend.is_applied(m)) for m in migrations]


def rollback(url: str, *, to: str | None = None, all_: bool = False, folder: Path | None = None) -> list[str]:
    """Roll back the latest migration, or every one after `to`, or all. Returns the ids rolled back."""
    with _yoyo(url, folder) as (backend, migrations, source):
        with backend.lock(timeout=LOCK_TIMEOUT_S):
            applied = [m for m in migrations if backend.is_applied(m)]
            if to is not None:
                ids = [m.id for m in migrations]
                if to not in ids:
                    raise MigrationError(f"unknown migration {to!r} (known: {', '.join(ids)})")
                chosen = [m for m in applied if ids.index(m.id) > ids.index(to)]
            elif all_:
                chosen = applied
            else:
                chosen = applied[-1:]
            done: list[str] = []
            for migration in reversed(chosen):
                try:
                    backend.rollback_migrations([migration])
                except Exception as exc:
                    where = source / "rollback" / f"{migration.id}.sql"
                    raise MigrationError(f"{where}: rollback failed: {_clean(exc, url)}") from None
                done.append(migration.id)
            return done


def new(name: str, *, root: Path | None = None) -> list[Path]:
    """Create the next numbered migration, with its rollback, in both dialect folders."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not slug:
        raise MigrationError(f"cannot make a file name from {name!r}")
    folders = [(root / dialect) if root else migrations_dir(dialect) for dialect in DIALECTS]
    numbers = [int(p.name[:4]) for folder in folders for p in folder.glob("[0-9][0-9][0-9][0-9]_*.sql")]
    filename = f"{max(numbers, default=0) + 1:04d}_{slug}.sql"
    created = []
    for folder in folders:
        (folder / "rollback").mkdir(parents=True, exist_ok=True)
        for path, text in ((folder / filename, f"-- {name}\n"), (folder / "rollback" / filename, f"-- undo: {name}\n")):
            if path.exists():
                raise MigrationError(f"{path} already exists")
            path.write_text(text, encoding="utf-8")
            created.append(path)
    return created
