"""Payouts: create, mark paid or failed once, pending lists, totals."""

from __future__ import annotations

from typing import Any

import pytest

from vesta_sql import errors
from vesta_sql.records.payments import Payout, PayoutTotal


def create(db: Any, account: str, recipient: str, amount: int = 5000, currency: str = "EUR") -> Payout:
    payout: Payout = db.payouts.create(account_id=account, recipient_id=recipient, amount=amount, currency=currency)
    return payout


def test_create_makes_a_pending_payout(db: Any, acct: str, uniq: Any) -> None:
    recipient = uniq("rcp")
    payout = create(db, acct, recipient)

    assert isinstance(payout, Payout)
    assert (payout.account_id, payout.recipient_id, payout.amount, payout.currency) == (acct, recipient, 5000, "EUR")
    assert payout.status == "pending" and payout.paid_at is None and payout.failure_reason is None
    assert payout.created_at.tzinfo is not None
    assert db.payouts.find_by_id(account_id=acct, id=payout.id) == payout


@pytest.mark.parametrize(("amount", "currency"), [(0, "EUR"), (-1, "EUR"), (10, "usd")])
def test_create_refuses_bad_money(db: Any, acct: str, uniq: Any, amount: int, currency: str) -> None:
    recipient = uniq("rcp")
    with pytest.raises(errors.CheckViolation):
        create(db, acct, recipient, amount=amount, currency=currency)
    assert db.payouts.list_by_recipient(account_id=acct, recipient_id=recipient) == []


def test_mark_paid_once(db: Any, acct: str, uniq: Any) -> None:
    payout = create(db, acct, uniq("rcp"))

    paid = db.payouts.mark_paid(account_id=acct, id=payout.id)

    assert paid.id == payout.id and paid.status == "paid"
    assert paid.paid_at is not None and paid.paid_at >= payout.created_at and paid.updated_at == paid.paid_at
    assert db.payouts.find_by_id(account_id=acct, id=payout.id) == paid
    assert db.payouts.mark_paid(account_id=acct, id=payout.id) is None
    assert db.payouts.mark_failed(account_id=acct, id=payout.id, failure_reason="late") is None
    assert db.payouts.find_by_id(account_id=acct, id=payout.id) == paid


def test_mark_failed_keeps_the_reason(db: Any, acct: str, uniq: Any) -> None:
    payout = create(db, acct, uniq("rcp"))

    failed = db.payouts.mark_failed(account_id=acct, id=payout.id, failure_reason="account_closed")

    assert failed.status == "failed" and failed.failure_reason == "account_closed" and failed.paid_at is None
    assert db.payouts.find_by_id(account_id=acct, id=payout.id) == failed
    assert db.payouts.mark_paid(account_id=acct, id=payout.id) is None
    assert db.payouts.find_by_id(account_id=acct, id=payout.id).status == "failed"
    assert db.payouts.mark_failed(account_id=acct, id=uniq("missing"), failure_reason="x") is None


def test_list_pending_and_by_recipient(db: Any, acct: str, uniq: Any) -> None:
    alice, bob = uniq("alice"), uniq("bob")
    first = create(db, acct, alice, 100)
    second = create(db, acct, bob, 200)
    third = create(db, acct, alice, 300)
    db.payouts.mark_paid(account_id=acct, id=second.id)

    pending = db.payouts.list_pending(account_id=acct)
    assert [p.id for p in pending] == [third.id, first.id]
    assert all(p.status == "pending" for p in pending)

    page1 = db.payouts.list_pending(account_id=acct, limit=1)
    page2 = db.payouts.list_pending(account_id=acct, limit=1, before_created_at=page1[0].created_at, before_id=page1[0].id)
    page3 = db.payouts.list_pending(account_id=acct, limit=1, before_created_at=page2[0].created_at, before_id=page2[0].id)
    assert [page1[0].id, page2[0].id, page3] == [third.id, first.id, []]

    assert [p.id for p in db.payouts.list_by_recipient(account_id=acct, recipient_id=alice)] == [third.id, first.id]
    bobs = db.payouts.list_by_recipient(account_id=acct, recipient_id=bob)
    assert [(p.id, p.status) for p in bobs] == [(second.id, "paid")]


def test_totals_for_the_account_and_one_recipient(db: Any, acct: str, uniq: Any) -> None:
    alice, bob = uniq("alice"), uniq("bob")
    create(db, acct, alice, 100)
    paid = create(db, acct, alice, 250)
    create(db, acct, bob, 4_000_000_000, "USD")
    failed = create(db, acct, bob, 70)
    db.payouts.mark_paid(account_id=acct, id=paid.id)
    db.payouts.mark_failed(account_id=acct, id=failed.id, failure_reason="no route")

    assert db.payouts.totals(account_id=acct) == [
        PayoutTotal(currency="EUR", status="failed", payout_count=1, amount_total=70),
        PayoutTotal(currency="EUR", status="paid", payout_count=1, amount_total=250),
        PayoutTotal(currency="EUR", status="pending", payout_count=1, amount_total=100),
        PayoutTotal(currency="USD", status="pending", payout_count=1, amount_total=4_000_000_000),
    ]
    assert db.payouts.totals(account_id=acct, recipient_id=alice) == [
        PayoutTotal(currency="EUR", status="paid", payout_count=1, amount_total=250),
        PayoutTotal(currency="EUR", status="pending", payout_count=1, amount_total=100),
    ]
    assert db.payouts.totals(account_id=acct, recipient_id=uniq("nobody")) == []


def test_another_account_sees_and_changes_nothing(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    recipient = uniq("rcp")
    payout = create(db, acct, recipient)

    assert db.payouts.find_by_id(account_id=acct2, id=payout.id) is None
    assert db.payouts.list_pending(account_id=acct2) == []
    assert db.payouts.list_by_recipient(account_id=acct2, recipient_id=recipient) == []
    assert db.payouts.totals(account_id=acct2) == []
    assert db.payouts.mark_paid(account_id=acct2, id=payout.id) is None
    assert db.payouts.mark_failed(account_id=acct2, id=payout.id, failure_reason="x") is None
    assert db.payouts.find_by_id(account_id=acct, id=payout.id) == payout
