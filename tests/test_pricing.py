"""Pricing: plans, tiers, the price list, price changes, archiving, tenant isolation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vesta_sql import errors
from vesta_sql.records.pricing import Plan, PlanTier, Tier


def make_creator(db: Any, account: str, uniq: Callable[[str], str]) -> str:
    slug = uniq("ada")
    creator_id: str = db.creators.create(account_id=account, name="Ada", slug=slug, email=f"{slug}@example.com").id
    return creator_id


def make_tier(db: Any, account: str, plan_id: str, name: str = "Basic", price: int = 500, currency: str = "EUR",
              interval: str = "month") -> Tier:
    tier: Tier = db.pricing.add_tier(account_id=account, plan_id=plan_id, name=name, price_amount=price,
                                     currency=currency, billing_interval=interval)
    return tier


def test_create_plan_returns_an_active_plan_that_reads_back(db: Any, acct: str, uniq: Any) -> None:
    creator_id = make_creator(db, acct, uniq)

    plan = db.pricing.create_plan(account_id=acct, creator_id=creator_id, name="Supporters", description="Thanks!")

    assert isinstance(plan, Plan)
    assert (plan.account_id, plan.creator_id, plan.name, plan.description) == (acct, creator_id, "Supporters", "Thanks!")
    assert plan.status == "active"
    assert plan.created_at.tzinfo is not None and plan.created_at == plan.updated_at
    assert db.pricing.find_plan(account_id=acct, id=plan.id) == plan
    assert db.pricing.list_plans(account_id=acct, creator_id=creator_id) == [plan]


def test_add_tier_stores_integer_minor_units_and_reads_back(db: Any, acct: str, uniq: Any) -> None:
    plan = db.pricing.create_plan(account_id=acct, creator_id=make_creator(db, acct, uniq), name="P")

    tier = make_tier(db, acct, plan.id, name="Gold", price=123_456_789_012, currency="USD", interval="year")

    assert isinstance(tier, Tier)
    assert (tier.plan_id, tier.name, tier.price_amount, tier.currency, tier.billing_interval, tier.status) == (
        plan.id, "Gold", 123_456_789_012, "USD", "year", "active")
    assert type(tier.price_amount) is int
    assert db.pricing.find_tier(account_id=acct, id=tier.id) == tier
    assert db.pricing.list_tiers(account_id=acct, plan_id=plan.id) == [tier]


def test_add_tier_needs_an_active_plan_of_the_account(db: Any, acct: str, uniq: Any) -> None:
    plan = db.pricing.create_plan(account_id=acct, creator_id=make_creator(db, acct, uniq), name="P")
    db.pricing.archive_plan(account_id=acct, id=plan.id)

    assert make_tier(db, acct, plan.id) is None
    assert make_tier(db, acct, "no-such-plan") is None
    assert db.pricing.list_tiers(account_id=acct, plan_id=plan.id, include_archived=True) == []


def test_negative_price_bad_currency_or_interval_are_check_violations(db: Any, acct: str, uniq: Any) -> None:
    plan = db.pricing.create_plan(account_id=acct, creator_id=make_creator(db, acct, uniq), name="P")

    with pytest.raises(errors.CheckViolation):
        make_tier(db, acct, plan.id, price=-1)
    with pytest.raises(errors.CheckViolation):
        make_tier(db, acct, plan.id, currency="eur")
    with pytest.raises(errors.CheckViolation):
        make_tier(db, acct, plan.id, currency="EURO")
    with pytest.raises(errors.InvalidInputError, match="'billing_interval' must be one of"):  # before any SQL
        make_tier(db, acct, plan.id, interval="week")
    assert db.pricing.list_tiers(account_id=acct, plan_id=plan.id, include_archived=True) == []

    tier = make_tier(db, acct, plan.id, price=0)
    with pytest.raises(errors.CheckViolation):
        db.pricing.change_price(account_id=acct, id=tier.id, price_amount=-500)
    assert db.pricing.find_tier(account_id=acct, id=tier.id) == tier


def test_price_list_joins_active_tiers_to_active_plans_in_one_query(db: Any, acct: str, uniq: Any) -> None:
    creator_id = make_creator(db, acct, uniq)
    other_creator = make_creator(db, acct, uniq)
    first = db.pricing.create_plan(account_id=acct, creator_id=creator_id, name="First", description="one")
    second = db.pricing.create_plan(account_id=acct, creator_id=creator_id, name="Second")
    db.pricing.create_plan(account_id=acct, creator_id=creator_id, name="No tiers yet")
    archived = db.pricing.create_plan(account_id=acct, creator_id=creator_id, name="Old")
    expensive = make_tier(db, acct, first.id, name="Pro", price=2000)
    cheap = make_tier(db, acct, first.id, name="Basic", price=500)
    retired = make_tier(db, acct, first.id, name="Retired", price=100)
    yearly = make_tier(db, acct, second.id, name="Yearly", price=5000, currency="GBP", interval="year")
    make_tier(db, acct, archived.id, name="Legacy", price=1)
    db.pricing.archive_tier(account_id=acct, id=retired.id)
    db.pricing.archive_plan(account_id=acct, id=archived.id)
    other_plan = db.pricing.create_plan(account_id=acct, creator_id=other_creator, name="Theirs")
    make_tier(db, acct, other_plan.id)

    lines = db.pricing.price_list(account_id=acct, creator_id=creator_id)

    assert lines == [
        PlanTier(account_id=acct, creator_id=creator_id, plan_id=first.id, plan_name="First", plan_description="one",
                 tier_id=cheap.id, tier_name="Basic", price_amount=500, currency="EUR", billing_interval="month"),
        PlanTier(account_id=acct, creator_id=creator_id, plan_id=first.id, plan_name="First", plan_description="one",
                 tier_id=expensive.id, tier_name="Pro", price_amount=2000, currency="EUR", billing_interval="month"),
        PlanTier(account_id=acct, creator_id=creator_id, plan_id=second.id, plan_name="Second", plan_description=None,
                 tier_id=yearly.id, tier_name="Yearly", price_amount=5000, currency="GBP", billing_interval="year"),
    ]


def test_change_price_updates_an_active_tier_only(db: Any, acct: str, uniq: Any) -> None:
    plan = db.pricing.create_plan(account_id=acct, creator_id=make_creator(db, acct, uniq), name="P")
    tier = make_tier(db, acct, plan.id, price=500)

    changed = db.pricing.change_price(account_id=acct, id=tier.id, price_amount=750)

    assert changed.price_amount == 750
    assert (changed.id, changed.currency, changed.name, changed.created_at) == (tier.id, "EUR", "Basic", tier.created_at)
    assert changed.updated_at >= tier.updated_at
    assert db.pricing.find_tier(account_id=acct, id=tier.id) == changed

    db.pricing.archive_tier(account_id=acct, id=tier.id)
    assert db.pricing.change_price(account_id=acct, id=tier.id, price_amount=900) is None
    assert db.pricing.find_tier(account_id=acct, id=tier.id).price_amount == 750
    assert db.pricing.change_price(account_id=acct, id="no-such-tier", price_amount=900) is None


def test_archive_plan_is_idempotent_and_hides_it_from_lists(db: Any, acct: str, uniq: Any) -> None:
    creator_id = make_creator(db, acct, uniq)
    keep = db.pricing.create_plan(account_id=acct, creator_id=creator_id, name="Keep")
    plan = db.pricing.create_plan(account_id=acct, creator_id=creator_id, name="Drop")
    make_tier(db, acct, plan.id)

    archived = db.pricing.archive_plan(account_id=acct, id=plan.id)
    again = db.pricing.archive_plan(account_id=acct, id=plan.id)

    assert archived.status == "archived" and archived.id == plan.id
    assert again == archived
    assert db.pricing.find_plan(account_id=acct, id=plan.id) == archived
    assert db.pricing.list_plans(account_id=acct, creator_id=creator_id) == [keep]
    assert db.pricing.list_plans(account_id=acct, creator_id=creator_id, include_archived=True) == [keep, archived]
    assert db.pricing.price_list(account_id=acct, creator_id=creator_id) == []
    assert db.pricing.archive_plan(account_id=acct, id="no-such-plan") is None


def test_archive_tier_is_idempotent_and_hides_it_from_lists(db: Any, acct: str, uniq: Any) -> None:
    plan = db.pricing.create_plan(account_id=acct, creator_id=make_creator(db, acct, uniq), name="P")
    cheap = make_tier(db, acct, plan.id, name="Cheap", price=100)
    dear = make_tier(db, acct, plan.id, name="Dear", price=900)

    archived = db.pricing.archive_tier(account_id=acct, id=dear.id)
    again = db.pricing.archive_tier(account_id=acct, id=dear.id)

    assert archived.status == "archived" and archived.price_amount == 900
    assert again == archived
    assert db.pricing.find_tier(account_id=acct, id=dear.id) == archived
    assert db.pricing.list_tiers(account_id=acct, plan_id=plan.id) == [cheap]
    assert db.pricing.list_tiers(account_id=acct, plan_id=plan.id, include_archived=True) == [cheap, archived]
    assert [line.tier_id for line in db.pricing.price_list(account_id=acct, creator_id=plan.creator_id)] == [cheap.id]
    assert db.pricing.archive_tier(account_id=acct, id="no-such-tier") is None


def test_another_account_sees_and_changes_nothing(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    creator_id = make_creator(db, acct, uniq)
    plan = db.pricing.create_plan(account_id=acct, creator_id=creator_id, name="P")
    tier = make_tier(db, acct, plan.id)

    assert db.pricing.find_plan(account_id=acct2, id=plan.id) is None
    assert db.pricing.find_tier(account_id=acct2, id=tier.id) is None
    assert db.pricing.list_plans(account_id=acct2, creator_id=creator_id, include_archived=True) == []
    assert db.pricing.list_tiers(account_id=acct2, plan_id=plan.id, include_archived=True) == []
    assert db.pricing.price_list(account_id=acct2, creator_id=creator_id) == []
    assert db.pricing.change_price(account_id=acct2, id=tier.id, price_amount=1) is None
    assert db.pricing.archive_tier(account_id=acct2, id=tier.id) is None
    assert db.pricing.archive_plan(account_id=acct2, id=plan.id) is None
    assert make_tier(db, acct2, plan.id) is None
    with pytest.raises(errors.ForeignKeyViolation):
        db.pricing.create_plan(account_id=acct2, creator_id=creator_id, name="Stolen")

    assert db.pricing.find_plan(account_id=acct, id=plan.id) == plan
    assert db.pricing.list_tiers(account_id=acct, plan_id=plan.id) == [tier]
