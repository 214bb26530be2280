"""The wall under row-level security (migration 0011, `vesta-sql app-role`): with raw SQL, the
app role tries each route to the owner's code and to the account directory, and each fails."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from vesta_sql.admin.roles import create_app_role

from .conftest import APP_ROLE

REFUSED = (psycopg.errors.InsufficientPrivilege, psycopg.errors.FeatureNotSupported)
SHADOW = "select kind, key, account_id from public.account_directory"


def app(pg_urls: tuple[str, str]) -> psycopg.Connection[Any]:
    return psycopg.connect(pg_urls[1], autocommit=True)


@pytest.mark.parametrize("statement", [
    "create temp table directory_feed (kind text, key text, account_id text)",
    f"create temp view account_directory with (security_invoker = true) as {SHADOW}",
    f"create view pg_temp.account_directory as {SHADOW}",
    "create table public.directory_feed (kind text, key text, account_id text)",
    "create function public.sneak() returns int language sql as 'select 1'",
])
def test_the_app_role_cannot_create_objects(pg_urls: tuple[str, str], statement: str) -> None:
    with app(pg_urls) as conn, pytest.raises(REFUSED):
        conn.execute(statement)


def test_the_app_role_cannot_execute_the_definer_function(pg_urls: tuple[str, str]) -> None:
    with app(pg_urls) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for function"):
            conn.execute("select public.account_directory_sync()")
        for table in ("creators", "smart_links", "stripe_payments"):  # nor hang it on the owner's tables
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"create trigger sneak after insert on {table} for each row "
                             "execute function account_directory_sync('smart_link', 'slug')")


def test_the_temp_route_fails_even_where_temp_objects_are_allowed(pg_urls: tuple[str, str]) -> None:
    """The function itself refuses a TEMP table (here made by the owner, who may): defence in depth."""
    owner, _ = pg_urls
    with psycopg.connect(owner) as conn:  # a transaction, rolled back
        conn.execute(f"create temp view account_directory with (security_invoker = true) as {SHADOW}")
        conn.execute("create temp table creators (account_id text, workos_org_id text)")
        conn.execute("create trigger sneak after insert on pg_temp.creators for each row "
                     "execute function public.account_directory_sync('sso_org', 'workos_org_id')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="may only fire for the tables"):
            conn.execute("insert into pg_temp.creators values ('acc_victim', 'org_stolen')")
        conn.rollback()


def test_the_function_refuses_a_table_it_was_not_made_for(pg_urls: tuple[str, str]) -> None:
    owner, _ = pg_urls
    with psycopg.connect(owner) as conn:
        conn.execute("create table public.lookalike (account_id text, slug text)")
        conn.execute("create trigger sneak after insert on public.lookalike for each row "
                     "execute function account_directory_sync('smart_link', 'slug')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=r"public\.lookalike"):
            conn.execute("insert into public.lookalike values ('acc_victim', 'stolen-slug')")
        conn.rollback()


def test_every_definer_function_is_walled(pg_urls: tuple[str, str]) -> None:
    owner, _ = pg_urls
    with psycopg.connect(owner) as conn:
        rows = conn.execute(
            "select p.oid::regprocedure::text, p.proconfig, p.prosrc, has_function_privilege(%s, p.oid, 'EXECUTE') "
            "from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' and p.prosecdef",
            (APP_ROLE,)).fetchall()
        public_temp = conn.execute("select has_database_privilege('public', current_database(), 'TEMP')").fetchone()
    assert [row[0] for row in rows] == ["account_directory_sync()"]
    for name, config, source, executable in rows:
        assert any(setting.startswith("search_path=") for setting in config or []), name
        assert "tg_table_name" in source, name
        assert not executable, name
    assert public_temp == (False,)


def test_app_role_command_is_idempotent_and_reports_the_wall(pg_urls: tuple[str, str]) -> None:
    owner, _ = pg_urls
    steps = create_app_role(owner, APP_ROLE, "app-secret")
    assert "revoke temporary on the database" in steps
    assert "revoke execute on account_directory_sync()" in steps


def test_the_owners_triggers_still_keep_the_directory(db: Any, acct: str, uniq: Any) -> None:
    """The revoked EXECUTE does not stop the owner's own triggers, fired by the app role's writes."""
    slug = uniq("walled")
    creator = db.creators.create(account_id=acct, name="W", slug=slug, email=f"{slug}@x.io")
    db.smart_links.create(account_id=acct, creator_id=creator.id, slug=slug, title="t",
                          destinations={"spotify": "https://x.io"})
    assert db.resolve_account("smart_link", slug) == acct
