"""The account registry: an account exists once registered; a write for any other account is refused, nothing written."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest

import vesta_sql
from vesta_sql import Account, UnknownAccount


def test_register_is_idempotent_and_find_reads_it(db: Any) -> None:
    account = f"acc_{uuid.uuid4().hex[:16]}"
    assert db.accounts.find(account_id=account) is None
    assert db.accounts.register(account_id=account) == 1
    assert db.accounts.register(account_id=account) == 0
    found = db.accounts.find(account_id=account)
    assert isinstance(found, Account) and found.account_id == account and isinstance(found.created_at, datetime)


def test_a_mistyped_account_is_an_error_not_a_new_tenant(db: Any, acct: str, uniq: Any) -> None:
    typo = acct + "x"
    with pytest.raises(UnknownAccount) as refused:
        db.creators.create(account_id=typo, name="Ada", slug=uniq("ada"), email="a@x.io")
    assert isinstance(refused.value, vesta_sql.ForeignKeyViolation)
    assert "not registered" in str(refused.value) and typo not in str(refused.value)  # errors never carry values
    assert refused.value.table == "creators"
    assert db.creators.list(account_id=typo) == [] and db.accounts.find(account_id=typo) is None
    with db.transaction(account_id=typo) as tx:  # reads of an unregistered account are simply empty
        assert tx.posts.feed() == []


def test_every_write_path_checks_the_registry(db: Any, acct: str, uniq: Any) -> None:
    typo = acct + "y"
    with pytest.raises(UnknownAccount):
        db.stripe_payments.record(account_id=typo, stripe_payment_intent_id=uniq("pi"), amount=100, currency="EUR",
                                  status="succeeded")
    with pytest.raises(UnknownAccount):
        db.payment_settings.upsert(account_id=typo, default_currency="EUR", payout_schedule="weekly")
    with pytest.raises(UnknownAccount), db.transaction(account_id=typo) as tx:
        tx.account_agents.add(agent_user_id="u1", role="admin")
