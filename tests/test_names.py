"""The names written once in `vesta_sql.names` and `vesta_sql.config`: they match what the migrations,
the codecs and Postgres say, and an error's text never carries the URL's password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import psycopg

from vesta_sql import jsonable
from vesta_sql.config import redact, redact_error
from vesta_sql.dialects.sqlite import SQLiteCodec
from vesta_sql.names import ACCOUNT_SETTING, DIRECTORY_TABLE, PG_TIMESTAMP_FORMAT, SET_ACCOUNT_SQL, timestamp_text
from vesta_sql.resources import migrations_dir

from .pg import PostgresFixture


@dataclass(frozen=True)
class Stamp:
    at: datetime


MOMENT = datetime(2026, 3, 1, 12, 0, 5, 7, tzinfo=timezone(timedelta(hours=2)))


def test_the_migrations_use_the_same_names() -> None:
    postgres = "".join(p.read_text(encoding="utf-8") for p in sorted(migrations_dir("postgres").glob("*.sql")))
    assert f"current_setting('{ACCOUNT_SETTING}'" in postgres
    assert ACCOUNT_SETTING in SET_ACCOUNT_SQL
    for dialect in ("sqlite", "postgres"):
        text = "".join(p.read_text(encoding="utf-8") for p in sorted(migrations_dir(dialect).glob("*.sql")))
        assert f"create table {DIRECTORY_TABLE}" in text, dialect


def test_one_timestamp_text_everywhere(postgres: PostgresFixture) -> None:
    expected = timestamp_text(MOMENT.astimezone(timezone.utc))
    assert expected == "2026-03-01T10:00:05.000007Z"
    assert SQLiteCodec().datetime_in(MOMENT) == expected
    assert jsonable(Stamp(MOMENT)) == {"at": expected}
    with psycopg.connect(postgres.admin_url) as conn:
        row = conn.execute(f"select to_char(%s::timestamptz at time zone 'UTC', '{PG_TIMESTAMP_FORMAT}')",
                           (MOMENT,)).fetchone()
    assert row is not None and row[0] == expected


def test_passwords_are_redacted_in_urls_and_error_texts() -> None:
    url = "postgresql://owner:s%40cret@db.example:5432/app"
    assert redact(url) == "postgresql://owner:***@db.example:5432/app"
    text = redact_error(RuntimeError(" failed for s%40cret (s@cret) at db.example "), url)
    assert text == "failed for *** (***) at db.example"
    assert redact_error("no password here", "postgresql://owner@db/app") == "no password here"


def test_a_year_below_1000_keeps_the_fixed_width() -> None:
    early = datetime(999, 3, 1, 10, 0, 5, 7, tzinfo=timezone.utc)
    assert SQLiteCodec().datetime_in(early) == "0999-03-01T10:00:05.000007Z"
    assert jsonable(Stamp(early)) == {"at": "0999-03-01T10:00:05.000007Z"}


def test_a_connection_error_reads_on_one_line() -> None:
    url = "postgresql://owner:s3cret@127.0.0.1:1/vesta"
    text = redact_error("connection refused s3cret\n\tIs the server running on that host?", url, one_line=True)
    assert text == "connection refused *** Is the server running on that host?"


def test_query_string_passwords_are_redacted_too() -> None:
    url = "postgresql://owner:n3t@/app?host=/sock&password=hun%40ter2&sslpassword=k3y&sslmode=require"
    assert redact(url) == "postgresql://owner:***@/app?host=/sock&password=***&sslpassword=***&sslmode=require"
    assert redact("postgresql://o@h/x?passfile=/p&password=") == "postgresql://o@h/x?passfile=/p&password=***"
    text = redact_error(f"bad {url}: hun@ter2 hun%40ter2 k3y n3t", url)
    assert text == f"bad {redact(url)}: *** *** *** ***"


def test_a_pool_failure_is_redacted() -> None:
    from vesta_sql.dialects.postgres import connect_failure

    url = "postgresql://app@/nosuch?host=/sock&password=topsecret"
    message = str(connect_failure(psycopg.OperationalError("failed for topsecret\nat the end topsecret"), 1, url))
    assert message == "cannot connect to Postgres within 1 s: at the end ***"
