"""The payment system log: append and list only; the database refuses updates and deletes."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pytest

from vesta_sql.records.payments import PaymentSystemLog


def append(db: Any, account: str, entity_id: str, event: str = "payout.created", **payload: Any) -> PaymentSystemLog:
    entry: PaymentSystemLog = db.payment_system_logs.append(
        account_id=account, event_type=event, entity_type="payout", entity_id=entity_id, payload=payload or {"n": 1}
    )
    return entry


def test_append_returns_the_entry_and_lists_it(db: Any, acct: str, uniq: Any) -> None:
    entity = uniq("po")
    entry = append(db, acct, entity, amount=1500, currency="EUR", tags=["a", "b"])

    assert isinstance(entry, PaymentSystemLog)
    assert (entry.account_id, entry.event_type, entry.entity_type, entry.entity_id) == (acct, "payout.created", "payout", entity)
    assert entry.payload == {"amount": 1500, "currency": "EUR", "tags": ["a", "b"]}
    assert entry.created_at.tzinfo is not None
    assert db.payment_system_logs.list(account_id=acct) == [entry]


def test_list_pages_newest_first_and_filters_by_entity(db: Any, acct: str, uniq: Any) -> None:
    one, two = uniq("po"), uniq("po")
    entries = [
        append(db, acct, one, "payout.created"),
        append(db, acct, two, "payout.created"),
        append(db, acct, one, "payout.paid"),
    ]

    assert [e.id for e in db.payment_system_logs.list(account_id=acct)] == [e.id for e in reversed(entries)]
    page = db.payment_system_logs.list(account_id=acct, limit=2)
    rest = db.payment_system_logs.list(account_id=acct, limit=2, before_created_at=page[-1].created_at, before_id=page[-1].id)
    assert [e.id for e in page + rest] == [e.id for e in reversed(entries)]

    history = db.payment_system_logs.list_for_entity(account_id=acct, entity_type="payout", entity_id=one)
    assert [(e.id, e.event_type) for e in history] == [(entries[2].id, "payout.paid"), (entries[0].id, "payout.created")]
    older = db.payment_system_logs.list_for_entity(
        account_id=acct, entity_type="payout", entity_id=one, before_created_at=history[0].created_at, before_id=history[0].id
    )
    assert [e.id for e in older] == [entries[0].id]
    assert db.payment_system_logs.list_for_entity(account_id=acct, entity_type="refund", entity_id=one) == []


def test_another_account_sees_no_entries(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    entity = uniq("po")
    entry = append(db, acct, entity)

    assert db.payment_system_logs.list(account_id=acct2) == []
    assert db.payment_system_logs.list_for_entity(account_id=acct2, entity_type="payout", entity_id=entity) == []
    assert db.payment_system_logs.list(account_id=acct) == [entry]


def test_no_query_updates_or_deletes_a_log_row(db: Any) -> None:
    from vesta_sql.loader import load_catalog

    catalog, _ = load_catalog(db.dialect)
    for spec in catalog["payment_system_logs"].values():
        sql = spec.sql.lower()
        assert "update " not in sql and "delete " not in sql, spec.name


def test_the_database_refuses_updates_and_deletes(request: pytest.FixtureRequest, db: Any, acct: str, uniq: Any) -> None:
    entry = append(db, acct, uniq("po"))
    statements = [
        ("update payment_system_logs set event_type = 'tampered' where account_id = {p} and id = {p}", (acct, entry.id)),
        ("delete from payment_system_logs where account_id = {p} and id = {p}", (acct, entry.id)),
    ]
    if db.dialect == "sqlite":
        path: Path = request.getfixturevalue("sqlite_path")
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            for statement, params in statements:
                with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                    conn.execute(statement.format(p="?"), params)
        finally:
            conn.close()
    else:
        owner_url = request.getfixturevalue("pg_urls")[0]  # the owner: not even it may rewrite the log
        with psycopg.connect(owner_url, autocommit=True) as pg_conn:
            pg_conn.execute("select set_config('vesta.account_id', %s, false)", (acct,))
            for statement, params in statements:
                with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
                    pg_conn.execute(statement.format(p="%s"), params)
    assert db.payment_system_logs.list(account_id=acct) == [entry]
