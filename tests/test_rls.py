"""Row-level security on Postgres, checked with raw SQL as the app role (no façade)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

NOW = "2026-01-01T00:00:00Z"


def insert_creator(conn: psycopg.Connection[Any], account: str, creator_id: str) -> None:
    conn.execute("insert into accounts (account_id, created_at) values (%s, now()) on conflict do nothing", (account,))
    conn.execute(
        "insert into creators (account_id, id, name, slug, bio, email, created_at, updated_at) "
        "values (%s, %s, 'n', %s, '', %s, %s, %s)",
        (account, creator_id, f"slug-{creator_id}".lower().replace("_", "-"), f"{creator_id}@x.io", NOW, NOW),
    )


@pytest.fixture
def seeded(pg_urls: tuple[str, str], acct: str, acct2: str) -> tuple[str, str]:
    owner, _ = pg_urls
    with psycopg.connect(owner, autocommit=True) as conn:  # the owner here is a superuser: bypasses RLS
        insert_creator(conn, acct, f"{acct}-c1")
        insert_creator(conn, acct, f"{acct}-c2")
        insert_creator(conn, acct2, f"{acct2}-c1")
    return acct, acct2


def test_app_role_is_not_superuser_and_owns_nothing(pg_urls: tuple[str, str]) -> None:
    _, app = pg_urls
    with psycopg.connect(app) as conn:
        row = conn.execute("select rolsuper, rolbypassrls from pg_roles where rolname = current_user").fetchone()
        assert row == (False, False)
        owned = conn.execute("select count(*) from pg_tables where tableowner = current_user").fetchone()
        assert owned == (0,)


def test_every_tenant_table_forces_rls(pg_urls: tuple[str, str]) -> None:
    owner, _ = pg_urls
    with psycopg.connect(owner) as conn:
        rows = conn.execute(
            "select c.relname, c.relrowsecurity, c.relforcerowsecurity from pg_class c "
            "join pg_namespace n on n.oid = c.relnamespace "
            "join information_schema.columns col on col.table_schema = n.nspname and col.table_name = c.relname "
            "where n.nspname = 'public' and c.relkind = 'r' and col.column_name = 'account_id' "
            "and c.relname <> 'account_directory'"
        ).fetchall()
    assert len(rows) >= 22
    for name, enabled, forced in rows:
        assert enabled and forced, name


def test_no_account_set_sees_nothing(pg_urls: tuple[str, str], seeded: tuple[str, str]) -> None:
    _, app = pg_urls
    with psycopg.connect(app, autocommit=True) as conn:
        assert conn.execute("select count(*) from creators").fetchone() == (0,)


def test_account_set_sees_only_its_rows(pg_urls: tuple[str, str], seeded: tuple[str, str]) -> None:
    _, app = pg_urls
    a, _ = seeded
    with psycopg.connect(app, autocommit=True) as conn:
        conn.execute("select set_config('vesta.account_id', %s, false)", (a,))
        accounts = {row[0] for row in conn.execute("select account_id from creators")}
        assert accounts == {a}
        assert conn.execute("select count(*) from creators").fetchone() == (2,)


def test_writing_another_accounts_row_is_refused(pg_urls: tuple[str, str], seeded: tuple[str, str]) -> None:
    _, app = pg_urls
    a, b = seeded
    with psycopg.connect(app, autocommit=True) as conn:
        conn.execute("select set_config('vesta.account_id', %s, false)", (a,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            insert_creator(conn, b, f"{b}-intruder")
        # an update of B's row finds nothing to update (USING hides it) ...
        assert conn.execute("update creators set name = 'x' where account_id = %s", (b,)).rowcount == 0
        assert conn.execute("delete from creators where account_id = %s", (b,)).rowcount == 0
        # ... and moving A's row into B is refused by WITH CHECK
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("update creators set account_id = %s where account_id = %s", (b, a))
    owner, _ = pg_urls
    with psycopg.connect(owner) as conn:
        assert conn.execute("select count(*) from creators where account_id = %s", (b,)).fetchone() == (1,)
        assert conn.execute("select count(*) from creators where name = 'x'").fetchone() == (0,)


def test_facade_on_app_role_maps_rls_refusal_to_tenant_error(pg_urls: tuple[str, str]) -> None:
    from vesta_sql.dialects.postgres import translate_error
    from vesta_sql.errors import TenantScopeError

    _, app = pg_urls
    with psycopg.connect(app, autocommit=True) as conn:
        conn.execute("select set_config('vesta.account_id', 'acc_x', false)")
        with pytest.raises(psycopg.Error) as caught:
            insert_creator(conn, "acc_y", "c")
    assert isinstance(translate_error(caught.value, "creators.create"), TenantScopeError)
