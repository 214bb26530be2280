"""Values up to the limit (2,000,000 encoded bytes, D1's) run on every flavour, directly and through
PgBouncer, sync and async; a value past it is refused before any SQL, naming the parameter."""

from __future__ import annotations

from typing import Any

import pytest

from vesta_sql import InvalidInputError
from vesta_sql.params import MAX_VALUE_BYTES
from vesta_sql.runtime import QueryEvent

NEAR_LIMIT = 1_900_000


def creator(db: Any, account: str, uniq: Any, bio: str = "") -> Any:
    slug = uniq("big")
    return db.creators.create(account_id=account, name="Big", slug=slug, email=f"{slug}@x.io", bio=bio)


def test_a_large_json_value_runs(any_db: Any, acct: str) -> None:
    payload = {"blob": "x" * NEAR_LIMIT, "n": 1}
    logged = any_db.payment_system_logs.append(account_id=acct, event_type="big", entity_type="test",
                                               entity_id="e1", payload=payload)
    assert logged.payload == payload
    (read,) = any_db.payment_system_logs.list(account_id=acct)
    assert read.payload == payload
    assert any_db.creators.find_by_id(account_id=acct, id="nope") is None  # the connection is fine afterwards


def test_a_large_string_runs(any_db: Any, acct: str, uniq: Any) -> None:
    bio = "é" * (NEAR_LIMIT // 2)  # 1.9 MB encoded, in half as many characters
    made = creator(any_db, acct, uniq, bio)
    assert any_db.creators.find_by_id(account_id=acct, id=made.id).bio == bio
    with any_db.transaction(account_id=acct) as tx:
        assert tx.creators.find_by_id(id=made.id).bio == bio


def test_values_past_the_limit_are_refused_before_any_sql(any_db: Any, acct: str, uniq: Any) -> None:
    events: list[QueryEvent] = []
    any_db.add_hook(events.append)
    with pytest.raises(InvalidInputError, match=r"creators\.create: parameter 'bio' is 2,000,001 bytes encoded"):
        creator(any_db, acct, uniq, "x" * (MAX_VALUE_BYTES + 1))
    with pytest.raises(InvalidInputError, match=r"parameter 'payload' is [\d,]+ bytes encoded; the limit"):
        any_db.payment_system_logs.append(account_id=acct, event_type="big", entity_type="test", entity_id="e1",
                                          payload={"blob": "x" * MAX_VALUE_BYTES})
    assert events == []
    assert any_db.creators.list(account_id=acct) == [] and any_db.payment_system_logs.list(account_id=acct) == []
