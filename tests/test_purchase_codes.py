"""Purchase codes: batches (all or none), redeeming exactly once, unused lists."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import vesta_sql
from vesta_sql import errors
from vesta_sql.records.payments import PurchaseCode


def test_create_and_find(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    code = uniq("CODE")
    expires = datetime(2100, 1, 1, tzinfo=UTC)

    created = db.purchase_codes.create(account_id=acct, code=code, expires_at=expires)

    assert isinstance(created, PurchaseCode)
    assert (created.account_id, created.code, created.tier_id, created.expires_at) == (acct, code, None, expires)
    assert created.redeemed_by is None and created.redeemed_at is None
    assert db.purchase_codes.find(account_id=acct, code=code) == created
    assert db.purchase_codes.find(account_id=acct2, code=code) is None
    with pytest.raises(errors.UniqueViolation):
        db.purchase_codes.create(account_id=acct, code=code)
    other = db.purchase_codes.create(account_id=acct2, code=code)  # codes are unique per account
    assert other.id != created.id


def test_codes_point_at_a_tier_of_the_same_account_only(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    creator = db.creators.create(account_id=acct, name="Ada", slug=uniq("ada"), email=f"{uniq('ada')}@x.io")
    plan = db.pricing.create_plan(account_id=acct, creator_id=creator.id, name="Fans")
    tier = db.pricing.add_tier(
        account_id=acct, plan_id=plan.id, name="Gold", price_amount=500, currency="EUR", billing_interval="month"
    )
    codes = [uniq("CODE"), uniq("CODE")]

    created = db.purchase_codes.create_batch(account_id=acct, codes=codes, tier_id=tier.id)
    assert [c.tier_id for c in created] == [tier.id, tier.id]
    assert db.purchase_codes.find(account_id=acct, code=codes[0]).tier_id == tier.id

    for account, tier_id in ((acct2, tier.id), (acct, uniq("tier"))):
        code = uniq("CODE")
        with pytest.raises(errors.ForeignKeyViolation):
            db.purchase_codes.create(account_id=account, code=code, tier_id=tier_id)
        assert db.purchase_codes.find(account_id=account, code=code) is None


def test_create_batch_writes_all_codes(db: Any, acct: str, uniq: Any) -> None:
    codes = [uniq("B") for _ in range(150)]
    expires = datetime.now(UTC) + timedelta(days=30)

    created = db.purchase_codes.create_batch(account_id=acct, codes=codes, expires_at=expires)

    assert [c.code for c in created] == codes
    assert all(c.expires_at == expires and c.tier_id is None and c.redeemed_at is None for c in created)
    assert db.purchase_codes.find(account_id=acct, code=codes[-1]) == created[-1]
    unused = db.purchase_codes.list_unused(account_id=acct, limit=1000)
    assert sorted(c.code for c in unused) == sorted(codes)


@pytest.mark.parametrize("codes", [[], ["A", "A"], ["A", ""], "ABC", ["A", 7]])
def test_create_batch_refuses_bad_input(db: Any, acct: str, codes: Any) -> None:
    with pytest.raises(errors.InvalidInputError):
        db.purchase_codes.create_batch(account_id=acct, codes=codes)
    assert db.purchase_codes.list_unused(account_id=acct) == []


def test_create_batch_is_all_or_nothing(db: Any, acct: str, uniq: Any) -> None:
    taken = uniq("T")
    db.purchase_codes.create(account_id=acct, code=taken)
    fresh = [uniq("F"), uniq("F")]

    with pytest.raises(errors.UniqueViolation):
        db.purchase_codes.create_batch(account_id=acct, codes=[fresh[0], taken, fresh[1]])

    assert db.purchase_codes.find(account_id=acct, code=fresh[0]) is None
    assert db.purchase_codes.find(account_id=acct, code=fresh[1]) is None
    assert [c.code for c in db.purchase_codes.list_unused(account_id=acct)] == [taken]


def test_redeem_once(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    code = uniq("R")
    created = db.purchase_codes.create(account_id=acct, code=code)

    assert db.purchase_codes.redeem(account_id=acct2, code=code, redeemed_by="intruder") is None
    redeemed = db.purchase_codes.redeem(account_id=acct, code=code, redeemed_by="user-1")

    assert redeemed.id == created.id and redeemed.redeemed_by == "user-1"
    assert redeemed.redeemed_at is not None and redeemed.redeemed_at >= created.created_at
    assert db.purchase_codes.find(account_id=acct, code=code) == redeemed
    assert db.purchase_codes.redeem(account_id=acct, code=code, redeemed_by="user-2") is None
    assert db.purchase_codes.find(account_id=acct, code=code).redeemed_by == "user-1"
    assert db.purchase_codes.list_unused(account_id=acct) == []
    assert db.purchase_codes.redeem(account_id=acct, code=uniq("nope"), redeemed_by="user-1") is None


def test_expired_codes_cannot_be_redeemed_and_are_not_unused(db: Any, acct: str, uniq: Any) -> None:
    now = datetime.now(UTC)
    expired = db.purchase_codes.create(account_id=acct, code=uniq("X"), expires_at=now - timedelta(seconds=1))
    valid = db.purchase_codes.create(account_id=acct, code=uniq("V"), expires_at=now + timedelta(days=1))
    forever = db.purchase_codes.create(account_id=acct, code=uniq("F"))

    assert db.purchase_codes.redeem(account_id=acct, code=expired.code, redeemed_by="u") is None
    assert db.purchase_codes.find(account_id=acct, code=expired.code) == expired
    assert [c.id for c in db.purchase_codes.list_unused(account_id=acct)] == [forever.id, valid.id]


def test_list_unused_pages(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    codes = db.purchase_codes.create_batch(account_id=acct, codes=[uniq("P") for _ in range(5)])
    db.purchase_codes.redeem(account_id=acct, code=codes[2].code, redeemed_by="u")

    seen: list[str] = []
    cursor: dict[str, Any] = {}
    while page := db.purchase_codes.list_unused(account_id=acct, limit=2, **cursor):
        seen.extend(c.id for c in page)
        cursor = {"before_created_at": page[-1].created_at, "before_id": page[-1].id}
    assert seen == [codes[i].id for i in (4, 3, 1, 0)]
    assert db.purchase_codes.list_unused(account_id=acct2) == []


def test_concurrent_redeems_give_one_success(db: Any, db_url: str, acct: str, uniq: Any) -> None:
    code = uniq("C")
    db.purchase_codes.create(account_id=acct, code=code)
    workers = 6
    barrier = threading.Barrier(workers)
    results: list[Any] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    other: Any = vesta_sql.connect(db_url)  # a second façade: its own connections
    with other:
        def redeem(n: int) -> None:
            try:
                barrier.wait()
                outcome = other.purchase_codes.redeem(account_id=acct, code=code, redeemed_by=f"user-{n}")
                with lock:
                    results.append(outcome)
            except BaseException as exc:  # reported below
                with lock:
                    failures.append(exc)

        threads = [threading.Thread(target=redeem, args=(n,)) for n in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert failures == []
    winners = [r for r in results if r is not None]
    assert len(results) == workers and len(winners) == 1
    assert db.purchase_codes.find(account_id=acct, code=code).redeemed_by == winners[0].redeemed_by
