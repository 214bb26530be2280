"""The `vesta-sql` command: parses arguments and calls the admin modules. No logic of its own."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .config import redact, resolve_url
from .errors import VestaError


def _target(args: argparse.Namespace, role: str = "owner") -> str:
    return resolve_url(args.env, args.url, role=role).url


def _add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", help="an environment from [tool.vesta-sql.environments] (dev, test, prod, …)")
    parser.add_argument("--url", help="a database URL; overrides --env (e.g. sqlite:///vesta.db, postgresql://…)")


def cmd_migrate(args: argparse.Namespace) -> int:
    from . import migrate

    url = _target(args)
    applied = migrate.apply(url)
    print(f"{redact(url)}: applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else " (up to date)"))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from . import migrate

    url = _target(args)
    states = migrate.status(url)
    print(f"{redact(url)}:")
    for state in states:
        print(f"  [{'x' if state.applied else ' '}] {state.id}")
    pending = sum(not state.applied for state in states)
    print(f"{len(states) - pending} applied, {pending} pending")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from . import migrate

    url = _target(args)
    done = migrate.rollback(url, to=args.to, all_=args.all)
    print(f"{redact(url)}: rolled back {len(done)} migration(s)" + (": " + ", ".join(done) if done else ""))
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import migrate

    for path in migrate.new(args.name, root=Path(args.folder) if args.folder else None):
        print(f"created {path}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return int(run_demo(_target(args)))


def cmd_app_role(args: argparse.Namespace) -> int:
    from .roles import create_app_role

    for step in create_app_role(_target(args), args.role, args.password):
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
        d1_problems, d1_notes = [], [f"note: D1 rules not applied: {exc}"]
    for line in [*d1_problems, *d1_notes]:
        print(line)
    print(f"D1 rules: {len(d1_problems)} problem(s)")
    result = run_check(args.paths, postgres_url=args.postgres_url)
    for line in result.lines():
        print(line)
    return 0 if result.ok and not d1_problems else 1


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .d1_export import export_json, package_specs

    text = export_json(package_specs(args.queries))
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
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
    from .copy import copy

    report = copy(args.source, args.to, accounts=args.account or None, batch_rows=args.batch_rows)
    print(report.summary())
    return 0 if report.ok else 1


def cmd_account(args: argparse.Namespace) -> int:
    from . import accounts

    url = _target(args)
    if args.action == "export":
        if args.out:
            with open(args.out, "w", encoding="utf-8") as handle:
                counts = accounts.export_account(url, args.account, handle)
        else:
            counts = accounts.export_account(url, args.account, sys.stdout)
        print(f"exported {sum(counts.values())} row(s) of {args.account} from {redact(url)}", file=sys.stderr)
        return 0
    deleted = accounts.delete_account(url, args.account)
    for table, count in deleted.items():
        print(f"  {table}: {count}")
    print(f"deleted {sum(deleted.values())} row(s) of {args.account} from {redact(url)}; none remain")
    return 0


def _add_account_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    copy = commands.add_parser("copy", help="copy accounts from SQLite (a file or a `wrangler d1 export` dump) into Postgres")
    copy.add_argument("--from", dest="source", required=True, help="sqlite:///file.db, a file path, or a .sql D1 export")
    copy.add_argument("--to", required=True, help="the Postgres target (owner role), migrated to the same version")
    copy.add_argument("--account", action="append", default=[], help="copy only this account (repeatable)")
    copy.add_argument("--batch-rows", type=int, default=20_000, help="rows per COPY batch and transaction")
    copy.set_defaults(run=cmd_copy)
    account = commands.add_parser("account", help="export or delete every row of one account (owner role)")
    account.add_argument("action", choices=["export", "delete"])
    account.add_argument("--account", required=True)
    account.add_argument("--out", help="export: write the JSON lines here instead of standard output")
    _add_target(account)
    account.set_defaults(run=cmd_account)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vesta-sql", description="Admin commands of vesta-sql (migrations, checks, demo).")
    commands = parser.add_subparsers(dest="command", required=True)

    for name, function, text in (
        ("migrate", cmd_migrate, "apply pending migrations (under yoyo's lock)"),
        ("status", cmd_status, "list migrations and whether each is applied"),
        ("demo", cmd_demo, "migrate the embedded default and run the façade on two accounts"),
    ):
        sub = commands.add_parser(name, help=text)
        _add_target(sub)
        sub.set_defaults(run=function)

    rollback = commands.add_parser("rollback", help="roll back the latest migration, or down to --to ID, or --all")
    _add_target(rollback)
    group = rollback.add_mutually_exclusive_group()
    group.add_argument("--to", help="keep this migration and everything before it")
    group.add_argument("--all", action="store_true", help="roll back every migration")
    rollback.set_defaults(run=cmd_rollback)

    new = commands.add_parser("new", help="create the next numbered migration (and its rollback) in both dialect folders")
    new.add_argument("name")
    new.add_argument("--folder", help="a migrations root holding sqlite/ and postgres/ (default: the package's)")
    new.set_defaults(run=cmd_new)

    role = commands.add_parser("app-role", help="create or update the Postgres app role the façade connects as")
    _add_target(role)
    role.add_argument("--role", required=True)
    role.add_argument("--password")
    role.set_defaults(run=cmd_app_role)
    lint = commands.add_parser("d1-lint", help="check the SQLite migrations and queries against Cloudflare D1's rules")
    lint.add_argument("--queries", action="append", default=[], help="an extra query folder (repeatable)")
    lint.set_defaults(run=cmd_d1_lint)

    export = commands.add_parser("export", help="write the SQLite queries as D1 runs them (ordered ?N parameters) as JSON")
    export.add_argument("target", choices=["d1"])
    export.add_argument("--out", help="write to this file instead of standard output")
    export.add_argument("--queries", action="append", default=[], help="an extra query folder (repeatable)")
    export.set_defaults(run=cmd_export)
    check = commands.add_parser("check", help="prove every query scoped to one account; check the schema's tenant invariants")
    check.add_argument("paths", nargs="*", metavar="PATH", help="query folders to check (default: the package's own queries)")
    check.add_argument("--postgres-url", help="a Postgres server for the schema checks (a scratch database is made and dropped)")
    check.set_defaults(run=cmd_check)
    stubs = commands.add_parser("stubs", help="write the typed .pyi stubs of the façade (generated from the query files)")
    stubs.add_argument("--check", action="store_true", help="write nothing; exit 1 naming the stale stub files")
    stubs.add_argument("--queries", action="append", metavar="DIR",
                       help="an app's query folder (repeatable): write typed stubs for the app's own queries")
    stubs.add_argument("--out", metavar="DIR", help="where the app's module and stub go (with --queries)")
    stubs.add_argument("--module", default="vesta_app", help="the app module's name (default: vesta_app)")
    stubs.set_defaults(run=cmd_stubs)
    _add_account_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except VestaError as exc:
        print(f"vesta-sql: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
