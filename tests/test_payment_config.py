"""Payout routes, payment settings and account agents."""

from __future__ import annotations

from typing import Any

import pytest

from vesta_sql import errors
from vesta_sql.records.payments import AccountAgent, PaymentSettings, PayoutRoute


def route(db: Any, account: str, recipient: str, **extra: Any) -> PayoutRoute:
    params: dict[str, Any] = {"destination_type": "stripe_connect", "destination_ref": "acct_123", "share_bps": 2500, **extra}
    upserted: PayoutRoute = db.payout_routes.upsert(account_id=account, recipient_id=recipient, **params)
    return upserted


# payout routes ------------------------------------------------------------------------


def test_route_upsert_creates_then_replaces(db: Any, acct: str, uniq: Any) -> None:
    recipient = uniq("rcp")
    created = route(db, acct, recipient)
    assert isinstance(created, PayoutRoute)
    assert (created.recipient_id, created.destination_type, created.destination_ref, created.share_bps) == (
        recipient, "stripe_connect", "acct_123", 2500)
    assert db.payout_routes.find_by_recipient(account_id=acct, recipient_id=recipient) == created

    replaced = route(db, acct, recipient, destination_type="bank_account", destination_ref="ba_9", share_bps=10000)

    assert replaced.id == created.id and replaced.created_at == created.created_at
    assert (replaced.destination_type, replaced.destination_ref, replaced.share_bps) == ("bank_account", "ba_9", 10000)
    assert replaced.updated_at >= created.updated_at
    assert db.payout_routes.find_by_recipient(account_id=acct, recipient_id=recipient) == replaced
    assert [r.id for r in db.payout_routes.list(account_id=acct)] == [created.id]


@pytest.mark.parametrize(("field", "value"), [("share_bps", -1), ("share_bps", 10001), ("destination_type", "paypal")])
def test_route_refuses_values_outside_the_schema(db: Any, acct: str, uniq: Any, field: str, value: object) -> None:
    recipient = uniq("rcp")
    with pytest.raises(errors.InvalidInputError, match=field):  # refused before any SQL since 0.2.0
        route(db, acct, recipient, **{field: value})
    assert db.payout_routes.find_by_recipient(account_id=acct, recipient_id=recipient) is None


def test_route_list_pages_and_delete(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    routes = [route(db, acct, uniq("rcp")) for _ in range(3)]

    assert [r.id for r in db.payout_routes.list(account_id=acct)] == [r.id for r in reversed(routes)]
    first = db.payout_routes.list(account_id=acct, limit=2)
    rest = db.payout_routes.list(account_id=acct, limit=2, before_created_at=first[-1].created_at, before_id=first[-1].id)
    assert [r.id for r in first + rest] == [r.id for r in reversed(routes)]

    assert db.payout_routes.delete(account_id=acct2, recipient_id=routes[0].recipient_id) == 0
    assert db.payout_routes.list(account_id=acct2) == []
    assert db.payout_routes.find_by_recipient(account_id=acct2, recipient_id=routes[0].recipient_id) is None

    assert db.payout_routes.delete(account_id=acct, recipient_id=routes[0].recipient_id) == 1
    assert db.payout_routes.delete(account_id=acct, recipient_id=routes[0].recipient_id) == 0
    assert db.payout_routes.find_by_recipient(account_id=acct, recipient_id=routes[0].recipient_id) is None
    assert [r.id for r in db.payout_routes.list(account_id=acct)] == [routes[2].id, routes[1].id]


def test_routes_of_two_accounts_are_separate(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    recipient = uniq("rcp")
    mine = route(db, acct, recipient, share_bps=100)
    theirs = route(db, acct2, recipient, share_bps=200)

    assert mine.id != theirs.id
    assert db.payout_routes.find_by_recipient(account_id=acct, recipient_id=recipient).share_bps == 100
    assert db.payout_routes.find_by_recipient(account_id=acct2, recipient_id=recipient).share_bps == 200


# payment settings ---------------------------------------------------------------------


def test_settings_get_upsert_delete(db: Any, acct: str, acct2: str) -> None:
    assert db.payment_settings.get(account_id=acct) is None

    created = db.payment_settings.upsert(account_id=acct, default_currency="EUR", payout_schedule="weekly")
    assert isinstance(created, PaymentSettings)
    assert (created.account_id, created.default_currency, created.payout_schedule, created.statement_descriptor) == (
        acct, "EUR", "weekly", None)
    assert db.payment_settings.get(account_id=acct) == created

    updated = db.payment_settings.upsert(
        account_id=acct, default_currency="USD", payout_schedule="monthly", statement_descriptor="VESTA MUSIC"
    )
    assert updated.id == created.id and updated.created_at == created.created_at
    assert (updated.default_currency, updated.payout_schedule, updated.statement_descriptor) == ("USD", "monthly", "VESTA MUSIC")
    assert db.payment_settings.get(account_id=acct) == updated
    assert db.payment_settings.get(account_id=acct2) is None

    assert db.payment_settings.delete(account_id=acct2) == 0
    assert db.payment_settings.get(account_id=acct) == updated
    assert db.payment_settings.delete(account_id=acct) == 1
    assert db.payment_settings.get(account_id=acct) is None


@pytest.mark.parametrize(
    "params",
    [
        {"default_currency": "eu", "payout_schedule": "daily"},
        {"default_currency": "EUR", "payout_schedule": "hourly"},
        {"default_currency": "EUR", "payout_schedule": "daily", "statement_descriptor": "X" * 23},
    ],
)
def test_settings_refuse_values_outside_the_schema(db: Any, acct: str, params: dict[str, Any]) -> None:
    # a declared enumeration refuses before any SQL (InvalidInputError); the other checks are the database's
    with pytest.raises((errors.CheckViolation, errors.InvalidInputError)):
        db.payment_settings.upsert(account_id=acct, **params)
    assert db.payment_settings.get(account_id=acct) is None


# account agents -----------------------------------------------------------------------


def test_agents_add_find_set_role_remove(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    user = uniq("user")
    agent = db.account_agents.add(account_id=acct, agent_user_id=user, role="finance")

    assert isinstance(agent, AccountAgent)
    assert (agent.account_id, agent.agent_user_id, agent.role) == (acct, user, "finance")
    assert db.account_agents.find(account_id=acct, agent_user_id=user) == agent
    assert db.account_agents.find(account_id=acct2, agent_user_id=user) is None

    with pytest.raises(errors.UniqueViolation):
        db.account_agents.add(account_id=acct, agent_user_id=user, role="owner")
    assert db.account_agents.find(account_id=acct, agent_user_id=user) == agent

    promoted = db.account_agents.set_role(account_id=acct, agent_user_id=user, role="admin")
    assert promoted.id == agent.id and promoted.role == "admin"
    assert db.account_agents.find(account_id=acct, agent_user_id=user) == promoted
    assert db.account_agents.set_role(account_id=acct2, agent_user_id=user, role="owner") is None
    with pytest.raises(errors.InvalidInputError, match="'role' must be one of"):  # before any SQL since 0.2.0
        db.account_agents.set_role(account_id=acct, agent_user_id=user, role="god")

    assert db.account_agents.remove(account_id=acct2, agent_user_id=user) == 0
    assert db.account_agents.remove(account_id=acct, agent_user_id=user) == 1
    assert db.account_agents.find(account_id=acct, agent_user_id=user) is None
    assert db.account_agents.remove(account_id=acct, agent_user_id=user) == 0


def test_agents_list_pages_and_stays_in_the_account(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    roles = ("owner", "support", "admin")
    agents = [db.account_agents.add(account_id=acct, agent_user_id=uniq("user"), role=role) for role in roles]
    db.account_agents.add(account_id=acct2, agent_user_id=agents[0].agent_user_id, role="support")

    assert [a.id for a in db.account_agents.list(account_id=acct)] == [a.id for a in reversed(agents)]
    page = db.account_agents.list(account_id=acct, limit=1, before_created_at=agents[1].created_at, before_id=agents[1].id)
    assert [a.id for a in page] == [agents[0].id]
    assert [(a.agent_user_id, a.role) for a in db.account_agents.list(account_id=acct2)] == [(agents[0].agent_user_id, "support")]


def test_agent_role_must_be_known(db: Any, acct: str, uniq: Any) -> None:
    user = uniq("user")
    with pytest.raises(errors.InvalidInputError, match="'role' must be one of"):  # before any SQL since 0.2.0
        db.account_agents.add(account_id=acct, agent_user_id=user, role="intern")
    assert db.account_agents.find(account_id=acct, agent_user_id=user) is None
