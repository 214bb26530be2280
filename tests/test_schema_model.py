"""The schema model (`vesta_sql.schema`): the same migrations read from a live SQLite file and a live
Postgres give the same tables, columns, keys and foreign keys (modulo type names and the few
differences each dialect's migrations make on purpose), and the readers see what migrations declare."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from vesta_sql.admin import migrate
from vesta_sql.admin.schema_info import data_tables, fk_order
from vesta_sql.names import REGISTRY_TABLE
from vesta_sql.proof.tables import learn_tables
from vesta_sql.schema import ForeignKey, Schema, Table
from vesta_sql.schema.postgres import read_postgres
from vesta_sql.schema.sqlite import read_sqlite

from .pg import PostgresFixture


def read_sqlite_file(path: Path) -> Schema:
    with sqlite3.connect(path) as conn:
        return read_sqlite(conn)


def read_postgres_url(url: str) -> Schema:
    with psycopg.connect(url) as conn:
        return read_postgres(conn)


@pytest.fixture(scope="module")
def both(postgres: PostgresFixture, tmp_path_factory: pytest.TempPathFactory) -> tuple[Schema, Schema]:
    path = tmp_path_factory.mktemp("schema") / "m.db"
    migrate.apply(f"sqlite:///{path}")
    url = postgres.create_database("vesta_schema_model")
    migrate.apply(url)
    return read_sqlite_file(path), read_postgres_url(url)


def shape(table: Table, *, registry_keys: bool) -> tuple[object, ...]:
    """What both dialects must agree on; Postgres alone references the registry by foreign keys (SQLite by triggers)."""
    fks = sorted((fk.columns, fk.ref_table, fk.ref_columns, fk.on_delete) for fk in table.foreign_keys
                 if registry_keys or fk.ref_table != REGISTRY_TABLE)
    return (table.kind, [(c.name, c.not_null, c.generated) for c in table.columns], table.primary_key,
            sorted(u.columns for u in table.uniques), fks,
            sorted((i.name, i.columns, i.unique) for i in table.indexes if i.method not in ("hnsw", "ivfflat")))


def test_both_dialects_give_the_same_tables_columns_keys_and_foreign_keys(both: tuple[Schema, Schema]) -> None:
    lite, pg = both
    mine, theirs = data_tables(lite), data_tables(pg)
    assert sorted(mine) == sorted(theirs) and len(mine) > 20
    for name in mine:
        assert shape(mine[name], registry_keys=True) == shape(theirs[name], registry_keys=False), name
    registry_refs = {t.name for t in theirs.values() if REGISTRY_TABLE in t.parents}
    assert {"creators", "posts"} <= registry_refs <= {t.name for t in theirs.values() if t.tenant}
    # the same visiting order on both (copies, exports and deletes rely on it)
    assert [t.name for t in fk_order(mine.values())] == [t.name for t in fk_order(theirs.values())]


def test_types_are_each_dialects_own_names(both: tuple[Schema, Schema]) -> None:
    lite, pg = both
    posts_lite, posts_pg = lite.tables["posts"], pg.tables["posts"]
    assert posts_lite.column("created_at") is not None and posts_pg.column("created_at") is not None
    assert posts_pg.column("created_at").type == "timestamptz"  # type: ignore[union-attr]
    assert posts_pg.column("embedding").type == "vector"  # type: ignore[union-attr]
    assert posts_lite.column("embedding").type == "blob"  # type: ignore[union-attr]
    hnsw = [i for i in posts_pg.indexes if i.method == "hnsw"]
    assert [i.columns for i in hnsw] == [("(embedding::halfvec(384))",)]


def test_on_delete_actions_and_triggers(both: tuple[Schema, Schema]) -> None:
    lite, pg = both
    for schema in both:
        posts = schema.tables["posts"]
        assert ForeignKey in {type(fk) for fk in posts.foreign_keys}
        assert {fk.on_delete for fk in posts.foreign_keys if fk.ref_table == "creators"} == {"cascade"}
        assert "posts" in schema.triggered
    # every table Postgres keeps in step by triggers (directory, search, append-only) has SQLite triggers too
    assert pg.triggered <= lite.triggered
    directory = {t.table for t in pg.triggers if "directory" in t.name}
    assert directory and directory <= {t.table for t in lite.triggers if "directory" in t.name}


def test_search_objects_are_told_apart(both: tuple[Schema, Schema]) -> None:
    lite, pg = both
    assert lite.tables["posts_search"].kind == "fts5"
    assert {n for n, t in lite.tables.items() if t.kind == "fts5-shadow"} >= {"posts_search_data", "posts_search_idx"}
    assert pg.tables["posts_search"].kind == "table"
    assert "posts_search" not in data_tables(lite) and "posts_search" not in data_tables(pg)


def test_the_proof_learns_the_same_tables_from_the_migration_text(both: tuple[Schema, Schema]) -> None:
    lite, pg = both
    for dialect, live in (("sqlite", lite), ("postgres", pg)):
        learned = learn_tables(dialect)
        assert sorted(n for n, t in learned.tables.items() if t.tenant) == sorted(n for n, t in live.tables.items() if t.tenant)
        for name, table in learned.tables.items():
            assert set(table.column_names) == set(live.tables[name].column_names), (dialect, name)
        assert learned.triggered == live.triggered, dialect


SMALL = """
create table parents (account_id text not null, id text not null, primary key (account_id, id));
create table children (
  account_id text not null,
  id text not null,
  parent_id text,
  note text,
  primary key (account_id, id),
  unique (account_id, note),
  foreign key (account_id, parent_id) references parents (account_id, id) on delete cascade
);
create table orphans (id text not null primary key, parent_id text references orphans on delete set null);
create unique index children_parent_idx on children (account_id, parent_id);
create view child_notes as select account_id, note from children;
"""


def test_a_small_schema_reads_the_same_on_both(postgres: PostgresFixture, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "s.db") as conn:
        conn.executescript(SMALL)
        lite = read_sqlite(conn)
    url = postgres.create_database("vesta_schema_small")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SMALL)
        pg = read_postgres(conn)
    assert set(lite.tables) == set(pg.tables) == {"parents", "children", "orphans", "child_notes"}
    for name in ("parents", "children", "orphans"):
        assert shape(lite.tables[name], registry_keys=True) == shape(pg.tables[name], registry_keys=True), name
    children = pg.tables["children"]
    assert children.parents == {"parents"} and children.tenant and not pg.tables["orphans"].tenant
    assert [(u.columns) for u in children.uniques] == [("account_id", "note")]
    assert [(i.name, i.unique) for i in children.indexes] == [("children_parent_idx", True)]
    orphans = lite.tables["orphans"].foreign_keys
    assert [(fk.ref_table, fk.ref_columns, fk.on_delete) for fk in orphans] == [("orphans", ("id",), "set null")]
    assert lite.tables["child_notes"].kind == pg.tables["child_notes"].kind == "view"
    assert lite.tables["child_notes"].column_names == pg.tables["child_notes"].column_names == ("account_id", "note")


def test_reading_postgres_imports_no_psycopg() -> None:
    """The reader is handed a connection; importing it (and the model) loads no driver."""
    code = ("import sys, vesta_sql.schema, vesta_sql.schema.postgres, vesta_sql.schema.sqlite; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'sqlglot', 'yoyo')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
