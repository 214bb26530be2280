"""Support for the tenant-isolation property tests: worlds of several accounts, parameters, snapshots.

* `world_plans()` is a hypothesis strategy for the contents of 3–4 accounts, and
  `seed_world()` writes them through the façade (so triggers and the account directory
  stay in step). Natural keys (creator slugs and emails, user, recipient and agent ids,
  purchase codes, log entity ids, embeddings, words) are deliberately shared between
  accounts: a query that forgets its account predicate then finds another account's row.
* `operations(dialect)` lists every façade call of the catalogue (queries and programs),
  read or write. `build_params()` makes the keyword arguments of one call from the
  parameter sources below: ids and keys of the right table, taken from the calling
  account's rows, from the other accounts' rows, or fresh. `missing_sources()` names any
  parameter the sources cannot fill, so that a new query fails the tests loudly.
* `SQLiteWorld` / `PostgresWorld` hold the façades of one dialect, take snapshots (every
  tenant row of some accounts, as text, for checksums and for the id pools) and run calls
  on a copy of the database from which every other account's rows are gone.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import random
import sqlite3
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

import vesta_sql
from vesta_sql import errors
from vesta_sql.loader import load_catalog
from vesta_sql.param_declarations import REQUIRED
from vesta_sql.programs.registry import programs_for

# ---------------------------------------------------------------------------------------
# Clock and vectors
# ---------------------------------------------------------------------------------------

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


class Clock:
    """The façades' clock: one millisecond later at each call, or frozen (read comparisons)."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start
        self.frozen = False

    def __call__(self) -> datetime:
        if not self.frozen:
            self.now += timedelta(milliseconds=1)
        return self.now

    @contextlib.contextmanager
    def freeze(self) -> Iterator[datetime]:
        self.now += timedelta(milliseconds=1)
        self.frozen = True
        try:
            yield self.now
        finally:
            self.frozen = False


def vec(seed: int) -> Any:
    """A deterministic 384-d float32 unit vector (the same seed in two accounts: the same vector)."""
    v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
    return v / np.linalg.norm(v)


# ---------------------------------------------------------------------------------------
# Worlds: what each account holds
# ---------------------------------------------------------------------------------------

USERS = ("u-1", "u-2", "u-3")
RECIPIENTS = ("r-1", "r-2", "r-3")
CODES = ("SPRING", "WINTER", "VIP")
AGENTS = ("agent-1", "agent-2")
ENTITIES = ("ent-1", "ent-2")
EVENTS = ("payment.recorded", "payout.paid")
SLUGS = ("ada", "bo", "cy")
LABELS = ("vip", "new")
WORDS = ("morning", "piano solo", "quiet night")
# Bodies with different term frequencies and document frequencies: text ranking has work to do.
BODIES = ("river river river jazz", "river jazz jazz jazz", "river", "jazz", "piano", "morning light", "quiet", "solo")
ROLES = ("owner", "admin", "finance", "support")
CURRENCIES = ("EUR", "USD")
PAYMENT_STATUSES = ("succeeded", "processing", "failed", "refunded")
EMBEDDING_SEEDS = (1, 2, 3)


@dataclass(frozen=True)
class PostPlan:
    status: str
    words: str
    body: str
    embedding: int | None
    updates: int
    likers: frozenset[str]
    reposters: frozenset[str]
    commenters: tuple[str, ...]


@dataclass(frozen=True)
class PricePlan:
    archived: bool
    tiers: tuple[tuple[int, str, str, bool], ...]  # price, currency, interval, archived
    subscribers: frozenset[str]
    cancel_one: bool


@dataclass(frozen=True)
class CreatorPlan:
    slug: str
    sso: bool
    labels: frozenset[str]
    posts: tuple[PostPlan, ...]
    links: int
    followers: frozenset[str]
    plans: tuple[PricePlan, ...]
    collections: tuple[tuple[int, ...], ...]  # post indexes (of this creator) per collection


@dataclass(frozen=True)
class AccountPlan:
    creators: tuple[CreatorPlan, ...]
    payments: tuple[tuple[int, str, str, bool], ...]  # amount, currency, status, split
    payouts: tuple[tuple[str, int, str, str], ...]  # recipient, amount, currency, outcome
    routes: tuple[tuple[str, int], ...]
    settings: tuple[str, str] | None
    logs: tuple[tuple[str, str], ...]
    codes: tuple[tuple[str, bool, bool, str], ...]  # code, with tier, redeemed, expiry
    agents: tuple[tuple[str, str], ...]


def _subset(values: Sequence[str]) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(values))


def _unique_by_first(item: st.SearchStrategy[Any], max_size: int) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.lists(item, max_size=max_size, unique_by=lambda x: x[0]).map(tuple)


def world_plans() -> st.SearchStrategy[list[AccountPlan]]:
    post = st.builds(
        PostPlan,
        status=st.sampled_from(("draft", "published", "archived")),
        words=st.sampled_from(WORDS),
        body=st.sampled_from(BODIES),
        embedding=st.none() | st.sampled_from(EMBEDDING_SEEDS),
        updates=st.integers(0, 1),
        likers=_subset(USERS),
        reposters=_subset(USERS),
        commenters=st.lists(st.sampled_from(USERS), max_size=2).map(tuple),
    )
    tier = st.tuples(st.sampled_from((0, 500, 1000)), st.sampled_from(CURRENCIES), st.sampled_from(("month", "year")),
                     st.booleans())
    price_plan = st.builds(
        PricePlan,
        archived=st.booleans(),
        tiers=st.lists(tier, max_size=2).map(tuple),
        subscribers=_subset(USERS),
        cancel_one=st.booleans(),
    )
    creator = st.builds(
        CreatorPlan,
        slug=st.sampled_from(SLUGS),
        sso=st.booleans(),
        labels=_subset(LABELS),
        posts=st.lists(post, max_size=3).map(tuple),
        links=st.integers(0, 2),
        followers=_subset(USERS),
        plans=st.lists(price_plan, max_size=2).map(tuple),
        collections=st.lists(st.lists(st.integers(0, 2), max_size=3).map(tuple), max_size=2).map(tuple),
    )
    account = st.builds(
        AccountPlan,
        creators=st.lists(creator, max_size=2, unique_by=lambda c: c.slug).map(tuple),
        payments=st.lists(
            st.tuples(st.sampled_from((100, 1000, 2500)), st.sampled_from(CURRENCIES), st.sampled_from(PAYMENT_STATUSES),
                      st.booleans()), max_size=3).map(tuple),
        payouts=st.lists(
            st.tuples(st.sampled_from(RECIPIENTS), st.sampled_from((100, 700)), st.sampled_from(CURRENCIES),
                      st.sampled_from(("pending", "paid", "failed"))), max_size=3).map(tuple),
        routes=_unique_by_first(st.tuples(st.sampled_from(RECIPIENTS), st.sampled_from((0, 2500, 10000))), 2),
        settings=st.none() | st.tuples(st.sampled_from(CURRENCIES), st.sampled_from(("daily", "weekly", "monthly"))),
        logs=st.lists(st.tuples(st.sampled_from(EVENTS), st.sampled_from(ENTITIES)), max_size=3).map(tuple),
        codes=_unique_by_first(
            st.tuples(st.sampled_from(CODES), st.booleans(), st.booleans(), st.sampled_from(("none", "past", "future"))), 3),
        agents=_unique_by_first(st.tuples(st.sampled_from(AGENTS), st.sampled_from(ROLES)), 2),
    )
    return st.lists(account, min_size=3, max_size=4)


_EXPECTED_SEED_ERRORS = (errors.UniqueViolation,)


def seed_account(db: Any, account: str, plan: AccountPlan, clock: Clock) -> None:
    """Write one account's plan through the façade; `tag` keeps the globally unique keys unique."""
    tag = uuid.uuid4().hex[:10]
    a = account
    db.accounts.register(account_id=a)
    creator_ids: list[str] = []
    tier_ids: list[str] = []
    for ci, cp in enumerate(plan.creators):
        creator = db.creators.create(account_id=a, name=cp.slug.title(), slug=cp.slug, bio=WORDS[ci % len(WORDS)],
                                     email=f"{cp.slug}@example.com", workos_org_id=f"org-{tag}-{ci}" if cp.sso else None)
        creator_ids.append(creator.id)
        for label in sorted(cp.labels):
            db.creators.add_label(account_id=a, creator_id=creator.id, label=label)
        post_ids: list[str] = []
        for pp in cp.posts:
            post = db.posts.create(account_id=a, creator_id=creator.id, title=pp.words, body=pp.body,
                                   status="draft" if pp.status == "archived" else pp.status,
                                   embedding=None if pp.embedding is None else vec(pp.embedding))
            if pp.status == "archived":
                db.posts.archive(account_id=a, id=post.id)
            post_ids.append(post.id)
            for n in range(pp.updates):
                db.posts.add_update(account_id=a, post_id=post.id, body=f"update {n} {pp.words}")
            for user in sorted(pp.likers):
                db.engagement.like(account_id=a, post_id=post.id, user_id=user)
            for user in sorted(pp.reposters):
                db.engagement.repost(account_id=a, post_id=post.id, user_id=user)
            for user in pp.commenters:
                db.engagement.add_comment(account_id=a, post_id=post.id, user_id=user, body=pp.words)
        for n in range(cp.links):
            db.smart_links.create(account_id=a, creator_id=creator.id, slug=f"{cp.slug}-{tag}-{n}", title=cp.slug,
                                  destinations={"spotify": f"https://example.com/{cp.slug}/{n}"})
        for user in sorted(cp.followers):
            db.subscriptions.follow(account_id=a, creator_id=creator.id, follower_id=user)
        for pr in cp.plans:
            made = db.pricing.create_plan(account_id=a, creator_id=creator.id, name=f"{cp.slug} plan")
            active: list[str] = []
            for price, currency, interval, archived in pr.tiers:
                tier = db.pricing.add_tier(account_id=a, plan_id=made.id, name=f"{interval} {price}", price_amount=price,
                                           currency=currency, billing_interval=interval)
                tier_ids.append(tier.id)
                if archived:
                    db.pricing.archive_tier(account_id=a, id=tier.id)
                else:
                    active.append(tier.id)
            if active:
                subscribed = []
                for user in sorted(pr.subscribers):
                    with contextlib.suppress(*_EXPECTED_SEED_ERRORS):  # one live subscription per creator
                        row = db.subscriptions.subscribe(account_id=a, tier_id=active[0], subscriber_id=user,
                                                         current_period_start=clock.now,
                                                         current_period_end=clock.now + timedelta(days=30))
                        if row is not None:
                            subscribed.append(row.id)
                if pr.cancel_one and subscribed:
                    db.subscriptions.cancel(account_id=a, id=subscribed[0])
            if pr.archived:
                db.pricing.archive_plan(account_id=a, id=made.id)
        for indexes in cp.collections:
            collection = db.collections.create(account_id=a, creator_id=creator.id, title=f"{cp.slug} picks")
            for index in dict.fromkeys(indexes):
                if index < len(post_ids):
                    db.collections.add_item(account_id=a, collection_id=collection.id, post_id=post_ids[index])
    for n, (amount, currency, status, split) in enumerate(plan.payments):
        payment = db.stripe_payments.record(account_id=a, stripe_payment_intent_id=f"pi-{tag}-{n}", amount=amount,
                                            currency=currency, status=status,
                                            creator_id=creator_ids[0] if creator_ids else None, metadata={"n": n})
        if split and status == "succeeded":
            first = amount // 3
            db.payment_shares.split(account_id=a, payment_id=payment.id, shares=[
                {"recipient_id": RECIPIENTS[n % 3], "amount": first},
                {"recipient_id": RECIPIENTS[(n + 1) % 3], "amount": amount - first},
            ])
    for recipient, amount, currency, outcome in plan.payouts:
        payout = db.payouts.create(account_id=a, recipient_id=recipient, amount=amount, currency=currency)
        if outcome == "paid":
            db.payouts.mark_paid(account_id=a, id=payout.id)
        elif outcome == "failed":
            db.payouts.mark_failed(account_id=a, id=payout.id, failure_reason="card declined")
    for recipient, bps in plan.routes:
        db.payout_routes.upsert(account_id=a, recipient_id=recipient, destination_type="stripe_connect",
                                destination_ref=f"acct-{recipient}", share_bps=bps)
    if plan.settings is not None:
        db.payment_settings.upsert(account_id=a, default_currency=plan.settings[0], payout_schedule=plan.settings[1])
    for event, entity in plan.logs:
        db.payment_system_logs.append(account_id=a, event_type=event, entity_type="payment", entity_id=entity,
                                      payload={"event": event})
    for code, with_tier, redeemed, expiry in plan.codes:
        expires = {"none": None, "past": clock.now - timedelta(days=1), "future": clock.now + timedelta(days=365)}[expiry]
        db.purchase_codes.create(account_id=a, code=code, tier_id=tier_ids[0] if with_tier and tier_ids else None,
                                 expires_at=expires)
        if redeemed:
            db.purchase_codes.redeem(account_id=a, code=code, redeemed_by=USERS[0])
    for agent, role in plan.agents:
        db.account_agents.add(account_id=a, agent_user_id=agent, role=role)


# ---------------------------------------------------------------------------------------
# Operations of the catalogue
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    kind: str
    nullable: bool
    required: bool


@dataclass(frozen=True)
class Operation:
    namespace: str
    name: str
    program: bool
    write: bool
    params: dict[str, Param]

    @property
    def qualified(self) -> str:
        return f"{self.namespace}.{self.name}"


def _annotation_kind(annotation: str) -> str:
    text = annotation.replace(" ", "")
    if "Mapping" in text or "dict" in text:
        return "json"
    if text.startswith(("Sequence[str]", "list[str]")):
        return "str_list"
    for kind in ("datetime", "float", "bool", "int", "str"):
        if text.startswith(kind):
            return kind
    if "ndarray" in text or "Embedding" in text or "Vector" in text:
        return "vector"
    return annotation


def operations(dialect: str, extra_queries: Sequence[Path] = ()) -> list[Operation]:
    """Every call the façade offers on `dialect`: queries (minus those a program replaces) and programs."""
    catalog, _ = load_catalog(dialect, list(extra_queries))
    programs = programs_for(dialect)
    found: list[Operation] = []
    for namespace, queries in sorted(catalog.items()):
        for name, spec in sorted(queries.items()):
            if (namespace, name) in programs:
                continue
            params = {p.name: Param(p.kind, p.nullable, p.default is REQUIRED)
                      for p in spec.params.values() if p.kind != "now"}
            found.append(Operation(namespace, name, False, spec.op in ("count", "returning"), params))
    for (namespace, name), program in sorted(programs.items()):
        params = {}
        for index, parameter in enumerate(inspect.signature(program.function).parameters.values()):
            if index == 0:
                continue  # the steps builder
            annotation = str(parameter.annotation)
            params[parameter.name] = Param(_annotation_kind(annotation), "None" in annotation,
                                           parameter.default is inspect.Parameter.empty)
        found.append(Operation(namespace, name, True, program.write, params))
    return found


# ---------------------------------------------------------------------------------------
# Parameter sources
# ---------------------------------------------------------------------------------------

Column = tuple[str, str]  # (table, column)
OMIT: Any = object()


@dataclass
class Context:
    """What parameters are drawn from: the example's accounts' key values, times, payment amounts."""

    account: str
    others: list[str]
    pools: dict[Column, dict[str, list[Any]]]
    payments: dict[str, tuple[int, str]]  # id -> (amount, status), every account of the example
    items: dict[str, str]  # collection item id -> collection id
    start: datetime
    end: datetime

    def values(self, columns: Sequence[Column], mode: str) -> list[Any]:
        own: list[Any] = []
        foreign: list[Any] = []
        for column in columns:
            by_account = self.pools.get(column, {})
            own += by_account.get(self.account, [])
            for other in self.others:
                foreign += by_account.get(other, [])
        own = sorted({v for v in own if v is not None})
        foreign = sorted({v for v in foreign if v is not None})
        if mode == "own":
            return own or foreign
        if mode == "foreign":
            return foreign or own
        return own + foreign

    def times(self) -> list[datetime]:
        middle = self.start + (self.end - self.start) / 2
        return [self.start - timedelta(days=1), self.start, middle, self.end, self.end + timedelta(days=1)]


class Source:
    columns: tuple[Column, ...] = ()

    def draw(self, ctx: Context, chosen: Mapping[str, Any], rng: random.Random, mode: str) -> Any:
        raise NotImplementedError


@dataclass
class Keyed(Source):
    """A key of some table(s): the calling account's values, the other accounts' values, or a fresh one."""

    columns: tuple[Column, ...]
    fresh: Callable[[random.Random], Any] = field(default=lambda rng: f"fresh-{rng.getrandbits(32):08x}")
    fresh_rate: float = 0.12

    def draw(self, ctx: Context, chosen: Mapping[str, Any], rng: random.Random, mode: str) -> Any:
        values = ctx.values(self.columns, mode)
        if not values or rng.random() < self.fresh_rate:
            return self.fresh(rng)
        return rng.choice(values)


@dataclass
class Choice(Source):
    options: tuple[Any, ...]

    def draw(self, ctx: Context, chosen: Mapping[str, Any], rng: random.Random, mode: str) -> Any:
        return rng.choice(self.options)


@dataclass
class Derived(Source):
    make: Callable[[Context, Mapping[str, Any], random.Random, str], Any]
    columns: tuple[Column, ...] = ()

    def draw(self, ctx: Context, chosen: Mapping[str, Any], rng: random.Random, mode: str) -> Any:
        return self.make(ctx, chosen, rng, mode)


ID_TABLES = ("creators", "creator_labels", "posts", "post_updates", "smart_links", "likes", "comments", "reposts",
             "plans", "tiers", "follows", "subscriptions", "collections", "collection_items", "stripe_payments",
             "payouts", "payment_shares", "payout_routes", "payment_settings", "payment_system_logs",
             "purchase_codes", "account_agents")
ANY_ID = Keyed(tuple((table, "id") for table in ID_TABLES))


def _slug(rng: random.Random) -> str:
    return f"fresh-{rng.getrandbits(32):08x}"


def _times(ctx: Context, chosen: Mapping[str, Any], rng: random.Random, mode: str) -> datetime:
    return rng.choice(ctx.times())


def _early(ctx: Context, chosen: Mapping[str, Any], rng: random.Random, mode: str) -> datetime:
    return rng.choice(ctx.times()[:3])


def _late(ctx: Context, chosen: Mapping[str, Any], rng: random.Random, mode: str) -> datetime:
    return rng.choice(ctx.times()[2:])


def _period_end(ctx: Context, chosen: Mapping[str, Any], rng: random.Random, mode: str) -> datetime:
    return ctx.end + timedelta(days=rng.choice((40, 400)))


def _expiry(ctx: Context, chosen: Mapping[str, Any], rng: random.Random, mode: str) -> datetime:
    return rng.choice((ctx.start - timedelta(days=2), ctx.end + timedelta(days=365)))


def _vector(ctx: Context, chosen: Mapping[str, Any], rng: random.Random, mode: str) -> Any:
    return vec(rng.choice((*EMBEDDING_SEEDS, 99)))


POST_IDS = Keyed((("posts", "id"),))
CODE = Keyed((("purchase_codes", "code"),), fresh=lambda rng: f"FRESH-{rng.getrandbits(32):08X}")


def _post_ids(ctx: Context, chosen: Mapping[str, Any], rng: random.Random, mode: str) -> list[str]:
    picked = [POST_IDS.draw(ctx, chosen, rng, rng.choice((mode, "mixed"))) for _ in range(rng.randint(0, 4))]
    return list(dict.fromkeys(picked))


def _codes(ctx: Context, chosen: Mapping[str, Any], rng: random.Random, mode: str) -> list[str]:
    picked = [CODE.draw(ctx, chosen, rng, mode) for _ in range(rng.randint(1, 2))]
    return list(dict.fromkeys(picked))


def _shares(ctx: Context, chosen: Mapping[str, Any], rng: random.Random, mode: str) -> list[dict[str, Any]]:
    """Shares that add up to the chosen payment's amount (whichever account it belongs to)."""
    total = ctx.payments.get(str(chosen.get("payment_id")), (1000, ""))[0]
    recipients = rng.sample(RECIPIENTS, rng.randint(1, 2))
    first = total if len(recipients) == 1 else total // 2
    amounts = [first, total - first][: len(recipients)]
    return [{"recipient_id": r, "amount": amount} for r, amount in zip(recipients, amounts, strict=True)]


COLLECTION_ID = Keyed((("collections", "id"),))
PAYMENT_ID = Keyed((("stripe_payments", "id"),))


def _collection_id(ctx: Context, chosen: Mapping[str, Any], rng: random.Random, mode: str) -> str:
    """Mostly the collection of the item already chosen (whichever account it is in), so moves can succeed."""
    item = chosen.get("item_id", chosen.get("id"))
    if item in ctx.items and rng.random() < 0.75:
        return ctx.items[item]
    return str(COLLECTION_ID.draw(ctx, chosen, rng, mode))


def _payment_to_split(ctx: Context, chosen: Mapping[str, Any], rng: random.Random, mode: str) -> str:
    """Mostly a succeeded payment not split yet (of the mode's accounts), so the split can succeed."""
    split = set(ctx.values((("payment_shares", "payment_id"),), "mixed"))
    ready = [p for p in ctx.values((("stripe_payments", "id"),), mode)
             if ctx.payments.get(p, (0, ""))[1] == "succeeded" and p not in split]
    if ready and rng.random() < 0.75:
        return str(rng.choice(ready))
    return str(PAYMENT_ID.draw(ctx, chosen, rng, mode))


TEXT = Choice((*WORDS, "river jazz", "river jazz", "jazz"))

# Most specific first: (namespace, query, param), then (namespace, param), then param.
SOURCES: dict[Any, Source] = {
    # ids of the namespace's own table
    ("creators", "id"): Keyed((("creators", "id"),)),
    ("posts", "id"): Keyed((("posts", "id"),)),
    ("collections", "id"): Keyed((("collections", "id"),)),
    ("collections", "find_item", "id"): Keyed((("collection_items", "id"),)),
    ("collections", "delete_item", "id"): Keyed((("collection_items", "id"),)),
    ("engagement", "id"): Keyed((("comments", "id"),)),
    ("payouts", "id"): Keyed((("payouts", "id"),)),
    ("pricing", "id"): Keyed((("plans", "id"), ("tiers", "id"))),
    ("pricing", "find_plan", "id"): Keyed((("plans", "id"),)),
    ("pricing", "archive_plan", "id"): Keyed((("plans", "id"),)),
    ("pricing", "find_tier", "id"): Keyed((("tiers", "id"),)),
    ("pricing", "archive_tier", "id"): Keyed((("tiers", "id"),)),
    ("pricing", "change_price", "id"): Keyed((("tiers", "id"),)),
    ("smart_links", "id"): Keyed((("smart_links", "id"),)),
    ("stripe_payments", "id"): Keyed((("stripe_payments", "id"),)),
    ("subscriptions", "id"): Keyed((("subscriptions", "id"),)),
    ("payment_shares", "id"): Keyed((("payment_shares", "id"),)),
    ("payment_system_logs", "id"): Keyed((("payment_system_logs", "id"),)),
    ("payout_routes", "id"): Keyed((("payout_routes", "id"),)),
    ("payment_settings", "id"): Keyed((("payment_settings", "id"),)),
    ("purchase_codes", "id"): Keyed((("purchase_codes", "id"),)),
    ("account_agents", "id"): Keyed((("account_agents", "id"),)),
    # references and natural keys
    "creator_id": Keyed((("creators", "id"),)),
    "post_id": POST_IDS,
    "post_ids": Derived(_post_ids, (("posts", "id"),)),
    "vector_ids": Derived(_post_ids, (("posts", "id"),)),
    ("posts", "ids"): Derived(_post_ids, (("posts", "id"),)),
    "plan_id": Keyed((("plans", "id"),)),
    "tier_id": Keyed((("tiers", "id"),)),
    "collection_id": Derived(_collection_id, (("collections", "id"),)),
    "item_id": Keyed((("collection_items", "id"),)),
    "payment_id": PAYMENT_ID,
    ("payment_shares", "list_by_payment", "payment_id"): Keyed((("payment_shares", "payment_id"),)),
    ("payment_shares", "split", "payment_id"): Derived(_payment_to_split, (("payment_shares", "payment_id"),)),
    "stripe_payment_intent_id": Keyed((("stripe_payments", "stripe_payment_intent_id"),)),
    ("creators", "slug"): Keyed((("creators", "slug"),), fresh=_slug),
    ("smart_links", "slug"): Keyed((("smart_links", "slug"),), fresh=_slug),
    "email": Keyed((("creators", "email"),), fresh=lambda rng: f"{_slug(rng)}@example.com"),
    "workos_org_id": Keyed((("creators", "workos_org_id"),)),
    "label": Keyed((("creator_labels", "label"),)),
    ("creators", "add_label", "label"): Keyed((("creator_labels", "label"),), fresh_rate=0.5),
    "code": CODE,
    ("purchase_codes", "create", "code"): Keyed((("purchase_codes", "code"),), fresh=CODE.fresh, fresh_rate=0.5),
    "codes": Derived(_codes, (("purchase_codes", "code"),)),
    "recipient_id": Keyed((("payouts", "recipient_id"), ("payment_shares", "recipient_id"),
                           ("payout_routes", "recipient_id"))),
    "user_id": Keyed((("likes", "user_id"), ("comments", "user_id"), ("reposts", "user_id"))),
    "follower_id": Keyed((("follows", "follower_id"),)),
    "subscriber_id": Keyed((("subscriptions", "subscriber_id"),)),
    ("subscriptions", "subscribe", "subscriber_id"): Keyed((("subscriptions", "subscriber_id"),), fresh_rate=0.5),
    "redeemed_by": Keyed((("purchase_codes", "redeemed_by"),)),
    "agent_user_id": Keyed((("account_agents", "agent_user_id"),)),
    "entity_type": Keyed((("payment_system_logs", "entity_type"),)),
    "entity_id": Keyed((("payment_system_logs", "entity_id"),)),
    "event_type": Keyed((("payment_system_logs", "event_type"),)),
    "before_id": ANY_ID,
    # free values
    "name": TEXT, "title": TEXT, "body": TEXT, "description": TEXT, "bio": TEXT,
    "match": Choice(('"jazz"', '"river" "jazz"', '"river" "jazz"', '"piano" "solo"', '"nothing"')),
    "query": TEXT, "text": TEXT, "q": TEXT, "terms": TEXT, "search": TEXT,
    "failure_reason": Choice(("card declined",)),
    "destination_ref": Choice(("acct-1", "ba-2")),
    "role": Choice(ROLES),
    "currency": Choice(CURRENCIES), "default_currency": Choice(CURRENCIES),
    "billing_interval": Choice(("month", "year")),
    "destination_type": Choice(("stripe_connect", "bank_account")),
    "payout_schedule": Choice(("daily", "weekly", "monthly")),
    "statement_descriptor": Choice(("VESTA SHOP",)),
    ("posts", "status"): Choice(("draft", "published", "archived")),
    ("stripe_payments", "status"): Choice(PAYMENT_STATUSES),
    "destinations": Choice(({"spotify": "https://example.com/s"}, {"apple": "https://example.com/a"})),
    "metadata": Choice(({"order": "o-1"},)),
    "payload": Choice(({"amount": 100},)),
    "shares": Derived(_shares),
    "embedding": Derived(_vector),
    "limit": Choice((1, 2, 50)), "k": Choice((1, 3, 10)),
    "candidates": Choice((3, 20, 100)), "ef_search": Choice((10, 40)), "cap": Choice((1, 2, 1000)),
    "after_position": Choice((-1, 0, 1)), "position": Choice((0, 1, 2)),
    "low": Choice((0, 1)), "high": Choice((1, 2)), "lift": Choice((3, 10)), "shift": Choice((-1, 1)),
    "amount": Choice((100, 1000)), "price_amount": Choice((0, 700)), "share_bps": Choice((0, 5000, 10000)),
    "created_from": Derived(_early), "created_until": Derived(_late), "before_created_at": Derived(_late),
    "current_period_start": Derived(_times),
    "current_period_end": Derived(_period_end),
    "expires_at": Derived(_expiry),
}
KIND_SOURCES: dict[str, Source] = {
    "int": Choice((0, 1, 2, 5)),
    "float": Choice((0.0, 0.5, 1.0)),
    "bool": Choice((True, False)),
    "datetime": Derived(_times),
    "json": Choice(({"k": "v"},)),
    "vector": Derived(_vector),
    "new_id": ANY_ID,
}


LAST = frozenset({"shares"})  # drawn after the parameters they depend on


def source_for(op: Operation, name: str, param: Param) -> Source | None:
    for key in ((op.namespace, op.name, name), (op.namespace, name), name):
        if key in SOURCES:
            return SOURCES[key]
    return KIND_SOURCES.get(param.kind)


def missing_sources(ops: Sequence[Operation]) -> list[str]:
    """`namespace.query(param: kind)` for every parameter no source can fill."""
    return [f"{op.qualified}({name}: {param.kind})" for op in ops for name, param in op.params.items()
            if source_for(op, name, param) is None]


def pooled_columns(ops: Sequence[Operation]) -> list[Column]:
    columns: set[Column] = set(ANY_ID.columns)
    for source in [*SOURCES.values(), *KIND_SOURCES.values()]:
        columns.update(source.columns)
    return sorted(columns)


def build_params(op: Operation, ctx: Context, rng: random.Random, mode: str) -> dict[str, Any]:
    """Keyword arguments for one call of `op` (without the account), drawn in `mode` own/foreign/mixed."""
    chosen: dict[str, Any] = {}
    derived_last = sorted(op.params, key=lambda n: (isinstance(source_for(op, n, op.params[n]), Derived), n in LAST))
    for name in derived_last:
        param = op.params[name]
        source = source_for(op, name, param)
        if source is None:
            raise AssertionError(f"no parameter source for {op.qualified}({name}: {param.kind}); add one to SOURCES")
        if param.kind == "new_id" and rng.random() < 0.7:
            continue  # made by the package
        if not param.required and rng.random() < 0.3:
            continue  # its default
        if param.nullable and rng.random() < 0.25:
            chosen[name] = None
            continue
        chosen[name] = source.draw(ctx, chosen, rng, mode)
    return chosen


# ---------------------------------------------------------------------------------------
# Calls and outcomes
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    ok: bool
    value: Any  # the result, or the error class name

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Outcome):
            return NotImplemented
        return self.ok == other.ok and _same(self.value, other.value)

    __hash__ = None  # type: ignore[assignment]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if hasattr(a, "shape") or hasattr(b, "shape"):
        return bool(np.array_equal(a, b))
    return bool(a == b)


def call(db: Any, op: Operation, account: str, params: Mapping[str, Any]) -> Outcome:
    function = getattr(getattr(db, op.namespace), op.name)
    try:
        return Outcome(True, function(account_id=account, **params))
    except errors.VestaError as exc:
        return Outcome(False, type(exc).__name__)


def foreign_rows(result: Any, account: str) -> list[Any]:
    """Records in a result that carry another account's id."""
    rows = result if isinstance(result, list) else [result]
    return [row for row in rows if getattr(row, "account_id", account) != account]


def is_empty(outcome: Outcome) -> bool:
    return not outcome.ok or outcome.value in (None, [], 0, False)


def short(value: Any, limit: int = 600) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"


# ---------------------------------------------------------------------------------------
# Databases of one dialect: snapshots and isolated copies
# ---------------------------------------------------------------------------------------


@dataclass
class Snapshot:
    rows: dict[tuple[str, str], list[str]]  # (table, account) -> sorted row texts
    pools: dict[Column, dict[str, list[Any]]]
    payments: dict[str, tuple[int, str]]
    items: dict[str, str]
    totals: dict[str, int] = field(default_factory=dict)  # table -> rows of every account in the database

    def count(self, table: str, account: str) -> int:
        return len(self.rows.get((table, account), ()))

    def context(self, account: str, accounts: Sequence[str], start: datetime, end: datetime) -> Context:
        others = [a for a in accounts if a != account]
        return Context(account, others, self.pools, self.payments, self.items, start, end)

    def digest(self, account: str) -> dict[str, str]:
        """One hash per table of the account's rows (tables where it has none are left out)."""
        return {table: hashlib.sha256("\n".join(rows).encode()).hexdigest()
                for (table, owner), rows in sorted(self.rows.items()) if owner == account}


class World:
    dialect: str
    clock: Clock
    tables: dict[str, list[str]]
    read_facades: dict[str, Any]
    write_facades: dict[str, Any]
    seed_facade: Any
    columns: list[Column]

    def snapshot(self, accounts: Sequence[str]) -> Snapshot:
        raise NotImplementedError

    def isolated(self, account: str, calls: Sequence[tuple[Operation, dict[str, Any]]]) -> list[Outcome]:
        """Run `calls` for `account` on a copy of the database holding only that account's rows."""
        raise NotImplementedError

    def close(self) -> None:
        for db in {id(db): db for db in [*self.read_facades.values(), *self.write_facades.values()]}.values():
            db.close()


def _group(raw: Sequence[tuple[str, str, str]], pool_rows: Sequence[tuple[str, str, Any]],
           payment_rows: Sequence[tuple[str, int, str]], item_rows: Sequence[tuple[str, str]],
           total_rows: Sequence[tuple[str, int]]) -> Snapshot:
    rows: dict[tuple[str, str], list[str]] = defaultdict(list)
    for table, account, text in raw:
        rows[(table, account)].append(text)
    for key in rows:
        rows[key].sort()
    pools: dict[Column, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for column, account, value in pool_rows:
        table, name = column.split(".")
        pools[(table, name)][account].append(value)
    return Snapshot(dict(rows), {k: dict(v) for k, v in pools.items()},
                    {str(i): (int(a), str(status)) for i, a, status in payment_rows}, {str(i): str(c) for i, c in item_rows},
                    {str(t): int(n) for t, n in total_rows})


class SQLiteWorld(World):
    """A migrated SQLite file; the isolated copy is a backup-API copy with the other accounts deleted."""

    dialect = "sqlite"

    def __init__(self, path: Path, clock: Clock, ops: Sequence[Operation], extra_queries: Sequence[Path] = ()) -> None:
        self.path, self.clock, self.extra_queries = path, clock, list(extra_queries)
        db = vesta_sql.connect(f"sqlite:///{path}", clock=clock, extra_queries=self.extra_queries)
        self.read_facades = {"sqlite": db}
        self.write_facades = {"sqlite": db}
        self.seed_facade = db
        self._raw = sqlite3.connect(path, isolation_level=None)
        self._raw.execute("pragma query_only = on")
        self.tables = tenant_tables_sqlite(self._raw)
        self.columns = [c for c in pooled_columns(ops) if c[0] in self.tables]
        self._copies = 0

    def snapshot(self, accounts: Sequence[str]) -> Snapshot:
        marker = ",".join("?" * len(accounts))
        parts: list[str] = []
        args: list[str] = []
        for table, columns in self.tables.items():
            text = " || '|' || ".join(f"quote({c})" for c in columns)
            parts.append(f"select '{table}', account_id, {text} from {table} where account_id in ({marker})")
            args += accounts
        raw = self._raw.execute(" union all ".join(parts), args).fetchall()
        pool_parts: list[str] = []
        pool_args: list[str] = []
        for table, column in self.columns:
            pool_parts.append(f"select '{table}.{column}', account_id, {column} from {table} where account_id in ({marker})")
            pool_args += accounts
        pool_rows = self._raw.execute(" union all ".join(pool_parts), pool_args).fetchall()
        payments = self._raw.execute(
            f"select id, amount, status from stripe_payments where account_id in ({marker})", list(accounts)).fetchall()
        items = self._raw.execute(
            f"select id, collection_id from collection_items where account_id in ({marker})", list(accounts)).fetchall()
        totals = self._raw.execute(" union all ".join(f"select '{t}', count(*) from {t}" for t in self.tables)).fetchall()
        return _group(raw, pool_rows, payments, items, totals)

    def isolated(self, account: str, calls: Sequence[tuple[Operation, dict[str, Any]]]) -> list[Outcome]:
        self._copies += 1
        copy = self.path.with_name(f"{self.path.stem}-only-{self._copies}.db")
        source = sqlite3.connect(self.path)
        target = sqlite3.connect(copy, isolation_level=None)
        try:
            source.backup(target)
            # A scratch copy: drop every trigger (the append-only log refuses deletes; the
            # directory rows are deleted directly), then delete every other account's rows.
            triggers = [row[0] for row in target.execute("select name from sqlite_master where type = 'trigger'")]
            for trigger in triggers:
                target.execute(f'drop trigger "{trigger}"')
            virtual = {row[0] for row in target.execute(
                "select name from sqlite_master where type = 'table' and sql like 'create virtual table%'")}
            for table in sorted(self.tables, key=lambda t: t not in virtual):  # search indexes first
                target.execute(f"delete from {table} where account_id <> ?", (account,))
            leftovers = [t for t in self.tables
                         if target.execute(f"select count(*) from {t} where account_id <> ?", (account,)).fetchone()[0]]
            assert not leftovers, f"isolated copy still holds other accounts' rows in {leftovers}"
        finally:
            source.close()
            target.close()
        db = vesta_sql.connect(f"sqlite:///{copy}", clock=self.clock, extra_queries=self.extra_queries)
        try:
            return [call(db, op, account, params) for op, params in calls]
        finally:
            db.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        super().close()
        self._raw.close()


def tenant_tables_sqlite(conn: sqlite3.Connection) -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {}
    for (name,) in conn.execute("select name from sqlite_master where type = 'table' order by name").fetchall():
        columns = [row[1] for row in conn.execute(f'pragma table_info("{name}")')]
        if "account_id" in columns:
            tables[name] = columns
    return tables


class PostgresWorld(World):
    """One Postgres database; the app role (RLS) and the owner (a superuser: RLS bypassed) each have a façade.

    The isolated run happens in an owner transaction that is always rolled back: triggers
    (foreign keys, the directory, the append-only log) are off for it via
    `session_replication_role = replica`, every other account's rows are deleted, and the
    calls run through the package's own prepared queries and programs on that connection.
    """

    dialect = "postgres"

    def __init__(self, owner_url: str, app_url: str, clock: Clock, ops: Sequence[Operation],
                 extra_queries: Sequence[Path] = ()) -> None:
        import psycopg

        from vesta_sql.config import parse_url

        self.clock = clock
        self._conninfo = parse_url(owner_url).conninfo
        app = vesta_sql.connect(app_url, clock=clock, extra_queries=list(extra_queries))
        owner = vesta_sql.connect(owner_url, clock=clock, extra_queries=list(extra_queries))
        self.read_facades = {"postgres app role (RLS)": app, "postgres owner (RLS bypassed)": owner}
        self.write_facades = dict(self.read_facades)
        self.seed_facade = app
        self._raw = psycopg.connect(self._conninfo, autocommit=True)
        superuser = self._raw.execute("select rolsuper from pg_roles where rolname = current_user").fetchone()
        assert superuser == (True,), "the owner URL must be a superuser here, so that its façade bypasses RLS"
        rows = self._raw.execute(
            "select c.table_name, c.column_name from information_schema.columns c "
            "join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name "
            "where c.table_schema = 'public' and t.table_type = 'BASE TABLE' order by c.table_name, c.ordinal_position"
        ).fetchall()
        columns: dict[str, list[str]] = defaultdict(list)
        for table, column in rows:
            columns[table].append(column)
        self.tables = {t: cols for t, cols in columns.items() if "account_id" in cols}
        self.columns = [c for c in pooled_columns(ops) if c[0] in self.tables]
        from vesta_sql.dialects import postgres as dialect
        from vesta_sql.runtime import Runtime

        self._runtime = Runtime(dialect, dialect.PostgresCodec(), extra_queries=list(extra_queries), clock=clock,
                                id_factory=None)

    def snapshot(self, accounts: Sequence[str]) -> Snapshot:
        parts = [f"select '{table}', t.account_id, t::text from {table} t where t.account_id = any(%(a)s)"
                 for table in self.tables]
        raw = self._raw.execute(" union all ".join(parts), {"a": list(accounts)}).fetchall()
        pool_parts = [f"select '{table}.{column}', account_id, {column}::text from {table} where account_id = any(%(a)s)"
                      for table, column in self.columns]
        pool_rows = self._raw.execute(" union all ".join(pool_parts), {"a": list(accounts)}).fetchall()
        payments = self._raw.execute("select id, amount, status from stripe_payments where account_id = any(%(a)s)",
                                     {"a": list(accounts)}).fetchall()
        items = self._raw.execute("select id, collection_id from collection_items where account_id = any(%(a)s)",
                                  {"a": list(accounts)}).fetchall()
        totals = self._raw.execute(" union all ".join(f"select '{t}', count(*) from {t}" for t in self.tables)).fetchall()
        return _group(raw, pool_rows, payments, items, totals)

    def isolated(self, account: str, calls: Sequence[tuple[Operation, dict[str, Any]]]) -> list[Outcome]:
        import psycopg

        from vesta_sql.dialects import postgres as dialect
        from vesta_sql.drivers.postgres_sync import PostgresSession
        from vesta_sql.facade import Transaction

        with psycopg.connect(self._conninfo, **dialect.connection_kwargs()) as conn:
            dialect.configure(conn)
            with conn.transaction(force_rollback=True):
                conn.execute("set local session_replication_role = replica")
                conn.execute("select set_config('vesta.account_id', %s, true)", (account,))
                for table in self.tables:
                    conn.execute(f"delete from {table} where account_id <> %s", (account,))
                tx = Transaction(self._runtime, PostgresSession(conn), account)
                outcomes = []
                for op, params in calls:
                    function = getattr(getattr(tx, op.namespace), op.name)
                    try:
                        with conn.transaction():  # a savepoint: one failing call leaves the others be
                            outcomes.append(Outcome(True, function(**params)))
                    except errors.VestaError as exc:
                        outcomes.append(Outcome(False, type(exc).__name__))
                leftovers = [t for t in self.tables if conn.execute(
                    f"select count(*) from {t} where account_id <> %s", (account,)).fetchone() != (0,)]
                assert not leftovers, f"isolated transaction still sees other accounts' rows in {leftovers}"
        return outcomes

    def close(self) -> None:
        super().close()
        self._raw.close()


def rich_world() -> list[AccountPlan]:
    """Three accounts holding a bit of everything (an explicit example, so that every operation gets valid calls)."""
    # Account 0 finds "river" rare and "jazz" common; the others the reverse: a text ranking that
    # used every account's term statistics would order account 0's two mixed posts differently.
    bodies = {0: (BODIES[0], BODIES[1], "jazz", "jazz", "jazz", "piano")}

    def posts(offset: int, account_index: int, creator_index: int) -> tuple[PostPlan, ...]:
        chosen = bodies.get(account_index, ("river",) * 6)[creator_index * 3:][:3]
        return tuple(
            PostPlan(status=status, words=WORDS[(i + offset) % 3], body=chosen[i], embedding=EMBEDDING_SEEDS[i],
                     updates=1, likers=frozenset(USERS[: i + 1]), reposters=frozenset(USERS[i:]), commenters=(USERS[i],))
            for i, status in enumerate(("published", "draft", "archived"))
        )

    def creator(slug: str, offset: int, account_index: int, creator_index: int) -> CreatorPlan:
        return CreatorPlan(
            slug=slug, sso=True, labels=frozenset(LABELS), posts=posts(offset, account_index, creator_index),
            links=2, followers=frozenset(USERS[:2]),
            plans=(PricePlan(archived=False, tiers=((500, "EUR", "month", False), (5000, "EUR", "year", False)),
                             subscribers=frozenset(USERS[:2]), cancel_one=True),
                   PricePlan(archived=True, tiers=((100, "USD", "month", True),), subscribers=frozenset(), cancel_one=False)),
            collections=((0, 1, 2), (2,)),
        )

    def account(offset: int) -> AccountPlan:
        return AccountPlan(
            creators=(creator(SLUGS[offset % 3], offset, offset, 0), creator(SLUGS[(offset + 1) % 3], offset + 1, offset, 1)),
            payments=((1000, "EUR", "succeeded", False), (2500, "USD", "succeeded", True), (100, "EUR", "processing", False)),
            payouts=(("r-1", 100, "EUR", "pending"), ("r-2", 700, "USD", "pending"), ("r-1", 100, "EUR", "paid"),
                     ("r-3", 700, "EUR", "failed")),
            routes=(("r-1", 2500), ("r-2", 10000)),
            settings=("EUR", "weekly"),
            logs=(("payment.recorded", "ent-1"), ("payout.paid", "ent-2"), ("payment.recorded", "ent-2")),
            codes=(("SPRING", True, False, "future"), ("WINTER", False, False, "none"), ("VIP", False, True, "past")),
            agents=(("agent-1", "owner"), ("agent-2", ROLES[offset % 4])),
        )

    return [account(0), account(1), account(2)]
