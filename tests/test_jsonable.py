"""`vesta_sql.jsonable(record)`: every record class, returned by real calls on SQLite and Postgres, goes through
`json.dumps`; datetimes read as `…Z` text, embeddings as lists of floats, and both dialects give the same JSON."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest

import vesta_sql
from vesta_sql import records
from vesta_sql.programs import search, sqlite_vectors
from vesta_sql.programs.registry import step_records

from .copy_support import seed_account, vector
from .test_parity import injected, scenario


class Recorder:
    """Passes calls through to a façade (or one of its namespaces) and keeps every record that comes back."""

    def __init__(self, target: Any, seen: list[Any]) -> None:
        self._target, self._seen = target, seen

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if callable(value) and not isinstance(value, type):
            def call(*args: Any, **kwargs: Any) -> Any:
                result = value(*args, **kwargs)
                self._seen.extend(result if isinstance(result, list) else [result])
                return result
            return call
        return Recorder(value, self._seen) if not isinstance(value, (str, int)) else value


def every_kind_of_record(db: Any, prefix: str) -> list[Any]:
    seen: list[Any] = []
    rec = Recorder(db, seen)
    list(scenario(rec, prefix))
    acct = f"acc_{prefix}_json"
    seeded = seed_account(rec, acct, prefix, likes=2)
    rec.accounts.find(account_id=acct)
    post, creator = seeded["posts"][0], seeded["creator"]
    rec.creators.list_labels(account_id=acct, creator_id=creator.id)
    rec.engagement.list_comments(account_id=acct, post_id=post.id)
    rec.engagement.user_state(account_id=acct, post_id=post.id, user_id="user-1")
    rec.posts.list_updates(account_id=acct, post_id=post.id)
    rec.payment_shares.totals_by_recipient(account_id=acct)
    rec.payouts.totals(account_id=acct)
    rec.payout_routes.upsert(account_id=acct, recipient_id="r1", destination_type="stripe_connect",
                             destination_ref="acct_1", share_bps=100)
    rec.payment_settings.upsert(account_id=acct, default_currency="EUR", payout_schedule="weekly")
    rec.posts.search_similar(account_id=acct, embedding=vector(0), k=2)
    rec.posts.search_hybrid(account_id=acct, text="body", embedding=vector(0), k=2)
    if db.dialect == "sqlite":
        rec.posts.search_vectors(account_id=acct)
        rec.posts.search_changes(account_id=acct)
    else:
        with db.transaction(account_id=acct, write=False) as tx:
            Recorder(tx, seen).posts.search_ranked(embedding=vector(0), k=2, candidates=40, exact_below=3_000)
            Recorder(tx, seen).posts.search_hybrid_ranked(text="body", embedding=vector(0), k=2, candidates=40,
                                                          exact_below=3_000)
    return [r for r in seen if dataclasses.is_dataclass(r)]


def test_jsonable_is_plain_json_for_every_record_class_on_both_dialects(sqlite_url: str, pg_urls: tuple[str, str]) -> None:
    classes = {getattr(records, name) for name in records.__all__} | set(step_records().values())
    found: dict[str, set[type]] = {}
    for dialect, url in (("sqlite", sqlite_url), ("postgres", pg_urls[1])):
        with vesta_sql.connect(url) as db:
            made = every_kind_of_record(db, f"{dialect[:2]}{uuid.uuid4().hex[:6]}")
        found[dialect] = {type(r) for r in made}
        for record in made:
            data = vesta_sql.jsonable(record)
            assert json.loads(json.dumps(data)) == data, type(record).__name__
            for field in dataclasses.fields(record):
                value = getattr(record, field.name)
                if isinstance(value, datetime):
                    assert data[field.name].endswith("Z") and datetime.fromisoformat(data[field.name]) == value
                elif isinstance(value, np.ndarray):
                    assert data[field.name] == [float(x) for x in value] and all(type(x) is float for x in data[field.name])
    assert found["sqlite"] | found["postgres"] == classes
    dialect_only = {sqlite_vectors.PostVectors, sqlite_vectors.SearchChanges,  # the SQLite search's steps
                    search.RankedHit, search.RankedHybridHit}  # and the Postgres one's
    assert found["sqlite"] - dialect_only == found["postgres"] - dialect_only


def test_both_dialects_give_the_same_json(sqlite_url: str, pg_urls: tuple[str, str]) -> None:
    prefix = uuid.uuid4().hex[:8]
    out = []
    for url in (sqlite_url, pg_urls[1]):
        ids, clock = injected(prefix)
        with vesta_sql.connect(url, id_factory=ids, clock=clock) as db:
            out.append([json.dumps(vesta_sql.jsonable(v), sort_keys=True) for _, v in scenario(db, prefix)
                        if dataclasses.is_dataclass(v)])
    assert out[0] == out[1]


def test_jsonable_converts_times_to_utc_and_refuses_what_is_not_a_record() -> None:
    local = datetime(2026, 1, 1, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    plan = records.Plan(id="p", account_id="a", creator_id="c", name="n", description=None, status="active",
                        created_at=local, updated_at=local)
    assert vesta_sql.jsonable(plan)["created_at"] == "2026-01-01T12:00:00.000000Z"
    with pytest.raises(TypeError, match="expects a vesta_sql record"):
        vesta_sql.jsonable({"id": "x"})
