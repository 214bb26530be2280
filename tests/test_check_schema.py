"""`vesta-sql check`, the schema invariants: the package's migrations keep them on both dialects,
and each kind of violation in a small bad migration folder is reported at its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from vesta_sql.admin.check.schema import check_postgres_schema, check_sqlite_schema
from vesta_sql.admin.cli import main

from .pg import PostgresFixture

COMMON = """\
create table owners (
  account_id text not null,
  id text not null,
  primary key (account_id, id)
);

create table nullable_account (
  account_id text,
  id text not null,
  unique (account_id, id)
);

create table pk_not_first (
  account_id text not null,
  id text not null,
  primary key (id, account_id)
);

create table no_pk (
  account_id text not null,
  id text not null
);

create table unique_not_first (
  account_id text not null,
  id text not null,
  slug text not null,
  primary key (account_id, id),
  unique (slug, account_id)
);

create table fk_without_account (
  account_id text not null,
  id text not null,
  owner_id text not null,
  primary key (account_id, id),
  foreign key (owner_id) references single_key_owners (id)
);

create table fk_with_account (
  account_id text not null,
  id text not null,
  owner_id text not null,
  primary key (account_id, id),
  foreign key (account_id, owner_id) references owners (account_id, id)
);

create index index_not_first on unique_not_first (slug);
create unique index unique_index_not_first on unique_not_first (slug, id);
create index index_ok on unique_not_first (account_id, slug);

create table global_lookup (
  code text not null primary key
);
"""

SINGLE_KEY_OWNERS = """\
create table single_key_owners (
  account_id text not null,
  id text not null,
  primary key (account_id, id),
  unique (id)
);

"""

SQLITE_EXTRA = """
create virtual table notes_search using fts5(account_id unindexed, body);
"""

POSTGRES_EXTRA = """
create extension if not exists vector;

create table embeddings (
  account_id text not null,
  id text not null,
  embedding vector(3),
  body_search tsvector,
  primary key (account_id, id)
);

create index embeddings_hnsw_idx on embeddings using hnsw (embedding vector_cosine_ops);
create index embeddings_search_idx on embeddings using gin (body_search);
"""

EXPECTED = [
    ("nullable_account", "table nullable_account: account_id is nullable"),
    ("pk_not_first", "table pk_not_first: primary key (id, account_id) does not start with account_id"),
    ("no_pk", "table no_pk: has no primary key"),
    ("unique_not_first", "table unique_not_first: unique constraint (slug, account_id) does not start with account_id"),
    (
        "fk_without_account",
        "table fk_without_account: foreign key (owner_id) to tenant table single_key_owners does not pair account_id",
    ),
    ("index index_not_first", "table unique_not_first: index index_not_first (slug) does not start with account_id"),
    ("index unique_index_not_first", "unique index unique_index_not_first (slug, id) does not start with account_id"),
]


def bad_folder(root: Path, extra: str) -> Path:
    folder = root / "migrations"
    (folder / "rollback").mkdir(parents=True)
    (folder / "0001_bad.sql").write_text(SINGLE_KEY_OWNERS + COMMON + extra, encoding="utf-8")
    (folder / "rollback" / "0001_bad.sql").write_text("-- nothing to undo in a scratch database\nselect 1;\n", encoding="utf-8")
    return folder


def line_of(folder: Path, needle: str) -> int:
    text = (folder / "0001_bad.sql").read_text(encoding="utf-8")
    if needle.startswith("index "):
        needle = f"index {needle.split()[1]} on"
    else:
        needle = f"create table {needle} ("
    return text[: text.index(needle)].count("\n") + 1


def assert_reported(problems: list[str], folder: Path) -> None:
    for where, message in EXPECTED:
        hits = [p for p in problems if message in p]
        assert hits, f"not reported: {message}\n" + "\n".join(problems)
        assert f"0001_bad.sql:{line_of(folder, where)}: " in hits[0], hits[0]
    assert not any(
        "fk_with_account" in p or "index_ok" in p or "owners:" in p.split("table ")[-1][:7] for p in problems if "note:" not in p
    )
    assert not any("global_lookup" in p for p in problems)


def test_the_package_sqlite_schema_keeps_the_invariants() -> None:
    problems = check_sqlite_schema()
    assert [str(p) for p in problems if p.severity == "error"] == []
    assert any("account_directory" in str(p) and p.severity == "info" for p in problems)
    assert all(p.severity == "info" for p in problems)


def test_sqlite_violations_are_each_reported(tmp_path: Path) -> None:
    folder = bad_folder(tmp_path, SQLITE_EXTRA)
    problems = check_sqlite_schema(folder)
    lines = [str(p) for p in problems]
    assert_reported([line for line, p in zip(lines, problems, strict=True) if p.severity == "error"], folder)
    assert "table single_key_owners: unique constraint (id) does not start with account_id" in "\n".join(lines)
    notes = [line for line, p in zip(lines, problems, strict=True) if p.severity == "info"]
    assert any("notes_search: FTS5 search index" in n for n in notes)


def test_migrations_that_do_not_apply_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    (folder / "rollback").mkdir(parents=True)
    (folder / "0001_broken.sql").write_text("create table t (account_id text not null,\n", encoding="utf-8")
    (folder / "rollback" / "0001_broken.sql").write_text("select 1;\n", encoding="utf-8")
    problems = check_sqlite_schema(folder)
    assert len(problems) == 1 and "do not apply" in problems[0].message


def test_the_package_postgres_schema_keeps_the_invariants(postgres: PostgresFixture) -> None:
    problems = check_postgres_schema(postgres.admin_url)
    assert [str(p) for p in problems if p.severity == "error"] == []
    notes = [str(p) for p in problems if p.severity == "info"]
    assert any("posts_embedding_half_idx is a hnsw vector index on ((embedding::halfvec(384)))" in n for n in notes)


def test_postgres_violations_are_each_reported(postgres: PostgresFixture, tmp_path: Path) -> None:
    folder = bad_folder(tmp_path, POSTGRES_EXTRA)
    problems = check_postgres_schema(postgres.admin_url, folder)
    errors = [str(p) for p in problems if p.severity == "error"]
    assert_reported(errors, folder)
    notes = [str(p) for p in problems if p.severity == "info"]
    assert any("embeddings_hnsw_idx is a hnsw vector index" in n for n in notes)
    assert any("embeddings_search_idx is a gin full-text index" in n for n in notes)


def test_check_command_checks_postgres_when_given_a_server(postgres: PostgresFixture, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--postgres-url", postgres.admin_url]) == 0
    out = capsys.readouterr().out
    assert "postgres: checked" in out and "hnsw vector index" in out


def test_check_command_says_when_postgres_is_not_checked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("VESTA_CHECK_POSTGRES_URL", raising=False)
    assert main(["check"]) == 0
    assert "postgres: not checked" in capsys.readouterr().out.splitlines()[-1]


def test_check_prepares_every_postgres_query_on_the_migrated_schema(
        postgres: PostgresFixture, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A column that does not exist, or SQLite's function in a shared file, loads (the proof reads text,
    not the schema) but fails at its first call: check --postgres-url prepares each query and says so."""
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "mistakes.sql").write_text(
        "-- name: typo(account_id)$\n"
        "select count(c.nope) as n from creators c where c.account_id = :account_id;\n\n"
        "-- name: sqlite_function(account_id)$\n"
        "select group_concat(c.name) as names from creators c where c.account_id = :account_id;\n\n"
        "-- name: fine(account_id, since)$\n"
        "-- param: since datetime\n"
        "select c.id from creators c where c.account_id = :account_id\n"
        "   and c.created_at > :since and coalesce(:since, c.created_at) is not null;\n",
        encoding="utf-8")
    assert main(["check", "--postgres-url", postgres.admin_url, str(folder)]) == 1
    out = capsys.readouterr().out
    assert 'mistakes.sql:1: mistakes.typo: does not prepare on the migrated Postgres schema: column c.nope does not exist' in out
    assert "mistakes.sql:4: mistakes.sqlite_function: does not prepare" in out and "group_concat" in out
    assert "mistakes.fine" not in out
    problems = check_postgres_schema(postgres.admin_url)  # the package's own queries all prepare
    assert [str(p) for p in problems if p.severity == "error"] == []
