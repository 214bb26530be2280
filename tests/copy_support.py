"""Seeding several domains of an account through the façade, and reading them back, for the copy and account tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

import vesta_sql


def vector(seed: int) -> Any:
    v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
    return v / np.linalg.norm(v)


def seed_account(db: Any, account: str, tag: str, likes: int = 5) -> dict[str, Any]:
    """Creators, labels, posts (with and without embeddings), engagement, a smart link (JSON), pricing,
    subscriptions, a collection, a payment split, a payout, the payment log, a purchase code, an agent."""
    db.accounts.register(account_id=account)
    creator = db.creators.create(account_id=account, name="Ada", slug=f"ada-{tag}", email=f"ada-{tag}@x.io",
                                 workos_org_id=f"org-{tag}", bio="tab\there\nnewline \\ back 'quoted' ü")
    db.creators.add_label(account_id=account, creator_id=creator.id, label="vip")
    posts = [db.posts.create(account_id=account, creator_id=creator.id, title=f"post {i}", body=f"body {i}",
                             status="draft", embedding=vector(i) if i % 2 == 0 else None) for i in range(3)]
    db.posts.publish(account_id=account, id=posts[0].id)
    db.posts.add_update(account_id=account, post_id=posts[0].id, body="an update")
    for n in range(likes):
        db.engagement.like(account_id=account, post_id=posts[n % 3].id, user_id=f"user-{n}")
    db.engagement.add_comment(account_id=account, post_id=posts[0].id, user_id="user-1", body="nice")
    db.engagement.repost(account_id=account, post_id=posts[1].id, user_id="user-2")
    link = db.smart_links.create(account_id=account, creator_id=creator.id, slug=f"link-{tag}", title="Listen",
                                 destinations={"spotify": "https://s/x", "nested": [1, 2.5, {"z": None, "ok": True}]})
    plan = db.pricing.create_plan(account_id=account, creator_id=creator.id, name="Gold", description=None)
    tier = db.pricing.add_tier(account_id=account, plan_id=plan.id, name="Monthly", price_amount=500, currency="EUR",
                               billing_interval="month")
    db.subscriptions.follow(account_id=account, creator_id=creator.id, follower_id="fan-1")
    start = datetime(2026, 1, 1, 12, 30, 45, 123456, tzinfo=timezone.utc)
    db.subscriptions.subscribe(account_id=account, tier_id=tier.id, subscriber_id="sub-1", current_period_start=start,
                               current_period_end=start + timedelta(days=30))
    collection = db.collections.create(account_id=account, creator_id=creator.id, title="Best of", description="d")
    db.collections.add_item(account_id=account, collection_id=collection.id, post_id=posts[0].id)
    payment = db.stripe_payments.record(account_id=account, creator_id=creator.id, stripe_payment_intent_id=f"pi-{tag}",
                                        amount=1000, currency="EUR", status="succeeded", description=None,
                                        metadata={"order": "o-1", "rate": 1.50})
    db.payment_shares.split(account_id=account, payment_id=payment.id,
                            shares=[{"recipient_id": "r1", "amount": 600}, {"recipient_id": "r2", "amount": 400}])
    db.payouts.create(account_id=account, recipient_id="r1", amount=600, currency="EUR")
    db.payment_system_logs.append(account_id=account, event_type="payout.created", entity_type="payout", entity_id="x",
                                  payload={"amount": 600, "é": "ü", "list": [1, "two"]})
    db.purchase_codes.create(account_id=account, code=f"CODE-{tag}", tier_id=tier.id)
    db.account_agents.add(account_id=account, agent_user_id="agent-1", role="admin")
    return {"creator": creator, "posts": posts, "link": link, "payment": payment, "tag": tag}


def seed(url: str, accounts: dict[str, str], likes: int = 5) -> dict[str, dict[str, Any]]:
    db = vesta_sql.connect(url)
    try:
        return {account: seed_account(db, account, tag, likes) for account, tag in accounts.items()}
    finally:
        db.close()


def read_back(url: str, account: str, seeded: dict[str, Any]) -> dict[str, Any]:
    """What the façade returns for the seeded account (records compare equal across dialects)."""
    db = vesta_sql.connect(url)
    try:
        creator, posts, tag = seeded["creator"], seeded["posts"], seeded["tag"]
        return {
            "creator": db.creators.find_by_id(account_id=account, id=creator.id),
            "labels": db.creators.list_labels(account_id=account, creator_id=creator.id),
            "posts": [db.posts.find_by_id(account_id=account, id=p.id) for p in posts],
            "updates": db.posts.list_updates(account_id=account, post_id=posts[0].id),
            "comments": db.engagement.list_comments(account_id=account, post_id=posts[0].id),
            "counts": db.engagement.counts(account_id=account, post_ids=[p.id for p in posts]),
            "link": db.smart_links.find_by_slug(account_id=account, slug=f"link-{tag}"),
            "payment": db.stripe_payments.find_by_intent(account_id=account, stripe_payment_intent_id=f"pi-{tag}"),
            "logs": db.payment_system_logs.list(account_id=account),
            "payouts": db.payouts.list_by_recipient(account_id=account, recipient_id="r1"),
            "followers": db.subscriptions.followers(account_id=account, creator_id=creator.id),
            "code": db.purchase_codes.find(account_id=account, code=f"CODE-{tag}"),
            "agents": db.account_agents.list(account_id=account),
            "directory": [db.resolve_account("smart_link", f"link-{tag}"),
                          db.resolve_account("stripe_payment_intent", f"pi-{tag}"),
                          db.resolve_account("sso_org", f"org-{tag}")],
        }
    finally:
        db.close()


def write_d1_export(database: str, out: str) -> None:
    """A dump in the format `wrangler d1 export` writes (PRAGMA defer_foreign_keys, then each table's CREATE and
    INSERTs, wrangler's d1_migrations history, indexes and triggers last). Like wrangler after the FTS5 workaround,
    it holds no virtual table; the yoyo history becomes a d1_migrations table."""
    import sqlite3

    conn = sqlite3.connect(database)
    lines = ["PRAGMA defer_foreign_keys=TRUE;",
             "CREATE TABLE d1_migrations(\n\t\tid         INTEGER PRIMARY KEY AUTOINCREMENT,\n\t\tname       TEXT UNIQUE,\n"
             "\t\tapplied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL\n);"]
    ids = sorted(row[0] for row in conn.execute("select migration_id from _yoyo_migration"))
    lines += [f"INSERT INTO \"d1_migrations\" VALUES({n},'{m}.sql','2026-01-01 00:00:00');" for n, m in enumerate(ids, 1)]
    virtual = {row[0] for row in conn.execute("select name from sqlite_master where sql like 'create virtual table%'")}
    shadows = {f"{v}_{s}" for v in virtual for s in ("data", "idx", "content", "docsize", "config")}
    tables = conn.execute("select name, sql from sqlite_master where type = 'table' order by rowid").fetchall()
    for name, sql in tables:
        if name.startswith(("_yoyo", "yoyo", "sqlite_")) or name in virtual or name in shadows:
            continue
        lines.append(sql.replace("create table", "CREATE TABLE", 1) + ";")
        columns = [row[1] for row in conn.execute(f'pragma table_info("{name}")')]
        quoted = " || ',' || ".join(f'quote("{c}")' for c in columns)
        for (values,) in conn.execute(f'select {quoted} from "{name}"'):
            lines.append(f'INSERT INTO "{name}" VALUES({values});')
    for (sql,) in conn.execute("select sql from sqlite_master where type in ('index', 'trigger') and sql is not null "
                               "and tbl_name not like '%yoyo%' order by rowid"):
        if not any(v in sql for v in virtual):
            lines.append(sql + ";")
    conn.close()
    with open(out, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
