"""`vesta_sql.testing`, used as an app uses it: a migrated database per dialect (the app role on Postgres),
a factory of isolated accounts, and connect options for the app's own queries."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

import vesta_sql
from vesta_sql.testing import APP_ROLE, TestDatabase

EXTRA = Path(__file__).parent / "sql" / "extra"


@pytest.fixture
def vesta_connect_options() -> dict[str, Any]:
    return {"extra_queries": EXTRA}  # an app's own query folder, as one path


def test_accounts_from_the_factory_never_see_each_other(vesta_db: vesta_sql.Database,
                                                        vesta_accounts: Callable[[], str]) -> None:
    a, b = vesta_accounts(), vesta_accounts()
    assert a != b
    creator = vesta_db.creators.create(account_id=a, name="Ada", slug="ada", email="ada@x.io")
    assert vesta_db.creators.list(account_id=b) == []
    assert vesta_db.creators.find_by_id(account_id=b, id=creator.id) is None
    assert [c.id for c in vesta_db.creators.list(account_id=a)] == [creator.id]
    assert hasattr(vesta_db, "fan_stats")  # the app's own queries were loaded


def test_postgres_is_reached_as_the_app_role(vesta_database: TestDatabase) -> None:
    if vesta_database.dialect == "sqlite":
        assert vesta_database.url == vesta_database.owner_url and Path(vesta_database.url[len("sqlite:///"):]).is_file()
        return
    with psycopg.connect(vesta_database.url) as conn:
        row = conn.execute("select current_user, rolsuper, rolbypassrls from pg_roles where rolname = current_user").fetchone()
        owned = conn.execute("select count(*) from pg_tables where tableowner = current_user").fetchone()
    assert row == (APP_ROLE, False, False) and owned == (0,)


APP_CONFTEST = 'pytest_plugins = ["vesta_sql.testing"]\n'
APP_TEST = '''
def test_a_creator(vesta_db, vesta_accounts):
    acct = vesta_accounts()
    creator = vesta_db.creators.create(account_id=acct, name="Ada", slug="ada", email="ada@x.io")
    assert vesta_db.creators.find_by_id(account_id=acct, id=creator.id) == creator
    assert vesta_db.creators.find_by_id(account_id=vesta_accounts(), id=creator.id) is None
'''


def test_an_apps_own_suite_runs_with_the_plugin_alone(tmp_path: Path) -> None:
    """A separate pytest run, as an app's CI runs it: its own embedded Postgres (or VESTA_TEST_POSTGRES_URL)."""
    (tmp_path / "conftest.py").write_text(APP_CONFTEST, encoding="utf-8")
    (tmp_path / "test_app.py").write_text(APP_TEST, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout  # once on SQLite, once on Postgres
