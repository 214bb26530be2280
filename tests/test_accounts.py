"""`vesta-sql account export|delete`: every row of one account, on SQLite and Postgres, as the owner."""

from __future__ import annotations

import io
import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

import vesta_sql
from vesta_sql.admin.accounts import AccountNotFound, delete_account, export_account
from vesta_sql.admin.cli import main
from vesta_sql.errors import InvalidInputError

from .copy_support import seed

EXPECTED = {
    "accounts": 1, "account_agents": 1, "account_directory": 3, "collection_items": 1, "collections": 1, "comments": 1,
    "creator_labels": 1, "creators": 1, "follows": 1, "likes": 4, "payment_shares": 2, "payment_system_logs": 1,
    "payouts": 1, "plans": 1, "post_updates": 1, "posts": 3, "purchase_codes": 1, "reposts": 1, "smart_links": 1,
    "stripe_payments": 1, "subscriptions": 1, "tiers": 1,
}


@pytest.fixture(params=["sqlite", "postgres"])
def owner_url(request: pytest.FixtureRequest) -> str:
    """The owner's URL of the session database of each dialect."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_urls")[0])


def export_lines(url: str, account: str) -> list[dict[str, Any]]:
    out = io.StringIO()
    counts = export_account(url, account, out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert sum(counts.values()) == len(lines)
    return lines


def raw_delete_logs(url: str, account: str) -> None:
    """A plain delete on the payment log, outside `account delete`: the append-only trigger must refuse it."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url[len("sqlite:///"):]) as conn:
            conn.execute("delete from payment_system_logs where account_id = ?", (account,))
    else:
        with psycopg.connect(url) as conn:
            conn.execute("delete from payment_system_logs where account_id = %s", (account,))


def test_export_writes_every_row_of_the_account_only(owner_url: str, acct: str, acct2: str, uniq: Any) -> None:
    seeded = seed(owner_url, {acct: uniq("a"), acct2: uniq("b")}, likes=4)
    lines = export_lines(owner_url, acct)
    tables: dict[str, int] = {}
    for line in lines:
        assert set(line) == {"table", "row"} and line["row"]["account_id"] == acct
        tables[line["table"]] = tables.get(line["table"], 0) + 1
    assert tables == EXPECTED
    rows = {(line["table"], line["row"].get("id")): line["row"] for line in lines}
    post = rows[("posts", seeded[acct]["posts"][0].id)]
    assert len(post["embedding"]) == 384 and post["embedding"][0] == float(seeded[acct]["posts"][0].embedding[0])
    assert post["published_at"].endswith("Z") and rows[("posts", seeded[acct]["posts"][1].id)]["embedding"] is None
    assert rows[("smart_links", seeded[acct]["link"].id)]["destinations"]["nested"] == [1, 2.5, {"ok": True, "z": None}]
    assert rows[("stripe_payments", seeded[acct]["payment"].id)]["metadata"] == {"order": "o-1", "rate": 1.5}


def test_export_command_writes_a_file(owner_url: str, acct: str, uniq: Any, tmp_path: Path) -> None:
    seed(owner_url, {acct: uniq("a")}, likes=4)
    out = tmp_path / "acct.jsonl"
    assert main(["account", "export", "--account", acct, "--url", owner_url, "--out", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines == export_lines(owner_url, acct) and len(lines) == sum(EXPECTED.values())


def test_delete_removes_every_row_and_directory_entry_and_nothing_else(owner_url: str, acct: str, acct2: str, uniq: Any) -> None:
    seeded = seed(owner_url, {acct: uniq("a"), acct2: uniq("b")}, likes=4)
    other_before = export_lines(owner_url, acct2)
    with pytest.raises(Exception, match="append-only"):
        raw_delete_logs(owner_url, acct)  # the log stays append-only outside the admin deletion

    deleted = delete_account(owner_url, acct)
    assert deleted["payment_system_logs"] == 1 and deleted["likes"] == 4 and deleted["creators"] == 1
    with pytest.raises(AccountNotFound):
        export_lines(owner_url, acct)
    assert export_lines(owner_url, acct2) == other_before
    tag = seeded[acct]["tag"]
    db = vesta_sql.connect(owner_url)
    try:
        assert db.resolve_account("smart_link", f"link-{tag}") is None
        assert db.resolve_account("stripe_payment_intent", f"pi-{tag}") is None
        assert db.resolve_account("sso_org", f"org-{tag}") is None
        assert db.resolve_account("smart_link", f"link-{seeded[acct2]['tag']}") == acct2
        assert db.posts.find_by_id(account_id=acct, id=seeded[acct]["posts"][0].id) is None
        assert db.payment_system_logs.list(account_id=acct) == []
        assert len(db.payment_system_logs.list(account_id=acct2)) == 1
    finally:
        db.close()
    with pytest.raises(Exception, match="append-only"):
        raw_delete_logs(owner_url, acct2)  # the permit was for the deleted account only, and is gone
    with pytest.raises(AccountNotFound):  # deleting again finds nothing, and says so
        delete_account(owner_url, acct)


def test_delete_command_prints_what_it_removed(owner_url: str, acct: str, uniq: Any, capsys: pytest.CaptureFixture[str]) -> None:
    seed(owner_url, {acct: uniq("a")}, likes=4)
    assert main(["account", "delete", "--account", acct, "--url", owner_url, "--yes"]) == 0
    out = capsys.readouterr().out
    assert "payment_system_logs: 1" in out and "none remain" in out
    with pytest.raises(AccountNotFound):
        export_lines(owner_url, acct)


def test_bad_account_ids_are_refused(owner_url: str) -> None:
    with pytest.raises(InvalidInputError):
        delete_account(owner_url, " padded ")
    with pytest.raises(InvalidInputError):
        export_account(owner_url, "", io.StringIO())


def test_the_app_role_cannot_use_the_deletion_permit(pg_urls: tuple[str, str], acct: str, uniq: Any) -> None:
    """On Postgres the log accepts a delete only from the owner: a permit written by the app role opens nothing."""
    owner, app = pg_urls
    seed(owner, {acct: uniq("a")}, likes=1)
    with psycopg.connect(app) as conn:
        conn.execute("select set_config('vesta.account_id', %s, false)", (acct,))
        conn.execute("insert into account_deletions (account_id, id, created_at) values (%s, %s, now())",
                     (acct, str(uuid.uuid4())))
        with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
            conn.execute("delete from payment_system_logs where account_id = %s", (acct,))
    with psycopg.connect(owner) as conn:
        assert conn.execute("select count(*) from payment_system_logs where account_id = %s", (acct,)).fetchone() == (1,)
