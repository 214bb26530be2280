"""Postgres full-text candidates (migration 0014): posts_search_terms stays in step with the posts, stays
inside its account, and the hybrid search's text leg, which reads its candidates from it, returns exactly
what scanning every stored tsvector of the account returns. Real Postgres, as the app role."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from vesta_sql.admin import migrate
from vesta_sql.admin.accounts import delete_account
from vesta_sql.admin.roles import create_app_role
from vesta_sql.loader import folder_specs
from vesta_sql.resources import migrations_dir, queries_dir

from .conftest import open_flavour
from .pg import PostgresFixture

# The terms a post's stored tsvector implies (what 0014's trigger and backfill must write).
EXPECTED_TERMS = """
select distinct left(w.lexeme, 64), s.post_id
  from posts_search s cross join lateral unnest(s.search_vector) as w
 where s.account_id = %s"""
STORED_TERMS = "select t.term, t.post_id from posts_search_terms t where t.account_id = %s"

# The text leg as it was before 0014: every stored tsvector of the account, checked with `@@`.
REFERENCE = """
select s.post_id, row_number() over (order by ts_rank_cd(s.search_vector, websearch_to_tsquery('simple', %(text)s)) desc,
                                     s.post_id)
  from posts_search s
 where s.account_id = %(account)s and s.search_vector @@ websearch_to_tsquery('simple', %(text)s)
 order by ts_rank_cd(s.search_vector, websearch_to_tsquery('simple', %(text)s)) desc, s.post_id
 limit %(candidates)s"""

LONG = "x" * 70  # a lexeme longer than the 64 characters a term keeps
URL = "example.com/it's"  # lexemes with a quote in them ('example.com/it''s', '/it''s')


@pytest.fixture(params=["postgres", "postgres-async"])
def pg_db(request: pytest.FixtureRequest) -> Any:
    return open_flavour(request.param, request)


def terms(owner_url: str, account: str) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(the terms stored for the account, the terms its stored tsvectors imply)."""
    with psycopg.connect(owner_url) as conn:
        return set(conn.execute(STORED_TERMS, (account,)).fetchall()), set(conn.execute(EXPECTED_TERMS, (account,)).fetchall())


def in_step(owner_url: str, account: str) -> set[tuple[str, str]]:
    stored, expected = terms(owner_url, account)
    assert stored == expected
    return stored


def make_creator(db: Any, account: str, uniq: Callable[[str], str]) -> str:
    slug = uniq("terms")
    return str(db.creators.create(account_id=account, name="Ada", slug=slug, email=f"{slug}@example.com").id)


def test_terms_follow_inserts_updates_and_deletes(pg_db: Any, acct: str, acct2: str, uniq: Any,
                                                  pg_urls: tuple[str, str]) -> None:
    owner = pg_urls[0]
    creator = make_creator(pg_db, acct, uniq)
    post = pg_db.posts.create(account_id=acct, creator_id=creator, title="Kumquat jam", body=f"sweet {LONG}1 {LONG}2")
    other = pg_db.posts.create(account_id=acct2, creator_id=make_creator(pg_db, acct2, uniq), title="Kumquat", body="tart")
    stored = in_step(owner, acct)
    assert ("kumquat", post.id) in stored and ("x" * 64, post.id) in stored  # both long lexemes: one term

    pg_db.posts.update(account_id=acct, id=post.id, title="Quince jam")
    assert {t for t, _ in in_step(owner, acct)} == {"quince", "jam", "sweet", "x" * 64}
    pg_db.posts.update(account_id=acct, id=post.id, body=URL)
    assert {t for t, _ in in_step(owner, acct)} == {"quince", "jam", "example.com/it's", "example.com", "/it's"}
    pg_db.posts.update(account_id=acct, id=post.id, embedding=[1.0] * 384)  # text unchanged: terms unchanged
    second = pg_db.posts.create(account_id=acct, creator_id=creator, title="Jam", body="jam jam")
    assert len(in_step(owner, acct)) == 6

    pg_db.posts.delete(account_id=acct, id=post.id)
    assert in_step(owner, acct) == {("jam", second.id)}
    pg_db.creators.delete(account_id=acct, id=creator)  # posts, then their search rows, go by cascade
    assert in_step(owner, acct) == set()
    assert in_step(owner, acct2) == {("kumquat", other.id), ("tart", other.id)}


def test_deleting_the_account_deletes_its_terms(pg_db: Any, acct: str, uniq: Any, pg_urls: tuple[str, str]) -> None:
    creator = make_creator(pg_db, acct, uniq)
    for n in range(3):
        pg_db.posts.create(account_id=acct, creator_id=creator, title=f"Post {n}", body="apricot")
    assert len(in_step(pg_urls[0], acct)) == 3 * 3

    deleted = delete_account(pg_urls[0], acct)

    assert deleted["posts"] == 3
    assert terms(pg_urls[0], acct) == (set(), set())


def test_terms_of_another_account_are_invisible_and_cannot_be_written(pg_db: Any, acct: str, acct2: str, uniq: Any,
                                                                    pg_urls: tuple[str, str]) -> None:
    post = pg_db.posts.create(account_id=acct, creator_id=make_creator(pg_db, acct, uniq), title="Damson", body="plum")
    with psycopg.connect(pg_urls[1]) as app:
        app.execute("select set_config('vesta.account_id', %s, false)", (acct,))
        assert app.execute("select count(*) from posts_search_terms").fetchone() == (2,)
        app.execute("select set_config('vesta.account_id', %s, false)", (acct2,))
        assert app.execute("select count(*) from posts_search_terms where account_id = %s", (acct,)).fetchone() == (0,)
        assert app.execute("delete from posts_search_terms where account_id = %s", (acct,)).rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            app.execute("insert into posts_search_terms (account_id, term, post_id) values (%s, 'x', %s)", (acct, post.id))
    assert len(in_step(pg_urls[0], acct)) == 2


# --- the text leg equals the scan ----------------------------------------------------------------

POSTS = 3100  # above the 3,000 posts under which the leg reads the account, and the 2,000 it checks one by one


def body(i: int) -> str:
    words = ["common", f"w{i * 7 % 101}", f"w{i * 13 % 89}"]
    words += ["alpha"] * (1 + (i % 10 == 0)) if i % 2 == 0 else []  # half of the posts, some twice
    words += ["beta"] if i % 3 == 0 else []
    words += ["café"] if i % 50 == 0 else ["cafe"] if i % 50 == 1 else []
    words += [f"{LONG}{i % 3}"] if i % 100 == 0 else []
    words += ["foo-bar"] if i % 40 == 0 else []
    words += [URL] if i % 200 == 0 else []
    return " ".join(words[i % 3:] + words[:i % 3])  # word order varies, so ranks do


QUERIES = [
    # one term: in half of the posts (checked one by one), in every post (the scan), rare, absent
    "alpha", "common", "w5", "nothinghere", "post", "topic3",
    # AND: the rarest term's posts, less those without the next rarest
    "alpha beta", "alpha common", "w5 w7", "w7 w13", "common alpha beta w5", "w5 nothinghere", "Post 10", "alpha & beta",
    # OR: every term's posts, or the scan when they add up to 2,000 or more
    "alpha or beta", "w5 or w7", "nothinghere or w5", "common or w5", "alpha | beta", "alpha or",
    # phrases, negation, only negation (no positive term: the scan)
    '"alpha beta"', '"post 10 on"', '"on topic3" -alpha', '"alpha -beta"', "alpha -beta", "w5 -alpha", "-alpha",
    "w5 or -alpha", "-nothinghere", "- alpha", "--alpha", '"post 10" -"on topic3"', "alpha or beta -w5",
    "-(alpha beta)", 'alpha -"beta or w5"', "alpha <-> -beta",
    # punctuation, empty, accents, case, long and quoted lexemes, operators taken literally
    "", "   ", "!!!", '"', "-", "or", "(alpha) beta", "alpha:* beta", "café", "cafe", "CAFÉ", f"{LONG}1", "x" * 64,
    "foo-bar", "foo", "bar", URL, "it's", "/it's", "example.com", 'a "b" c:', "w5 <-> w7", "alpha ! beta",
]


INSERT = """
insert into posts (account_id, id, creator_id, title, body, status, created_at, updated_at)
values (%s, %s, %s, %s, %s, 'draft', now(), now())"""


@pytest.fixture(scope="module")
def corpus(request: pytest.FixtureRequest) -> tuple[Any, list[str]]:
    """(the app role's façade, [an account of POSTS posts, two of 300]): the accounts hold the same words."""
    owner, _ = request.getfixturevalue("pg_urls")
    db = open_flavour("postgres", request)
    accounts = [f"acc_terms_{uuid.uuid4().hex[:12]}" for _ in range(3)]
    with psycopg.connect(owner) as conn:  # the owner's bulk insert: the same trigger fills the search tables
        for n, account in enumerate(accounts):
            db.accounts.register(account_id=account)
            creator = make_creator(db, account, lambda prefix: f"{prefix}-{uuid.uuid4().hex[:10]}")
            with conn.cursor() as cur:
                cur.executemany(INSERT, [(account, f"p{i:05d}", creator, f"Post {i} on topic{i % 7}", body(i + n))
                                         for i in range(POSTS if n == 0 else 300)])
    return db, accounts


@pytest.mark.parametrize(("candidates", "which"), [(40, 0), (1000, 0), (40, 1)])
def test_the_text_leg_equals_scanning_every_tsvector(corpus: tuple[Any, list[str]], pg_urls: tuple[str, str],
                                                    candidates: int, which: int) -> None:
    db, accounts = corpus
    account = accounts[which]
    in_step(pg_urls[0], account)
    found = {}
    with psycopg.connect(pg_urls[1]) as app:
        app.execute("select set_config('vesta.account_id', %s, false)", (account,))
        for text in QUERIES:
            expected = app.execute(REFERENCE, {"text": text, "account": account, "candidates": candidates}).fetchall()
            with db.transaction(account_id=account, write=False) as tx:
                # no post has an embedding: the fused list is the text leg's, in its order, with its ranks
                hits = tx.posts.search_hybrid_ranked(text=text, embedding=[1.0] * 384, k=1000, candidates=candidates,
                                                     exact_below=1_000_000)
            assert [(hit.id, hit.text_rank) for hit in hits] == expected, text
            found[text] = len(expected)
    assert found["common"] == found["-nothinghere"] == found["post"] == min(candidates, POSTS if which == 0 else 300)
    assert found["alpha beta"] > 0 and found["w7 w13"] > 0 and found[URL] > 0 and found[f"{LONG}1"] > 0
    assert found[""] == found["!!!"] == found["nothinghere"] == found["w5 nothinghere"] == 0


# --- the migration -------------------------------------------------------------------------------

def before_0014(tmp: Path) -> Path:
    """The package's Postgres migrations that come before 0014, with their rollbacks."""
    out = tmp / "before-0014"
    (out / "rollback").mkdir(parents=True)
    for path in sorted(migrations_dir("postgres").glob("*.sql")):
        if path.name >= "0014":
            break
        shutil.copyfile(path, out / path.name)
        shutil.copyfile(path.parent / "rollback" / path.name, out / "rollback" / path.name)
    return out


def test_0014_fills_the_terms_of_existing_posts_and_rolls_back(postgres: PostgresFixture, tmp_path: Path) -> None:
    owner = postgres.create_database("vesta_terms_backfill")
    before = before_0014(tmp_path)
    migrate.apply(owner, folder=before)
    account = "acc_backfill"
    with psycopg.connect(owner) as conn:
        conn.execute("insert into accounts (account_id, created_at) values (%s, now())", (account,))
        conn.execute("insert into creators (account_id, id, name, slug, bio, email, created_at, updated_at) "
                     "values (%s, 'c1', 'Ada', 'ada-backfill', '', 'ada@example.com', now(), now())", (account,))
        with conn.cursor() as cur:
            cur.executemany(INSERT, [(account, f"p{i}", "c1", f"Post {i}", body(i)) for i in range(201)])

    create_app_role(owner, "vesta_terms_app", "pw")  # granted before 0014, not run again after it
    # run by a role under the tenant policy (the app role here), 0014 refuses before anything: it would see
    # none of the rows it must fill from
    forward = (migrations_dir("postgres") / "0014_post_search_terms.sql").read_text(encoding="utf-8")
    with psycopg.connect(postgres.url_for(owner, "vesta_terms_app", "pw")) as app:
        with pytest.raises(psycopg.errors.RaiseException, match="row-level security hides") as refused:
            app.execute(forward)
        assert "BYPASSRLS" in str(refused.value.diag.message_hint)

    migrate.apply(owner)
    assert len(in_step(owner, account)) > 201
    with psycopg.connect(postgres.url_for(owner, "vesta_terms_app", "pw")) as app:  # its post writes still work
        app.execute("select set_config('vesta.account_id', %s, false)", (account,))
        app.execute(INSERT, (account, "p-app", "c1", "Written", "by the app role"))
    assert ("app", "p-app") in in_step(owner, account)

    migrate.rollback(owner, to=sorted(p.stem for p in before.glob("*.sql"))[-1])  # 0014 and any later ones
    with psycopg.connect(owner) as conn:
        assert conn.execute("select to_regclass('posts_search_terms')").fetchone() == (None,)
        conn.execute(INSERT, (account, "p-after", "c1", "After", "rollback"))  # without 0014: posts still write
        assert conn.execute("select count(*) from posts_search where post_id = 'p-after'").fetchone() == (1,)
    migrate.apply(owner)
    assert ("rollback", "p-after") in in_step(owner, account)


def stored_vectors_read(app: psycopg.Connection[Any], account: str, text: str) -> int:
    """How many posts_search rows the hybrid statement reads for `text` (EXPLAIN ANALYZE, as the app role)."""
    spec = next(s for s in folder_specs(queries_dir(), "postgres") if s.qualified_name == "posts.search_hybrid_ranked")
    params = {"account_id": account, "text": text, "embedding": "[" + ",".join(["1"] * 384) + "]", "k": 10,
              "candidates": 40, "exact_below": 3000}
    row = app.execute("explain (analyze, format json) " + spec.sql, params).fetchone()
    assert row is not None
    (plan,) = row[0]

    def read(node: dict[str, Any]) -> int:
        own = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * node.get("Actual Loops", 0)
        mine = own if node.get("Relation Name") == "posts_search" else 0
        return int(mine) + sum(read(child) for child in node.get("Plans", []))
    return read(plan["Plan"])


def test_the_leg_reads_the_stored_vectors_of_its_candidates_only(corpus: tuple[Any, list[str]],
                                                                  pg_urls: tuple[str, str]) -> None:
    big, small = corpus[1][0], corpus[1][1]
    with psycopg.connect(pg_urls[1]) as app:
        for account in (big, small):
            app.execute("select set_config('vesta.account_id', %s, false)", (account,))
            assert stored_vectors_read(app, account, "-alpha") >= (POSTS if account == big else 300)  # no positive term
        app.execute("select set_config('vesta.account_id', %s, false)", (big,))
        assert stored_vectors_read(app, big, "common") >= POSTS  # 2,000 posts or more to check: the account's rows
        assert stored_vectors_read(app, big, "w7 w13") < 40  # the posts with both words
        assert stored_vectors_read(app, big, "w7 or w13") < 200  # the posts with either (about 130)
        assert stored_vectors_read(app, big, "alpha") == POSTS // 2  # a term in half of the posts, checked one by one
        app.execute("select set_config('vesta.account_id', %s, false)", (small,))
        assert stored_vectors_read(app, small, "w7 w13") >= 300  # a small account: its rows
