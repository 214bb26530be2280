"""What each `vesta-sql` command does: resolve the database, say which it is, confirm, call the admin module."""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import redact
from ..environments import Target, expand, protected_match, resolve
from ..environments import environments as configured
from ..errors import ConfigError, VestaError
from .confirm import confirm, interactive

if TYPE_CHECKING:
    from .migrate import MigrationState


def note(text: str) -> None:
    print(f"vesta-sql: {text}", file=sys.stderr)


def use(args: argparse.Namespace, role: str = "owner") -> Target:
    """The database the command means (never a silent fallback), announced on standard error."""
    target = resolve(args.env, args.url, role=role)
    note(f"using {target.describe()}")
    return target


def writable(out: str) -> Path:
    path = Path(out)
    if not path.parent.is_dir():
        raise ConfigError(f"--out {out}: the folder {path.parent} does not exist (create it first)")
    return path


def _note_unseen_migrations() -> None:
    from .migrate import unseen_checkout_migrations

    unseen = unseen_checkout_migrations()
    if unseen:
        note(unseen)


def cmd_migrate(args: argparse.Namespace) -> int:
    from . import migrate

    _note_unseen_migrations()
    target = use(args)
    url = target.url.url
    if args.reapply_last and target.protected_as:
        raise ConfigError(f"--reapply-last is refused on protected environment {target.protected_as!r}: it rolls back "
                          "the newest migration; write a new migration instead")
    migrate.check_drift(url, accept_drift=args.accept_drift, action="migrate", newest_accepted=args.reapply_last)
    todo = migrate.pending(url) if args.dry_run or target.protected_as else None
    if todo is not None and not todo and not args.reapply_last:
        print("up to date: nothing to apply")
        return 0
    if args.dry_run:
        assert todo is not None
        if args.reapply_last:
            print("would roll back the newest migration and apply it again, with its current content")
        print(f"would apply {len(todo)} migration(s): {', '.join(todo)}")
        return 0
    if todo:
        confirm(target, f"applying {len(todo)} migration(s) ({', '.join(todo)})", yes=args.yes)
    created = migrate.missing_sqlite_file(url)
    applied = migrate.apply(url, accept_drift=args.accept_drift, reapply_last=args.reapply_last, on_note=note)
    if created is not None:
        note(f"created the SQLite database {created}")
    print(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else " (up to date)"))
    return 0


_DRIFT_WORDS = {"changed": "changed since it was applied", "unknown": "applied, unknown to this install",
                "unrecorded": "applied before checksums were kept (`migrate` records it)"}


def cmd_status(args: argparse.Namespace) -> int:
    from . import migrate

    if args.d1:
        return _d1_status(Path(args.d1))
    _note_unseen_migrations()
    url = use(args).url.url
    states = migrate.status(url)
    if not any(state.applied for state in states) and _wrangler_migrated(url):
        note("this database has wrangler's d1_migrations but no yoyo record: if its schema came from those "
             "migrations, `vesta-sql mark --to ID` records them after checking the tables and columns")
    for state in states:
        print(_status_line(state))
    pending = sum(not state.applied for state in states)
    changed = sum(state.drift == "changed" for state in states)
    unknown = sum(state.drift == "unknown" for state in states)
    skipped = [state.id for state in states if state.skipped]
    applied = len(states) - pending - unknown
    drifted = f", {changed} changed since applied, {unknown} unknown to this install" if changed or unknown else ""
    gap = f", {len(skipped)} skipped (pending before applied ones)" if skipped else ""
    print(f"{applied} applied, {pending} pending{drifted}{gap}")
    if drifted:
        print("drift: `migrate` and `rollback` refuse until the files match (or --accept-drift FILE…)")
    if skipped:
        first = [state.id for state in states].index(skipped[0])
        undo = f"rollback --to {states[first - 1].id}" if first else "rollback --all"
        print(f"out of order: `migrate` refuses to apply {', '.join(skipped)} after the later migrations already "
              f"applied; restore the database from a backup, or `vesta-sql {undo}` (it drops what they made), "
              "then migrate")
    return 1 if drifted or skipped else 0


def _status_line(state: MigrationState) -> str:
    if state.skipped:
        return f"  [-] {state.id}  (skipped: not applied, though later migrations are)"
    mark = "?" if state.drift == "unknown" else "!" if state.drift == "changed" else "x" if state.applied else " "
    return f"  [{mark}] {state.id}" + (f"  ({_DRIFT_WORDS[state.drift]})" if state.drift else "")


def _wrangler_migrated(url: str) -> bool:
    from .db import open_sqlite

    if not url.startswith("sqlite"):
        return False
    conn = open_sqlite(url)
    try:
        return conn.execute("select 1 from sqlite_master where name = 'd1_migrations'").fetchone() is not None
    finally:
        conn.close()


def _d1_status(database: Path) -> int:
    from ..resources import migrations_dir
    from .drift import d1_status

    found = d1_status(database, migrations_dir("sqlite"))
    for name in found.applied:
        print(f"  [x] {name}")
    for name in found.pending:
        print(f"  [ ] {name}")
    for name in found.unknown:
        print(f"  [?] {name}  (applied, unknown to this install)")
    print(f"{len(found.applied)} applied, {len(found.pending)} pending, {len(found.unknown)} unknown to this install "
          "(D1 records names only: a changed file cannot be seen)")
    return 1 if found.unknown else 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from . import migrate

    _note_unseen_migrations()
    target = use(args)
    url = target.url.url
    migrate.check_drift(url, accept_drift=args.accept_drift, action="roll back")
    steps = migrate.plan_rollback(url, to=args.to, all_=args.all)
    if not steps:
        print("nothing to roll back")
        return 0
    for step in steps:
        print(f"{'would roll back' if args.dry_run else 'to roll back:'} {step.id}"
              + (" (drops " + ", ".join(f"{t}: {n} row(s)" for t, n in step.drops.items()) + ")" if step.drops else ""))
    if args.dry_run:
        return 0
    confirm(target, f"rolling back {len(steps)} migration(s)", yes=args.yes, always=args.all)
    done = migrate.rollback(url, to=args.to, all_=args.all, accept_drift=args.accept_drift, on_note=note)
    print(f"rolled back {len(done)} migration(s)" + (": " + ", ".join(done) if done else ""))
    return 0


def cmd_mark(args: argparse.Namespace) -> int:
    from .mark import mark

    target = use(args)
    confirm(target, f"recording migrations up to {args.to} as applied without running them", yes=args.yes)
    marked = mark(target.url.url, args.to)
    print(f"marked {len(marked)} migration(s) as applied" + (": " + ", ".join(marked) if marked else " (all were)")
          + "; the schema matched")
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from . import migrate

    for path in migrate.new(args.name, root=Path(args.folder) if args.folder else None):
        print(f"created {path}")
    if not args.folder:
        _note_unseen_migrations()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    target = use(args)
    confirm(target, "writing demo data", yes=args.yes)
    return int(run_demo(target.url.url))


def _password(args: argparse.Namespace) -> str | None:
    if args.password is not None:
        note("warning: a password given with --password lands in your shell history; prefer --password-env VAR")
        return str(args.password)
    if args.password_env:
        if args.password_env not in os.environ:
            raise ConfigError(f"--password-env {args.password_env}: that environment variable is not set")
        return os.environ[args.password_env]
    if not interactive():
        return None
    import getpass

    first = getpass.getpass(f"password for role {args.role} (empty: leave it unchanged): ")
    if first and getpass.getpass("again: ") != first:
        raise ConfigError("the two passwords differ; nothing was changed")
    return first or None


def cmd_app_role(args: argparse.Namespace) -> int:
    from .roles import create_app_role

    target = use(args)
    password = _password(args)
    for step in create_app_role(target.url.url, args.role, password):
        print(step)
    return 0


def cmd_d1_lint(args: argparse.Namespace) -> int:
    from .check.d1 import check_d1, d1_exempt

    problems = check_d1(extra_queries=args.queries)
    for line in [*problems, *d1_exempt(extra_queries=args.queries)]:
        print(line)
    print(f"D1 lint: {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


def cmd_check(args: argparse.Namespace) -> int:
    from .check import run_check
    from .check.d1 import check_d1, d1_exempt

    # the D1 rules too: migrations/sqlite and every query that runs on SQLite
    extra = args.paths or None
    try:
        d1_problems = check_d1(extra_queries=extra)
        d1_notes = d1_exempt(extra_queries=extra)
    except VestaError as exc:  # files the loader refuses are reported by the scope check below
        first = str(exc).splitlines()[0]
        why = "the queries do not load (the problems are listed above)" if "\n" in str(exc) else first
        d1_problems, d1_notes = [], [f"note: D1 rules not applied: {why}"]
    result = run_check(args.paths, postgres_url=args.postgres_url,
                       migrations=Path(args.migrations) if args.migrations else None)
    lines = result.lines()
    for line in [*d1_problems, *lines[:-1], *d1_notes]:
        print(line)
    total = len(d1_problems) + len(result.errors)
    if total:  # one count for everything found, whichever rule found it
        print(f"vesta-sql check: {total} problem(s) ({len(result.errors)} scope/schema/migration safety, {len(d1_problems)} D1)")
    else:
        print(lines[-1])
    return 1 if total else 0


def cmd_export(args: argparse.Namespace) -> int:
    from .export.d1 import export_json, package_specs

    if args.target == "typescript":
        return _export_typescript(args)
    out = writable(args.out) if args.out else None
    text = export_json(package_specs(args.queries))
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _export_typescript(args: argparse.Namespace) -> int:
    from .export.typescript import stale_files, write_client

    if not args.out:
        raise ConfigError("export typescript needs --out DIR: the folder the client is written to (made if missing)")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file: give the folder the client is written to")
    if args.check:
        stale = stale_files(out, args.queries)
        for name in stale:
            print(f"{out / name}: stale; run `vesta-sql export typescript --out {out}` and commit it")
        return 1 if stale else 0
    for name in write_client(out, args.queries):
        note(f"wrote {out / name}")
    return 0


def cmd_stubs(args: argparse.Namespace) -> int:
    from .stubs import stale_stubs, write_stubs

    if args.queries or args.out:
        return _app_stubs(args)
    if args.check:
        stale = stale_stubs()
        for path in stale:
            print(f"stale: {path}", file=sys.stderr)
        if stale:
            print("the stubs differ from the query files and programs; run `vesta-sql stubs`", file=sys.stderr)
            return 1
        print("stubs are up to date")
        return 0
    written = write_stubs()
    for path in written:
        print(f"wrote {path}")
    if not written:
        print("stubs are up to date")
    return 0


def _app_stubs(args: argparse.Namespace) -> int:
    from .app_stubs import write_app_stubs

    if not args.queries or not args.out:
        print("vesta-sql stubs: --queries DIR and --out DIR go together (the app's query folders, where to write)",
              file=sys.stderr)
        return 2
    written = write_app_stubs([Path(folder) for folder in args.queries], Path(args.out), args.module)
    for path in written:
        print(f"wrote {path}")
    if not written:
        print("the app's stubs are up to date")
    return 0


def cmd_copy(args: argparse.Namespace) -> int:
    from .copy.run import copy

    destination = expand(args.destination, where="--to")
    target = Target(destination, "--to", protected_match(destination, configured()))
    note(f"copying from {redact(args.source)} into {target.describe()}")
    confirm(target, "copying into", yes=args.yes)
    report = copy(args.source, destination.url, accounts=args.account or None, batch_rows=args.batch_rows)
    print(report.summary())
    return 0 if report.ok else 1


def cmd_account_export(args: argparse.Namespace) -> int:
    from . import accounts

    url = use(args).url.url
    out = writable(args.out) if args.out else None
    buffer = io.StringIO()  # nothing is written for an account that does not exist
    counts = accounts.export_account(url, args.account, buffer)
    if out:
        out.write_text(buffer.getvalue(), encoding="utf-8")
    else:
        sys.stdout.write(buffer.getvalue())
    note(f"exported {sum(counts.values())} row(s) of {args.account}")
    return 0


def cmd_account_delete(args: argparse.Namespace) -> int:
    from . import accounts

    target = use(args)
    url = target.url.url
    if args.dry_run:
        counts = accounts.count_account(url, args.account)
        for table, count in counts.items():
            print(f"  {table}: {count}")
        print(f"would delete {sum(counts.values())} row(s) of {args.account} (and their search-index rows); "
              "nothing was changed")
        return 0
    confirm(target, f"deleting every row of account {args.account}", yes=args.yes, always=True)
    deleted = accounts.delete_account(url, args.account)
    for table, count in deleted.items():
        print(f"  {table}: {count}")
    print(f"deleted {sum(deleted.values())} row(s) of {args.account}; none remain")
    return 0


def cmd_studio(args: argparse.Namespace) -> int:
    try:
        from .studio.app import serve
    except ImportError as exc:
        raise ConfigError(f"the studio needs its extra: pip install 'vesta-sql[studio]' ({exc.name} is missing)") from None

    target = use(args)
    app_url = args.app_url
    if app_url is None and args.env is not None and target.url.dialect == "postgres" and args.app_role is None:
        app_url = resolve(args.env, None, role="app").url.url
        app_url = None if app_url == target.url.url else app_url  # an environment with one url: SET ROLE is then needed
    if args.timeout <= 0:
        raise ConfigError(f"--timeout {args.timeout}: give a number of seconds above 0")
    if args.write:
        confirm(target, "opening the studio with --write", yes=args.yes)
    return serve(target.url.url, describe=target.describe(), app_url=app_url, app_role=args.app_role, write=args.write,
                 host=args.host, port=args.port, audit_path=Path(args.audit) if args.audit else None,
                 environment=args.env or target.source, timeout_ms=int(args.timeout * 1000))
