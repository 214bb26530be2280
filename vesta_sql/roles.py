"""Admin: the Postgres app role the façade connects as (owns nothing, so row-level security applies).

The owner role runs migrations and admin work; it owns the tables and needs BYPASSRLS
(or a superuser) to copy or export every account. The app role gets only DML on the
tenant tables and SELECT on the account directory (its rows are written by triggers).
"""

from __future__ import annotations

from typing import Any

from .config import parse_url, redact
from .errors import ConfigError

DIRECTORY_TABLE = "account_directory"


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
        raise ConfigError(f"cannot connect to {redact(owner_url)}: {exc}") from None
    with conn:
        exists = conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
        verb = "alter" if exists else "create"
        statement = sql.SQL(verb + " role {} login nosuperuser nobypassrls nocreatedb nocreaterole").format(sql.Identifier(role))
        if password is not None:
            statement = sql.SQL("{} password {}").format(statement, sql.Literal(password))
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
    return steps
