"""Admin: the Postgres app role the façade connects as (owns nothing, so row-level security applies).

The owner role runs migrations and admin work; it owns the tables and needs BYPASSRLS
(or a superuser) to copy or export every account. The app role gets only DML on the
tenant tables and SELECT on the account directory (its rows are written by triggers).
It may not create TEMP objects or anything in the schema, nor execute the owner's
SECURITY DEFINER functions (migration 0011): the command checks all three at the end and
refuses to report success while any still holds.
"""

from __future__ import annotations

from typing import Any

from ..config import parse_url, redact, redact_error
from ..errors import ConfigError
from ..names import DIRECTORY_TABLE

_RESTRICTIONS = (("rolsuper", "nosuperuser"), ("rolbypassrls", "nobypassrls"), ("rolcreatedb", "nocreatedb"),
                 ("rolcreaterole", "nocreaterole"))
# yoyo's record of applied migrations (and its log, where `migrate` marks compatible ones): what `connect` checks
MIGRATION_RECORD = ("_yoyo_migration", "_yoyo_log")


def _hint(message: str, owner: str, role: str) -> str:
    """What to grant, for the privilege a step lacked (one line)."""
    if "create role" in message:
        return f"as a superuser run `ALTER ROLE {owner} CREATEROLE;`"
    if "SUPERUSER" in message or "BYPASSRLS" in message or "CREATEDB" in message:
        return (f"role {role} has attributes only a superuser may remove: as a superuser run "
                f"`ALTER ROLE {role} NOSUPERUSER NOBYPASSRLS NOCREATEDB;`")
    if "alter role" in message:
        return f"as a superuser run `GRANT {role} TO {owner} WITH ADMIN OPTION;`"
    if "schema" in message:
        return f"as the database owner run `GRANT USAGE ON SCHEMA public TO {owner} WITH GRANT OPTION;`"
    return "run app-role as the role that ran `vesta-sql migrate` (it owns the tables)"


def _role_statement(conn: Any, role: str, password: str | None) -> tuple[str, Any]:
    """CREATE for a new role; for an existing one ALTER only what differs (a CREATEROLE owner may not name SUPERUSER)."""
    from psycopg import sql

    current = conn.execute("select rolcanlogin, rolsuper, rolbypassrls, rolcreatedb, rolcreaterole from pg_roles "
                           "where rolname = %s", (role,)).fetchone()
    if current is None:
        verb, options = "create", ["login", *(option for _, option in _RESTRICTIONS)]
    else:
        verb = "alter"
        options = ([] if current[0] else ["login"]) + [option for flag, (_, option) in zip(current[1:], _RESTRICTIONS,
                                                                                           strict=True) if flag]
    if verb == "alter" and not options and password is None:
        return verb, None
    statement = sql.SQL(f"{verb} role {{}} {' '.join(options)}").format(sql.Identifier(role))
    if password is not None:
        statement = sql.SQL("{} password {}").format(statement, sql.Literal(password))
    return verb, statement


def create_app_role(owner_url: str, role: str, password: str | None = None) -> list[str]:
    """Create (or update) `role` as a login role without superuser or BYPASSRLS, and grant it DML.

    Idempotent: run it again after new migrations to grant the new tables.
    """
    import psycopg
    from psycopg import sql

    target = parse_url(owner_url)
    if target.dialect != "postgres":
        raise ConfigError("roles exist only on Postgres")
    steps: list[str] = []
    try:
        conn: Any = psycopg.connect(target.conninfo, autocommit=True)
    except psycopg.Error as exc:
        raise ConfigError(f"cannot connect to {redact(owner_url)}: {redact_error(exc, owner_url, one_line=True)}") from None
    with conn:
        owner = conn.execute("select current_user").fetchone()[0]
        try:
            verb, statement = _role_statement(conn, role, password)
            if statement is not None:
                conn.execute(statement)
            steps.append(f"{verb} role {role}")
            identifier = sql.Identifier(role)
            conn.execute(sql.SQL("grant usage on schema public to {}").format(identifier))
            tables = [row[0] for row in conn.execute(
                "select tablename from pg_tables where schemaname = 'public' and tablename not like '%%yoyo%%'")]
            for table in tables:
                privileges = "select" if table == DIRECTORY_TABLE else "select, insert, update, delete"
                conn.execute(sql.SQL("grant " + privileges + " on {} to {}").format(sql.Identifier(table), identifier))
                steps.append(f"grant {privileges} on {table}")
            steps.extend(_grant_migration_record(conn, identifier))
            steps.extend(_close_the_wall(conn, role))
        except psycopg.errors.InsufficientPrivilege as exc:
            message = str(exc).strip().splitlines()[0]
            detail = exc.diag.message_detail
            message += f" ({detail.rstrip('.')})" if detail else ""
            raise ConfigError(f"app-role as {owner}: {message}: {_hint(message, owner, role)}") from None
    return steps


def _grant_migration_record(conn: Any, identifier: Any) -> list[str]:
    """Read access to the applied-migration list only, so `connect` can check the version as the app role."""
    from psycopg import sql

    steps = []
    for table in MIGRATION_RECORD:
        if conn.execute("select to_regclass(%s)", (table,)).fetchone()[0] is not None:
            conn.execute(sql.SQL("grant select on {} to {}").format(sql.Identifier(table), identifier))
            steps.append(f"grant select on {table}")
    return steps


# SECURITY DEFINER functions of the schema's tables' owners (pgvector's functions are not definers).
_DEFINERS = """
select p.oid::regprocedure::text
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
 where n.nspname = 'public' and p.prosecdef
"""


def _close_the_wall(conn: Any, role: str) -> list[str]:
    """No TEMP objects, no CREATE in the schema, no EXECUTE on definer functions; then check each."""
    from psycopg import sql

    identifier, database = sql.Identifier(role), sql.Identifier(conn.info.dbname)
    for grantee in (sql.SQL("public"), identifier):  # the app role's own grant, and the one it has as PUBLIC
        conn.execute(sql.SQL("revoke temporary on database {} from {}").format(database, grantee))
    # PUBLIC keeps whatever CREATE it has (none since Postgres 15): the owner may depend on it
    conn.execute(sql.SQL("revoke create on schema public from {}").format(identifier))
    definers = [row[0] for row in conn.execute(_DEFINERS)]
    for function in definers:
        for grantee in (sql.SQL("public"), identifier):
            conn.execute(sql.SQL("revoke execute on function {} from {}").format(sql.SQL(function), grantee))
    left = []
    if conn.execute("select has_database_privilege(%s, current_database(), 'TEMP')", (role,)).fetchone()[0]:
        left.append(f"it can create TEMP objects: as the database owner, run `revoke temporary on database "
                    f"{conn.info.dbname} from public`")
    if conn.execute("select has_schema_privilege(%s, 'public', 'CREATE')", (role,)).fetchone()[0]:
        left.append("it can create objects in schema public: as the schema owner, run "
                    "`revoke create on schema public from public`")
    for function in definers:
        if conn.execute("select has_function_privilege(%s, %s::regprocedure, 'EXECUTE')", (role, function)).fetchone()[0]:
            left.append(f"it can execute the definer function {function}: revoke it (from public too)")
    if left:
        raise ConfigError(f"role {role} is not walled in: " + "; ".join(left))
    return ["revoke temporary on the database", "revoke create on schema public",
            *(f"revoke execute on {function}" for function in definers)]
