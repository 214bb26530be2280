"""`vesta-sql` mistakes, one test each, the CLI called in-process on real SQLite files.

Environments: an unknown name is an error listing the known ones; DATABASE_URL and the
embedded default only without --env/--url; app_url-only environments are refused for admin
work; unset ${VAR}s are named; relative SQLite paths follow the config file; `status`
creates nothing. Protection: prod by default, `protected = true`, and any --url naming the
same file; destructive commands confirm (or --yes) and have --dry-run.
"""

from __future__ import annotations

import argparse
import sqlite3
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from vesta_sql.admin import cli, migrate
from vesta_sql.environments import resolve
from vesta_sql.errors import MigrationError
from vesta_sql.resources import migrations_dir

from .cli_support import project, run, typing

ALL = [p.stem for p in sorted(migrations_dir("sqlite").glob("*.sql"))]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with dev, test and prod (prod protected by default), as the working directory."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    folder = project(tmp_path / "app", '[environments]\ndev = "sqlite:///data/dev.db"\ntest = "sqlite:///data/test.db"\n'
                                        'prod = "sqlite:///data/prod.db"\n')
    monkeypatch.chdir(folder)
    return folder


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}


# --- which database ---------------------------------------------------------------------------------

def test_an_unconfigured_environment_is_an_error_listing_the_known_ones(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "status", "--env", "staging")
    assert result.code == 1 and "unknown environment 'staging'" in result.err and "dev, prod, test" in result.err
    assert not (here / ".vesta").exists() and not (here / "data").exists()


def test_prod_is_not_a_fallback_when_nothing_is_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    for command in ("status", "migrate"):
        result = run(capsys, command, "--env", "prod")
        assert result.code == 1 and "no environments are configured" in result.err
    assert list(tmp_path.iterdir()) == []  # nothing created, nothing migrated


def test_database_url_only_without_env_or_url(here: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{here / 'from-env.db'}")
    assert run(capsys, "migrate").code == 0
    assert (here / "from-env.db").is_file()
    result = run(capsys, "migrate", "--env", "dev")
    assert result.code == 0 and "environment 'dev'" in result.err and (here / "data" / "dev.db").is_file()
    monkeypatch.delenv("DATABASE_URL")
    assert "the embedded default" in run(capsys, "migrate", "--dry-run").err


def test_every_command_says_which_database_with_the_password_redacted(here: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://owner:s3cret@127.0.0.1:9/nowhere")
    result = run(capsys, "status")
    assert result.code == 1 and "using postgresql://owner:***@127.0.0.1:9/nowhere (from DATABASE_URL)" in result.err
    assert "s3cret" not in result.err + result.out


def test_an_app_url_only_environment_is_refused_for_admin_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(project(tmp_path, '[environments.staging]\napp_url = "sqlite:///app.db"\n'))
    result = run(capsys, "migrate", "--env", "staging")
    assert result.code == 1 and "has only an app_url" in result.err and "owner_url" in result.err
    assert not (tmp_path / "app.db").exists() and not (tmp_path / ".vesta").exists()


def test_an_unset_variable_in_a_url_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("VESTA_TEST_UNSET_PASSWORD", raising=False)
    monkeypatch.chdir(project(tmp_path, '[environments]\nstaging = "postgresql://o:${VESTA_TEST_UNSET_PASSWORD}@db/x"\n'))
    result = run(capsys, "status", "--env", "staging")
    assert result.code == 1 and "VESTA_TEST_UNSET_PASSWORD is not set" in result.err
    monkeypatch.setenv("VESTA_TEST_UNSET_PASSWORD", "pw")
    assert resolve("staging").url.url == "postgresql://o:pw@db/x"


def test_a_relative_sqlite_path_is_relative_to_the_config_file(here: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    (here / "src" / "deep").mkdir(parents=True)
    monkeypatch.chdir(here / "src" / "deep")
    assert run(capsys, "migrate", "--env", "dev").code == 0
    assert (here / "data" / "dev.db").is_file() and not (here / "src" / "deep" / "data").exists()


def test_pyproject_environments_are_read_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = '[project]\nname = "app"\n[tool.vesta-sql.environments.dev]\nurl = "sqlite:///dev.db"\nprotected = true\n'
    monkeypatch.chdir(project(tmp_path, config, name="pyproject.toml"))
    target = resolve("dev")
    assert target.url.sqlite_path == str(tmp_path.resolve() / "dev.db") and target.protected_as == "dev"


def test_status_never_creates_a_database_migrate_does_and_says_so(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "status", "--env", "dev")
    assert result.code == 1 and "no SQLite database at" in result.err and "vesta-sql migrate" in result.err
    assert not (here / "data").exists()
    result = run(capsys, "migrate", "--env", "dev")
    assert result.code == 0 and f"created the SQLite database {here / 'data' / 'dev.db'}" in result.err
    assert f"{len(ALL)} applied, 0 pending" in run(capsys, "status", "--env", "dev").out


def test_every_url_option_accepts_a_plain_sqlite_path(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "migrate", "--url", "plain/file.db").code == 0
    assert "creators" in tables(here / "plain" / "file.db")
    assert f"{len(ALL)} applied" in run(capsys, "status", "--url", str(here / "plain" / "file.db")).out


# --- protection -------------------------------------------------------------------------------------

def test_prod_is_protected_by_default_and_needs_yes_without_a_terminal(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "migrate", "--env", "prod")
    assert result.code == 1 and "protected environment 'prod'" in result.err and "--yes" in result.err
    assert not (here / "data" / "prod.db").exists()
    assert run(capsys, "migrate", "--env", "prod", "--yes").code == 0
    assert "creators" in tables(here / "data" / "prod.db")


def test_protection_follows_the_database_not_the_flag(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "migrate", "--env", "prod", "--yes").code == 0
    for url in ("data/prod.db", f"sqlite:///{here / 'data' / 'prod.db'}", "sqlite:///data/../data/prod.db"):
        result = run(capsys, "rollback", "--url", url)
        assert result.code == 1 and "protected environment 'prod'" in result.err, url
    assert run(capsys, "status", "--env", "prod").out.endswith(f"{len(ALL)} applied, 0 pending\n")
    result = run(capsys, "copy", "--from", "data/dev.db", "--to", "postgresql://o@localhost:1/x")
    assert result.code == 1 and "from --to" in result.err and "needs confirmation" not in result.err  # not prod: goes on


def test_copy_into_a_protected_postgres_named_differently_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(project(tmp_path, '[environments.prod]\nowner_url = "postgresql://owner:pw@db.internal:5432/vesta"\n'
                                        'app_url = "postgresql://app:pw@db.internal/vesta"\n'))
    (tmp_path / "src.db").touch()
    for to in ("postgresql://someone@db.internal/vesta", "postgres://x:y@DB.internal:5432/vesta?sslmode=require"):
        result = run(capsys, "copy", "--from", "src.db", "--to", to)
        assert result.code == 1 and "protected environment 'prod'" in result.err, to
    assert resolve(url="postgresql://owner:pw@db.internal:5433/vesta").protected_as is None  # another server


def test_protected_true_and_protected_false(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(project(tmp_path, '[environments.staging]\nurl = "sqlite:///s.db"\nprotected = true\n'
                                        '[environments.prod]\nurl = "sqlite:///p.db"\nprotected = false\n'))
    assert "protected environment 'staging'" in run(capsys, "migrate", "--env", "staging").err
    assert run(capsys, "migrate", "--env", "prod").code == 0


def test_a_typed_confirmation_names_the_environment(here: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    typing(monkeypatch, "yes")
    result = run(capsys, "migrate", "--env", "prod")
    assert result.code == 1 and "Type 'prod' to continue" in result.err and "not confirmed" in result.err
    assert not (here / "data" / "prod.db").exists()
    typing(monkeypatch, "prod")
    assert run(capsys, "migrate", "--env", "prod").code == 0 and "creators" in tables(here / "data" / "prod.db")


def test_rollback_all_always_confirms_and_has_a_dry_run(here: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "migrate", "--env", "dev").code == 0
    before = tables(here / "data" / "dev.db")
    result = run(capsys, "rollback", "--env", "dev", "--all", "--dry-run")
    assert result.code == 0 and result.out.splitlines()[0].startswith(f"would roll back {ALL[-1]}")
    assert any(line.startswith("would roll back ") and "(drops " in line for line in result.out.splitlines())
    assert result.out.splitlines()[-1] == (f"would roll back {ALL[0]} (drops creator_labels: 0 row(s), creators: 0 row(s), "
                                           "account_directory: 0 row(s))")
    assert tables(here / "data" / "dev.db") == before
    result = run(capsys, "rollback", "--env", "dev", "--all")
    assert result.code == 1 and "needs confirmation: pass --yes" in result.err and tables(here / "data" / "dev.db") == before
    typing(monkeypatch, "no")
    assert run(capsys, "rollback", "--env", "dev", "--all").code == 1 and tables(here / "data" / "dev.db") == before
    typing(monkeypatch, "yes")
    result = run(capsys, "rollback", "--env", "dev", "--all")
    assert result.code == 0 and f"rolled back {len(ALL)} migration(s)" in result.out
    assert "creators" not in tables(here / "data" / "dev.db")


def test_a_plain_rollback_of_an_unprotected_database_asks_nothing(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "migrate", "--env", "dev").code == 0
    result = run(capsys, "rollback", "--env", "dev")
    assert result.code == 0 and f"rolled back 1 migration(s): {ALL[-1]}" in result.out


def test_migrate_dry_run_lists_what_would_be_applied(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "migrate", "--env", "dev", "--dry-run")
    assert result.code == 0 and f"would apply {len(ALL)} migration(s): {', '.join(ALL)}" in result.out
    assert not (here / "data").exists()
    migrate.apply(f"sqlite:///{here / 'data' / 'dev.db'}")
    assert "up to date" in run(capsys, "migrate", "--env", "dev", "--dry-run").out


# --- a well-kept tool -------------------------------------------------------------------------------

def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "--version")
    declared = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert result.code == 0 and result.out.strip() == f"vesta-sql {version('vesta-sql')}" and version("vesta-sql") == declared


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found.extend(_parsers(sub))
    return found


def test_every_argument_has_help() -> None:
    missing = [f"{parser.prog}: {action.dest}" for parser in _parsers(cli.build_parser()) for action in parser._actions
               if not action.help and not isinstance(action, argparse._SubParsersAction)]
    assert missing == []


def test_account_subcommands_show_their_own_help(capsys: pytest.CaptureFixture[str]) -> None:
    export = run(capsys, "account", "export", "--help")
    assert export.code == 0 and "--out" in export.out and "--dry-run" not in export.out
    delete = run(capsys, "account", "delete", "--help")
    assert delete.code == 0 and "--dry-run" in delete.out and "--yes" in delete.out and "--out" not in delete.out


def test_export_to_a_missing_folder_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "export", "d1", "--out", "/no/such/dir/x.json")
    assert result.code == 1 and "the folder /no/such/dir does not exist" in result.err and "Traceback" not in result.err


def test_check_prints_one_problem_count(capsys: pytest.CaptureFixture[str]) -> None:
    bad = Path(__file__).parent / "sql" / "unscoped"
    result = run(capsys, "check", str(bad))
    counts = [line for line in result.out.splitlines() if "problem(s)" in line]
    assert result.code == 1 and len(counts) == 1 and counts[0].startswith("vesta-sql check: ")
    good = run(capsys, "check")
    assert good.code == 0 and [line for line in good.out.splitlines() if "problem" in line] == []


# --- new migrations ---------------------------------------------------------------------------------

def _checkout(folder: Path) -> Path:
    project(folder, '[project]\nname = "app"\n', name="pyproject.toml")
    for dialect in ("sqlite", "postgres"):
        (folder / "migrations" / dialect / "rollback").mkdir(parents=True)
    return folder


def test_new_writes_into_the_checkouts_migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    root = _checkout(tmp_path / "checkout")
    (root / "src").mkdir()
    monkeypatch.chdir(root / "src")
    result = run(capsys, "new", "add tags")
    assert result.code == 0 and f"created {root / 'migrations' / 'sqlite' / '0001_add_tags.sql'}" in result.out
    assert (root / "migrations" / "postgres" / "rollback" / "0001_add_tags.sql").is_file()


def test_new_refuses_a_folder_inside_an_installed_package(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    installed = tmp_path / "lib" / "site-packages" / "vesta_sql" / "_sql" / "migrations"
    result = run(capsys, "new", "add tags", "--folder", str(installed))
    assert result.code == 1 and f"not writing into {installed}: it is inside an installed package" in result.err
    assert not installed.exists()


def test_migrate_refuses_an_empty_scaffold_until_it_holds_a_statement(tmp_path: Path) -> None:
    root = tmp_path / "m"
    (root / "sqlite" / "rollback").mkdir(parents=True)
    (path,) = [p for p in migrate.new("add tags", root=root) if p.parent.name == "sqlite"]
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with pytest.raises(MigrationError, match="holds no statement yet"):
        migrate.apply(url, folder=root / "sqlite")
    assert not (tmp_path / "x.db").exists()
    path.write_text(path.read_text(encoding="utf-8") + "create table tags (id text primary key);\n", encoding="utf-8")
    assert migrate.apply(url, folder=root / "sqlite") == ["0001_add_tags"]


def test_a_rollback_prints_only_its_own_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    migrate.apply(url)
    result = run(capsys, "rollback", "--url", url, "--to", "0010_admin_account_delete", "--yes")
    assert result.code == 0
    assert all(line.startswith(("to roll back: ", "rolled back ")) for line in result.out.splitlines()), result.out
