"""One scripted scenario through the façade on SQLite and on Postgres, with ids and clock injected:
the results must be equal field by field (same values, same Python types)."""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

import vesta_sql

START = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def injected(prefix: str) -> tuple[Callable[[], str], Callable[[], datetime]]:
    counter = itertools.count()
    ticks = itertools.count()
    return (lambda: f"{prefix}-{next(counter):06d}"), (lambda: START + timedelta(microseconds=1000 * next(ticks) + 7))


def scenario(db: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    a, b = f"acc_{prefix}_a", f"acc_{prefix}_b"
    yield "registered", db.accounts.register(account_id=a)
    rng = np.random.default_rng(7)
    emb = (rng.standard_normal(384)).astype(np.float32)
    ada = db.creators.create(account_id=a, name="Ada", slug=f"ada-{prefix}", email="ada@x.io", workos_org_id=f"org_{prefix}")
    yield "creator", ada
    yield "creator updated", db.creators.update(account_id=a, id=ada.id, bio="Composer")
    yield "creator other account", db.creators.find_by_id(account_id=b, id=ada.id)
    post = db.posts.create(account_id=a, creator_id=ada.id, title="First", body="Hello world", embedding=emb)
    yield "post", post
    yield "published", db.posts.publish(account_id=a, id=post.id)
    draft = db.posts.create(account_id=a, creator_id=ada.id, title="Second", body="Draft text")
    yield "feed", db.posts.feed(account_id=a)
    yield "by status", db.posts.count_by_status(account_id=a)
    yield "by creator page", db.posts.list_by_creator(account_id=a, creator_id=ada.id, limit=1)
    yield "like", db.engagement.like(account_id=a, post_id=post.id, user_id="u1")
    yield "like again", db.engagement.like(account_id=a, post_id=post.id, user_id="u1")
    yield "comment", db.engagement.add_comment(account_id=a, post_id=post.id, user_id="u2", body="Nice")
    yield "counts", db.engagement.counts(account_id=a, post_ids=[post.id, draft.id])
    link = db.smart_links.create(account_id=a, creator_id=ada.id, slug=f"ln-{prefix}", destinations={"spotify": "https://s/1"})
    yield "link", link
    yield "click", db.smart_links.record_click(account_id=a, slug=link.slug)
    plan = db.pricing.create_plan(account_id=a, creator_id=ada.id, name="Fans", description="")
    tier = db.pricing.add_tier(account_id=a, plan_id=plan.id, name="Gold", price_amount=500, currency="EUR",
                               billing_interval="month")
    yield "tier", tier
    yield "price change", db.pricing.change_price(account_id=a, id=tier.id, price_amount=700)
    yield "price list", db.pricing.price_list(account_id=a, creator_id=ada.id)
    yield "follow", db.subscriptions.follow(account_id=a, creator_id=ada.id, follower_id="u1")
    sub = db.subscriptions.subscribe(account_id=a, tier_id=tier.id, subscriber_id="u1",
                                     current_period_start=START, current_period_end=START + timedelta(days=30))
    yield "subscription", sub
    yield "renewed", db.subscriptions.renew(account_id=a, id=sub.id, current_period_end=START + timedelta(days=60))
    coll = db.collections.create(account_id=a, creator_id=ada.id, title="Best of", description="")
    first = db.collections.add_item(account_id=a, collection_id=coll.id, post_id=post.id)
    db.collections.add_item(account_id=a, collection_id=coll.id, post_id=draft.id)
    yield "moved", db.collections.move_item(account_id=a, collection_id=coll.id, item_id=first.id, position=1)
    yield "items", db.collections.list_items(account_id=a, collection_id=coll.id)
    payment = db.stripe_payments.record(account_id=a, creator_id=ada.id, stripe_payment_intent_id=f"pi_{prefix}",
                                        amount=1000, currency="EUR", status="succeeded", metadata={"order": [1, 2]})
    yield "payment", payment
    yield "payment again", db.stripe_payments.record(account_id=a, creator_id=ada.id, stripe_payment_intent_id=f"pi_{prefix}",
                                                     amount=1000, currency="EUR", status="succeeded")
    yield "shares", db.payment_shares.split(account_id=a, payment_id=payment.id, shares=[
        {"recipient_id": "r1", "amount": 600}, {"recipient_id": "r2", "amount": 400}])
    yield "totals", db.stripe_payments.totals(account_id=a, created_from=START)
    payout = db.payouts.create(account_id=a, recipient_id="r1", amount=600, currency="EUR")
    yield "paid", db.payouts.mark_paid(account_id=a, id=payout.id)
    yield "log", db.payment_system_logs.append(account_id=a, event_type="payout.paid", entity_type="payout",
                                               entity_id=payout.id, payload={"ok": True})
    yield "directory", db.resolve_account("stripe_payment_intent", f"pi_{prefix}")
    yield "directory sso", db.resolve_account("sso_org", f"org_{prefix}")


def run(url: str, prefix: str) -> list[tuple[str, Any]]:
    ids, clock = injected(prefix)
    db = vesta_sql.connect(url, id_factory=ids, clock=clock)
    try:
        return list(scenario(db, prefix))
    finally:
        db.close()


def types_of(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: types_of(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list):
        return [types_of(v) for v in value]
    if isinstance(value, np.ndarray):
        return ("ndarray", str(value.dtype), value.shape)
    if isinstance(value, datetime):
        return ("datetime", value.utcoffset(), value.tzinfo is timezone.utc)  # the same tzinfo object too
    return type(value).__name__


def test_same_results_on_both_dialects(sqlite_url: str, pg_urls: tuple[str, str]) -> None:
    prefix = uuid.uuid4().hex[:8]
    lite = run(sqlite_url, prefix)
    pg = run(pg_urls[1], prefix)
    assert [step for step, _ in lite] == [step for step, _ in pg]
    for (step, mine), (_, theirs) in zip(lite, pg, strict=True):
        assert mine == theirs, step
        assert types_of(mine) == types_of(theirs), step
