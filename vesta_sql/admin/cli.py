"""The `vesta-sql` command: its arguments, and how it ends (a clear line, never a traceback, for a user's mistake)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ..environments import EMPTY_ENV, EMPTY_URL
from ..errors import ConfigError, VestaError
from . import commands as run

ENV_HELP = "an environment from [tool.vesta-sql.environments] or vesta-sql.toml (an unknown name is an error)"
URL_HELP = ("a database URL or a SQLite file path (sqlite:///vesta.db, vesta.db, postgresql://…); "
            "without --env and --url: DATABASE_URL, else sqlite:///.vesta/dev.db (an empty --url is an error)")
YES_HELP = "confirm without a prompt (needed on a protected database when standard input is not a terminal)"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vesta-sql")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", help=ENV_HELP)
    parser.add_argument("--url", help=URL_HELP)


def _add_accept_drift(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--accept-drift", nargs="+", metavar="FILE", default=[],
                        help="go ahead although these applied migrations changed or are unknown here (a changed "
                             "file's new checksum is recorded)")


def _add_migration_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    migrate = commands.add_parser("migrate", help="apply pending migrations (under yoyo's lock); creates a missing SQLite file")
    _add_target(migrate)
    migrate.add_argument("--dry-run", action="store_true", help="list what would be applied; change nothing")
    migrate.add_argument("--yes", action="store_true", help=YES_HELP)
    migrate.add_argument("--reapply-last", action="store_true",
                         help="roll back the newest migration and apply it again with its current content (not on "
                              "protected environments): the loop while writing a migration")
    _add_accept_drift(migrate)
    migrate.set_defaults(run=run.cmd_migrate)

    status = commands.add_parser("status", help="list migrations: applied, pending, changed since applied, unknown to "
                                                "this install (never creates a database; exit 1 on drift)")
    _add_target(status)
    status.add_argument("--d1", metavar="PATH", help="compare a D1 database's d1_migrations instead: its SQLite file "
                                                     "(e.g. the local D1's) or a `wrangler d1 export` dump")
    status.set_defaults(run=run.cmd_status)

    mark = commands.add_parser("mark", help="record migrations up to --to ID as applied without running them, after "
                                            "verifying the database's tables and columns match")
    _add_target(mark)
    mark.add_argument("--to", metavar="ID", required=True, help="the last migration the database already has")
    mark.add_argument("--yes", action="store_true", help=YES_HELP)
    mark.set_defaults(run=run.cmd_mark)

    rollback = commands.add_parser("rollback", help="roll back the latest migration, or down to --to ID, or --all")
    _add_target(rollback)
    group = rollback.add_mutually_exclusive_group()
    group.add_argument("--to", metavar="ID", help="keep this migration and everything before it")
    group.add_argument("--all", action="store_true", help="roll back every migration (always asks, or needs --yes)")
    rollback.add_argument("--dry-run", action="store_true", help="print what would be rolled back and dropped; change nothing")
    rollback.add_argument("--yes", action="store_true", help=YES_HELP)
    _add_accept_drift(rollback)
    rollback.set_defaults(run=run.cmd_rollback)

    new = commands.add_parser("new", help="create the next numbered migration (and its rollback) in both dialect folders")
    new.add_argument("name", help="what the migration does, e.g. 'add post tags' (becomes the file name)")
    new.add_argument("--folder", help="a migrations root holding sqlite/ and postgres/ (default: the checkout's migrations/)")
    new.set_defaults(run=run.cmd_new)


def _add_admin_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser("demo", help="migrate the embedded default and run the façade on two accounts")
    _add_target(demo)
    demo.add_argument("--yes", action="store_true", help=YES_HELP)
    demo.set_defaults(run=run.cmd_demo)

    role = commands.add_parser("app-role", help="create or update the Postgres app role the façade connects as")
    _add_target(role)
    role.add_argument("--role", required=True, help="the app role's name (created if missing, re-granted if present)")
    secret = role.add_mutually_exclusive_group()
    secret.add_argument("--password", help="the role's password (lands in shell history: prefer --password-env)")
    secret.add_argument("--password-env", metavar="VAR", help="read the role's password from this environment variable")
    role.set_defaults(run=run.cmd_app_role)

    copy = commands.add_parser("copy", help="copy accounts from SQLite (a file or a `wrangler d1 export` dump) into Postgres")
    copy.add_argument("--from", dest="source", required=True, help="sqlite:///file.db, a file path, or a .sql D1 export")
    copy.add_argument("--to", dest="destination", required=True,
                      help="the Postgres target (owner role), migrated to the same version")
    copy.add_argument("--account", action="append", default=[], help="copy only this account (repeatable)")
    copy.add_argument("--batch-rows", type=int, default=20_000, help="rows per COPY batch and transaction")
    copy.add_argument("--yes", action="store_true", help=YES_HELP)
    copy.set_defaults(run=run.cmd_copy)

    account = commands.add_parser("account", help="export or delete every row of one account (owner role)")
    actions = account.add_subparsers(dest="action", required=True, metavar="{export,delete}")
    export = actions.add_parser("export", help="write every row of the account as JSON lines")
    export.add_argument("--account", required=True, help="the account id")
    export.add_argument("--out", help="write the JSON lines to this file instead of standard output")
    _add_target(export)
    export.set_defaults(run=run.cmd_account_export)
    delete = actions.add_parser("delete", help="delete every row of the account, in one transaction (always confirms)")
    delete.add_argument("--account", required=True, help="the account id")
    delete.add_argument("--dry-run", action="store_true", help="print the rows per table that would be deleted; change nothing")
    delete.add_argument("--yes", action="store_true", help="delete without a prompt")
    _add_target(delete)
    delete.set_defaults(run=run.cmd_account_delete)

    studio = commands.add_parser("studio", help="browse one account's data in a local web page (needs vesta-sql[studio])")
    _add_target(studio)
    studio.add_argument("--app-url", help="the app role's URL (Postgres; default: the environment's app_url)")
    studio.add_argument("--app-role", help="read as this role by SET ROLE from the owner (Postgres, instead of --app-url)")
    studio.add_argument("--port", type=int, default=4983, help="the port to listen on (0: any free port)")
    studio.add_argument("--host", default="127.0.0.1",
                        help="listen on another address than 127.0.0.1 (prints a warning: others may reach it)")
    studio.add_argument("--write", action="store_true", help="allow editing, inserting and deleting rows (audited)")
    studio.add_argument("--audit", metavar="FILE", help="the JSON-lines audit trail of --write (default: next to a SQLite file)")
    studio.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS",
                        help="stop any statement (a page, a console query) running longer than this (default 5)")
    studio.add_argument("--yes", action="store_true", help=YES_HELP)
    studio.set_defaults(run=run.cmd_studio)


def _add_check_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    lint = commands.add_parser("d1-lint", help="check the SQLite migrations and queries against Cloudflare D1's rules")
    lint.add_argument("--queries", action="append", default=[], help="an extra query folder (repeatable)")
    lint.set_defaults(run=run.cmd_d1_lint)

    export = commands.add_parser(
        "export", help="write the SQLite queries as D1 runs them: JSON (d1) or a typed client for Workers (typescript)")
    export.add_argument("target", choices=["d1", "typescript"],
                        help="d1: JSON with ordered ?N parameters; typescript: a generated client for Workers")
    export.add_argument("--out", help="d1: this file instead of standard output; typescript: the folder to write (required)")
    export.add_argument("--queries", action="append", default=[], help="an extra query folder (repeatable)")
    export.add_argument("--check", action="store_true", help="typescript: write nothing; exit 1 if the folder is stale")
    export.set_defaults(run=run.cmd_export)

    check = commands.add_parser("check", help="prove every query scoped to one account; check the schema's tenant invariants")
    check.add_argument("paths", nargs="*", metavar="PATH", help="query folders to check (default: the package's own queries)")
    check.add_argument("--postgres-url", help="a Postgres server for the schema checks (a scratch database is made and dropped)")
    check.add_argument("--migrations", metavar="DIR", help="a migrations root holding sqlite/ and postgres/ for the "
                                                           "safety lint (default: the package's migrations)")
    check.set_defaults(run=run.cmd_check)

    stubs = commands.add_parser("stubs", help="write the typed .pyi stubs of the façade (generated from the query files)")
    stubs.add_argument("--check", action="store_true", help="write nothing; exit 1 naming the stale stub files")
    stubs.add_argument("--queries", action="append", metavar="DIR",
                       help="an app's query folder (repeatable): write typed stubs for the app's own queries")
    stubs.add_argument("--out", metavar="DIR", help="where the app's module and stub go (with --queries)")
    stubs.add_argument("--module", default="vesta_app", help="the app module's name (default: vesta_app)")
    stubs.set_defaults(run=run.cmd_stubs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vesta-sql", description="Admin commands of vesta-sql (migrations, checks, demo).")
    parser.add_argument("--version", action="version", version=f"vesta-sql {_version()}", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_migration_commands(commands)
    _add_admin_commands(commands)
    _add_check_commands(commands)
    return parser


def _quiet_broken_pipe() -> int:
    # the reader went away (`| head`): stop writing, and keep the interpreter's final flush from complaining
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a descriptor (captured in-process)
        pass
    return 141  # as a tool killed by SIGPIPE


# options naming a database (or where a secret is): an empty one (`--url "$UNSET"`) is a mistake, never "the default"
_NOT_EMPTY = {
    "env": EMPTY_ENV,
    "url": EMPTY_URL,
    "app_url": "--app-url is empty (an unset variable?): give the app role's URL, or leave --app-url out",
    "postgres_url": "--postgres-url is empty (an unset variable?): give a Postgres server's URL, or leave --postgres-url out",
    "source": "--from is empty (an unset variable?): give the SQLite file, its sqlite:/// URL or a D1 export",
    "destination": "--to is empty (an unset variable?): give the Postgres URL to copy into",
    "password_env": "--password-env is empty: give the name of the environment variable holding the password",
}


def refuse_empty(args: argparse.Namespace) -> None:
    """Raise ConfigError for the first option given as an empty (or blank) string; nothing has run yet."""
    for dest, message in _NOT_EMPTY.items():
        value = getattr(args, dest, None)
        if isinstance(value, str) and not value.strip():
            raise ConfigError(message)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        refuse_empty(args)
        code = int(args.run(args))
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except KeyboardInterrupt:
        print("\nvesta-sql: interrupted (the transaction in progress was rolled back)", file=sys.stderr)
        return 130
    except VestaError as exc:
        # a configuration mistake reads as plain words; other errors keep their class, which names the kind
        kind = "" if isinstance(exc, ConfigError) else f"{type(exc).__name__}: "
        print(f"vesta-sql: {kind}{exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a file the user named cannot be read or written
        print(f"vesta-sql: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
