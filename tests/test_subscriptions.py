"""Subscriptions: idempotent follows with keyset pages, paid subscriptions (subscribe, cancel, renew)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vesta_sql import errors
from vesta_sql.records.subscriptions import Follow, Subscription

START = datetime(2026, 1, 1, tzinfo=UTC)
MONTH = timedelta(days=31)


def make_creator(db: Any, account: str, uniq: Callable[[str], str]) -> str:
    slug = uniq("ada")
    creator_id: str = db.creators.create(account_id=account, name="Ada", slug=slug, email=f"{slug}@example.com").id
    return creator_id


def make_tier(db: Any, account: str, creator_id: str) -> str:
    plan = db.pricing.create_plan(account_id=account, creator_id=creator_id, name="Supporters")
    tier_id: str = db.pricing.add_tier(account_id=account, plan_id=plan.id, name="Basic", price_amount=500,
                                       currency="EUR", billing_interval="month").id
    return tier_id


def subscribe(db: Any, account: str, tier_id: str, subscriber_id: str) -> Subscription:
    subscription: Subscription = db.subscriptions.subscribe(
        account_id=account, tier_id=tier_id, subscriber_id=subscriber_id,
        current_period_start=START, current_period_end=START + MONTH)
    return subscription


def newest_first(rows: list[Any]) -> list[Any]:
    return sorted(rows, key=lambda row: (row.created_at, row.id), reverse=True)


# Follows


def test_follow_is_idempotent(db: Any, acct: str, uniq: Any) -> None:
    creator_id = make_creator(db, acct, uniq)

    first = db.subscriptions.follow(account_id=acct, creator_id=creator_id, follower_id="user-1")
    second = db.subscriptions.follow(account_id=acct, creator_id=creator_id, follower_id="user-1")

    assert isinstance(first, Follow)
    assert (first.account_id, first.creator_id, first.follower_id) == (acct, creator_id, "user-1")
    assert first.created_at.tzinfo is not None
    assert second == first
    assert db.subscriptions.follower_count(account_id=acct, creator_id=creator_id) == 1
    assert db.subscriptions.followers(account_id=acct, creator_id=creator_id) == [first]
    assert db.subscriptions.following(account_id=acct, follower_id="user-1") == [first]


def test_unfollow_removes_the_follow_and_is_idempotent(db: Any, acct: str, uniq: Any) -> None:
    creator_id = make_creator(db, acct, uniq)
    old = db.subscriptions.follow(account_id=acct, creator_id=creator_id, follower_id="user-1")
    kept = db.subscriptions.follow(account_id=acct, creator_id=creator_id, follower_id="user-2")

    assert db.subscriptions.unfollow(account_id=acct, creator_id=creator_id, follower_id="user-1") == 1
    assert db.subscriptions.unfollow(account_id=acct, creator_id=creator_id, follower_id="user-1") == 0
    assert db.subscriptions.followers(account_id=acct, creator_id=creator_id) == [kept]
    assert db.subscriptions.follower_count(account_id=acct, creator_id=creator_id) == 1

    again = db.subscriptions.follow(account_id=acct, creator_id=creator_id, follower_id="user-1")
    assert again.id != old.id
    assert db.subscriptions.follower_count(account_id=acct, creator_id=creator_id) == 2


def test_followers_page_by_keyset_newest_first(db: Any, acct: str, uniq: Any) -> None:
    creator_id = make_creator(db, acct, uniq)
    other_creator = make_creator(db, acct, uniq)
    made = [db.subscriptions.follow(account_id=acct, creator_id=creator_id, follower_id=f"user-{i}") for i in range(5)]
    db.subscriptions.follow(account_id=acct, creator_id=other_creator, follower_id="user-0")

    page1 = db.subscriptions.followers(account_id=acct, creator_id=creator_id, limit=3)
    last = page1[-1]
    page2 = db.subscriptions.followers(account_id=acct, creator_id=creator_id, limit=3,
                                       before_created_at=last.created_at, before_id=last.id)
    last = page2[-1]
    page3 = db.subscriptions.followers(account_id=acct, creator_id=creator_id, limit=3,
                                       before_created_at=last.created_at, before_id=last.id)

    assert (len(page1), len(page2), page3) == (3, 2, [])
    assert page1 + page2 == newest_first(made)
    assert db.subscriptions.follower_count(account_id=acct, creator_id=creator_id) == 5
    assert db.subscriptions.follower_count(account_id=acct, creator_id=other_creator) == 1


def test_following_pages_by_keyset_newest_first(db: Any, acct: str, uniq: Any) -> None:
    made = [db.subscriptions.follow(account_id=acct, creator_id=make_creator(db, acct, uniq), follower_id="fan")
            for _ in range(3)]
    db.subscriptions.follow(account_id=acct, creator_id=made[0].creator_id, follower_id="someone-else")

    page1 = db.subscriptions.following(account_id=acct, follower_id="fan", limit=2)
    last = page1[-1]
    page2 = db.subscriptions.following(account_id=acct, follower_id="fan", limit=2,
                                       before_created_at=last.created_at, before_id=last.id)

    assert (len(page1), len(page2)) == (2, 1)
    assert page1 + page2 == newest_first(made)
    assert {f.follower_id for f in page1 + page2} == {"fan"}


def test_follow_of_another_accounts_creator_is_refused(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    creator_id = make_creator(db, acct, uniq)

    with pytest.raises(errors.ForeignKeyViolation):
        db.subscriptions.follow(account_id=acct2, creator_id=creator_id, follower_id="user-1")
    assert db.subscriptions.follower_count(account_id=acct, creator_id=creator_id) == 0


# Subscriptions


def test_subscribe_takes_the_creator_from_the_tier_and_reads_back(db: Any, acct: str, uniq: Any) -> None:
    creator_id = make_creator(db, acct, uniq)
    tier_id = make_tier(db, acct, creator_id)

    sub = subscribe(db, acct, tier_id, "user-1")

    assert isinstance(sub, Subscription)
    assert (sub.account_id, sub.creator_id, sub.tier_id, sub.subscriber_id, sub.status) == (
        acct, creator_id, tier_id, "user-1", "active")
    assert (sub.current_period_start, sub.current_period_end) == (START, START + MONTH)
    assert sub.canceled_at is None
    assert sub.created_at == sub.updated_at
    assert db.subscriptions.find_by_id(account_id=acct, id=sub.id) == sub
    assert db.subscriptions.find_live(account_id=acct, creator_id=creator_id, subscriber_id="user-1") == sub
    assert db.subscriptions.list_active(account_id=acct, creator_id=creator_id) == [sub]


def test_subscribe_needs_an_active_tier_of_an_active_plan(db: Any, acct: str, uniq: Any) -> None:
    creator_id = make_creator(db, acct, uniq)
    archived_tier = make_tier(db, acct, creator_id)
    db.pricing.archive_tier(account_id=acct, id=archived_tier)
    tier_of_archived_plan = make_tier(db, acct, creator_id)
    plan_id = db.pricing.find_tier(account_id=acct, id=tier_of_archived_plan).plan_id
    db.pricing.archive_plan(account_id=acct, id=plan_id)

    assert subscribe(db, acct, archived_tier, "user-1") is None
    assert subscribe(db, acct, tier_of_archived_plan, "user-1") is None
    assert subscribe(db, acct, "no-such-tier", "user-1") is None
    assert db.subscriptions.list_active(account_id=acct, creator_id=creator_id) == []
    assert db.subscriptions.find_live(account_id=acct, creator_id=creator_id, subscriber_id="user-1") is None


def test_one_live_subscription_per_subscriber_and_creator(db: Any, acct: str, uniq: Any) -> None:
    creator_id = make_creator(db, acct, uniq)
    tier_id = make_tier(db, acct, creator_id)
    first = subscribe(db, acct, tier_id, "user-1")

    with pytest.raises(errors.UniqueViolation):
        subscribe(db, acct, make_tier(db, acct, creator_id), "user-1")
    assert db.subscriptions.list_active(account_id=acct, creator_id=creator_id) == [first]

    db.subscriptions.cancel(account_id=acct, id=first.id)
    second = subscribe(db, acct, tier_id, "user-1")
    assert second.id != first.id
    assert db.subscriptions.find_live(account_id=acct, creator_id=creator_id, subscriber_id="user-1") == second


def test_a_period_must_end_after_it_starts(db: Any, acct: str, uniq: Any) -> None:
    creator_id = make_creator(db, acct, uniq)
    tier_id = make_tier(db, acct, creator_id)

    with pytest.raises(errors.CheckViolation):
        db.subscriptions.subscribe(account_id=acct, tier_id=tier_id, subscriber_id="user-1",
                                   current_period_start=START, current_period_end=START)
    assert db.subscriptions.list_active(account_id=acct, creator_id=creator_id) == []


def test_cancel_is_idempotent_and_keeps_the_first_cancellation(db: Any, acct: str, uniq: Any) -> None:
    creator_id = make_creator(db, acct, uniq)
    sub = subscribe(db, acct, make_tier(db, acct, creator_id), "user-1")

    canceled = db.subscriptions.cancel(account_id=acct, id=sub.id)
    again = db.subscriptions.cancel(account_id=acct, id=sub.id)

    assert canceled.status == "canceled"
    assert canceled.canceled_at is not None and canceled.canceled_at >= sub.created_at
    assert canceled.updated_at == canceled.canceled_at
    assert again == canceled
    assert db.subscriptions.find_by_id(account_id=acct, id=sub.id) == canceled
    assert db.subscriptions.find_live(account_id=acct, creator_id=creator_id, subscriber_id="user-1") is None
    assert db.subscriptions.list_active(account_id=acct, creator_id=creator_id) == []
    assert db.subscriptions.cancel(account_id=acct, id="no-such-subscription") is None


def test_renew_starts_the_next_period_once(db: Any, acct: str, uniq: Any) -> None:
    creator_id = make_creator(db, acct, uniq)
    sub = subscribe(db, acct, make_tier(db, acct, creator_id), "user-1")
    next_end = START + 2 * MONTH

    renewed = db.subscriptions.renew(account_id=acct, id=sub.id, current_period_end=next_end)
    replayed = db.subscriptions.renew(account_id=acct, id=sub.id, current_period_end=next_end)

    assert (renewed.current_period_start, renewed.current_period_end) == (START + MONTH, next_end)
    assert renewed.status == "active" and renewed.created_at == sub.created_at
    assert replayed is None
    assert db.subscriptions.find_by_id(account_id=acct, id=sub.id) == renewed


def test_past_due_leaves_the_active_list_and_renew_brings_it_back(db: Any, acct: str, uniq: Any) -> None:
    creator_id = make_creator(db, acct, uniq)
    sub = subscribe(db, acct, make_tier(db, acct, creator_id), "user-1")

    late = db.subscriptions.mark_past_due(account_id=acct, id=sub.id)

    assert late.status == "past_due"
    assert db.subscriptions.mark_past_due(account_id=acct, id=sub.id) is None
    assert db.subscriptions.list_active(account_id=acct, creator_id=creator_id) == []
    assert db.subscriptions.find_live(account_id=acct, creator_id=creator_id, subscriber_id="user-1") == late

    renewed = db.subscriptions.renew(account_id=acct, id=sub.id, current_period_end=START + 2 * MONTH)
    assert renewed.status == "active"
    assert db.subscriptions.list_active(account_id=acct, creator_id=creator_id) == [renewed]


def test_a_canceled_subscription_is_not_renewed(db: Any, acct: str, uniq: Any) -> None:
    creator_id = make_creator(db, acct, uniq)
    sub = subscribe(db, acct, make_tier(db, acct, creator_id), "user-1")
    canceled = db.subscriptions.cancel(account_id=acct, id=sub.id)

    assert db.subscriptions.renew(account_id=acct, id=sub.id, current_period_end=START + 2 * MONTH) is None
    assert db.subscriptions.mark_past_due(account_id=acct, id=sub.id) is None
    assert db.subscriptions.find_by_id(account_id=acct, id=sub.id) == canceled


def test_list_active_pages_by_keyset_newest_first(db: Any, acct: str, uniq: Any) -> None:
    creator_id = make_creator(db, acct, uniq)
    tier_id = make_tier(db, acct, creator_id)
    made = [subscribe(db, acct, tier_id, f"user-{i}") for i in range(4)]
    db.subscriptions.cancel(account_id=acct, id=made[1].id)
    active = newest_first([made[0], made[2], made[3]])

    page1 = db.subscriptions.list_active(account_id=acct, creator_id=creator_id, limit=2)
    last = page1[-1]
    page2 = db.subscriptions.list_active(account_id=acct, creator_id=creator_id, limit=2,
                                         before_created_at=last.created_at, before_id=last.id)

    assert page1 == active[:2]
    assert page2 == active[2:]


def test_another_account_sees_and_changes_nothing(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    creator_id = make_creator(db, acct, uniq)
    tier_id = make_tier(db, acct, creator_id)
    follow = db.subscriptions.follow(account_id=acct, creator_id=creator_id, follower_id="user-1")
    sub = subscribe(db, acct, tier_id, "user-1")

    assert db.subscriptions.followers(account_id=acct2, creator_id=creator_id) == []
    assert db.subscriptions.following(account_id=acct2, follower_id="user-1") == []
    assert db.subscriptions.follower_count(account_id=acct2, creator_id=creator_id) == 0
    assert db.subscriptions.unfollow(account_id=acct2, creator_id=creator_id, follower_id="user-1") == 0
    assert db.subscriptions.find_by_id(account_id=acct2, id=sub.id) is None
    assert db.subscriptions.find_live(account_id=acct2, creator_id=creator_id, subscriber_id="user-1") is None
    assert db.subscriptions.list_active(account_id=acct2, creator_id=creator_id) == []
    assert db.subscriptions.cancel(account_id=acct2, id=sub.id) is None
    assert db.subscriptions.renew(account_id=acct2, id=sub.id, current_period_end=START + 2 * MONTH) is None
    assert db.subscriptions.mark_past_due(account_id=acct2, id=sub.id) is None
    assert subscribe(db, acct2, tier_id, "user-2") is None

    assert db.subscriptions.followers(account_id=acct, creator_id=creator_id) == [follow]
    assert db.subscriptions.find_by_id(account_id=acct, id=sub.id) == sub
