"""`vesta-sql studio` as a command: confirmation for --write on a protected environment, another address, the roles
on Postgres (no BYPASSRLS, SET ROLE), a statement time-out and the console's row cap."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from vesta_sql.admin import migrate
from vesta_sql.admin.roles import create_app_role

from .cli_support import project, run
from .conftest import APP_ROLE
from .studio_support import Seeded, seed, studio

ENDLESS = "select count(*) as n from (with recursive c(x) as (select 1 union all select x + 1 from c) select x from c) s"
SIX_HUNDRED = "with recursive c(x) as (select 1 union all select x + 1 from c where x < 600) select x from c"


@pytest.fixture(scope="module")
def pg(postgres: object) -> Iterator[tuple[str, str, Seeded, Seeded]]:
    owner = postgres.create_database("vesta_studio_roles")  # type: ignore[attr-defined]
    migrate.apply(owner)
    create_app_role(owner, APP_ROLE, "app-secret")
    app = postgres.url_for(owner, APP_ROLE, "app-secret")  # type: ignore[attr-defined]
    a, b = seed(app)
    yield owner, app, a, b


def test_write_on_a_protected_environment_needs_confirmation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    migrate.apply(f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.chdir(project(tmp_path, '[environments.prod]\nurl = "sqlite:///p.db"\n'))
    result = run(capsys, "studio", "--env", "prod", "--write", "--port", "0")
    assert result.code == 1
    assert "opening the studio with --write on protected environment 'prod' needs confirmation: pass --yes" in result.err
    assert "Traceback" not in result.err and not list(tmp_path.glob("*.jsonl"))


def test_a_bad_timeout_and_postgres_without_the_app_role_are_refused(pg: tuple[str, str, Seeded, Seeded],
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    owner, _, _, _ = pg
    result = run(capsys, "studio", "--url", owner, "--timeout", "0")
    assert result.code == 1 and "--timeout 0" in result.err
    result = run(capsys, "studio", "--url", owner, "--port", "0")
    assert result.code == 1 and "reads as the app role" in result.err and "--app-url" in result.err


def test_another_address_needs_the_flag_and_warns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'v.db'}"
    migrate.apply(url)
    with studio("--url", url, "--host", "127.0.0.2", cwd=tmp_path) as server:
        said = "".join(server.output)
        assert "warning: the studio listens on 127.0.0.2" in said and "http://127.0.0.2:" in server.url
    with studio("--url", url, cwd=tmp_path) as server:
        assert "warning" not in "".join(server.output) and server.url.startswith("http://127.0.0.1:")


def test_an_owner_without_bypassrls_picks_by_id_or_directory_key(pg: tuple[str, str, Seeded, Seeded], tmp_path: Path) -> None:
    _, app, a, b = pg
    with studio("--url", app, "--app-url", app, cwd=tmp_path) as server:
        status, text = server.get("/")
        assert status == 200 and 'id="no-bypass"' in text and a.account not in text
        status, _, headers = server.request("GET", f"/pick?account={a.account}")
        assert status == 303 and headers["location"] == f"/a/{a.account}"
        status, _, headers = server.request("GET", f"/pick?kind=smart_link&key={b.slug}")
        assert status == 303 and headers["location"] == f"/a/{b.account}"
        assert server.get("/pick?kind=smart_link&key=no-such-slug")[0] == 404
        assert server.get("/pick?account=acc_nobody")[0] == 404


def test_set_role_from_the_owner_reads_under_row_level_security(pg: tuple[str, str, Seeded, Seeded], tmp_path: Path) -> None:
    owner, _, a, b = pg
    with studio("--url", owner, "--app-role", APP_ROLE, cwd=tmp_path) as server:
        status, text = server.get("/")
        assert a.account in text and b.account in text  # the owner (a superuser here) lists every account
        status, text = server.get(f"/a/{a.account}/t/posts")
        assert status == 200 and a.posts[0] in text and b.posts[0] not in text
        assert server.get(f"/a/{a.account}/t/posts/row?id={b.posts[0]}")[0] == 404


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_the_console_has_a_time_out_and_a_row_cap(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'v.db'}"
        migrate.apply(url)
        a, _ = seed(url)
        args = ["--url", url]
    else:
        owner, app, a, _ = request.getfixturevalue("pg")
        args = ["--url", owner, "--app-url", app]
    with studio(*args, "--timeout", "0.3", cwd=tmp_path) as server:
        status, text, _ = server.post(f"/a/{a.account}/console", {"sql": ENDLESS})
        assert status == 400 and "longer than 300 ms" in text
        status, text, _ = server.post(f"/a/{a.account}/console", {"sql": SIX_HUNDRED})
        assert status == 200 and "500 row(s) (capped)" in text
        assert server.get(f"/a/{a.account}")[0] == 200  # the session goes on after a stopped statement


def test_a_wildcard_bind_answers_to_the_machine_names_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'v.db'}"
    migrate.apply(url)
    with studio("--url", url, "--host", "0.0.0.0", cwd=tmp_path) as server:
        name = socket.gethostname()
        assert server.url.startswith(f"http://{name}:") and "warning: the studio listens on 0.0.0.0" in "".join(server.output)
        assert server.get("/", headers={"host": f"{name}:{server.port}"})[0] in (200, 303)
        assert server.get("/", headers={"host": f"rebound.example:{server.port}"})[0] == 421
        assert server.get("/", headers={"host": f"0.0.0.0:{server.port}"})[0] in (200, 303)
