"""Admin: apply, inspect and roll back the package's migrations with yoyo (not part of the façade).

Forward files live in `migrations/<dialect>/`, rollbacks in `migrations/<dialect>/rollback/`
(so that `wrangler d1 migrations apply` can take the SQLite folder as it is). yoyo wants
`NAME.sql` beside `NAME.rollback.sql`, so both are laid out in a scratch folder for it.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import DatabaseUrl, parse_url, redact, redact_error
from ..errors import MigrationError
from ..migration_files import check_folder, forward_files
from ..resources import DIALECTS, inside_installed_package, migrations_dir
from ..schema_version import COMPATIBLE_MARK, LOG, is_compatible
from . import drift

LOCK_TIMEOUT_S = 600


@dataclass(frozen=True)
class MigrationState:
    id: str
    applied: bool
    drift: str = ""  # "changed" (since applied), "unknown" (to this install), "unrecorded" (no checksum yet)
    skipped: bool = False  # not applied, though a migration after it is: `migrate` refuses to run it out of order


def missing_sqlite_file(url: str) -> Path | None:
    """The SQLite file `url` names when it does not exist yet (only `migrate` creates it)."""
    target = parse_url(url)
    if target.dialect != "sqlite" or target.sqlite_path == ":memory:":
        return None
    path = Path(str(target.sqlite_path))
    return None if path.exists() else path


def _ensure_target(target: DatabaseUrl, create: bool) -> None:
    if target.dialect == "sqlite":
        if target.sqlite_path == ":memory:":
            raise MigrationError("an in-memory SQLite database cannot be migrated (yoyo uses its own connection); use a file")
        path = Path(str(target.sqlite_path))
        if path.exists():
            return
        if not create:
            raise MigrationError(f"no SQLite database at {path}: `vesta-sql migrate` creates it")
        path.parent.mkdir(parents=True, exist_ok=True)


def has_statement(sql_text: str) -> bool:
    """Whether a migration holds anything but comments, whitespace and semicolons."""
    without = re.sub(r"/\*.*?\*/", " ", sql_text, flags=re.S)
    without = re.sub(r"--[^\n]*", " ", without)
    return bool(without.replace(";", " ").strip())


@contextmanager
def _yoyo(url: str, folder: Path | None, *, create: bool = False) -> Iterator[tuple[Any, Any, Path]]:
    from yoyo import get_backend, read_migrations

    target = parse_url(url)
    source = folder or migrations_dir(target.dialect)
    if not source.is_dir():
        raise MigrationError(f"no migrations folder at {source}")
    check_folder(source)  # before the database is opened (or a SQLite file created)
    with tempfile.TemporaryDirectory(prefix="vesta-migrations-") as scratch:
        laid_out = Path(scratch)
        for forward in forward_files(source):
            if create and not has_statement(forward.read_text(encoding="utf-8")):
                raise MigrationError(f"{forward}: holds no statement yet; write the migration (or delete the file) first")
            shutil.copyfile(forward, laid_out / forward.name)
            shutil.copyfile(source / "rollback" / forward.name, laid_out / f"{forward.stem}.rollback.sql")
        _ensure_target(target, create)
        try:
            backend = get_backend(target.yoyo_url)
        except Exception as exc:  # yoyo raises driver errors of either dialect
            raise MigrationError(f"cannot connect to {redact(url)}: {redact_error(exc, url, one_line=True)}") from None
        if target.dialect == "sqlite":
            # sqlite3's 5 s default: a second `migrate` would fail "database is locked" while the first
            # commits a long migration, before it even reaches yoyo's lock (which waits LOCK_TIMEOUT_S)
            backend.connection.execute(f"pragma busy_timeout = {LOCK_TIMEOUT_S * 1000}")
        try:
            yield backend, read_migrations(str(laid_out)), source
        finally:
            backend.connection.close()


def apply(url: str, *, folder: Path | None = None, accept_drift: Sequence[str] = (), reapply_last: bool = False,
          on_note: Callable[[str], None] | None = None) -> list[str]:
    """Apply what is pending, one migration per transaction, under yoyo's lock. Returns the ids applied.

    Refuses a drifted database (an applied file changed, or one unknown here) unless the drifted
    files are in `accept_drift`. `reapply_last` first rolls back the newest migration, accepting
    its changed content (the dev loop; the command refuses it on protected environments).
    """
    with _yoyo(url, folder, create=True) as (backend, migrations, source):
        applied: list[str] = []
        with backend.lock(timeout=LOCK_TIMEOUT_S):
            # re-read under the lock: a concurrent process may have applied them meanwhile
            refuse_out_of_order(backend, migrations)  # first: `_guard` may record checksums
            _guard(backend, migrations, source, accept_drift, "migrate", on_note,
                   newest=migrations[-1].id if reapply_last and migrations else None)
            if reapply_last:
                _rollback_newest(backend, migrations, source, url)
            for migration in backend.to_apply(migrations):
                try:
                    with _quiet():
                        backend.apply_migrations_only([migration])
                except Exception as exc:
                    where = source / f"{migration.id}.sql"
                    raise MigrationError(f"{where}: failed and {_undone(migration)}: {_explain(exc, url)}") from None
                drift.record(backend, migration.id, source)
                if is_compatible(source / f"{migration.id}.sql"):
                    _mark_compatible(backend, migration.id)
                applied.append(migration.id)
        return applied


def skipped(backend: Any, migrations: Sequence[Any]) -> list[Any]:
    """The pending migrations that sort before an applied one: yoyo would apply them after it, out of order."""
    done = [backend.is_applied(m) for m in migrations]
    last = max((i for i, applied in enumerate(done) if applied), default=0)
    return [m for i, m in enumerate(migrations[:last]) if not done[i]]


def refuse_out_of_order(backend: Any, migrations: Sequence[Any]) -> None:
    """Refuse to migrate a database with a migration skipped, naming it and the applied ones after it."""
    gap = skipped(backend, migrations)
    if not gap:
        return
    ids = [m.id for m in migrations]
    first = ids.index(gap[0].id)
    after = [m.id for m in migrations[first:] if backend.is_applied(m)]
    undo = f"`vesta-sql rollback --to {ids[first - 1]}`" if first else "`vesta-sql rollback --all`"
    it = "it" if len(gap) == 1 else "them"
    raise MigrationError(
        f"refusing to migrate: {_listed([m.id for m in gap])} not applied while later migrations are "
        f"({_listed(after)}): applying {it} now would run {it} out of order, after migrations written to follow "
        f"{it}. Nothing was changed. Restore the database from a backup taken before {after[0]} was applied, "
        f"or undo the later ones with {undo} (it drops what they made; add --dry-run to see what) "
        "and run `vesta-sql migrate` again")


def _listed(ids: list[str]) -> str:
    return ids[0] if len(ids) == 1 else f"{ids[0]} … {ids[-1]} ({len(ids)} migrations)" if len(ids) > 3 else ", ".join(ids)


def _undone(migration: Any) -> str:
    if getattr(migration, "use_transactions", True):
        return "was rolled back"
    # `-- transactional: false`: yoyo undoes a statement that ran only by the rollback file's statement
    # paired with it (the rollback's statements in reverse order), so what ran may well stay
    return ("was NOT rolled back (it is marked `-- transactional: false`, so each statement ran on its own): "
            "the statements before the failing one stay applied unless the rollback file has a statement paired "
            "with each (yoyo pairs them in reverse order); check the database by hand (e.g. for an INVALID index "
            "left by `create index concurrently`), then run `vesta-sql migrate` again")


def _guard(backend: Any, migrations: Any, source: Path, accept: Sequence[str], action: str,
           on_note: Callable[[str], None] | None, newest: str | None = None) -> None:
    """Under the lock: record missing checksums (saying so), then refuse drift that is not accepted."""
    for line in drift.prepare(backend, migrations, source):
        if on_note:
            on_note(line)
    found = drift.find(backend, migrations, source)
    if newest is not None and newest in found.changed:
        found.changed.remove(newest)  # the dev loop accepts the newest file's new content
    for migration_id in drift.refuse(found, accept, source, action=action):
        drift.record(backend, migration_id, source)
        if on_note:
            on_note(f"accepted drift: recorded the current checksum of {migration_id}")


def _quiet() -> redirect_stdout[io.StringIO]:
    """yoyo prints the rows of any step that returns some (0011's SQLite rollback is a no-op `select`,
    and applied files are never edited): the commands print their own lines, nothing of a migration's."""
    return redirect_stdout(io.StringIO())


def _rollback_newest(backend: Any, migrations: Any, source: Path, url: str) -> None:
    newest = migrations[-1]
    if not backend.is_applied(newest):
        return  # nothing to undo: it is simply applied below
    try:
        with _quiet():
            backend.rollback_migrations([newest])
    except Exception as exc:
        raise MigrationError(f"{source / 'rollback' / (newest.id + '.sql')}: rollback failed: {redact_error(exc, url)}") from None
    drift.forget(backend, newest.id)


def _mark_compatible(backend: Any, migration_id: str) -> None:
    """Record that older releases may keep running against this migration (read by `connect`)."""
    with backend.transaction():
        backend.execute(f"update {LOG} set comment = :mark where migration_id = :id and operation = 'apply'",
                        {"mark": COMPATIBLE_MARK, "id": migration_id})


def _explain(exc: BaseException, url: str) -> str:
    """The driver's error; for a missing pgvector, what to run and as whom."""
    text = redact_error(exc, url)
    if 'extension "vector"' not in text:
        return text
    from psycopg.conninfo import conninfo_to_dict

    info = conninfo_to_dict(parse_url(url).conninfo)
    user, dbname = info.get("user") or "this role", info.get("dbname") or info.get("user") or "this database"
    if "not available" in text:
        return (f"{text.splitlines()[0]}: pgvector is not installed on this server; install it "
                "(e.g. the postgresql-<version>-pgvector package), then run `vesta-sql migrate` again")
    return (f"{text.splitlines()[0]}: role {user} may not create the vector extension; as a superuser run "
            f"`CREATE EXTENSION vector;` in database {dbname} (e.g. psql -U postgres -d {dbname} -c 'CREATE EXTENSION vector;'), "
            "then run `vesta-sql migrate` again")


def pending(url: str, *, folder: Path | None = None) -> list[str]:
    """The ids `apply` would apply now (all of them for a SQLite file that does not exist yet)."""
    if missing_sqlite_file(url) is not None:
        source = folder or migrations_dir("sqlite")
        check_folder(source)
        return [p.stem for p in forward_files(source)]
    with _yoyo(url, folder) as (backend, migrations, _):
        return [m.id for m in backend.to_apply(migrations)]


def status(url: str, *, folder: Path | None = None) -> list[MigrationState]:
    """Each file, applied or not, with its drift; then what the database applied that no file here names."""
    with _yoyo(url, folder) as (backend, migrations, source):
        found = drift.find(backend, migrations, source)
        marks = {**{m: "changed" for m in found.changed}, **{m: "unrecorded" for m in found.unrecorded}}
        gap = {m.id for m in skipped(backend, migrations)}
        states = [MigrationState(m.id, backend.is_applied(m), marks.get(m.id, ""), m.id in gap) for m in migrations]
        states += [MigrationState(m, True, "unknown") for m in found.unknown]
        backend.rollback()
        return states


def check_drift(url: str, *, accept_drift: Sequence[str] = (), action: str, folder: Path | None = None,
                newest_accepted: bool = False) -> None:
    """Refuse early (before any prompt) what `apply`/`rollback` would refuse under the lock; changes nothing.

    The folder's numbering always; for `migrate`, a skipped migration too (`rollback` may undo the
    migrations after it: one way to close the gap)."""
    if missing_sqlite_file(url) is not None:
        check_folder(folder or migrations_dir("sqlite"))
        return
    with _yoyo(url, folder) as (backend, migrations, source):
        if action == "migrate":
            refuse_out_of_order(backend, migrations)
        found = drift.find(backend, migrations, source)
        backend.rollback()
    if newest_accepted and migrations and migrations[-1].id in found.changed:
        found.changed.remove(migrations[-1].id)
    drift.refuse(found, accept_drift, source, action=action)


def _choose(backend: Any, migrations: Any, to: str | None, all_: bool) -> list[Any]:
    applied = [m for m in migrations if backend.is_applied(m)]
    if to is not None:
        ids = [m.id for m in migrations]
        if to not in ids:
            raise MigrationError(f"unknown migration {to!r} (known: {', '.join(ids)})")
        return [m for m in applied if ids.index(m.id) > ids.index(to)]
    return applied if all_ else applied[-1:]


_DROP = re.compile(r"\bdrop\s+table\s+(?:if\s+exists\s+)?\"?(\w+)\"?", re.I)


@dataclass(frozen=True)
class RollbackStep:
    id: str
    drops: dict[str, int]  # the tables its rollback file drops, with the rows each holds now


def plan_rollback(url: str, *, to: str | None = None, all_: bool = False, folder: Path | None = None) -> list[RollbackStep]:
    """What `rollback` would do, latest first, without changing anything."""
    with _yoyo(url, folder) as (backend, migrations, source):
        chosen = _choose(backend, migrations, to, all_)
        present = set(backend.list_tables())
        steps = []
        for migration in reversed(chosen):
            text = (source / "rollback" / f"{migration.id}.sql").read_text(encoding="utf-8")
            names = [n for n in _DROP.findall(re.sub(r"--[^\n]*", " ", text)) if n in present]
            # the names come from our own rollback files and exist in the database: safe to quote
            drops = {n: int(backend.execute(f'select count(*) from "{n}"').fetchone()[0]) for n in names}
            steps.append(RollbackStep(migration.id, drops))
        backend.rollback()
    return steps


def rollback(url: str, *, to: str | None = None, all_: bool = False, folder: Path | None = None,
             accept_drift: Sequence[str] = (), on_note: Callable[[str], None] | None = None) -> list[str]:
    """Roll back the latest migration, or every one after `to`, or all. Returns the ids rolled back.

    Refuses a drifted database unless the drifted files are in `accept_drift`: with a migration
    unknown to this install applied, "the latest" would be the wrong one.
    """
    with _yoyo(url, folder) as (backend, migrations, source):
        with backend.lock(timeout=LOCK_TIMEOUT_S):
            _guard(backend, migrations, source, accept_drift, "roll back", on_note)
            chosen = _choose(backend, migrations, to, all_)
            done: list[str] = []
            for migration in reversed(chosen):
                try:
                    with _quiet():
                        backend.rollback_migrations([migration])
                except Exception as exc:
                    where = source / "rollback" / f"{migration.id}.sql"
                    raise MigrationError(f"{where}: rollback failed: {redact_error(exc, url)}") from None
                drift.forget(backend, migration.id)
                done.append(migration.id)
            return done


def checkout_migrations(cwd: Path | None = None) -> Path:
    """The `migrations/` folder of the checkout around `cwd`, else the package's own (when it is a checkout)."""
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        candidate = folder / "migrations"
        if (folder / "pyproject.toml").is_file() and all((candidate / d).is_dir() for d in DIALECTS):
            return candidate
    return migrations_dir(DIALECTS[0]).parent


def unseen_checkout_migrations(cwd: Path | None = None) -> str | None:
    """A note when the checkout around `cwd` holds migration files that the installed package (which
    `migrate`, `status` and `rollback` read) does not: a regular install copies them at install time."""
    checkout, installed = checkout_migrations(cwd), migrations_dir(DIALECTS[0]).parent
    if checkout.resolve() == installed.resolve():
        return None
    known = {p.name for d in DIALECTS for p in (installed / d).glob("*.sql")}
    extra = sorted({p.name for d in DIALECTS for p in (checkout / d).glob("*.sql")} - known)
    if not extra:
        return None
    return (f"{checkout} holds {', '.join(extra)}, which the installed package does not: this command uses the "
            f"installed copy ({installed}); install the checkout in editable mode (`pip install -e .`) to use them")


def new(name: str, *, root: Path | None = None) -> list[Path]:
    """Create the next numbered migration, with its rollback, in both dialect folders of the checkout."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not slug:
        raise MigrationError(f"cannot make a file name from {name!r}")
    root = root or checkout_migrations()
    if inside_installed_package(root):
        raise MigrationError(f"not writing into {root}: it is inside an installed package; run `vesta-sql new` in a "
                             "checkout of the project, or pass --folder naming the checkout's migrations/")
    folders = [root / dialect for dialect in DIALECTS]
    numbers = [int(p.name[:4]) for folder in folders for p in folder.glob("[0-9][0-9][0-9][0-9]_*.sql")]
    filename = f"{max(numbers, default=0) + 1:04d}_{slug}.sql"
    created = []
    for folder in folders:
        (folder / "rollback").mkdir(parents=True, exist_ok=True)
        scaffold = f"-- {name}\n-- Write the statements here: `vesta-sql migrate` refuses this file while it holds none.\n"
        if folder.name == "postgres":  # what `vesta-sql check`'s Squawk rules ask of every Postgres migration
            scaffold += ("-- Begin with bounded waits (yoyo runs the file in one transaction), e.g.:\n"
                         "--   set local lock_timeout = '5s';\n--   set local statement_timeout = '60s';\n"
                         "-- and see docs/migrations.md (expand, deploy, contract).\n")
        undo = f"-- undo: {name}\n" + (scaffold.split("\n", 2)[2] if folder.name == "postgres" else "")
        for path, text in ((folder / filename, scaffold), (folder / "rollback" / filename, undo)):
            if path.exists():
                raise MigrationError(f"{path} already exists")
            path.write_text(text, encoding="utf-8")
            created.append(path)
    return created
