"""A hostile query author against the scope proof, class by class, on both dialects.

Each hostile case is first run as it is, with the raw driver, on a two-account database,
to show that it really crosses accounts (on Postgres as the app role; where row-level
security stops it there, as a superuser, which shows that only RLS saved the app);
then `vesta-sql check` and `connect` must both refuse the file. Each safe case runs on
the same database without touching the other account, and both accept it.
"""

from __future__ import annotations

import shutil
import sqlite3
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

import vesta_sql
from vesta_sql.admin.check import check_queries
from vesta_sql.admin.cli import main
from vesta_sql.sqlfile import code_binds, pyformat

from .pg import PostgresFixture
from .test_check_scope import NOW, A, B, seeded  # noqa: F401 - the fixture is used by name

Rows = list[tuple[Any, ...]]


@dataclass(frozen=True)
class Case:
    name: str
    dialects: tuple[str, ...]
    sql: str
    params: dict[str, Any] = field(default_factory=dict)
    # the leak, seen from the rows returned and the database after the statement (a callable per dialect)
    leaked: Callable[[Rows, Any], bool] = lambda rows, db: False
    rls_stops_it: bool = True  # on Postgres, whether the app role is saved by row-level security alone


def shows_b(rows: Rows, _db: Any = None) -> bool:
    return any(isinstance(v, str) and (v == B or v.startswith(("b-", "b "))) for row in rows for v in row)


def b_has(table: str, where: str) -> Callable[[Rows, Any], bool]:
    def check(_rows: Rows, db: Any) -> bool:
        return bool(db.execute(f"select count(*) from {table} where account_id = '{B}' and {where}").fetchone()[0])
    return check


def b_count(db: Any, table: str) -> int:
    return int(db.execute(f"select count(*) from {table} where account_id = '{B}'").fetchone()[0])


def directory_says(key: str, account: str) -> Callable[[Rows, Any], bool]:
    def check(_rows: Rows, db: Any) -> bool:
        row = db.execute(f"select account_id from account_directory where key = '{key}'").fetchone()
        return row is not None and row[0] == account
    return check


def directory_lost(key: str) -> Callable[[Rows, Any], bool]:
    def check(_rows: Rows, db: Any) -> bool:
        return bool(db.execute(f"select count(*) from account_directory where key = '{key}'").fetchone()[0] == 0)
    return check


def setting_is_b(_rows: Rows, db: Any) -> bool:
    """After the statement, an unscoped read in the same transaction sees B's rows: RLS now guards B."""
    return bool(db.execute(f"select count(*) from posts where account_id = '{B}'").fetchone()[0])


HOSTILE = [
    # -- column lists that rename a column to account_id
    Case("cte_column_list", ("sqlite", "postgres"), """
        with x(junk, account_id) as (select :account_id as account_id, 'acc_b')
        select p.title from x join posts p on p.account_id = x.account_id""", leaked=shows_b),
    Case("derived_column_list", ("postgres",), """
        select p.title
          from (select :account_id as account_id, 'acc_b' as other) as d(junk, account_id)
          join posts p on p.account_id = d.account_id""", leaked=shows_b),
    Case("values_column_list_in_cte", ("sqlite", "postgres"), """
        with v(account_id, junk) as (values ('acc_b', :account_id))
        select p.title from v join posts p on p.account_id = v.account_id and v.junk = :account_id""", leaked=shows_b),
    Case("table_alias_column_list", ("postgres",), """
        select p.title from posts as p(id, account_id) where p.account_id = :account_id""",
         params={"account_id": "p1"}, leaked=shows_b),
    # -- row-value assignments that include account_id
    Case("update_row_value_moves_row", ("sqlite", "postgres"), """
        update likes set (id, account_id) = ('l-planted', 'acc_b')
         where account_id = :account_id and id = 'l1'""", leaked=b_has("likes", "id = 'l-planted'")),
    Case("upsert_row_value_moves_row", ("sqlite", "postgres"), """
        insert into likes (account_id, id, post_id, user_id, created_at)
        values (:account_id, 'l1', 'p1', 'a-user', :now)
        on conflict (account_id, id) do update set (id, user_id, account_id) = ('l-planted', 'planted', 'acc_b')""",
         leaked=b_has("likes", "user_id = 'planted'")),
    # -- conflict handling that deletes or moves another account's row
    Case("insert_or_replace_takes_over_sso_org", ("sqlite",), """
        insert or replace into creators (account_id, id, name, slug, bio, email, workos_org_id, created_at, updated_at)
        values (:account_id, 'c9', 'x', 'x', '', 'x@x.io', 'org-b', :now, :now)""",
         leaked=directory_says("org-b", A)),
    Case("replace_into_directory", ("sqlite",), """
        insert or replace into account_directory (kind, key, account_id) values ('sso_org', 'org-b', :account_id)""",
         leaked=directory_says("org-b", A)),
    Case("upsert_on_directory_key", ("sqlite",), """
        insert into account_directory (kind, key, account_id) values ('sso_org', 'org-b', :account_id)
        on conflict (kind, key) do update set key = 'stolen'""", leaked=directory_lost("org-b")),
    # -- identifiers compared with the dialect's own quoting rules
    Case("quoted_upper_case_account_id", ("postgres",), """
        with x as (select :account_id as "ACCOUNT_ID", 'acc_b' as account_id)
        select p.title from x join posts p on p.account_id = x.account_id""", leaked=shows_b),
    # -- functions that change settings or run SQL text
    Case("set_config_switches_rls", ("postgres",), """
        select c.name, set_config('vesta.account_id', 'acc_b', true) as switched
          from creators c where c.account_id = :account_id""", leaked=setting_is_b, rls_stops_it=False),
    # -- a CTE named like the table a write changes (found by a red-team review)
    # (on Postgres a count of B's rows means nothing under RLS: the refusal is in REFUSED)
    Case("cte_shadows_the_delete_target", ("sqlite",), """
        with likes as (select :account_id as account_id)
        delete from likes""", leaked=lambda rows, db: b_count(db, "likes") == 0),
    Case("cte_shadows_the_update_target", ("sqlite", "postgres"), """
        with posts as (select :account_id as account_id)
        update posts set title = 'pwned'""", leaked=b_has("posts", "title = 'pwned'")),
    # -- the database names an unaliased column its own way
    Case("unaliased_collate_column", ("sqlite",), """
        select group_concat(p.title, '|')
          from (select :account_id, v.account_id collate binary from (select 'acc_b' as account_id) v) d
          join posts p on p.account_id = d.account_id""", leaked=shows_b),
    Case("unaliased_scalar_subquery_column", ("postgres",), """
        select (select string_agg(p.title, '|')
                  from (select account_id from (select (select 'acc_b' as account_id)) e) d
                  join posts p on p.account_id = d.account_id)
          from creators c where c.account_id = :account_id""", leaked=shows_b),
    # -- `using (account_id)` compares with the leftmost holder, whatever the set order
    Case("using_chain_without_a_bound_holder", ("sqlite", "postgres"), """
        select p.title from posts p
          left join (select * from likes where account_id = :account_id) l using (account_id)
          join creators c using (account_id)
         where p.account_id = c.account_id""", leaked=shows_b),
    # -- an FTS5 command row changes the index for every account
    Case("fts5_command_row", ("sqlite",), """
        insert into posts_search (posts_search, rank, account_id) values ('rank', 'bm25(10.0, 5.0)', :account_id)""",
         leaked=lambda rows, db: bool(db.execute("select count(*) from posts_search_config where k = 'rank'").fetchone()[0])),
    Case("ts_stat_runs_sql_text", ("postgres",), """
        select c.name,
               (select count(*) from ts_stat('select to_tsvector(set_config(''vesta.account_id'', ''acc_b'', true))')) as n
          from creators c where c.account_id = :account_id""", leaked=setting_is_b, rls_stops_it=False),
]

# Refused without a leak to show: the state they read is per connection or table-wide, or the call is unknown.
REFUSED = [
    ("sqlite", "select last_insert_rowid() as id from creators c where c.account_id = :account_id", "last_insert_rowid"),
    ("sqlite", "select changes() as n, total_changes() as t from creators c where c.account_id = :account_id", "changes"),
    ("sqlite", "select d.name from dbstat d, creators c where c.account_id = :account_id", "dbstat"),
    ("sqlite", "select t.name from pragma_table_info('posts') t, creators c where c.account_id = :account_id",
     "pragma_table_info"),
    ("sqlite", "select bm25(posts_search) as r from posts_search s where s.account_id = :account_id", "bm25"),
    ("postgres", "select current_setting('vesta.account_id') from creators c where c.account_id = :account_id",
     "current_setting"),
    ("postgres", "select query_to_xml('select 1', true, false, '') from creators c where c.account_id = :account_id",
     "runs SQL text"),
    ("postgres", "select set_config('hnsw.ef_search', '40', false) from creators c where c.account_id = :account_id",
     "transaction-local"),
    ("postgres", "select set_config('vesta.' || 'account_id', 'x', true) from creators c where c.account_id = :account_id",
     "computed name"),
    ("postgres", "select pg_catalog.lower(c.name) from creators c where c.account_id = :account_id", "schema-qualified"),
    ("postgres", "select c.name from creators c where c.account_id = :account_id; select 1", "exactly one statement"),
    ("postgres", "merge into follows f using creators c on c.account_id = :account_id and f.account_id = :account_id"
     " when not matched by source then delete", "not matched by source"),
    ("postgres", "select c.name from creators c where c.account_id = $1", "not a :name bind"),
    ("sqlite", "select c.name from creators c where c.account_id = ?", "not a :name bind"),
    ("sqlite", "select c.name from creators c where c.account_id = @account_id", "not a :name bind"),
    ("sqlite", "insert or ignore into creators (account_id, id, name, slug, bio, email, created_at, updated_at)"
     " values (:account_id, 'c9', 'x', 'x', '', 'x@x.io', :now, :now)", "has triggers"),
    ("sqlite", "update or replace creators set bio = 'x' where account_id = :account_id", "cannot parse"),
    ("sqlite", "delete from account_directory where account_id = :account_id", "only the database's own triggers"),
    ("postgres", "with likes as (select :account_id as account_id) delete from likes", "delete of table likes has no"),
    ("postgres", "with likes as (select :account_id as account_id) merge into likes l using (select 1 as one) s on true"
     " when matched then delete", "has no 'l.account_id = :account_id' term"),
    ("sqlite", "select s.post_id, s.rank from posts_search s where posts_search match 'post' and s.account_id = :account_id"
     " order by s.rank", "rank column"),
    ("postgres", "select p.title from posts p where p.account_id = cast(:account_id as varchar(3))",
     "compared to CAST"),
    ("postgres", "select p.title from posts p where p.account_id = cast(:account_id as char)", "compared to CAST"),
    ("sqlite", "select p.title from posts p where p.account_id = :account_id::text", "another parameter's name"),
    ("postgres", "delete from account_directory where account_id = :account_id", "only the database's own triggers"),
    # a row in account_deletions lets the account's append-only payment system log be deleted
    ("sqlite", "insert into account_deletions (account_id, id, created_at) values (:account_id, 'x', :now)",
     "only `vesta-sql account delete` writes it"),
    ("sqlite", 'insert into "ACCOUNT_DELETIONS" (account_id, id, created_at) values (:account_id, \'x\', :now)',
     "only `vesta-sql account delete` writes it"),
    ("sqlite", "with d(account_id) as (select :account_id) insert into account_deletions (account_id, id, created_at)"
     " select d.account_id, 'x', :now from d", "only `vesta-sql account delete` writes it"),
    ("sqlite", "update account_deletions set id = 'y' where account_id = :account_id", "only `vesta-sql account delete`"),
    ("sqlite", "delete from account_deletions where account_id = :account_id", "only `vesta-sql account delete`"),
    ("postgres", "insert into account_deletions (account_id, id, created_at) values (:account_id, 'x', now())",
     "only `vesta-sql account delete` writes it"),
    ("postgres", "with d as (insert into account_deletions (account_id, id, created_at) values (:account_id, 'x', now())"
     " returning d.account_id) select count(*) from d", "only `vesta-sql account delete` writes it"),
    ("postgres", "delete from account_deletions where account_id = :account_id", "only `vesta-sql account delete`"),
    ("postgres", "insert into account_directory (kind, key, account_id) values ('sso_org', 'org-b', :account_id)"
     " on conflict (kind, key) do update set key = 'stolen'", "only the database's own triggers"),
    ("postgres", "insert into posts (account_id, id, creator_id, title, body, status, created_at, updated_at)"
     " values (:account_id, 'p9', 'c1', 't', 'b', 'draft', now(), now()) on conflict do update set title = 'x'",
     "does not include account_id"),
]

SAFE = [
    Case("in_list_of_the_bind", ("sqlite", "postgres"), "select p.title from posts p where p.account_id in (:account_id)"),
    Case("is_not_distinct_from", ("sqlite", "postgres"),
         "select p.title from posts p where p.account_id is not distinct from :account_id"),
    Case("using_across_three_tables", ("sqlite", "postgres"), """
        select p.title, l.user_id
          from creators c
          join posts p using (account_id)
          join likes l using (account_id)
         where c.account_id = :account_id and p.creator_id = c.id and l.post_id = p.id"""),
    Case("data_modifying_cte", ("postgres",), """
        with gone as (delete from likes l where l.account_id = :account_id and l.id = 'l1' returning l.post_id)
        select count(*) from gone"""),
    Case("merge_keyed_on_account", ("postgres",), """
        merge into follows f
        using (values (:account_id, 'c1', 'new-fan')) as v(account_id, creator_id, follower_id)
           on f.account_id = v.account_id and f.creator_id = v.creator_id and f.follower_id = v.follower_id
         when matched then update set created_at = :now
         when not matched then insert (account_id, id, creator_id, follower_id, created_at)
              values (v.account_id, 'f9', v.creator_id, v.follower_id, :now)"""),
    Case("values_insert_bound_to_the_account", ("postgres",), """
        insert into likes (account_id, id, post_id, user_id, created_at)
        select v.account_id, v.id, v.post_id, v.user_id, v.created_at
          from (values (:account_id, 'l8', 'p2', 'fan-1', :now), (:account_id, 'l9', 'p2', 'fan-2', :now))
               as v(account_id, id, post_id, user_id, created_at)"""),
    Case("values_cte_insert_bound_to_the_account", ("sqlite", "postgres"), """
        with v(account_id, id, post_id, user_id) as (values (:account_id, 'l8', 'p2', 'fan-1'))
        insert into likes (account_id, id, post_id, user_id, created_at)
        select v.account_id, v.id, v.post_id, v.user_id, :now from v"""),
    Case("random_token", ("sqlite",), "select lower(hex(randomblob(16))) as token from posts p where p.account_id = :account_id"),
    Case("parenthesized_inner_join", ("sqlite", "postgres"), """
        select p.title, l.user_id
          from creators c
          join (posts p join likes l on l.post_id = p.id and l.account_id = p.account_id)
            on p.account_id = c.account_id and p.creator_id = c.id
         where c.account_id = :account_id"""),
    Case("recursive_cte_joined_on_the_account", ("sqlite", "postgres"), """
        with recursive chain(account_id, id, depth) as (
          select c.account_id, c.id, 0 from creators c where c.account_id = :account_id
          union all
          select c.account_id, c.id, ch.depth + 1
            from creators c join chain ch on c.account_id = ch.account_id and c.id = ch.id
           where ch.depth < 2)
        select ch.id from chain ch"""),
    Case("in_a_select_of_the_bind", ("sqlite", "postgres"),
         "select p.title from posts p where p.account_id in (select :account_id)"),
    Case("a_week_of_days", ("postgres",), """
        select d.day, count(p.id) as n
          from generate_series(now() - interval '7 days', now(), interval '1 day') as d(day)
          left join posts p on p.account_id = :account_id and p.created_at >= d.day
         group by d.day"""),
    Case("headline", ("postgres",), """
        select ts_headline('english', p.body, websearch_to_tsquery('english', 'body')) as h
          from posts p where p.account_id = :account_id"""),
    Case("planner_setting_for_search", ("postgres",), """
        select count(*) as posts, set_config('hnsw.ef_search', '80', true) as ef
          from posts p where p.account_id = :account_id"""),
]


def query_file(folder: Path, case_name: str, sql: str, dialect: str) -> Path:
    """A one-query file for `sql`, declaring every bind it uses (typed str, except `now`)."""
    names = list(dict.fromkeys(b.name for b in code_binds(sql, dialect)))
    names = ["account_id", *[n for n in names if n != "account_id"]]
    lines = [f"-- name: {case_name}({', '.join(names)})$"]
    lines += [f"-- param: {n} {'now' if n == 'now' else 'str'}" for n in names if n != "account_id"]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hostile.sql"
    path.write_text("\n".join(lines) + "\n" + textwrap.dedent(sql).strip() + ";\n", encoding="utf-8")
    return folder


def cases(kind: list[Case]) -> list[Any]:
    return [pytest.param(case, dialect, id=f"{case.name}-{dialect}") for case in kind for dialect in case.dialects]


# -- SQLite: a copy of a two-account file per case ----------------------------------------------


def _sqlite_copy(seeded: Path, tmp_path: Path) -> Path:  # noqa: F811 - `seeded` is the imported fixture
    copy = tmp_path / "two.db"
    shutil.copyfile(seeded, copy)
    conn = sqlite3.connect(copy)
    with conn:  # B owns an SSO org, so its directory entry can be attacked
        conn.execute("update creators set workos_org_id = 'org-b' where account_id = ?", (B,))
    conn.close()
    return copy


def _run_sqlite(path: Path, case: Case) -> bool:
    conn = sqlite3.connect(path)
    conn.execute("pragma foreign_keys = on")
    try:
        with conn:
            rows = conn.execute(textwrap.dedent(case.sql), {"account_id": A, "now": NOW, **case.params}).fetchall()
        return case.leaked(rows, conn)
    finally:
        conn.close()


# -- Postgres: two accounts in one transaction, rolled back after each case ----------------------


@pytest.fixture(scope="module")
def pg_two_accounts(postgres: PostgresFixture) -> Iterator[tuple[str, str, str]]:
    """(superuser URL, app-role URL, owner URL) of a database seeded with accounts A and B."""
    from vesta_sql.admin import migrate
    from vesta_sql.admin.roles import create_app_role

    owner = postgres.create_database("vesta_hostile")
    migrate.apply(owner)
    create_app_role(owner, "vesta_hostile_app", "hostile-secret")
    with psycopg.connect(owner, autocommit=True) as conn:
        for acct, x in ((A, "a"), (B, "b")):
            conn.execute("insert into accounts (account_id, created_at) values (%s, now())", (acct,))
            org = "org-b" if x == "b" else None
            conn.execute("insert into creators (account_id, id, name, slug, bio, email, workos_org_id, created_at, updated_at)"
                         " values (%s, 'c1', %s, %s, '', %s, %s, now(), now())", (acct, f"{x} creator", f"{x}-slug",
                                                                                  f"{x}@x.io", org))
            for post in ("p1", "p2"):
                conn.execute("insert into posts (account_id, id, creator_id, title, body, status, created_at, updated_at)"
                             " values (%s, %s, 'c1', %s, %s, 'draft', now(), now())", (acct, post, f"{x} post", f"{x} body"))
            conn.execute("insert into likes (account_id, id, post_id, user_id, created_at) values (%s, 'l1', 'p1', %s, now())",
                         (acct, f"{x}-user"))
    yield owner, postgres.url_for(owner, "vesta_hostile_app", "hostile-secret"), owner


def _run_postgres(url: str, case: Case, *, as_app: bool) -> bool:
    sql = textwrap.dedent(case.sql)
    params = {"account_id": A, "now": NOW, **case.params}
    with psycopg.connect(url) as conn:
        try:
            if as_app:
                conn.execute("select set_config('vesta.account_id', %s, true)", (A,))
            cursor = conn.execute(pyformat(sql, tuple(code_binds(sql, "postgres"))), params, prepare=False)
            rows = cursor.fetchall() if cursor.description else []
            return case.leaked(rows, conn)
        except psycopg.Error as exc:
            print(f"{case.name}: the database refused it: {exc}")  # shown by `pytest -s`
            return False  # refused by the database (RLS's with check, say): no leak
        finally:
            conn.rollback()


# -- the tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "dialect"), cases(HOSTILE))
def test_hostile_query_really_crosses_accounts(case: Case, dialect: str, seeded: Path, tmp_path: Path,  # noqa: F811
                                               request: pytest.FixtureRequest) -> None:
    if dialect == "sqlite":
        assert _run_sqlite(_sqlite_copy(seeded, tmp_path), case), f"{case.name} should cross accounts on SQLite"
        return
    superuser, app, _owner = request.getfixturevalue("pg_two_accounts")
    as_app = _run_postgres(app, case, as_app=True)
    if case.rls_stops_it:
        assert not as_app, f"{case.name}: row-level security was expected to stop it for the app role"
        assert _run_postgres(superuser, case, as_app=False), f"{case.name} should cross accounts once RLS is bypassed"
    else:
        assert as_app, f"{case.name} should cross accounts even as the app role, row-level security on"


@pytest.mark.parametrize(("case", "dialect"), cases(HOSTILE))
def test_check_and_connect_refuse_the_hostile_query(case: Case, dialect: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    folder = query_file(tmp_path / "hostile", case.name, case.sql, dialect)
    _refused_everywhere(folder, dialect, tmp_path, capsys)


@pytest.mark.parametrize(("dialect", "sql", "expected"), REFUSED)
def test_refused_calls_and_shapes(dialect: str, sql: str, expected: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    try:
        folder = query_file(tmp_path / "refused", "refused", sql, dialect)
    except vesta_sql.QueryLoadError as exc:  # the parser itself refuses foreign placeholders
        assert expected in str(exc)
        return
    message = _refused_everywhere(folder, dialect, tmp_path, capsys)
    assert expected in message, message


def _refused_everywhere(folder: Path, dialect: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "hostile.sql:" in out
    url = f"sqlite:///{tmp_path / 'unused.db'}" if dialect == "sqlite" else "postgresql://nobody@127.0.0.1:1/none"
    with pytest.raises((vesta_sql.TenantScopeError, vesta_sql.QueryLoadError)) as refused:
        vesta_sql.connect(url, extra_queries=[folder])  # refused at load, before any connection is opened
    assert "hostile.sql:" in str(refused.value)
    return str(refused.value) + out


@pytest.mark.parametrize(("case", "dialect"), cases(SAFE))
def test_safe_query_is_accepted_and_stays_in_its_account(case: Case, dialect: str, seeded: Path,  # noqa: F811
                                                         tmp_path: Path, request: pytest.FixtureRequest) -> None:
    folder = query_file(tmp_path / "safe", case.name, case.sql, dialect)
    result = check_queries([folder], dialects=[dialect])
    assert result.ok, [str(p) for p in result.problems]
    unscoped = Case(case.name, case.dialects, case.sql, case.params, leaked=lambda rows, db: shows_b(rows) or b_changed(db))
    if dialect == "sqlite":
        path = _sqlite_copy(seeded, tmp_path)
        vesta_sql.connect(f"sqlite:///{path}", extra_queries=[folder]).close()
        assert not _run_sqlite(path, unscoped)
    else:
        superuser, _app, _owner = request.getfixturevalue("pg_two_accounts")
        assert _loads_on_postgres(folder)
        assert not _run_postgres(superuser, unscoped, as_app=False)


def _loads_on_postgres(folder: Path) -> bool:
    from vesta_sql.loader import load_catalog

    catalog, _ = load_catalog("postgres", [folder])
    return "hostile" in catalog


B_COUNTS = ("select (select count(*) from posts where account_id = 'acc_b'),"
            " (select count(*) from likes where account_id = 'acc_b')")


def b_changed(db: Any) -> bool:
    counts = tuple(db.execute(B_COUNTS).fetchone())
    return counts not in ((3, 2), (2, 1))  # the SQLite seed has 3 posts and 2 likes for B, the Postgres seed 2 and 1
