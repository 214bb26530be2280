"""The studio's statements: every one it can make, for every tenant table, sort and direction, passes the scope
proof on both dialects; a text the proof refuses never runs; form values are checked as the façade checks a call."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timezone

import psycopg
import pytest

from vesta_sql.admin.studio import sqlgen
from vesta_sql.admin.studio.schema import Column, Schema, read_postgres, read_sqlite
from vesta_sql.admin.studio.values import changes, convert
from vesta_sql.errors import InvalidInputError, TenantScopeError


@pytest.fixture(params=["sqlite", "postgres"])
def schema(request: pytest.FixtureRequest) -> Iterator[Schema]:
    if request.param == "sqlite":
        with contextlib.closing(sqlite3.connect(request.getfixturevalue("sqlite_url")[len("sqlite:///"):])) as conn:
            yield read_sqlite(conn)
    else:
        with psycopg.connect(request.getfixturevalue("pg_urls")[0], autocommit=True) as conn:
            yield read_postgres(conn)


def test_every_statement_for_every_table_is_proven(schema: Schema) -> None:
    assert {"posts", "creators", "likes", "comments", "accounts"} <= set(schema.tables)
    made = 0
    for table in schema.tables.values():
        sqlgen.count(schema, table)
        sqlgen.count(schema, table, {c.name: "x" for c in table.columns if not c.binary}, cap=10)
        for sort, keyset in table.sort_keys().items():
            cursor = ["x"] * len(keyset)
            for descending in (False, True):
                for way in ({}, {"after": cursor}, {"before": cursor}, {"last": True}):
                    sqlgen.grid(schema, table, sort=sort, descending=descending, filters={"id": "x"}, **way)
                    made += 1
        if table.key:
            key = dict.fromkeys(table.key, "x")
            sqlgen.row(schema, table, key)
        if table.writable:
            sqlgen.delete(schema, table, key)
            editable = {c.name: "x" for c in table.columns if c.name not in (*table.key, "account_id") and not c.binary}
            if editable:
                sqlgen.update(schema, table, key, editable)
            sqlgen.insert(schema, table, {c.name: "x" for c in table.columns if c.name != "account_id" and not c.binary})
        for fk in table.children:
            sqlgen.related(schema, schema.tables[fk.table], {c: "x" for c, _ in fk.pairs()})
        if table.column("embedding") is not None:
            sqlgen.embeddings(schema, table)
            if schema.dialect == "postgres":
                sqlgen.nearest_postgres(schema, table, dict.fromkeys(table.key, "x"))
    assert made > 100
    assert schema.tables["posts"].sort_keys()["status"] == ["status", "created_at", "id"]
    assert {fk.table for fk in schema.tables["posts"].children} >= {"likes", "comments"}
    assert [fk.parent for fk in schema.tables["posts"].parents] == ["creators"]


def test_a_statement_the_proof_refuses_never_runs(schema: Schema) -> None:
    with pytest.raises(TenantScopeError, match="account_id = :account_id"):
        sqlgen.proven(schema, "select t.id from posts t", {})
    with pytest.raises(TenantScopeError):
        sqlgen.proven(schema, "select t.id from posts t where t.account_id = :account_id or 1 = 1", {})
    directory = schema.tables["account_directory"]
    assert not directory.writable  # the studio offers no write of it, and the proof would refuse one
    with pytest.raises(TenantScopeError, match="only the database's own triggers write the account directory"):
        sqlgen.delete(schema, directory, {"kind": "x", "key": "x"})


def test_form_values_are_checked_per_column(schema: Schema) -> None:
    dialect = schema.dialect
    posts = schema.tables["posts"]
    assert changes(posts, {"c.title": "hi", "csrf": "x"}, dialect, editing=True) == {"title": "hi"}
    for form, why in (({"c.account_id": "acc"}, "account_id is the account in use"), ({"c.id": "x"}, "part of the row's key"),
                      ({"c.nope": "x"}, "no column 'nope'"), ({"c.embedding": "x"}, "binary"),
                      ({"c.created_at": "yesterday"}, "ISO-8601"), ({"c.created_at": "2026-01-01T00:00:00"}, "no time zone")):
        with pytest.raises(InvalidInputError, match=why):
            changes(posts, form, dialect, editing=True)
    stamp = convert(Column("published_at", "timestamptz" if dialect == "postgres" else "text", True), "2026-01-02T03:04:05+02:00",
                    dialect)
    expected = datetime(2026, 1, 2, 1, 4, 5, tzinfo=timezone.utc)
    assert stamp == (expected if dialect == "postgres" else "2026-01-02T01:04:05.000000Z")
    assert convert(Column("published_at", "text", True), "", dialect) is None
    assert convert(Column("n", "int8", False), "42", dialect) == 42
    with pytest.raises(InvalidInputError, match="expected an integer"):
        convert(Column("n", "integer", False), "4x", dialect)
    with pytest.raises(InvalidInputError, match="true or false"):
        convert(Column("b", "bool", False), "maybe", dialect)
    with pytest.raises(InvalidInputError, match="not valid JSON"):
        convert(Column("j", "jsonb", False), "{", dialect)
