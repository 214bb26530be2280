"""`vesta-sql check`, the tenant-scope proof: every unsafe corpus query is reported, every safe one passes,
the unsafe ones really leak on a two-account database, and the package's own queries all pass."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from vesta_sql.admin import migrate
from vesta_sql.admin.check import check_queries, check_sql, learn_tables
from vesta_sql.admin.check.queries import Entry, folder_entries
from vesta_sql.admin.cli import main
from vesta_sql.proof.tables import Tables

CORPUS = Path(__file__).parent / "corpus"
DIALECTS = ("sqlite", "postgres")
A, B = "acc_a", "acc_b"
NOW = "2025-01-02T03:04:05.000000Z"
Rows = list[tuple[Any, ...]]
Snapshot = dict[str, Rows]


def entries(kind: str, dialect: str) -> dict[str, Entry]:
    problems: list[Any] = []
    return {e.qualified_name: e for e in folder_entries(CORPUS / kind, dialect, problems)}


@pytest.fixture(scope="module")
def tables() -> dict[str, Tables]:
    return {dialect: learn_tables(dialect) for dialect in DIALECTS}


# -- the corpus -------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_unsafe_query_is_reported(dialect: str, tables: dict[str, Tables]) -> None:
    unsafe = entries("unsafe", dialect)
    assert len(unsafe) >= 25
    unreported = [name for name, entry in unsafe.items() if not check_sql(entry.sql, dialect, tables[dialect])]
    assert unreported == []


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_safe_query_passes(dialect: str, tables: dict[str, Tables]) -> None:
    safe = entries("safe", dialect)
    assert len(safe) >= 15
    reported = {name: check_sql(entry.sql, dialect, tables[dialect]) for name, entry in safe.items()}
    assert {name: found for name, found in reported.items() if found} == {}


def test_the_package_queries_all_pass() -> None:
    result = check_queries()
    assert [str(p) for p in result.errors] == []
    assert result.queries["sqlite"] > 50 and result.queries["postgres"] > 50


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("select p.id from posts p where p.account_id = :account_id or 1 = 1", "appears only under an or"),
        ("select p.id from posts p where not (p.account_id <> :account_id)", "appears only under a not"),
        ("select p.id from posts p where p.account_id = 'acc_b'", "compared to the literal 'acc_b'"),
        ("select p.id from posts p where p.account_id = :owner", "compared to :owner instead of :account_id"),
        ("select p.id from posts p where p.account_id = p.account_id", "compared to p.account_id, which is not itself scoped"),
        (
            "select l.id from posts p join likes l on l.post_id = p.id where p.account_id = :account_id",
            "table likes (alias l) has no 'l.account_id = :account_id' term",
        ),
        (
            "select l.id from posts p left join likes l on l.post_id = p.id where p.account_id = :account_id",
            "in its join's on or in the where",
        ),
        ("update posts set account_id = :account_id where account_id = :account_id and id = :id", "assigns account_id"),
        ("delete from likes where id = :id", "delete of table likes has no 'likes.account_id = :account_id' term in its where"),
        (
            "insert into likes (account_id, id, post_id, user_id, created_at) values (:other, :id, :p, :u, :n)",
            "puts :other into account_id instead of :account_id",
        ),
        ("insert into likes values (:account_id, :id, :p, :u, :n)", "names no columns"),
        ("insert into likes (id, post_id, user_id, created_at) values (:id, :p, :u, :n)", "does not set account_id"),
        ("select x.id from not_a_table x where x.account_id = :account_id", "not_a_table is not in the schema"),
        ("select p.id from posts_search_data p", "FTS5 shadow table"),
        ("select p.id from posts p where p.account_id = :account_id and", "cannot parse as sqlite SQL"),
        ("pragma foreign_keys = on", "cannot analyse"),
        ("select s.post_id from posts_search s where posts_search match :q", "table posts_search (alias s) has no"),
    ],
)
def test_what_each_problem_says(sql: str, expected: str, tables: dict[str, Tables]) -> None:
    messages = [message for message, _ in check_sql(sql, "sqlite", tables["sqlite"])]
    assert any(expected in message for message in messages), messages


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [
        ("sqlite", "select s.post_id from posts_search s where s.account_id = :account_id and posts_search match :q"),
        ("sqlite", "select p.id from posts p join likes l using (account_id) where p.account_id = :account_id"),
        (
            "postgres",
            "with recursive chain as (select c.id, c.account_id from creators c where c.account_id = :account_id"
            " union all select c2.id, c2.account_id from chain ch join creators c2 on c2.account_id = :account_id"
            " and c2.id = ch.id) select ch.id from chain ch",
        ),
        (
            "postgres",
            "select p.id from posts p, lateral (select count(*) as n from likes l where l.account_id = p.account_id) x"
            " where p.account_id = :account_id",
        ),
        ("postgres", "select p.id from posts p where p.account_id = :account_id and p.id = any(:ids) for update"),
    ],
)
def test_more_shapes_that_are_proven(dialect: str, sql: str, tables: dict[str, Tables]) -> None:
    assert check_sql(sql, dialect, tables[dialect]) == []


def test_directory_queries_select_only_the_account_id(tables: dict[str, Tables]) -> None:
    good = "select d.account_id from account_directory d where d.kind = :kind and d.key = :key"
    assert check_sql(good, "sqlite", tables["sqlite"], directory=True) == []
    bad = {
        "select d.account_id, d.key from account_directory d where d.kind = :kind": "exactly one column",
        "select d.key from account_directory d where d.kind = :kind": "exactly one column",
        "select c.account_id from creators c where c.slug = :key": "account_directory alone",
        "select d.account_id from account_directory d join creators c on c.account_id = d.account_id": "account_directory alone",
        "select d.account_id from account_directory d where d.key in (select slug from smart_links)": "only account_directory",
        "select d.account_id from account_directory d union select c.account_id from creators c": "one plain select",
        "delete from account_directory where key = :key": "one plain select",
    }
    for sql, expected in bad.items():
        messages = [m for m, _ in check_sql(sql, "sqlite", tables["sqlite"], directory=True)]
        assert any(expected in m for m in messages), (sql, messages)


# -- the command ------------------------------------------------------------------------------


def test_check_command_reports_file_line_query_and_what(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(CORPUS / "unsafe")]) == 1
    out = capsys.readouterr().out.splitlines()
    line = next(o for o in out if "reads.join_unscoped:" in o)
    path, rest = line.split(":", 1)
    assert Path(path).resolve() == (CORPUS / "unsafe" / "reads.sql").resolve()
    # the line of the unscoped table reference, not just of the query header
    assert rest == "16: reads.join_unscoped: table likes (alias l) has no 'l.account_id = :account_id' term"
    named = {o.split(": ")[1] for o in out if ": " in o and ".sql:" in o}
    unsafe = set(entries("unsafe", "sqlite"))
    assert unsafe <= named
    assert out[-1].startswith("vesta-sql check: ") and "problem(s)" in out[-1]


def test_check_command_passes_on_the_package_and_safe_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    assert main(["check", str(CORPUS / "safe")]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("vesta-sql check: ok: every query is scoped to one account")


def test_a_consuming_app_may_not_define_directory_queries(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "account_directory.sql").write_text(
        "-- name: resolve(kind, key)$\n-- param: kind str\n-- param: key str\n"
        "select d.account_id from account_directory d where d.kind = :kind and d.key = :key;\n"
    )
    assert main(["check", str(tmp_path)]) == 1
    assert "only the package may define account directory queries" in capsys.readouterr().out


# -- the leaks are real -----------------------------------------------------------------------

TENANT_TABLES = ("creators", "posts", "likes", "comments", "follows", "payouts")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file holding two accounts with the same ids and telling text (B's starts with 'b')."""
    path = tmp_path_factory.mktemp("leaks") / "two.db"
    migrate.apply(f"sqlite:///{path}")
    conn = sqlite3.connect(path)
    with conn:
        for acct, x in ((A, "a"), (B, "b")):
            conn.execute("insert into accounts (account_id, created_at) values (?, ?)", (acct, NOW))
            conn.execute(
                "insert into creators values (?, 'c1', ?, ?, '', ?, null, ?, ?)",
                (acct, f"{x} creator", f"{x}-slug", f"{x}@x.io", NOW, NOW),
            )
            posts = ("p1", "p2") if x == "a" else ("p1", "p2", "p3")
            for post in posts:
                draft = post == "p3"
                conn.execute(
                    "insert into posts values (?, ?, 'c1', ?, ?, ?, ?, ?, ?, null)",
                    (acct, post, f"{x} post", f"{x} body", "draft" if draft else "published", None if draft else NOW, NOW, NOW),
                )
            conn.execute("insert into comments values (?, 'cm1', 'p1', ?, ?, ?)", (acct, f"{x}-user", f"{x} comment", NOW))
            conn.execute("insert into follows values (?, 'f1', 'c1', ?, ?)", (acct, f"{x}-user", NOW))
            conn.execute(
                "insert into payouts values (?, 'po1', ?, 100, 'EUR', 'pending', null, null, ?, ?)", (acct, f"{x}-user", NOW, NOW)
            )
        conn.execute("insert into likes values (?, 'l1', 'p1', 'a-user', ?)", (A, NOW))
        conn.execute("insert into likes values (?, 'l1', 'p1', 'b-user', ?)", (B, NOW))
        conn.execute("insert into likes values (?, 'l2', 'p2', 'b-fan', ?)", (B, NOW))
        conn.execute("insert into payouts values (?, 'po2', 'b-user', 200, 'EUR', 'pending', null, null, ?, ?)", (B, NOW, NOW))
    conn.close()
    return path


def snapshot(conn: sqlite3.Connection, account: str) -> Snapshot:
    return {t: sorted(conn.execute(f"select * from {t} where account_id = ?", (account,)).fetchall()) for t in TENANT_TABLES}


def shows_b(rows: Rows) -> bool:
    return any(isinstance(v, str) and (v == B or v.startswith(("b-", "b "))) for row in rows for v in row)


@dataclass(frozen=True)
class Leak:
    params: dict[str, Any]
    leaked: Callable[[Rows, Snapshot, Snapshot, Snapshot], bool]  # (rows, B before, B after, A after)
    what: str


def reads_b(**params: Any) -> Leak:
    return Leak(params, lambda rows, *_: shows_b(rows), "returns account B's rows")


def answers(expected: Rows, a_only: Rows, **params: Any) -> Leak:
    return Leak(
        params, lambda rows, *_: rows == expected and rows != a_only, f"answers {expected} where account A alone gives {a_only}"
    )


def changes_b(**params: Any) -> Leak:
    return Leak(params, lambda rows, before, after, _a: before != after, "changes account B's rows")


def a_gets_b(**params: Any) -> Leak:
    return Leak(
        params, lambda rows, before, after, a: shows_b([r for t in a.values() for r in t]), "copies account B's data into A"
    )


LEAKS: dict[str, Leak] = {
    "reads.or_true": reads_b(),
    "reads.bind_is_not_null": reads_b(),
    "reads.join_unscoped": reads_b(),
    "reads.union_branch_unscoped": reads_b(),
    "reads.cte_unscoped": reads_b(),
    "reads.correlated_missing_predicate": reads_b(id="p1"),
    "reads.predicate_under_not": reads_b(),
    "reads.coalesce_bind": reads_b(account_id=None),
    "reads.left_join_right_unscoped": reads_b(),
    "reads.left_join_left_only_in_on": reads_b(),
    "reads.predicate_in_case": reads_b(),
    "reads.function_wrapping_account": reads_b(),
    "reads.or_other_account": reads_b(other_account=B),
    "reads.derived_table_unscoped": reads_b(),
    "reads.comparison_not_equality": reads_b(),
    "reads.in_list_with_bind": reads_b(other_account=B),
    "no_bind.literal_instead_of_bind": reads_b(),
    "no_bind.account_equals_itself": reads_b(),
    "reads.subquery_in_where_unscoped": answers([("p1",)], [], user_id="b-user"),
    "reads.exists_unscoped": answers([("p1",)], [], user_id="b-user"),
    "reads.predicate_on_wrong_alias": answers([("p1",)], [], user_id="b-user"),
    "reads.scalar_subquery_unscoped": answers([(3,)], [(1,)], id="c1"),
    "reads.except_branch_unscoped": answers([], [("p2",)]),
    "writes.update_sets_account_where_id": changes_b(id="p3"),
    "writes.delete_bind_is_not_null": changes_b(id="cm1"),
    "writes.update_or": changes_b(id="po2"),
    "writes.insert_select_unscoped": a_gets_b(id="l9", user_id="b-fan"),
    "writes.insert_account_from_column": changes_b(id="cm9", post_id="p1", user_id="a-user", body="from a"),
    "writes.update_where_subquery_unscoped": Leak(
        {"user_id": "b-user"},
        lambda rows, b0, b1, a: "archived" in {r[5] for r in a["posts"]},
        "archives A's post because of B's like",
    ),
    "writes.delete_via_unscoped_cte": Leak(
        {"user_id": "b-user"}, lambda rows, b0, b1, a: a["likes"] == [], "deletes A's like because of B's"
    ),
    "no_bind.delete_without_predicate": changes_b(post_id="p1"),
    "no_bind.insert_values_other_bind": changes_b(target_account=B, id="f9", creator_id="c1", follower_id="a-user"),
}

DEFAULTS: dict[str, Any] = {"account_id": A, "now": NOW, "id": "p1", "user_id": "a-user", "post_id": "p1", "other_account": A}


def run(path: Path, sql: str, params: dict[str, Any]) -> tuple[Rows, Snapshot, Snapshot, Snapshot]:
    conn = sqlite3.connect(path)
    conn.execute("pragma foreign_keys = on")
    try:
        before = snapshot(conn, B)
        with conn:
            rows = conn.execute(sql, {**DEFAULTS, **params}).fetchall()
        return rows, before, snapshot(conn, B), snapshot(conn, A)
    finally:
        conn.close()


@pytest.mark.parametrize("name", sorted(LEAKS))
def test_unsafe_query_really_leaks_across_accounts(name: str, seeded: Path, tmp_path: Path) -> None:
    unsafe = entries("unsafe", "sqlite")
    leak = LEAKS[name]
    copy = tmp_path / "copy.db"
    shutil.copyfile(seeded, copy)
    rows, before, after, a_after = run(copy, unsafe[name].sql, leak.params)
    assert leak.leaked(rows, before, after, a_after), f"{name} should leak: it {leak.what}; got {rows}"


def test_enough_leaks_are_demonstrated() -> None:
    assert len(LEAKS) >= 8
    assert set(LEAKS) <= set(entries("unsafe", "sqlite"))


@pytest.mark.parametrize("name", sorted(entries("safe", "sqlite")))
def test_safe_query_runs_and_stays_in_its_account(name: str, seeded: Path, tmp_path: Path) -> None:
    entry = entries("safe", "sqlite")[name]
    copy = tmp_path / "copy.db"
    shutil.copyfile(seeded, copy)
    params = {
        "id": "x9",
        "creator_id": "c1",
        "follower_id": "b-user",
        "body": "hi",
        "ids": '["p1", "p2"]',
        "before_created_at": "9999-12-31T23:59:59.999999Z",
        "before_id": "",
        "limit": 50,
        "user_id": "b-user",
    }
    rows, before, after, _ = run(copy, entry.sql, params)
    assert not shows_b(rows)
    assert before == after
