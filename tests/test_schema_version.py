"""`connect` checks the migration version once: unmigrated, older and newer databases, on both dialects,
on Postgres as the app role (which may read the migration record and nothing else of yoyo's)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

import vesta_sql
from vesta_sql import SchemaVersionError
from vesta_sql.admin import migrate
from vesta_sql.admin.roles import create_app_role
from vesta_sql.resources import migrations_dir

from .cli_support import project
from .pg import PostgresFixture

ROLE = "vesta_version_app"


def expected(dialect: str) -> list[str]:
    return [p.stem for p in sorted(migrations_dir(dialect).glob("*.sql"))]


def folder(dialect: str, tmp: Path, count: int | None = None, future: str | None = None) -> Path:
    """The package's first `count` migrations, plus an optional newer one (`future` is its text), numbered next."""
    out = tmp / f"m-{dialect}-{count}-{bool(future)}"
    (out / "rollback").mkdir(parents=True)
    for path in sorted(migrations_dir(dialect).glob("*.sql"))[:count]:
        shutil.copyfile(path, out / path.name)
        shutil.copyfile(path.parent / "rollback" / path.name, out / "rollback" / path.name)
    if future is not None:
        (out / f"{FUTURE_ID}.sql").write_text(future, encoding="utf-8")
        (out / "rollback" / f"{FUTURE_ID}.sql").write_text("drop table future_things;\n", encoding="utf-8")
    return out


FUTURE_ID = f"{len(expected('sqlite')) + 1:04d}_future"
FUTURE = "create table future_things (id text primary key);\n"
COMPATIBLE = "-- compatible: yes\n" + FUTURE


@pytest.fixture(params=["sqlite", "postgres"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def blank(dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, str]:
    """(owner URL, URL `connect` uses: the app role on Postgres) of an empty database."""
    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'v.db'}"
        return url, url
    postgres: PostgresFixture = request.getfixturevalue("postgres")
    owner = postgres.create_database(f"vesta_v_{abs(hash(request.node.name)) % 10**8}")
    create_app_role(owner, ROLE, "pw")
    return owner, postgres.url_for(owner, ROLE, "pw")


def grant(owner: str) -> None:
    if owner.startswith("postgres"):
        create_app_role(owner, ROLE, "pw")  # after migrating: the new tables and the migration record


def test_an_unmigrated_database_is_refused(blank: tuple[str, str], dialect: str) -> None:
    owner, app = blank
    if dialect == "sqlite":
        Path(owner[len("sqlite:///"):]).touch()
    with pytest.raises(SchemaVersionError, match=rf"is not migrated, this package expects {expected(dialect)[-1]}: "
                                                 r"run `vesta-sql migrate`"):
        vesta_sql.connect(app)


def test_an_older_database_is_refused_naming_both_versions(blank: tuple[str, str], dialect: str, tmp_path: Path) -> None:
    owner, app = blank
    migrate.apply(owner, folder=folder(dialect, tmp_path, 7))
    grant(owner)
    message = rf"database at 0007_collections, this package expects {expected(dialect)[-1]} .*run `vesta-sql migrate`"
    with pytest.raises(SchemaVersionError, match=message):
        vesta_sql.connect(app)
    with pytest.raises(SchemaVersionError, match=message):
        asyncio.run(vesta_sql.connect_async(app))
    migrate.apply(owner)
    grant(owner)
    vesta_sql.connect(app).close()


def test_a_newer_database_needs_compatible_migrations_or_allow_newer(blank: tuple[str, str], dialect: str,
                                                                     tmp_path: Path) -> None:
    owner, app = blank
    migrate.apply(owner, folder=folder(dialect, tmp_path, None, FUTURE))
    grant(owner)
    with pytest.raises(SchemaVersionError, match=rf"database at {FUTURE_ID}, this package expects {expected(dialect)[-1]}"
                                                 rf".*{FUTURE_ID} are not marked `-- compatible: yes`"):
        vesta_sql.connect(app)
    vesta_sql.connect(app, allow_newer_schema=True).close()

    migrate.rollback(owner, folder=folder(dialect, tmp_path / "again", None, FUTURE))
    migrate.apply(owner, folder=folder(dialect, tmp_path / "marked", None, COMPATIBLE))
    db = vesta_sql.connect(app)  # a rolling deploy: this release keeps running against the compatible migration
    assert db.creators.list(account_id="acc_version") == []
    db.close()


def test_a_missing_sqlite_file_is_refused_and_not_created(tmp_path: Path) -> None:
    with pytest.raises(SchemaVersionError, match=r"no SQLite database at .*run `vesta-sql migrate --url sqlite:///"):
        vesta_sql.connect(f"sqlite:///{tmp_path / 'nothing.db'}")
    assert not (tmp_path / "nothing.db").exists()
    with pytest.raises(SchemaVersionError, match="in-memory SQLite database cannot be migrated"):
        vesta_sql.connect("sqlite://:memory:")


def test_an_app_role_without_the_grant_is_told_to_rerun_app_role(pg_urls: tuple[str, str], postgres: PostgresFixture) -> None:
    owner, _ = pg_urls
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute("drop role if exists vesta_ungranted")
        conn.execute("create role vesta_ungranted login password 'pw'")
    try:
        with pytest.raises(SchemaVersionError, match=r"role vesta_ungranted may not read the migration record .*app-role"):
            vesta_sql.connect(postgres.url_for(owner, "vesta_ungranted", "pw"))
    finally:
        with psycopg.connect(owner, autocommit=True) as conn:
            conn.execute("drop role vesta_ungranted")


def test_connect_env_uses_the_environments_app_url(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = sqlite_url[len("sqlite:///"):]
    monkeypatch.chdir(project(tmp_path, f'[environments.prod]\nowner_url = "sqlite:///{tmp_path}/owner-only.db"\n'
                                        f'app_url = "sqlite:///{path}"\n[environments.admin]\nowner_url = "x.db"\n'))
    with vesta_sql.connect(env="prod") as db:
        assert db.creators.list(account_id="acc_env") == []
    with pytest.raises(vesta_sql.ConfigError, match="unknown environment 'staging'"):
        vesta_sql.connect(env="staging")
    with pytest.raises(vesta_sql.ConfigError, match=r"environment 'admin' .* has no url"):
        vesta_sql.connect(env="admin")
    with pytest.raises(vesta_sql.ConfigError, match="a URL or env=NAME"):
        vesta_sql.connect(sqlite_url, env="prod")


def test_extra_queries_takes_one_folder_as_a_str_or_a_path(sqlite_url: str) -> None:
    extra = Path(__file__).parent / "sql" / "extra"
    for given in (str(extra), extra):
        with vesta_sql.connect(sqlite_url, extra_queries=given) as db:
            assert hasattr(db, "fan_stats")


def test_an_empty_url_or_env_is_refused_not_taken_for_a_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project(tmp_path, '[environments]\nprod = "sqlite:///p.db"\n'))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    for url, env in (("", None), (" ", None), (None, ""), ("", "prod")):
        with pytest.raises(vesta_sql.ConfigError, match=r"is empty \(an unset variable\?\)"):
            vesta_sql.connect(url, env=env)
        with pytest.raises(vesta_sql.ConfigError, match=r"is empty \(an unset variable\?\)"):
            asyncio.run(vesta_sql.connect_async(url, env=env))
    with pytest.raises(vesta_sql.ConfigError, match="a URL or env=NAME"):  # None is "not given", as before
        vesta_sql.connect()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["vesta-sql.toml"]


def test_a_password_in_the_query_string_stays_out_of_connect_errors(postgres: PostgresFixture, tmp_path: Path) -> None:
    missing = f"postgresql://app@/nosuch?host={tmp_path}&password=topsecret"
    parts = urlsplit(postgres.admin_url)  # the server's host and port, another user and a wrong password
    wrong = f"postgresql://{parts.netloc.split('@')[-1]}{parts.path}?{parts.query}&user={ROLE}_nobody&password=topsecret"
    for url in (missing, wrong):
        for attempt in (lambda: vesta_sql.connect(url), lambda: asyncio.run(vesta_sql.connect_async(url))):
            with pytest.raises(vesta_sql.OperationalError) as caught:
                attempt()
            assert "topsecret" not in str(caught.value) and "password=***" in str(caught.value), url
