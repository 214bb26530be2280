"""The generated TypeScript client inside workerd, on the local D1, against the Python façade on the same file.

Every exported query runs through the client (in the test Worker) and through the façade on
the same seeded two-account data, and the results are equal field by field; writes made by
either side read back the same through both. Then the guard, validation, monotonic ids and
`now`, atomic batches, D1 sessions (bookmarks) and `checkSchema`, all in workerd.
"""

from __future__ import annotations

import os
import re
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from vesta_sql.admin.export.d1 import package_specs
from vesta_sql.admin.export.typescript.naming import camel
from vesta_sql.loader import QuerySpec

from .test_d1 import FRESH, _is_write, _known, _params, _seed, _vec
from .workers_support import CODEC, UUID, Workers, from_python, python_call, same_error, to_ts, workers

__all__ = ["workers"]  # the fixture

STARTED = datetime.now(timezone.utc) - timedelta(minutes=1)


def _exported() -> dict[tuple[str, str], QuerySpec]:
    return {(spec.namespace, spec.name): spec for spec in package_specs() if spec.runs_on_d1}


def _for_b(value: Any) -> Any:
    """FRESH's values for account a, made account b's (ids, slugs and codes are unique across accounts)."""
    if isinstance(value, str):
        return re.sub(r"(^a-|_a_|-a-)", lambda m: m.group(0).replace("a", "b"), value)
    if isinstance(value, dict):
        return {key: _for_b(item) for key, item in value.items()}
    return value


def _masked(value: Any, account: str) -> Any:
    """A write's result with what differs between the two accounts' runs masked: made ids and times, the account."""
    if isinstance(value, dict):
        return {key: _masked(item, account) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item, account) for item in value]
    if isinstance(value, str):
        if UUID.match(value):
            return "<new id>"
        if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", value) and value >= STARTED.strftime("%Y-%m-%dT%H:%M:%S"):
            return "<now>"
        return re.sub(r"(^b-|_b_|-b-|@b\.)", lambda m: m.group(0).replace("b", "a"), value.replace(account, "acc-a"))
    return value


def _ts(workers: Workers, spec: QuerySpec, account: str, kwargs: dict[str, Any]) -> Any:
    if spec.namespace == "account_directory":
        answer = workers.call("", "resolveAccount", [kwargs["kind"], kwargs["key"]])
    else:
        answer = workers.call(camel(spec.namespace), camel(spec.name), {"account_id": account, **kwargs})
    return answer


def _compare(label: str, ts: dict[str, Any], python: Any, differences: list[str]) -> None:
    if ts["ok"]:
        if ts["value"] != python:
            differences.append(f"{label}\n    typescript: {ts['value']!r:.600}\n    python:     {python!r:.600}")
    elif not same_error(ts, python):
        differences.append(f"{label}\n    typescript: {ts['error']}\n    python:     {python!r:.300}")


def test_every_exported_query_gives_the_facades_results_field_by_field(workers: Workers) -> None:
    specs = _exported()
    ran: set[str] = set()
    differences: list[str] = []
    for account, prefix in (("acc-a", "a"), ("acc-b", "b")):
        for namespace, name, kwargs in _seed(prefix):
            answer = _ts(workers, specs[(namespace, name)], account, kwargs)
            assert answer["ok"], f"seed {namespace}.{name} through the client: {answer['error']}"
            ran.add(f"{namespace}.{name}")

    reads = sorted(key for key, spec in specs.items() if _is_write(spec.sql) is None)
    writes = sorted((("insert", "update", "delete").index(_is_write(spec.sql) or "insert"), key)
                    for key, spec in specs.items() if _is_write(spec.sql) is not None)

    def compare_reads(stage: str) -> None:
        for key in reads:
            spec = specs[key]
            for account, known in (("acc-a", _known("a")), ("acc-b", _known("b")), ("acc-b", _known("a"))):
                kwargs = _params(spec, known, False)
                label = f"{spec.qualified_name} [{stage}, {account}]"
                _compare(label, _ts(workers, spec, account, kwargs), python_call(workers.db, *key, account, kwargs), differences)
                ran.add(spec.qualified_name)

    compare_reads("seeded")
    for _, key in writes:  # the same write: the client on account a, the façade on account b
        spec = specs[key]
        ts = _ts(workers, spec, "acc-a", _params(spec, _known("a"), True))
        overrides = {name: _for_b(value) for name, value in FRESH.get(spec.qualified_name, {}).items()}
        kwargs = {**_params(spec, _known("b"), False), **{k: v for k, v in overrides.items() if k in spec.params}}
        python = python_call(workers.db, *key, "acc-b", kwargs)
        masked_ts = {**ts, "value": _masked(ts.get("value"), "acc-a")}
        _compare(f"{spec.qualified_name} [write]", masked_ts, _masked(python, "acc-b"), differences)
        ran.add(spec.qualified_name)
    compare_reads("after the client's and the façade's writes")

    never = sorted(f"{ns}.{name}" for ns, name in specs if f"{ns}.{name}" not in ran)
    assert not never, f"exported queries never run through the client: {never}"
    assert not differences, f"{len(differences)} difference(s) between the client and the façade:\n" + "\n".join(differences)


METADATA = {"note": "café ✓ \u2028 \U0001f600", "n": [1, 2.5, 1e-7, 1e300, None, True], "deep": {"x": {}, "q": "\"'"}}


def test_codecs_round_trip_both_ways(workers: Workers) -> None:
    """Microseconds, JSON (non-ASCII too), embeddings, booleans and nulls written by one side read the same on the other."""
    db = workers.db
    account = "acc-codec"
    workers.value("accounts", "register", {"account_id": account})
    workers.value("creators", "create", {"account_id": account, "id": "k-c1", "name": "Zoë", "slug": "k-zoe", "email": "z@k.io"})
    at = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)
    vector = _vec(42)
    post = workers.value("posts", "create", {"account_id": account, "creator_id": "k-c1", "title": "Ünïcode ✓",
                                             "status": "published", "embedding": vector})
    assert UUID.match(post["id"]) and post == from_python(db.posts.find_by_id(account_id=account, id=post["id"]))
    payment = workers.value("stripe_payments", "record", {
        "account_id": account, "creator_id": "k-c1", "stripe_payment_intent_id": "pi_k", "amount": 10, "currency": "EUR",
        "status": "succeeded", "metadata": METADATA})
    assert payment == from_python(db.stripe_payments.find_by_id(account_id=account, id=payment["id"]))
    code = workers.value("purchase_codes", "create", {"account_id": account, "code": "K-1",
                                                      "expires_at": {"$date": "2030-01-02T03:04:05.678Z"}})
    assert code["expiresAt"] == "2030-01-02T03:04:05.678000Z"
    workers.value("pricing", "create_plan", {"account_id": account, "id": "k-plan", "creator_id": "k-c1", "name": "P"})
    workers.value("pricing", "add_tier", {"account_id": account, "id": "k-tier", "plan_id": "k-plan", "name": "T",
                                          "price_amount": 1, "currency": "EUR", "billing_interval": "month"})
    sub = workers.value("subscriptions", "subscribe", {"account_id": account, "tier_id": "k-tier", "subscriber_id": "u",
                                                       "current_period_start": at, "current_period_end": at + timedelta(days=1)})
    assert sub["currentPeriodStart"] == "2025-03-01T12:00:00.123456Z"
    python_sub = db.subscriptions.find_by_id(account_id=account, id=sub["id"])
    assert python_sub is not None and python_sub.current_period_start == at and sub == from_python(python_sub)
    # the stored text is byte for byte what Python's codec writes (ASCII-only, compact)
    raw = sqlite3.connect(workers.path)
    stored = raw.execute("select metadata from stripe_payments where id = ?", (payment["id"],)).fetchone()[0]
    raw.close()
    assert stored == CODEC.json_text(METADATA)

    # and the other way: the façade writes, the client reads
    python_post = db.posts.create(account_id=account, creator_id="k-c1", title="From Python ✓", status="draft", embedding=_vec(7))
    assert workers.value("posts", "find_by_id", {"account_id": account, "id": python_post.id}) == from_python(python_post)
    python_pay = db.stripe_payments.record(account_id=account, creator_id="k-c1", stripe_payment_intent_id="pi_k2", amount=5,
                                           currency="EUR", status="processing", metadata={"ü": ["ß", 1]})
    assert workers.value("stripe_payments", "find_by_id", {"account_id": account, "id": python_pay.id}) == from_python(python_pay)
    assert workers.value("engagement", "has_liked", {"account_id": account, "post_id": python_post.id, "user_id": "u"}) is False
    db.engagement.like(account_id=account, post_id=python_post.id, user_id="u")
    assert workers.value("engagement", "has_liked", {"account_id": account, "post_id": python_post.id, "user_id": "u"}) is True


BAD_ACCOUNTS: list[Any] = [None, 5, "", "   ", " acc", "acc ", "x" * 129, "a\x00b", "a\u200bb", ["acc-a"]]


def test_guard_refuses_a_call_without_one_valid_account_before_preparing_anything(workers: Workers) -> None:
    specs = [spec for spec in _exported().values() if spec.namespace != "account_directory"]
    calls: list[dict[str, Any]] = []
    for spec in specs:
        for account in BAD_ACCOUNTS:
            args = {camel(k): v for k, v in to_ts(_params(spec, _known("a"), False)).items()}
            if account is not None:
                args["accountId"] = account
            calls.append({"namespace": camel(spec.namespace), "name": camel(spec.name), "args": args})
    answer = workers.post({"countPrepares": True, "calls": calls})
    assert answer["prepares"] == 0
    assert {result["error"]["name"] for result in answer["results"]} == {"TenantScopeError"}
    messages = {result["error"]["message"] for result in answer["results"][:len(BAD_ACCOUNTS)]}
    assert "accountId is required: every call is scoped to one account" in messages
    assert "accountId is 129 characters long; at most 128 are allowed" in messages
    batch = workers.calls([("purchaseCodes", "createBatch", {"codes": ["X"]})])["results"][0]
    assert batch["error"]["name"] == "TenantScopeError"
    # Python refuses the same accounts
    for account in BAD_ACCOUNTS:
        assert python_call(workers.db, "creators", "find_by_id", account, {"id": "x"}) == ("error", "TenantScopeError")


def test_validation_names_the_parameter_as_python_does(workers: Workers) -> None:
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        ("creators", "find_by_id", {"id": 5}, "parameter 'id' must be a string, got number"),
        ("posts", "create", {"creator_id": "a-c1", "title": "t", "status": "gone"}, "parameter 'status' must be one of"),
        ("posts", "list_by_creator", {"creator_id": "a-c1", "limit": 0}, "parameter 'limit' must be between 1 and 1000, got 0"),
        ("posts", "list_by_creator", {"creator_id": "a-c1", "limit": 2.5}, "parameter 'limit' must be an integer number"),
        ("posts", "create", {"creator_id": "a-c1", "title": "t", "status": "draft", "embedding": {"$f32": [1.0] * 3}},
         "parameter 'embedding' must have 384 dimensions, got 3"),
        ("smart_links", "create", {"creator_id": "a-c1", "slug": "s", "title": "t", "destinations": "nope"},
         "parameter 'destinations' must be an object or array (JSON)"),
        ("creators", "create", {"name": "n", "slug": "s", "email": "e", "bio": "x" * 2_000_001},
         "parameter 'bio' is 2,000,001 bytes encoded; the limit for one value is 2,000,000 bytes"),
        ("subscriptions", "subscribe", {"tier_id": "t", "subscriber_id": "u", "current_period_start": "2025-03-01",
                                        "current_period_end": "2025-03-02T00:00:00.000000Z"}, "parameter 'currentPeriodStart'"),
        ("creators", "find_by_id", {"id": "x", "idd": "y"}, "unexpected argument 'idd'"),
        ("creators", "find_by_id", {}, "missing argument 'id'"),
        ("accounts", "register", {"now": "2025-03-01T00:00:00.000000Z"}, "unexpected argument 'now'"),
    ]
    answer = workers.calls([(ns, camel(name), {"account_id": "acc-a", **args}) for ns, name, args, _ in cases],
                           countPrepares=True)
    assert answer["prepares"] == 0
    for (ns, name, args, words), result in zip(cases, answer["results"], strict=True):
        assert result["error"]["name"] == "InvalidInputError" and words in result["error"]["message"], (name, result)
        if "idd" not in args and "now" not in args and args:
            python = python_call(workers.db, ns, name, "acc-a", {k: v for k, v in args.items() if not isinstance(v, dict)
                                                                or "$f32" not in v})
            assert python == ("error", "InvalidInputError") or "embedding" in args, (name, python)
    batch = workers.calls([("purchaseCodes", "createBatch", {"account_id": "acc-a", "codes": ["A", "A"]})])["results"][0]
    assert batch["error"] == {"name": "InvalidInputError", "message": "purchase_codes.create_batch: code 'A' appears twice"}


def test_ids_and_now_increase_within_one_request(workers: Workers) -> None:
    """workerd's clock stands still in synchronous code: 100 inserts in one request still list back in order."""
    account = "acc-mono"
    workers.value("accounts", "register", {"account_id": account})
    workers.value("creators", "create", {"account_id": account, "id": "m-c1", "name": "M", "slug": "m", "email": "m@m.io"})
    post = {"account_id": account, "creator_id": "m-c1", "status": "draft"}
    answer = workers.calls([("posts", "create", {**post, "title": f"p{i}"}) for i in range(100)])
    made = [result["value"] for result in answer["results"]]
    assert [post["id"] for post in made] == sorted(post["id"] for post in made) and len({p["id"] for p in made}) == 100
    assert [post["createdAt"] for post in made] == sorted({post["createdAt"] for post in made})
    listed = workers.value("posts", "list_by_creator", {"account_id": account, "creator_id": "m-c1", "limit": 100})
    assert [post["title"] for post in listed] == [f"p{i}" for i in reversed(range(100))]
    python = workers.db.posts.list_by_creator(account_id=account, creator_id="m-c1", limit=100)
    assert from_python(python) == listed

    # one batch of 100 codes: the statements are all made in one synchronous loop
    codes = workers.value("purchase_codes", "createBatch", {"account_id": account, "codes": [f"M-{i:03d}" for i in range(100)]})
    assert [code["code"] for code in codes] == [f"M-{i:03d}" for i in range(100)]
    assert [c["id"] for c in codes] == sorted(c["id"] for c in codes)
    assert [c["createdAt"] for c in codes] == sorted({c["createdAt"] for c in codes})
    unused = workers.db.purchase_codes.list_unused(account_id=account, limit=1000)
    assert [code.code for code in unused] == [f"M-{i:03d}" for i in reversed(range(100))]


def test_a_batch_is_all_or_nothing(workers: Workers) -> None:
    account = "acc-batch"
    workers.value("accounts", "register", {"account_id": account})
    workers.value("purchase_codes", "create", {"account_id": account, "code": "TAKEN"})
    result = workers.call("purchaseCodes", "createBatch", {"account_id": account, "codes": ["NEW-1", "NEW-2", "TAKEN"]})
    assert result["error"]["name"] == "IntegrityError" and "UNIQUE" in result["error"]["message"]
    assert [code.code for code in workers.db.purchase_codes.list_unused(account_id=account)] == ["TAKEN"]


def test_a_d1_session_carries_its_bookmark_and_takes_writes_and_batches(workers: Workers) -> None:
    account = "acc-session"
    first = workers.calls([("accounts", "register", {"account_id": account}),
                           ("creators", "create", {"account_id": account, "id": "s-c1", "name": "S", "slug": "s-s",
                                                   "email": "s@s.io"})], session=None)
    assert all(result["ok"] for result in first["results"]) and first["bookmark"]
    second = workers.calls([("creators", "find_by_id", {"account_id": account, "id": "s-c1"}),
                            ("purchaseCodes", "createBatch", {"account_id": account, "codes": ["S-1", "S-2"]})],
                           session=first["bookmark"])
    assert second["results"][0]["value"]["name"] == "S" and len(second["results"][1]["value"]) == 2
    assert second["bookmark"] >= first["bookmark"]  # bookmarks order as their text
    third = workers.calls([("purchaseCodes", "listUnused", {"account_id": account})], session=second["bookmark"])
    assert [code["code"] for code in third["results"][0]["value"]] == ["S-2", "S-1"] and third["bookmark"] >= second["bookmark"]
    plain = workers.calls([("creators", "find_by_id", {"account_id": account, "id": "s-c1"})])
    assert plain["bookmark"] is None  # a plain binding has no session


def test_check_schema_on_the_local_d1(workers: Workers) -> None:
    assert workers.post({"checkSchema": {}}) == {"ok": True}
    conn = sqlite3.connect(workers.path)
    with conn:
        conn.execute("insert into d1_migrations (name) values ('9999_future.sql')")
    try:
        refused = workers.post({"checkSchema": {}})
        assert refused["error"]["name"] == "SchemaVersionError" and "9999_future" in refused["error"]["message"]
        assert workers.post({"checkSchema": {"allowNewer": True}}) == {"ok": True}
    finally:
        with conn:
            conn.execute("delete from d1_migrations where name = '9999_future.sql'")
        conn.close()


def test_the_report_names_what_is_left_out() -> None:
    readme = (Path(__file__).resolve().parents[1] / "clients" / "typescript" / "README.md").read_text(encoding="utf-8")
    for name in ("payment_shares.split", "collections.move_item", "collections.remove_item", "posts.search_version"):
        assert name in readme
    assert os.path.exists(Path(__file__).resolve().parents[1] / "clients" / "typescript" / "package.json")


_WRONG: dict[str, Any] = {"str": 5, "int": "1", "float": "x", "bool": 1, "datetime": 5, "json": "x", "vector": [1.0] * 3,
                          "str_list": "x"}


def test_every_parameter_is_validated_as_python_does(workers: Workers) -> None:
    """For each parameter of each exported query, a wrong value: both sides refuse it, naming it, before any statement."""
    cases: list[tuple[QuerySpec, str, dict[str, Any]]] = []
    for spec in _exported().values():
        for name, param in spec.params.items():
            if param.kind in ("now", "new_id"):
                continue
            wrong = _WRONG[param.kind]
            if param.choices is not None:
                wrong = "not-a-choice" if param.kind == "str" else 99_999
            elif param.bounds is not None:
                wrong = param.bounds[1] + 1
            cases.append((spec, name, {**_params(spec, _known("a"), True), name: wrong}))
    body = {"countPrepares": True, "calls": [
        {"namespace": "", "name": "resolveAccount", "args": [args["kind"], args["key"]]} if spec.namespace == "account_directory"
        else {"namespace": camel(spec.namespace), "name": camel(spec.name), "args": to_ts({"account_id": "acc-a", **args})}
        for spec, _, args in cases]}
    answer = workers.post(body)
    assert answer["prepares"] == 0
    problems = []
    for (spec, name, args), result in zip(cases, answer["results"], strict=True):
        try:
            if spec.namespace == "account_directory":
                workers.db.resolve_account(args["kind"], args["key"])
            else:
                getattr(getattr(workers.db, spec.namespace), spec.name)(account_id="acc-a", **args)
            python = "accepted"
        except Exception as exc:  # the class and the message are what is compared
            python = f"{type(exc).__name__}: {exc}"
        ts = "accepted" if result["ok"] else f"{result['error']['name']}: {result['error']['message']}"
        if not (ts.startswith("InvalidInputError") and f"parameter '{camel(name)}" in ts
                and python.startswith("InvalidInputError") and f"parameter '{name}" in python):
            problems.append(f"{spec.qualified_name}.{name}:\n    typescript: {ts}\n    python:     {python}")
    assert len(cases) > 100
    assert not problems, "\n".join(problems)
