"""`vesta-sql demo`: migrate the embedded default, then use the façade on two accounts.

Safe to run again: every write is idempotent or looked up first.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..config import redact
from ..errors import TenantScopeError
from . import migrate

ACCOUNTS = ("acc_demo_north", "acc_demo_south")


def _creator(db: Any, account: str, slug: str, name: str) -> Any:
    return db.creators.find_by_slug(account_id=account, slug=slug) or db.creators.create(
        account_id=account, name=name, slug=slug, email=f"{slug}@example.com", bio=f"{name} makes things.")


def _seed(db: Any, account: str, tag: str) -> dict[str, Any]:
    db.accounts.register(account_id=account)  # an account is registered before anything is written for it
    creator = _creator(db, account, f"{tag}-ada", f"Ada ({tag})")
    posts = db.posts.list_by_creator(account_id=account, creator_id=creator.id)
    if not posts:
        for index in range(3):
            post = db.posts.create(account_id=account, creator_id=creator.id, title=f"{tag} post {index + 1}",
                                   body=f"Notes number {index + 1} from the {tag} studio.")
            if index < 2:
                db.posts.publish(account_id=account, id=post.id)
        posts = db.posts.list_by_creator(account_id=account, creator_id=creator.id)
    first = posts[-1]
    for fan in ("fan-1", "fan-2", "fan-3"):
        db.engagement.like(account_id=account, post_id=first.id, user_id=fan)  # a second like is a no-op
    slug = f"{tag}-links-demo"
    link = db.smart_links.find_by_slug(account_id=account, slug=slug) or db.smart_links.create(
        account_id=account, creator_id=creator.id, slug=slug, title="Listen everywhere",
        destinations={"spotify": "https://open.spotify.com/x", "youtube": "https://youtube.com/x"})
    intent = f"pi_demo_{tag}"
    payment = db.stripe_payments.record(account_id=account, creator_id=creator.id, stripe_payment_intent_id=intent,
                                        amount=1500, currency="EUR", status="succeeded", description="Tip")
    shares = db.payment_shares.split(account_id=account, payment_id=payment.id, shares=[
        {"recipient_id": creator.id, "amount": 1200}, {"recipient_id": "platform", "amount": 300}])
    return {"creator": creator, "posts": posts, "link": link, "payment": payment, "shares": shares, "intent": intent}


def run_demo(url: str) -> int:
    applied = migrate.apply(url)
    print(f"database: {redact(url)}")
    print(f"migrations: {len(applied)} applied" if applied else "migrations: up to date")
    import vesta_sql  # the typed public entry point (see __init__.pyi)

    with vesta_sql.connect(url) as db:
        for account, tag in zip(ACCOUNTS, ("north", "south"), strict=True):
            seeded = _seed(db, account, tag)
            creator, posts = seeded["creator"], seeded["posts"]
            print(f"\naccount {account}")
            print(f"  creator   {creator.name} <{creator.email}> id={creator.id}")
            for post in posts:
                print(f"  post      {post.title!r} [{post.status}]")
            feed = db.posts.feed(account_id=account, limit=10)
            print(f"  feed      {len(feed)} published post(s), newest {feed[0].title!r}" if feed else "  feed      empty")
            counts = db.engagement.counts(account_id=account, post_ids=[post.id for post in posts])
            titles = {post.id: post.title for post in posts}
            print("  likes     " + ", ".join(f"{titles[c.post_id]!r}={c.likes}" for c in counts))
            clicked = db.smart_links.record_click(account_id=account, slug=seeded["link"].slug)
            assert clicked is not None
            print(f"  link      /{clicked.slug} → {sorted(clicked.destinations)} clicks={clicked.click_count}")
            payment = seeded["payment"]
            print(f"  payment   {payment.amount / 100:.2f} {payment.currency} {payment.status}; shares: "
                  + ", ".join(f"{s.recipient_id[:8]}={s.amount}" for s in seeded["shares"]))
            since = datetime(2000, 1, 1, tzinfo=timezone.utc)
            for total in db.stripe_payments.totals(account_id=account, created_from=since):
                print(f"  totals    {total.currency} {total.status}: {total.payment_count} payment(s), {total.amount_total}")
        print("\nthe way in from outside (a webhook with a payment intent id, a public slug):")
        for kind, key in (("stripe_payment_intent", "pi_demo_south"), ("smart_link", "north-links-demo")):
            print(f"  resolve_account({kind!r}, {key!r}) -> {db.resolve_account(kind, key)}")
        north_creator = db.creators.find_by_slug(account_id=ACCOUNTS[0], slug="north-ada")
        assert north_creator is not None
        other = db.creators.find_by_id(account_id=ACCOUNTS[1], id=north_creator.id)
        print(f"\naccount south asking for account north's creator by id -> {other}")
        try:
            db.creators.find_by_id(id=north_creator.id)  # type: ignore[call-arg]  # deliberately unscoped
        except TenantScopeError as refused:
            print(f"a call without an account -> refused before any SQL: TenantScopeError: {refused}")
    return 0
