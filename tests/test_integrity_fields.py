"""Integrity errors carry `table`, `columns` and `constraint`, the same on both dialects (names from the schema),
so an app can map a taken slug to its form field. SQLite names only the table of a foreign key."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest

import vesta_sql
from vesta_sql import ForeignKeyViolation, NotNullViolation, UniqueViolation
from vesta_sql.constraint_names import default_name, schema_keys
from vesta_sql.dialects import postgres as pg_dialect
from vesta_sql.dialects import sqlite as sqlite_dialect


def fields(exc: Any) -> tuple[Any, ...]:
    return exc.table, exc.columns, exc.constraint


def test_a_taken_slug_names_its_table_columns_and_constraint(db: Any, acct: str, uniq: Any) -> None:
    slug = uniq("ada")
    db.creators.create(account_id=acct, name="Ada", slug=slug, email=f"{slug}@x.io")
    with pytest.raises(UniqueViolation) as caught:
        db.creators.create(account_id=acct, name="Bob", slug=slug, email=f"{slug}-2@x.io")
    assert fields(caught.value) == ("creators", ("account_id", "slug"), "creators_account_id_slug_key")
    assert slug not in str(caught.value)  # names, never values
    with pytest.raises(UniqueViolation) as caught:
        db.creators.create(account_id=acct, name="Bob", slug=uniq("bob"), email=f"{slug}@x.io")
    assert fields(caught.value) == ("creators", ("account_id", "email"), "creators_account_id_email_key")


def test_a_named_unique_index_keeps_its_name(db: Any, acct: str, uniq: Any) -> None:
    creator = db.creators.create(account_id=acct, name="Ada", slug=uniq("ada"), email=f"{uniq('a')}@x.io")
    plan = db.pricing.create_plan(account_id=acct, creator_id=creator.id, name="Fans", description=None)
    tier = db.pricing.add_tier(account_id=acct, plan_id=plan.id, name="Gold", price_amount=500, currency="EUR",
                               billing_interval="month")
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    db.subscriptions.subscribe(account_id=acct, tier_id=tier.id, subscriber_id="u1", current_period_start=start,
                               current_period_end=start + timedelta(days=30))
    with pytest.raises(UniqueViolation) as caught:
        db.subscriptions.subscribe(account_id=acct, tier_id=tier.id, subscriber_id="u1", current_period_start=start,
                                   current_period_end=start + timedelta(days=30))
    assert fields(caught.value) == ("subscriptions", ("account_id", "creator_id", "subscriber_id"), "subscriptions_live_idx")


def test_a_foreign_key_names_the_table_and_on_postgres_the_key(sqlite_url: str, pg_urls: tuple[str, str], acct: str) -> None:
    # own connections, closed after: the async SQLite driver keeps a failed RETURNING statement open (see the note)
    for dialect, url in (("sqlite", sqlite_url), ("postgres", pg_urls[1])):
        with vesta_sql.connect(url) as db, pytest.raises(ForeignKeyViolation) as caught:
            db.posts.create(account_id=acct, creator_id="no-such-creator", title="t", body="b")
        if dialect == "postgres":
            assert fields(caught.value) == ("posts", ("account_id", "creator_id"), "posts_account_id_creator_id_fkey")
        else:
            assert fields(caught.value) == ("posts", (), None)  # SQLite reports no more than that a key failed


def test_not_null_reads_the_same_on_both_dialects(sqlite_path: Path, pg_urls: tuple[str, str]) -> None:
    insert = "insert into creators (account_id, id, name, slug, email, created_at, updated_at) values "
    register = "insert into accounts (account_id, created_at) values ('acc_nn', '2026-01-01T00:00:00Z') on conflict do nothing"
    with sqlite3.connect(sqlite_path) as conn:
        conn.execute(register)
    with psycopg.connect(pg_urls[0]) as conn:
        conn.execute(register)
    with sqlite3.connect(sqlite_path) as conn, pytest.raises(sqlite3.IntegrityError) as lite:
        conn.execute(insert + "('acc_nn', 'c1', null, 's', 'e', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')")
    with psycopg.connect(pg_urls[0]) as conn, pytest.raises(psycopg.errors.NotNullViolation) as pg:
        conn.execute(insert + "('acc_nn', 'c1', null, 's', 'e', now(), now())")
    mine, theirs = sqlite_dialect.translate_error(lite.value, "raw"), pg_dialect.translate_error(pg.value, "raw")
    assert isinstance(mine, NotNullViolation) and isinstance(theirs, NotNullViolation)
    assert fields(mine) == fields(theirs) == ("creators", ("name",), "creators_name_not_null")


def test_long_default_names_are_shortened_as_postgres_does() -> None:
    table, columns = "a" * 40, ("b" * 30, "c")
    name = default_name(table, columns, "key")
    assert len(name) == 63 and name.endswith("_key") and name.startswith("a" * 28)


def test_every_key_of_the_postgres_schema_has_the_same_name_and_columns_on_sqlite(pg_urls: tuple[str, str]) -> None:
    """The SQLite side names each unique and foreign key by Postgres's rule: check the rule against Postgres itself."""
    with psycopg.connect(pg_urls[0]) as conn:
        rows = conn.execute("""
            select c.relname, i.relname, array(select a.attname from unnest(x.indkey) with ordinality k(n, o)
                                                 join pg_attribute a on a.attrelid = c.oid and a.attnum = k.n order by k.o)
            from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class c on c.oid = x.indrelid
            join pg_namespace s on s.oid = c.relnamespace
            where s.nspname = 'public' and x.indisunique and c.relname not like '%yoyo%'
            union all
            select c.relname, k.conname, array(select a.attname from unnest(k.conkey) with ordinality u(n, o)
                                                 join pg_attribute a on a.attrelid = c.oid and a.attnum = u.n order by u.o)
            from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace s on s.oid = c.relnamespace
            where s.nspname = 'public' and k.contype = 'f'""").fetchall()
    # the account registry is a foreign key on Postgres and a trigger on SQLite (D1 cannot add foreign keys safely)
    postgres = {name: (table, tuple(columns)) for table, name, columns in rows
                if "_search" not in table and not name.endswith("_account_registered")}
    sqlite = {name: key for name, key in schema_keys().by_name.items() if "_search" not in key[0]}
    assert postgres == sqlite
