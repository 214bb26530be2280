"""`vesta-sql` on a real Postgres: app-role for a CREATEROLE owner, missing privileges, a missing pgvector,
and accounts that do not exist (both dialects). The CLI is called in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from psycopg import sql

from vesta_sql.admin import migrate
from vesta_sql.resources import migrations_dir

from .cli_support import project, run
from .copy_support import seed
from .pg import PostgresFixture

OWNER = "vesta_cr_owner"
ALL = [p.stem for p in sorted(migrations_dir("postgres").glob("*.sql"))]


@pytest.fixture(scope="module")
def createrole_owner(postgres: PostgresFixture) -> Iterator[str]:
    """A database owned by a role with CREATEROLE only (no superuser), pgvector created for it, migrated by it."""
    with psycopg.connect(postgres.admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists vesta_cr with (force)"))
        for role in (OWNER, "vesta_cr_app", "vesta_cr_foreign"):
            conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("create role {} login createrole password 'owner-pw'").format(sql.Identifier(OWNER)))
        conn.execute("create role vesta_cr_foreign login")  # made by a superuser: the owner has no ADMIN on it
    database = postgres.create_database("vesta_cr")
    with psycopg.connect(postgres.admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("alter database vesta_cr owner to {}").format(sql.Identifier(OWNER)))
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("create extension vector")  # pgvector is not a trusted extension: a superuser creates it
    owner_url = postgres.url_for(database, OWNER, "owner-pw")
    migrate.apply(owner_url)
    yield owner_url


def test_app_role_works_for_a_createrole_owner_and_again(createrole_owner: str, postgres: PostgresFixture,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VESTA_TEST_APP_PASSWORD", "app-pw")
    for _ in range(2):  # the re-run used to try to alter SUPERUSER, which only a superuser may name
        result = run(capsys, "app-role", "--url", createrole_owner, "--role", "vesta_cr_app",
                     "--password-env", "VESTA_TEST_APP_PASSWORD")
        assert result.code == 0, result.err
        assert "grant select on _yoyo_migration" in result.out and "owner-pw" not in result.err + result.out
    with psycopg.connect(postgres.url_for(createrole_owner, "vesta_cr_app", "app-pw")) as conn:
        flags = conn.execute("select rolsuper, rolbypassrls, rolcreaterole from pg_roles where rolname = current_user").fetchone()
        assert flags == (False, False, False)
        assert conn.execute("select count(*) > 0 from _yoyo_migration").fetchone() == (True,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select * from yoyo_lock")  # the migration record only


def test_password_flag_warns_about_shell_history(createrole_owner: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "app-role", "--url", createrole_owner, "--role", "vesta_cr_app", "--password", "app-pw")
    assert result.code == 0 and "lands in your shell history" in result.err


def test_password_env_must_be_set(createrole_owner: str, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("VESTA_TEST_NO_SUCH_VAR", raising=False)
    result = run(capsys, "app-role", "--url", createrole_owner, "--role", "vesta_cr_app",
                 "--password-env", "VESTA_TEST_NO_SUCH_VAR")
    assert result.code == 1 and "VESTA_TEST_NO_SUCH_VAR: that environment variable is not set" in result.err


def test_a_missing_privilege_is_one_line_saying_what_to_grant(createrole_owner: str, postgres: PostgresFixture,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VESTA_TEST_APP_PASSWORD", "new-pw")  # setting a password alters the role
    result = run(capsys, "app-role", "--url", createrole_owner, "--role", "vesta_cr_foreign", "--password-env",
                 "VESTA_TEST_APP_PASSWORD")
    assert result.code == 1 and f"GRANT vesta_cr_foreign TO {OWNER} WITH ADMIN OPTION" in result.err
    assert len(result.err.strip().splitlines()) == 2 and "Traceback" not in result.err  # "using …" and the error
    with psycopg.connect(postgres.admin_url, autocommit=True) as conn:
        conn.execute("drop role if exists vesta_plain_owner")
        conn.execute("create role vesta_plain_owner login password 'pw'")
    plain = postgres.url_for(createrole_owner, "vesta_plain_owner", "pw")
    result = run(capsys, "app-role", "--url", plain, "--role", "vesta_cr_other")
    assert result.code == 1 and "ALTER ROLE vesta_plain_owner CREATEROLE" in result.err


def test_migrate_without_pgvector_says_what_to_run_and_as_whom(postgres: PostgresFixture,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    database = postgres.create_database("vesta_novector")
    with psycopg.connect(postgres.admin_url, autocommit=True) as conn:
        conn.execute("drop role if exists vesta_nv_owner")
        conn.execute("create role vesta_nv_owner login password 'pw'")
        conn.execute("alter database vesta_novector owner to vesta_nv_owner")
    owner = postgres.url_for(database, "vesta_nv_owner", "pw")
    result = run(capsys, "migrate", "--url", owner)
    assert result.code == 1 and "Traceback" not in result.err
    assert "role vesta_nv_owner may not create the vector extension" in result.err
    assert "CREATE EXTENSION vector;` in database vesta_novector" in result.err
    assert [s.id for s in migrate.status(owner) if s.applied] == ["0001_accounts_and_creators"]  # 0002 rolled back


# --- accounts that do not exist -----------------------------------------------------------------------

@pytest.fixture(params=["sqlite", "postgres"])
def owner_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_urls")[0])


def test_a_missing_account_is_an_error_for_export_and_delete(owner_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    for action in (["export"], ["delete", "--yes"], ["delete", "--dry-run"]):
        result = run(capsys, "account", *action, "--account", "acc_typo", "--url", owner_url)
        assert result.code == 1 and "account 'acc_typo' does not exist" in result.err, action
        assert result.out == ""


def test_account_delete_confirms_and_has_a_dry_run(owner_url: str, acct: str, uniq: Any,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    seed(owner_url, {acct: uniq("a")}, likes=2)
    dry = run(capsys, "account", "delete", "--account", acct, "--url", owner_url, "--dry-run")
    assert dry.code == 0 and "  likes: 2" in dry.out and "nothing was changed" in dry.out
    refused = run(capsys, "account", "delete", "--account", acct, "--url", owner_url)
    assert refused.code == 1 and "needs confirmation: pass --yes" in refused.err
    done = run(capsys, "account", "delete", "--account", acct, "--url", owner_url, "--yes")
    # directory entries and search rows mostly go with their rows (triggers), so the delete lists fewer of them
    data = {line for line in dry.out.splitlines()[:-1] if "account_directory" not in line}
    assert done.code == 0 and data <= set(done.out.splitlines()[:-1]) and "  account_directory: 3" in dry.out
    assert run(capsys, "account", "export", "--account", acct, "--url", owner_url).code == 1


# --- a protected database under another spelling ---------------------------------------------------

def _spellings(owner_url: str, link: Path) -> list[str]:
    """The same database as `owner_url` (a socket URL), written otherwise: what `rollback --url` must still protect."""
    parts = urlsplit(owner_url)
    user, socket = parts.username or "", parse_qs(parts.query)["host"][0]
    database = parts.path.lstrip("/")
    link.symlink_to(socket)
    return [f"postgresql://{user}@/{database}?host={socket}/",
            f"postgresql://{user}@/{database}?host={socket}&port=5432",
            f"postgresql:///{database}?host={link}&user={user}",
            f"postgresql://{user}@/?dbname={database}&host={socket}/../{Path(socket).name}"]


def test_a_rollback_by_another_spelling_of_a_protected_database_is_refused(
        postgres: PostgresFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    owner = postgres.create_database("vesta_protected")
    if "host=/" not in owner or urlsplit(owner).port is not None:
        pytest.skip("the spellings below are of a server reached by its socket directory")
    migrate.apply(owner)
    monkeypatch.chdir(project(tmp_path / "app", f'[environments.prod]\nowner_url = "{owner}"\n'))
    for url in _spellings(owner, tmp_path / "link"):
        result = run(capsys, "rollback", "--to", ALL[-2], "--url", url)
        assert result.code == 1 and "protected as 'prod'" in result.err and "needs confirmation" in result.err, url
    assert all(state.applied for state in migrate.status(owner))
    assert run(capsys, "rollback", "--to", ALL[-2], "--url", owner, "--yes").code == 0  # with --yes it goes ahead
