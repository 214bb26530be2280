"""Which database a command means, however it is written: an empty option is an error (never the default),
a protected database is protected under any spelling of its URL, and a URL's passwords are never printed.
The CLI is called in-process on real files; no server is needed (each URL names a missing one)."""

from __future__ import annotations

import argparse
from pathlib import Path
from urllib.parse import quote

import pytest

from vesta_sql.admin import cli
from vesta_sql.environments import resolve
from vesta_sql.errors import ConfigError
from vesta_sql.resources import migrations_dir

from .cli_support import project, run

ALL = [p.stem for p in sorted(migrations_dir("sqlite").glob("*.sql"))]
_LIBPQ_VARIABLES = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGDATABASE", "PGSERVICE", "PGSERVICEFILE", "PGSYSCONFDIR")


@pytest.fixture(autouse=True)
def no_libpq_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """The identities compared must not depend on the shell the tests run in."""
    for name in (*_LIBPQ_VARIABLES, "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


# --- an empty option --------------------------------------------------------------------------------

# what each command taking --url needs besides it, to get as far as choosing its database
_REQUIRED = {
    "migrate": [], "status": [], "mark": ["--to", ALL[-1]], "rollback": ["--to", ALL[0], "--dry-run"], "demo": [],
    "app-role": ["--role", "someone"], "account export": ["--account", "a"], "account delete": ["--account", "a"],
    "studio": [],
}


def _commands_with_url(parser: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands_with_url(sub, f"{prefix}{name} ")
        elif action.dest == "url":
            found.append(prefix.strip())
    return found


def test_an_empty_url_or_env_is_an_error_for_every_command_never_a_fallback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert sorted(_commands_with_url(cli.build_parser())) == sorted(_REQUIRED)  # a new command is listed here too
    monkeypatch.chdir(project(tmp_path / "app", '[environments]\ndev = "sqlite:///dev.db"\n'))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    for command, extra in _REQUIRED.items():
        for flag, value, said in (("--url", "", "--url is empty"), ("--url", "  ", "--url is empty"),
                                  ("--env", "", "--env is empty")):
            result = run(capsys, *command.split(), flag, value, *extra)
            assert result.code == 1 and result.err.startswith(f"vesta-sql: {said} (an unset variable?): "), (command, result)
            assert "leave " + flag + " out" in result.err and len(result.err.splitlines()) == 1 and not result.out
    assert sorted(path.name for path in tmp_path.iterdir()) == ["app"]  # neither DATABASE_URL's file nor another
    assert sorted(path.name for path in (tmp_path / "app").iterdir()) == ["vesta-sql.toml"]  # no .vesta/dev.db


def test_other_empty_database_options_are_errors_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src.db").touch()
    for argv, said in ((["copy", "--from", "", "--to", "postgresql://o@db/x"], "--from is empty"),
                       (["copy", "--from", "src.db", "--to", ""], "--to is empty"),
                       (["studio", "--url", "src.db", "--app-url", ""], "--app-url is empty"),
                       (["check", "--postgres-url", ""], "--postgres-url is empty"),
                       (["app-role", "--url", "src.db", "--role", "r", "--password-env", ""], "--password-env is empty")):
        result = run(capsys, *argv)
        assert result.code == 1 and result.err.startswith(f"vesta-sql: {said}") and not result.out, argv
        assert len(result.err.splitlines()) == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["src.db"]


def test_resolve_refuses_an_empty_url_or_env(tmp_path: Path) -> None:
    for env, url in ((None, ""), ("", None), (" ", None)):
        with pytest.raises(ConfigError, match="is empty"):
            resolve(env, url, cwd=tmp_path)
    assert resolve(cwd=tmp_path).source == "the embedded default"  # None still means "not given"


def test_env_and_url_together_are_an_error_not_a_guess(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(project(tmp_path / "app", '[environments]\ndev = "sqlite:///dev.db"\n'))
    with pytest.raises(ConfigError, match="give one of them"):
        resolve("dev", "sqlite:///other.db")
    result = run(capsys, "migrate", "--env", "dev", "--url", "sqlite:///other.db")
    assert result.code == 1 and result.err.startswith("vesta-sql: both --env 'dev' and --url were given")
    assert len(result.err.splitlines()) == 1 and not result.out
    assert sorted(path.name for path in (tmp_path / "app").iterdir()) == ["vesta-sql.toml"]  # neither database made


# --- a protected database under another spelling ---------------------------------------------------

@pytest.fixture
def socket_prod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """prod on a server reached by a socket directory, staging on localhost, an app_url with an unset password."""
    monkeypatch.delenv("VESTA_TEST_UNSET_PW", raising=False)
    sock = tmp_path / "pgdata"
    sock.mkdir()
    (tmp_path / "link").symlink_to(sock)
    monkeypatch.chdir(project(tmp_path / "app", f'[environments.prod]\nowner_url = "postgresql://vowner:pw@/vesta?host={sock}"\n'
                                                'app_url = "postgresql://app:${VESTA_TEST_UNSET_PW}@db.internal/vesta"\n'
                                                'url = "postgresql://replica.internal:6543/vesta"\n'
                                                '[environments.staging]\nurl = "postgresql://localhost/stage"\n'
                                                'protected = true\n[environments.dev]\nurl = "postgresql://localhost/dev"\n'))
    return sock


def test_every_spelling_of_a_protected_database_is_protected(socket_prod: Path) -> None:
    sock, tmp = str(socket_prod), socket_prod.parent
    protected = {
        "prod": [f"postgresql://vowner:pw@/vesta?host={sock}/",  # a trailing slash
                 f"postgresql://vowner@{quote(sock, safe='')}/vesta",  # the socket directory as the netloc's host
                 f"postgresql://vowner@{quote(sock, safe='')}:5432/vesta",  # the default port, written
                 f"postgresql://x@/vesta?host={tmp}/app/../pgdata&port=5432",  # `..`
                 f"postgresql:///vesta?host={tmp}/link",  # a symlink to the directory
                 f"postgresql:///?host={sock}&dbname=vesta",  # dbname as a parameter
                 f"postgresql:///?host={sock}&user=vesta",  # the database named by its default, the user
                 f"postgres+psycopg://{quote(sock, safe='')}/vesta",
                 "postgresql://someone@DB.Internal./vesta",  # the app_url's host, in capitals, fully qualified
                 "postgresql://db.internal:5432?user=vesta",
                 "postgresql:///vesta?host=db.internal",
                 "postgresql://elsewhere.example,db.internal/vesta",  # one of several hosts
                 "postgresql://replica.internal:6543/?dbname=vesta",  # `url`, although owner_url and app_url are set
                 "postgresql://db.internal:notaport/vesta"],  # unreadable: in doubt, protected
        "staging": ["postgresql://127.0.0.1:5432/stage", "postgresql://[::1]/stage", "postgresql:///stage",
                    "postgresql:///stage?host=/var/run/postgresql", "postgresql://LOCALHOST/stage"],
    }
    for name, urls in protected.items():
        for url in urls:
            assert resolve(url=url).protected_as == name, url
    for url in (f"postgresql:///vesta?host={sock}&port=5433", f"postgresql:///other?host={sock}",
                f"postgresql:///vesta?host={tmp}", "postgresql://db.internal/other", "postgresql://db2.internal/vesta",
                "postgresql://replica.internal/vesta", "postgresql://localhost/dev", f"sqlite:///{sock}"):
        assert resolve(url=url).protected_as is None, url
    assert resolve("dev").protected_as is None


def test_a_service_names_its_database(socket_prod: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    services = socket_prod.parent / "pg_service.conf"
    services.write_text("[prodsvc]\nhost=db.internal\ndbname=vesta\n[devsvc]\nhost=db.internal\ndbname=dev\n",
                        encoding="utf-8")
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    assert resolve(url="postgresql://?service=prodsvc").protected_as == "prod"
    assert resolve(url="postgresql:///vesta?service=devsvc").protected_as == "prod"  # its own dbname wins
    assert resolve(url="postgresql://?service=devsvc").protected_as is None
    assert resolve(url="postgresql://?service=nosuch").protected_as == "prod"  # unknown: in doubt, protected


def test_a_rollback_by_another_spelling_stops_at_the_confirmation(socket_prod: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (socket_prod.parent / "src.db").touch()
    spelled = f"postgresql://vowner:pw@/vesta?host={socket_prod}/"
    result = run(capsys, "copy", "--from", str(socket_prod.parent / "src.db"), "--to", spelled)
    assert result.code == 1 and "protected environment 'prod'" in result.err and "pass --yes" in result.err


# --- passwords --------------------------------------------------------------------------------------

def test_a_password_in_the_query_string_is_never_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    sock = tmp_path / "nosock"
    url = f"postgresql://vowner@/nosuch?host={sock}&password=hunter2"
    result = run(capsys, "status", "--url", url)
    assert result.code == 1 and f"using postgresql://vowner@/nosuch?host={sock}&password=*** (from --url)" in result.err
    assert "cannot connect to" in result.err and "hunter2" not in result.err + result.out
    monkeypatch.chdir(project(tmp_path / "app", f'[environments]\nstaging = "postgresql://o:n3tloc@/x?host={sock}'
                                                '&sslpassword=k3ypass&password=hunter2"\n'))
    for argv in (["status", "--env", "staging"], ["migrate", "--env", "staging"], ["account", "export", "--env", "staging",
                                                                                    "--account", "a"]):
        result = run(capsys, *argv)
        assert result.code == 1 and "sslpassword=***&password=***" in result.err, argv
        assert not [secret for secret in ("hunter2", "k3ypass", "n3tloc") if secret in result.err + result.out], argv


def test_a_blank_database_url_is_an_error_never_the_embedded_default(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    for blank in ("", "  "):
        monkeypatch.setenv("DATABASE_URL", blank)
        for argv in (["migrate"], ["status"], ["demo"]):
            result = run(capsys, *argv)
            assert result.code == 1 and not result.out, (argv, result)
            assert result.err.startswith("vesta-sql: DATABASE_URL is set but empty (an unset variable?): ")
            assert len(result.err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # no .vesta/dev.db
    monkeypatch.setenv("DATABASE_URL", "")
    assert run(capsys, "status", "--url", str(tmp_path / "given.db")).code in (0, 1)  # --url still wins, no error
