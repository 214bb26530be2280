"""Text no dialect can store alike is refused before any SQL, naming the parameter, on every flavour:
NUL (Postgres refuses it in text and JSON, SQLite would keep it), lone surrogates (no UTF-8 form),
and a datetime with no UTC form in the years 1–9999; an account id that is a str subclass is
refused for what it is."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from vesta_sql import InvalidInputError, TenantScopeError
from vesta_sql.runtime import QueryEvent

BAD_TEXT = [("NUL", "a\x00b", "NUL character"), ("lone surrogate", "a\ud800b", "lone surrogate"),
            ("NUL after non-ASCII", "é\x00", "NUL character")]


def statements(db: Any) -> list[QueryEvent]:
    events: list[QueryEvent] = []
    db.add_hook(events.append)
    return events


@pytest.mark.parametrize(("what", "text", "reason"), BAD_TEXT, ids=[case[0] for case in BAD_TEXT])
def test_bad_text_is_refused_before_any_sql(db: Any, acct: str, uniq: Any, what: str, text: str, reason: str) -> None:
    slug = uniq("txt")
    made = db.creators.create(account_id=acct, name="T", slug=slug, email=f"{slug}@x.io")
    events = statements(db)
    with pytest.raises(InvalidInputError, match=rf"posts\.create: parameter 'title' .*{reason}"):
        db.posts.create(account_id=acct, creator_id=made.id, title=text)
    with pytest.raises(InvalidInputError, match=rf"'bio' .*{reason}"):
        db.creators.update(account_id=acct, id=made.id, name="T", slug=slug, email=f"{slug}@x.io", bio=text)
    with pytest.raises(InvalidInputError, match=reason):
        db.stripe_payments.record(account_id=acct, stripe_payment_intent_id=uniq("pi"), amount=1, currency="EUR",
                                  status="succeeded", metadata={"note": text})
    with pytest.raises(InvalidInputError, match=reason):
        db.stripe_payments.record(account_id=acct, stripe_payment_intent_id=uniq("pi"), amount=1, currency="EUR",
                                  status="succeeded", metadata={"items": [{text: 1}]})
    with pytest.raises(InvalidInputError, match=reason):
        db.posts.search_hybrid(account_id=acct, text=text, embedding=[0.5] * 384, k=3)
    assert events == []  # nothing reached the database
    assert db.posts.list_by_creator(account_id=acct, creator_id=made.id) == []
    assert db.creators.find_by_id(account_id=acct, id=made.id).bio == ""


def test_text_beyond_ascii_is_kept_as_given(db: Any, acct: str, uniq: Any) -> None:
    slug = uniq("uni")
    made = db.creators.create(account_id=acct, name="Zoë 😀", slug=slug, email=f"{slug}@x.io", bio="naïve — 中文")
    paid = db.stripe_payments.record(account_id=acct, stripe_payment_intent_id=uniq("pi"), amount=1, currency="EUR",
                                     status="succeeded", metadata={"emoji": "😀", "😀": "\\u0000 is only text here"})
    assert db.creators.find_by_id(account_id=acct, id=made.id).bio == "naïve — 中文" and made.name == "Zoë 😀"
    assert paid.metadata == {"emoji": "😀", "😀": "\\u0000 is only text here"}


def test_a_datetime_without_a_utc_form_is_refused_on_both_dialects(db: Any, acct: str) -> None:
    late = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-14)))  # 10000-01-01 in UTC
    events = statements(db)
    with pytest.raises(InvalidInputError, match=r"posts\.feed: parameter 'before_created_at' .* out of range"):
        db.posts.feed(account_id=acct, before_created_at=late)
    assert events == []
    assert db.posts.feed(account_id=acct, before_created_at=datetime(9999, 12, 31, 9, tzinfo=timezone.utc)) == []


def test_an_account_id_that_is_a_str_subclass_is_refused_as_such(db: Any) -> None:
    class Sneaky(str):
        pass

    with pytest.raises(TenantScopeError, match="subclass of str"):
        db.creators.list(account_id=Sneaky("acc_x"))
