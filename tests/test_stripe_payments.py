"""Stripe payments: idempotent recording, the intent directory, status, ranges, totals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vesta_sql import errors
from vesta_sql.records.payments import PaymentTotal, StripePayment

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def record(db: Any, account: str, intent: str, **extra: Any) -> StripePayment:
    params: dict[str, Any] = {"amount": 1999, "currency": "EUR", "status": "succeeded", **extra}
    payment: StripePayment = db.stripe_payments.record(account_id=account, stripe_payment_intent_id=intent, **params)
    return payment


def test_record_returns_the_row_and_reads_back(db: Any, acct: str, uniq: Any) -> None:
    intent = uniq("pi")
    payment = record(db, acct, intent, description="Album", metadata={"order": "o-1", "items": [1, 2]})

    assert isinstance(payment, StripePayment)
    assert payment.account_id == acct
    assert payment.stripe_payment_intent_id == intent
    assert payment.amount == 1999 and type(payment.amount) is int
    assert payment.currency == "EUR"
    assert payment.status == "succeeded"
    assert payment.description == "Album"
    assert payment.metadata == {"order": "o-1", "items": [1, 2]}
    assert payment.creator_id is None
    assert payment.created_at.tzinfo is not None and payment.created_at == payment.updated_at
    assert db.stripe_payments.find_by_id(account_id=acct, id=payment.id) == payment
    assert db.stripe_payments.find_by_intent(account_id=acct, stripe_payment_intent_id=intent) == payment


def test_metadata_defaults_to_an_empty_object(db: Any, acct: str, uniq: Any) -> None:
    payment = record(db, acct, uniq("pi"))

    assert payment.metadata == {}
    assert db.stripe_payments.find_by_id(account_id=acct, id=payment.id).metadata == {}


def test_recording_the_same_intent_twice_returns_the_first_row(db: Any, acct: str, uniq: Any) -> None:
    intent = uniq("pi")
    first = record(db, acct, intent, amount=500, status="processing")

    again = record(db, acct, intent, amount=9999, status="succeeded", description="retry")

    assert again == first
    rows = db.stripe_payments.list_by_date_range(account_id=acct, created_from=EPOCH)
    assert [row.id for row in rows] == [first.id]
    assert db.stripe_payments.find_by_intent(account_id=acct, stripe_payment_intent_id=intent) == first


def test_the_directory_resolves_the_intent_to_its_account(db: Any, acct: str, uniq: Any) -> None:
    intent = uniq("pi")
    assert db.resolve_account("stripe_payment_intent", intent) is None

    record(db, acct, intent)

    assert db.resolve_account("stripe_payment_intent", intent) == acct
    assert db.resolve_account("smart_link", intent) is None


def test_an_intent_belongs_to_one_account_only(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    intent = uniq("pi")
    record(db, acct, intent)

    with pytest.raises(errors.UniqueViolation):
        record(db, acct2, intent)

    assert db.stripe_payments.find_by_intent(account_id=acct2, stripe_payment_intent_id=intent) is None
    assert db.resolve_account("stripe_payment_intent", intent) == acct


def test_record_links_a_creator_of_the_same_account_only(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    creator = db.creators.create(account_id=acct, name="Ada", slug=uniq("ada"), email=f"{uniq('ada')}@x.io")

    payment = record(db, acct, uniq("pi"), creator_id=creator.id)
    assert payment.creator_id == creator.id
    assert db.stripe_payments.find_by_id(account_id=acct, id=payment.id).creator_id == creator.id

    intent = uniq("pi")
    with pytest.raises(errors.ForeignKeyViolation):
        record(db, acct2, intent, creator_id=creator.id)
    assert db.stripe_payments.find_by_intent(account_id=acct2, stripe_payment_intent_id=intent) is None
    assert db.resolve_account("stripe_payment_intent", intent) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("amount", 0), ("amount", -5), ("currency", "eur"), ("currency", "EURO"), ("status", "paid")],
)
def test_record_refuses_values_outside_the_schema(db: Any, acct: str, uniq: Any, field: str, value: object) -> None:
    intent = uniq("pi")
    refused = errors.InvalidInputError if field == "status" else errors.CheckViolation  # enums refuse before any SQL
    with pytest.raises(refused):
        record(db, acct, intent, **{field: value})
    assert db.stripe_payments.find_by_intent(account_id=acct, stripe_payment_intent_id=intent) is None
    assert db.resolve_account("stripe_payment_intent", intent) is None


def test_record_refuses_a_float_amount_before_sql(db: Any, acct: str, uniq: Any) -> None:
    intent = uniq("pi")
    with pytest.raises(errors.InvalidInputError):
        record(db, acct, intent, amount=19.99)
    assert db.stripe_payments.find_by_intent(account_id=acct, stripe_payment_intent_id=intent) is None


def test_update_status_by_intent(db: Any, acct: str, uniq: Any) -> None:
    intent = uniq("pi")
    payment = record(db, acct, intent, status="processing")

    updated = db.stripe_payments.update_status(account_id=acct, stripe_payment_intent_id=intent, status="refunded")

    assert updated.id == payment.id and updated.status == "refunded"
    assert updated.updated_at >= payment.updated_at and updated.created_at == payment.created_at
    assert db.stripe_payments.find_by_id(account_id=acct, id=payment.id) == updated
    assert db.stripe_payments.update_status(account_id=acct, stripe_payment_intent_id=uniq("pi"), status="failed") is None
    with pytest.raises(errors.InvalidInputError, match="'status' must be one of"):  # before any SQL since 0.2.0
        db.stripe_payments.update_status(account_id=acct, stripe_payment_intent_id=intent, status="lost")
    assert db.stripe_payments.find_by_id(account_id=acct, id=payment.id).status == "refunded"
    assert db.resolve_account("stripe_payment_intent", intent) == acct


def test_list_by_date_range_pages_newest_first(db: Any, acct: str, uniq: Any) -> None:
    payments = [record(db, acct, uniq("pi"), amount=100 + n) for n in range(4)]

    everything = db.stripe_payments.list_by_date_range(account_id=acct, created_from=EPOCH)
    assert [p.id for p in everything] == [p.id for p in reversed(payments)]

    window = db.stripe_payments.list_by_date_range(
        account_id=acct, created_from=payments[1].created_at, created_until=payments[3].created_at
    )
    assert [p.id for p in window] == [payments[2].id, payments[1].id]

    pages: list[str] = []
    cursor: dict[str, Any] = {}
    while True:
        page = db.stripe_payments.list_by_date_range(account_id=acct, created_from=EPOCH, limit=3, **cursor)
        pages.extend(p.id for p in page)
        if len(page) < 3:
            break
        cursor = {"before_created_at": page[-1].created_at, "before_id": page[-1].id}
    assert pages == [p.id for p in reversed(payments)]

    later = payments[-1].created_at + timedelta(days=1)
    assert db.stripe_payments.list_by_date_range(account_id=acct, created_from=later) == []


def test_totals_by_currency_and_status(db: Any, acct: str, uniq: Any) -> None:
    record(db, acct, uniq("pi"), amount=1000, currency="EUR")
    record(db, acct, uniq("pi"), amount=2500, currency="EUR")
    record(db, acct, uniq("pi"), amount=700, currency="EUR", status="refunded")
    record(db, acct, uniq("pi"), amount=3_000_000_000, currency="USD")

    totals = db.stripe_payments.totals(account_id=acct, created_from=EPOCH)

    assert totals == [
        PaymentTotal(currency="EUR", status="refunded", payment_count=1, amount_total=700),
        PaymentTotal(currency="EUR", status="succeeded", payment_count=2, amount_total=3500),
        PaymentTotal(currency="USD", status="succeeded", payment_count=1, amount_total=3_000_000_000),
    ]
    assert all(type(t.amount_total) is int and type(t.payment_count) is int for t in totals)
    future = datetime.now(UTC) + timedelta(days=1)
    assert db.stripe_payments.totals(account_id=acct, created_from=future) == []


def test_find_by_id_for_update_inside_a_transaction(db: Any, acct: str, uniq: Any) -> None:
    with db.transaction(account_id=acct) as tx:
        payment = tx.stripe_payments.record(stripe_payment_intent_id=uniq("pi"), amount=42, currency="GBP", status="succeeded")
        locked = tx.stripe_payments.find_by_id_for_update(id=payment.id)
        assert locked == payment

    assert db.stripe_payments.find_by_id_for_update(account_id=acct, id=payment.id) == payment


def test_another_account_sees_nothing(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    intent = uniq("pi")
    payment = record(db, acct, intent)

    assert db.stripe_payments.find_by_id(account_id=acct2, id=payment.id) is None
    assert db.stripe_payments.find_by_id_for_update(account_id=acct2, id=payment.id) is None
    assert db.stripe_payments.find_by_intent(account_id=acct2, stripe_payment_intent_id=intent) is None
    assert db.stripe_payments.list_by_date_range(account_id=acct2, created_from=EPOCH) == []
    assert db.stripe_payments.totals(account_id=acct2, created_from=EPOCH) == []
    assert db.stripe_payments.update_status(account_id=acct2, stripe_payment_intent_id=intent, status="failed") is None
    assert db.stripe_payments.find_by_id(account_id=acct, id=payment.id) == payment


def test_calls_without_an_account_are_refused(db: Any, uniq: Any) -> None:
    with pytest.raises(errors.TenantScopeError):
        db.stripe_payments.find_by_intent(stripe_payment_intent_id=uniq("pi"))
    with pytest.raises(errors.TenantScopeError):
        db.stripe_payments.record(
            account_id=" ", stripe_payment_intent_id=uniq("pi"), amount=1, currency="EUR", status="succeeded"
        )


PAYMENT_TABLES = (
    "stripe_payments", "payouts", "payment_shares", "payout_routes", "payment_settings",
    "payment_system_logs", "purchase_codes", "account_agents",
)


def test_row_level_security_covers_every_payment_table(pg_urls: tuple[str, str], acct: str, acct2: str, uniq: Any) -> None:
    import psycopg
    from psycopg import sql

    import vesta_sql

    app_url = pg_urls[1]
    with vesta_sql.connect(app_url) as pg:
        paid = record(pg, acct, uniq("pi"))
        pg.payment_shares.split(account_id=acct, payment_id=paid.id, shares=[{"recipient_id": uniq("r"), "amount": paid.amount}])
        pg.payouts.create(account_id=acct, recipient_id=uniq("r"), amount=1, currency="EUR")
        pg.payout_routes.upsert(account_id=acct, recipient_id=uniq("r"), destination_type="bank_account",
                                destination_ref="ba_1", share_bps=1)
        pg.payment_settings.upsert(account_id=acct, default_currency="EUR", payout_schedule="daily")
        pg.payment_system_logs.append(account_id=acct, event_type="e", entity_type="t", entity_id="x", payload={})
        pg.purchase_codes.create(account_id=acct, code=uniq("C"))
        pg.account_agents.add(account_id=acct, agent_user_id=uniq("u"), role="owner")

    with psycopg.connect(app_url, autocommit=True) as conn:
        for account, expected in ((acct, 1), (acct2, 0), ("", 0)):
            conn.execute("select set_config('vesta.account_id', %s, false)", (account,))
            for table in PAYMENT_TABLES:
                # the predicate names acct; only the setting (the policy) decides what is visible
                query = sql.SQL("select count(*) from {} where account_id = %s").format(sql.Identifier(table))
                row = conn.execute(query, (acct,)).fetchone()
                assert row is not None and row[0] == expected, (table, account)
        conn.execute("select set_config('vesta.account_id', %s, false)", (acct2,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(
                "insert into payment_settings (account_id, id, default_currency, payout_schedule, created_at, updated_at)"
                " values (%s, 'x', 'EUR', 'daily', now(), now())",
                (acct,),
            )
