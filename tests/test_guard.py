"""The tenant guard: unscoped queries refuse the load; bad accounts are refused before any SQL runs."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import vesta_sql
from vesta_sql import InvalidInputError, QueryLoadError, TenantScopeError
from vesta_sql.dialects.postgres import PostgresCodec
from vesta_sql.dialects.sqlite import SQLiteCodec
from vesta_sql.param_declarations import ParamSpec, parse_param_lines
from vesta_sql.params import MAX_TEXT_CHARS, MAX_VALUE_BYTES, make_binder
from vesta_sql.runtime import QueryEvent

SQL = Path(__file__).parent / "sql"
BAD_ACCOUNTS: list[tuple[Any, str]] = [
    (None, "required"), ("", "empty"), ("   ", "empty or blank"), (" acc_1", "whitespace"), ("acc_1\n", "whitespace"),
    (42, "must be a str"), (b"acc_1", "must be a str"), (["acc_1"], "must be a str"),
    ("a" * 129, "129 characters long; at most 128"), ("acc\n1", "control characters \\(found U\\+000A at position 3"),
    ("acc\x001", "found U\\+0000"), ("acc\u200b1", "not printable"),
]


def test_unscoped_query_refuses_the_whole_load() -> None:
    with pytest.raises(TenantScopeError) as caught:
        vesta_sql.connect("sqlite://:memory:", extra_queries=[SQL / "unscoped"])
    message = str(caught.value)
    assert "leaky.sql:4" in message and "all_creators" in message and "account_id" in message


def test_query_declaring_account_but_never_binding_it_is_refused() -> None:
    with pytest.raises(TenantScopeError, match=r"leaky\.sql:1: query leaky\.by_id: its SQL never binds :account_id"):
        vesta_sql.connect("sqlite://:memory:", extra_queries=[SQL / "unscoped_params"])


def test_unknown_record_class_is_a_load_error() -> None:
    with pytest.raises(QueryLoadError, match="NoSuchRecord"):
        vesta_sql.connect("sqlite://:memory:", extra_queries=[SQL / "unknown_record"])


def test_extra_queries_join_the_facade(db_url: str, acct: str, db: Any) -> None:
    extra: Any = vesta_sql.connect(db_url, extra_queries=[SQL / "extra"])  # an app's namespace: no stub
    try:
        assert extra.fan_stats.creator_count(account_id=acct) == 0
    finally:
        extra.close()


@pytest.mark.parametrize(("bad", "why"), BAD_ACCOUNTS)
def test_bad_account_refused_before_any_sql(db: Any, bad: Any, why: str) -> None:
    events: list[QueryEvent] = []
    db.add_hook(events.append)
    with pytest.raises(TenantScopeError, match=why):
        db.creators.find_by_id(account_id=bad, id="x")
    with pytest.raises(TenantScopeError):
        with db.transaction(account_id=bad):
            pass
    assert events == []


def test_missing_account_refused(db: Any) -> None:
    with pytest.raises(TenantScopeError, match="required"):
        db.creators.find_by_id(id="x")


def test_transaction_refuses_a_second_account(db: Any, acct: str, acct2: str) -> None:
    with db.transaction(account_id=acct) as tx:
        with pytest.raises(TenantScopeError, match="another account"):
            tx.creators.find_by_id(account_id=acct2, id="x")
        assert tx.creators.find_by_id(account_id=acct, id="x") is None  # naming the same account is fine
        assert tx.creators.find_by_id(id="x") is None


def test_wrong_parameter_type_refused_before_sql(db: Any, acct: str) -> None:
    with pytest.raises(InvalidInputError, match="'id' must be a str, got int"):
        db.creators.find_by_id(account_id=acct, id=5)
    with pytest.raises(InvalidInputError, match="unknown parameter"):
        db.creators.find_by_id(account_id=acct, id="x", idd="y")
    with pytest.raises(InvalidInputError, match="missing parameter 'id'"):
        db.creators.find_by_id(account_id=acct)


@pytest.mark.parametrize("codec", [SQLiteCodec(), PostgresCodec()], ids=["sqlite", "postgres"])
def test_binder_validates_every_type(codec: Any) -> None:
    doc = "\n".join([
        "param: s str", "param: n int = 5", "param: f float", "param: b bool", "param: t datetime = max",
        "param: j json", "param: v vector?", "param: ids str_list", "param: id new_id", "param: now now",
    ])
    specs = parse_param_lines(doc, "q")
    def clock() -> datetime:
        return datetime(2026, 1, 1, tzinfo=timezone.utc)

    bind = make_binder("ns.q", specs, codec, lambda: "fresh-id", clock)
    good = {"s": "x", "f": 1.5, "b": True, "j": {"a": [1]}, "ids": ["a", "b"]}
    params = bind("acc", good)
    assert params["n"] == 5 and params["id"] == "fresh-id" and params["v"] is None and params["account_id"] == "acc"
    cases: list[tuple[dict[str, Any], str]] = [
        ({"s": 1}, "'s' must be a str"),
        ({"s": "x" * (MAX_VALUE_BYTES + 1)}, "'s' is 2,000,001 bytes encoded"),
        ({"s": "é" * (MAX_VALUE_BYTES // 2 + 1)}, "'s' is 2,000,002 bytes encoded"),
        ({"s": "\ud800" * (MAX_TEXT_CHARS + 1)}, "lone surrogate"),
        ({"j": {"k": "x" * MAX_VALUE_BYTES}}, "'j' is 2,000,008 bytes encoded"),
        ({"ids": ["x" * 1_000_000, "y" * 1_000_001]}, "'ids' is 2,000,001 bytes encoded"),
        ({"n": True}, "'n' must be an int"),
        ({"n": 2**63}, "64-bit"),
        ({"f": math.nan}, "finite"),
        ({"b": 1}, "'b' must be a bool"),
        ({"t": datetime(2026, 1, 1)}, "timezone-aware"),
        ({"j": {"x": math.nan}}, "not valid JSON"),
        ({"j": "text"}, "dict or list"),
        ({"v": [0.1] * 3}, "384 dimensions"),
        ({"v": np.full(384, np.nan)}, "NaN"),
        ({"v": np.zeros(384)}, "all zeros"),
        ({"v": "abc"}, "sequence"),
        ({"ids": "abc"}, "list of str"),
        ({"ids": [1]}, "must be a str"),
        ({"now": clock()}, "unknown parameter"),
    ]
    for override, message in cases:
        with pytest.raises(InvalidInputError, match=message):
            bind("acc", {**good, **override})


def test_param_declarations_are_checked() -> None:
    with pytest.raises(QueryLoadError, match="unknown type"):
        parse_param_lines("param: x strr", "q")
    with pytest.raises(QueryLoadError, match="does not fit"):
        parse_param_lines("param: x int = abc", "q")
    assert parse_param_lines("param: x str? = none", "q")["x"] == ParamSpec("x", "str", True, None)
