"""`vesta-sql studio` over real HTTP on both dialects: the token, the Host header, CSRF and Origin, and the tenant wall.

On Postgres the studio reads as the app role (row-level security on); on SQLite through
account-scoped SQL. Crawling every page of account A must never show an id of account B.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from vesta_sql.admin import migrate
from vesta_sql.admin.roles import create_app_role

from .conftest import APP_ROLE
from .studio_support import Seeded, Server, links, seed, studio

Served = tuple[Server, Seeded, Seeded, Path]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp(f"studio-{request.param}")
    audit = folder / "audit.jsonl"
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'studio.db'}"
        migrate.apply(url)
        a, b = seed(url)
        args = ["--url", url]
    else:
        postgres = request.getfixturevalue("postgres")
        owner = postgres.create_database("vesta_studio")
        migrate.apply(owner)
        create_app_role(owner, APP_ROLE, "app-secret")
        app = postgres.url_for(owner, APP_ROLE, "app-secret")
        a, b = seed(app)
        args = ["--url", owner, "--app-url", app]
    with studio(*args, "--write", "--audit", str(audit), cwd=folder) as server:
        yield server, a, b, audit


def account_path(s: Seeded, *parts: str) -> str:
    return "/a/" + quote(s.account, safe="") + "".join("/" + p for p in parts)


def test_no_token_is_refused(served: Any) -> None:
    server, a, _, _ = served
    for path in ("/", account_path(a), account_path(a, "t", "posts"), "/static/studio.css"):
        status, text = server.get(path, token=False)
        assert status == 403, path
        assert "token" in text
    status, _ = server.get("/?token=wrong", token=False)
    assert status == 403


def test_the_printed_url_sets_a_cookie_and_drops_the_token(served: Any) -> None:
    server, _, _, _ = served
    status, _, headers = server.request("GET", "/?token=" + server.token, token=False)
    assert status == 303 and headers["location"] == "/"
    cookie = headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    status, text, _ = server.request("GET", "/", token=False, headers={"cookie": cookie.split(";")[0]})
    assert status == 200 and "Pick an account" in text


def test_a_foreign_host_is_refused(served: Any) -> None:
    server, a, _, _ = served
    for host in ("evil.example", f"evil.example:{server.port}", "127.0.0.1:1", f"localhost.evil.example:{server.port}"):
        status, text = server.get(account_path(a), headers={"host": host})
        assert status == 421, host
        assert "Host" in text
    assert server.get(account_path(a), headers={"host": f"localhost:{server.port}"})[0] == 200


def test_writes_need_the_csrf_token_and_our_origin(served: Any) -> None:
    server, a, _, _ = served
    path = account_path(a, "console")
    status, text, _ = server.request("POST", path, form={"sql": "select 1"})
    assert status == 403 and "CSRF" in text
    status, text, _ = server.post(path, {"sql": "select 1"}, headers={"origin": "http://evil.example"})
    assert status == 403 and "origin" in text
    status, _, _ = server.post(path, {"sql": "select 1"}, headers={"origin": f"http://127.0.0.1:{server.port}"})
    assert status == 200


def test_another_accounts_row_is_not_found(served: Any) -> None:
    server, a, b, _ = served
    for table, key in (("posts", b.posts[0]), ("creators", b.creator)):
        status, text = server.get(account_path(a, "t", table, "row") + f"?id={key}")
        assert status == 404, (table, text)
        assert key not in text.replace(f"id={key}", "")  # named as asked, never shown as a row
        assert server.get(account_path(b, "t", table, "row") + f"?id={key}")[0] == 200
    status, text = server.get(account_path(a, "t", "posts") + f"?f.creator_id={b.creator}")
    assert status == 200 and "no rows" in text
    assert server.get("/a/acc_nobody/t/posts")[0] == 404
    for table in ("sqlite_master", "_yoyo_migration", "pg_authid", "posts%22%20--"):  # names come only from the schema
        assert server.get(account_path(a, "t", table))[0] == 404, table


def test_crawling_every_page_of_one_account_shows_nothing_of_the_other(served: Any) -> None:
    server, a, b, _ = served
    start = account_path(a)
    todo, seen = [start], set()
    while todo:
        path = todo.pop()
        if path in seen or not path.startswith(start) or "/new" in path:
            continue
        seen.add(path)
        status, text = server.get(path)
        assert status == 200, (path, text[-500:])
        leaked = sorted(i for i in b.ids if i in text)
        assert not leaked, (path, leaked)
        todo += links(text, path)
    assert len(seen) > 40  # tables, grids, sorts, pages, rows, children, exports
    assert any("/export.csv" in p for p in seen) and any("/row?" in p for p in seen)
    assert a.account in server.get(start)[1]  # the account in use is shown


def test_the_console_runs_only_what_the_proof_accepts(served: Any) -> None:
    server, a, b, _ = served
    path = account_path(a, "console")
    scoped = "select p.id, p.title from posts p where p.account_id = :account_id order by p.id"
    status, text, _ = server.post(path, {"sql": scoped})
    assert status == 200 and 'id="result"' in text and a.posts[0] in text and b.posts[0] not in text
    for sql, why in (("select p.id from posts p", "account_id = :account_id"),
                     ("delete from posts where account_id = :account_id", "read-only"),
                     ("select p.id from posts p where p.account_id = :account_id and p.id = :id", "only :account_id"),
                     ("select set_config('vesta.account_id', 'x', true)", "")):
        status, text, _ = server.post(path, {"sql": sql})
        assert status == 200 and 'id="refused"' in text and why in text, sql
        assert 'id="result"' not in text


def test_edit_insert_delete_are_audited(served: Any) -> None:
    server, a, _, audit = served
    row = account_path(a, "t", "posts", "row") + f"?id={a.posts[1]}"
    status, _, headers = server.post(account_path(a, "t", "posts", "update") + f"?id={a.posts[1]}", {"c.title": "edited title"})
    assert status == 303 and headers["location"].endswith(f"row?id={a.posts[1]}")
    assert "edited title" in server.get(row)[1]
    status, text, _ = server.post(account_path(a, "t", "posts", "update") + f"?id={a.posts[1]}", {"c.account_id": "acc_x"})
    assert status == 400 and "account_id" in text
    status, text, _ = server.post(account_path(a, "t", "posts", "update") + f"?id={a.posts[1]}", {"c.created_at": "soon"})
    assert status == 400 and "ISO-8601" in text
    status, text, _ = server.post(account_path(a, "t", "posts", "update") + f"?id={a.posts[1]}",
                                  {"c.title": "never saved", "c.status": "bogus"})  # the database's check refuses it
    assert status == 400 and "never saved" not in server.get(row)[1]
    status, text, _ = server.post(account_path(a, "t", "account_directory", "update") + "?kind=smart_link&key=x", {"c.key": "y"})
    assert status == 400 and "does not write it" in text
    status, text, _ = server.post(account_path(a, "t", "account_deletions", "insert"),
                                  {"c.id": "x", "c.created_at": "2026-01-02T03:04:05Z"})  # would unlock the payment log
    assert status == 400 and "does not write it" in text
    form = {"c.id": "", "c.name": "Grace", "c.slug": "grace-x", "c.bio": "", "c.email": "g@example.com",
            "c.workos_org_id": "", "c.created_at": "2026-01-02T03:04:05Z", "c.updated_at": "2026-01-02T03:04:05Z"}
    status, _, headers = server.post(account_path(a, "t", "creators", "insert"), form)
    assert status == 303, headers
    new = headers["location"].split("id=")[1]
    assert "Grace" in server.get(headers["location"])[1]
    status, _, _ = server.post(account_path(a, "t", "creators", "delete") + f"?id={new}", {})
    assert status == 303 and server.get(headers["location"])[0] == 404
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(x["action"], x["table"]) for x in lines] == [("update", "posts"), ("insert", "creators"), ("delete", "creators")]
    first = lines[0]
    assert first["account_id"] == a.account and first["key"] == {"id": a.posts[1]}
    assert first["before"]["title"] == "north post 2" and first["after"]["title"] == "edited title" and first["who"]
    assert str(first["after"]["updated_at"]) > str(first["before"]["updated_at"])  # an edit moves updated_at, as the façade's
