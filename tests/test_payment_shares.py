"""Payment shares: the split program (all or nothing, adds up exactly), lists and totals."""

from __future__ import annotations

from typing import Any

import pytest

from vesta_sql import errors
from vesta_sql.records.payments import PaymentShare, RecipientShareTotal, StripePayment


def payment(
    db: Any, account: str, uniq: Any, amount: int = 1000, currency: str = "EUR", status: str = "succeeded"
) -> StripePayment:
    recorded: StripePayment = db.stripe_payments.record(
        account_id=account, stripe_payment_intent_id=uniq("pi"), amount=amount, currency=currency, status=status
    )
    return recorded


def test_split_writes_shares_that_add_up(db: Any, acct: str, uniq: Any) -> None:
    paid = payment(db, acct, uniq, amount=1000)
    alice, bob, carol = sorted([uniq("alice"), uniq("bob"), uniq("carol")])

    shares = db.payment_shares.split(
        account_id=acct,
        payment_id=paid.id,
        shares=[
            {"recipient_id": bob, "amount": 300},
            {"recipient_id": alice, "amount": 700},
            {"recipient_id": carol, "amount": 0},
        ],
    )

    assert all(isinstance(share, PaymentShare) for share in shares)
    assert [(s.recipient_id, s.amount, s.currency, s.payment_id) for s in shares] == [
        (alice, 700, "EUR", paid.id), (bob, 300, "EUR", paid.id), (carol, 0, "EUR", paid.id),
    ]
    assert db.payment_shares.list_by_payment(account_id=acct, payment_id=paid.id) == shares
    assert sum(s.amount for s in shares) == paid.amount


@pytest.mark.parametrize(
    "shares",
    [
        [{"amount": 600}, {"amount": 300}],  # 900: short
        [{"amount": 600}, {"amount": 401}],  # 1001: over
        [{"amount": 1100}, {"amount": -100}],  # adds up, but negative
        [],
    ],
)
def test_split_refuses_shares_that_do_not_add_up(db: Any, acct: str, uniq: Any, shares: list[dict[str, Any]]) -> None:
    paid = payment(db, acct, uniq, amount=1000)
    named = [{"recipient_id": uniq("rcp"), **share} for share in shares]

    with pytest.raises(errors.InvalidInputError):
        db.payment_shares.split(account_id=acct, payment_id=paid.id, shares=named)

    assert db.payment_shares.list_by_payment(account_id=acct, payment_id=paid.id) == []


@pytest.mark.parametrize(
    "bad",
    [
        "duplicate",
        "float",
        "bool",
        "missing_key",
        "extra_key",
        "empty_recipient",
        "not_a_list",
    ],
)
def test_split_refuses_malformed_shares(db: Any, acct: str, uniq: Any, bad: str) -> None:
    paid = payment(db, acct, uniq, amount=1000)
    alice = uniq("alice")
    shares: Any = {
        "duplicate": [{"recipient_id": alice, "amount": 500}, {"recipient_id": alice, "amount": 500}],
        "float": [{"recipient_id": alice, "amount": 1000.0}],
        "bool": [{"recipient_id": alice, "amount": True}],
        "missing_key": [{"recipient_id": alice}],
        "extra_key": [{"recipient_id": alice, "amount": 1000, "note": "x"}],
        "empty_recipient": [{"recipient_id": "", "amount": 1000}],
        "not_a_list": {"recipient_id": alice, "amount": 1000},
    }[bad]

    with pytest.raises(errors.InvalidInputError):
        db.payment_shares.split(account_id=acct, payment_id=paid.id, shares=shares)

    assert db.payment_shares.list_by_payment(account_id=acct, payment_id=paid.id) == []


def test_split_needs_a_succeeded_payment_of_the_account(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    pending = payment(db, acct, uniq, status="processing")
    shares = [{"recipient_id": uniq("rcp"), "amount": 1000}]

    with pytest.raises(errors.InvalidInputError):
        db.payment_shares.split(account_id=acct, payment_id=pending.id, shares=shares)
    with pytest.raises(errors.InvalidInputError):
        db.payment_shares.split(account_id=acct, payment_id=uniq("missing"), shares=shares)

    paid = payment(db, acct, uniq)
    with pytest.raises(errors.InvalidInputError):
        db.payment_shares.split(account_id=acct2, payment_id=paid.id, shares=shares)

    assert db.payment_shares.list_by_payment(account_id=acct, payment_id=pending.id) == []
    assert db.payment_shares.list_by_payment(account_id=acct, payment_id=paid.id) == []
    assert db.payment_shares.list_by_payment(account_id=acct2, payment_id=paid.id) == []


def test_split_again_is_idempotent_but_not_a_second_split(db: Any, acct: str, uniq: Any) -> None:
    paid = payment(db, acct, uniq, amount=900)
    alice, bob = uniq("alice"), uniq("bob")
    shares = [{"recipient_id": alice, "amount": 450}, {"recipient_id": bob, "amount": 450}]
    first = db.payment_shares.split(account_id=acct, payment_id=paid.id, shares=shares)

    again = db.payment_shares.split(account_id=acct, payment_id=paid.id, shares=list(reversed(shares)))
    assert again == first

    with pytest.raises(errors.InvalidInputError):
        db.payment_shares.split(
            account_id=acct, payment_id=paid.id,
            shares=[{"recipient_id": alice, "amount": 900}],
        )
    assert db.payment_shares.list_by_payment(account_id=acct, payment_id=paid.id) == first


def test_record_and_split_in_one_transaction_roll_back_together(db: Any, acct: str, uniq: Any) -> None:
    intent = uniq("pi")
    with pytest.raises(errors.InvalidInputError):
        with db.transaction(account_id=acct) as tx:
            recorded = tx.stripe_payments.record(stripe_payment_intent_id=intent, amount=500, currency="EUR", status="succeeded")
            tx.payment_shares.split(payment_id=recorded.id, shares=[{"recipient_id": uniq("rcp"), "amount": 499}])
    assert db.stripe_payments.find_by_intent(account_id=acct, stripe_payment_intent_id=intent) is None
    assert db.resolve_account("stripe_payment_intent", intent) is None

    with db.transaction(account_id=acct) as tx:
        recorded = tx.stripe_payments.record(stripe_payment_intent_id=intent, amount=500, currency="EUR", status="succeeded")
        shares = tx.payment_shares.split(payment_id=recorded.id, shares=[{"recipient_id": uniq("rcp"), "amount": 500}])
    assert db.payment_shares.list_by_payment(account_id=acct, payment_id=recorded.id) == shares


def test_create_writes_one_share(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    paid = payment(db, acct, uniq)
    recipient = uniq("rcp")

    share = db.payment_shares.create(account_id=acct, payment_id=paid.id, recipient_id=recipient, amount=1000, currency="EUR")

    assert (share.payment_id, share.recipient_id, share.amount) == (paid.id, recipient, 1000)
    assert db.payment_shares.list_by_payment(account_id=acct, payment_id=paid.id) == [share]
    with pytest.raises(errors.UniqueViolation):
        db.payment_shares.create(account_id=acct, payment_id=paid.id, recipient_id=recipient, amount=1, currency="EUR")
    with pytest.raises(errors.ForeignKeyViolation):
        db.payment_shares.create(account_id=acct2, payment_id=paid.id, recipient_id=recipient, amount=1, currency="EUR")
    assert db.payment_shares.list_by_payment(account_id=acct2, payment_id=paid.id) == []


def test_totals_by_recipient(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    alice, bob = sorted([uniq("alice"), uniq("bob")])
    one = payment(db, acct, uniq, amount=1000)
    two = payment(db, acct, uniq, amount=600)
    three = payment(db, acct, uniq, amount=5_000_000_000, currency="USD")
    splits = {
        one.id: [{"recipient_id": alice, "amount": 800}, {"recipient_id": bob, "amount": 200}],
        two.id: [{"recipient_id": alice, "amount": 600}],
        three.id: [{"recipient_id": bob, "amount": 5_000_000_000}],
    }
    for payment_id, shares in splits.items():
        db.payment_shares.split(account_id=acct, payment_id=payment_id, shares=shares)

    assert db.payment_shares.totals_by_recipient(account_id=acct) == [
        RecipientShareTotal(recipient_id=alice, currency="EUR", share_count=2, amount_total=1400),
        RecipientShareTotal(recipient_id=bob, currency="EUR", share_count=1, amount_total=200),
        RecipientShareTotal(recipient_id=bob, currency="USD", share_count=1, amount_total=5_000_000_000),
    ]
    assert db.payment_shares.totals_by_recipient(account_id=acct, recipient_id=alice) == [
        RecipientShareTotal(recipient_id=alice, currency="EUR", share_count=2, amount_total=1400),
    ]
    assert db.payment_shares.totals_by_recipient(account_id=acct2) == []
    assert db.payment_shares.list_by_payment(account_id=acct2, payment_id=one.id) == []


def test_concurrent_different_splits_leave_one_split(db: Any, db_url: str, acct: str, uniq: Any) -> None:
    import threading

    import vesta_sql

    paid = payment(db, acct, uniq, amount=1000)
    workers = 4
    barrier = threading.Barrier(workers)
    outcomes: list[str] = []
    lock = threading.Lock()
    other: Any = vesta_sql.connect(db_url)

    def split(n: int) -> None:
        shares = [{"recipient_id": f"worker-{n}-{k}", "amount": 500} for k in range(2)]
        barrier.wait()
        try:
            other.payment_shares.split(account_id=acct, payment_id=paid.id, shares=shares)
            outcome = "split"
        except errors.InvalidInputError:
            outcome = "refused"
        except BaseException as exc:  # anything else fails the test below
            outcome = repr(exc)
        with lock:
            outcomes.append(outcome)

    with other:
        threads = [threading.Thread(target=split, args=(n,)) for n in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(outcomes) == ["refused"] * (workers - 1) + ["split"]
    shares = db.payment_shares.list_by_payment(account_id=acct, payment_id=paid.id)
    assert len(shares) == 2 and sum(s.amount for s in shares) == paid.amount
    assert len({s.recipient_id.rsplit("-", 1)[0] for s in shares}) == 1
