"""Each call logs at DEBUG and feeds hooks: query name, dialect, duration, rows — never parameter values."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from vesta_sql import UniqueViolation
from vesta_sql.runtime import QueryEvent


def test_hook_and_debug_log_carry_no_parameter_values(db: Any, acct: str, uniq: Any, caplog: pytest.LogCaptureFixture) -> None:
    events: list[QueryEvent] = []
    db.add_hook(events.append)
    secret_email = f"{uniq('private')}@example.com"
    slug = uniq("ada")
    with caplog.at_level(logging.DEBUG, logger="vesta_sql"):
        creator = db.creators.create(account_id=acct, name="Ada Secret", slug=slug, email=secret_email)
        assert db.creators.find_by_id(account_id=acct, id=creator.id) == creator
        assert db.creators.list(account_id=acct) == [creator]
        with pytest.raises(UniqueViolation) as caught:
            db.creators.create(account_id=acct, name="Again", slug=slug, email="other@example.com")
    assert slug not in str(caught.value)  # errors name the constraint, not the values
    mine = [e for e in events if e.query.startswith("creators.")]
    assert [e.query for e in mine] == ["creators.create", "creators.find_by_id", "creators.list", "creators.create"]
    assert all(e.dialect == db.dialect and e.duration_s >= 0 for e in mine)
    assert [e.rows for e in mine[:3]] == [1, 1, 1]
    assert mine[3].error == "UniqueViolation"
    text = caplog.text
    assert "creators.find_by_id" in text and db.dialect in text
    for value in (secret_email, "Ada Secret", slug, creator.id, acct):
        assert value not in text
        assert all(value not in repr(e) for e in mine)
