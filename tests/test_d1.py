"""The package's SQLite migrations and queries on a real local Cloudflare D1 (wrangler + workerd).

(a) `wrangler d1 migrations apply --local` applies migrations/sqlite as it is, and records
    every file as applied.
(b) Every SQLite query of the package, taken from the `vesta-sql export d1` artifact (the
    SQL as D1 runs it, with ordered `?N` parameters), runs on that D1 with real values,
    encoded by the package's own SQLite codec, and gives the same rows (or row counts, or
    errors) as the same query through Python's sqlite3 on a file migrated by yoyo, from the
    same seed. Seeds, then reads, then writes (inserts, updates, deletes), then the reads
    again; finally every table is compared.

Node and the npm packages are required: without them the test is skipped locally, with the
reason, and fails in CI (`CI` set). `npm ci` at the repository root installs wrangler.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from vesta_sql.admin import migrate
from vesta_sql.dialects.sqlite import SQLiteCodec
from vesta_sql.dialects.sqlite import connect as sqlite_connect
from vesta_sql.loader import QuerySpec
from vesta_sql.param_declarations import REQUIRED
from vesta_sql.params import make_binder

from .processes import stop

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "tests" / "d1" / "wrangler.toml"
RUNNER = ROOT / "tests" / "d1" / "runner.mjs"
DATABASE = "vesta"
TIMEOUT_S = 120
T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


# ---------------------------------------------------------------------------------------
# Node, wrangler and the JSON-lines runner


def _require_node() -> str:
    """npx, when node, npx and the installed wrangler are all there; else skip (locally) or fail (CI)."""
    missing = [tool for tool in ("node", "npx") if shutil.which(tool) is None]
    if not (ROOT / "node_modules" / "wrangler" / "package.json").is_file():
        missing.append("node_modules/wrangler (run `npm ci` at the repository root)")
    if missing:
        reason = "the local D1 tests need Node 20+ and wrangler: missing " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(reason + " — required in CI", pytrace=False)
        pytest.skip(reason)
    return str(shutil.which("npx"))


def _wrangler_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "CI": "true",  # non-interactive: no confirmation prompt
        "WRANGLER_SEND_METRICS": "false",
        "WRANGLER_LOG_PATH": str(home / "logs"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "NO_COLOR": "1",
        "FORCE_COLOR": "0",
    })
    return env


def _wrangler(npx: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [npx, "--no", "--", "wrangler", *args, "-c", str(CONFIG)]
    result = subprocess.run(command, cwd=ROOT, env=_wrangler_env(home), capture_output=True, text=True, timeout=TIMEOUT_S)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@dataclass
class D1State:
    npx: str
    home: Path
    persist: Path  # what `--persist-to` gets; the runner uses persist / "v3"
    apply_output: str


@pytest.fixture(scope="module")
def d1_state(tmp_path_factory: pytest.TempPathFactory) -> D1State:
    npx = _require_node()
    home = tmp_path_factory.mktemp("d1")
    persist = home / "state"
    result = _wrangler(npx, home, "d1", "migrations", "apply", DATABASE, "--local", "--persist-to", str(persist))
    return D1State(npx, home, persist, result.stdout)


class D1Runner:
    """tests/d1/runner.mjs: one Node process, one local D1, JSON lines both ways."""

    def __init__(self, state: D1State) -> None:
        self.log = state.home / "runner.log"
        self._stderr = self.log.open("w")
        self.process = subprocess.Popen(
            ["node", str(RUNNER), "--config", str(CONFIG), "--persist", str(state.persist / "v3")],
            cwd=ROOT, env=_wrangler_env(state.home), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr, text=True, bufsize=1,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.next_id = 0
        ready = self._line()
        assert json.loads(ready) == {"ready": True}, ready

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _line(self) -> str:
        try:
            line = self.lines.get(timeout=TIMEOUT_S)
        except queue.Empty:
            line = None
        if line is None:
            raise AssertionError(f"the D1 runner stopped or timed out:\n{self.log.read_text()[-4000:]}")
        return line

    def request(self, sql: str, params: list[Any], mode: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.next_id += 1
        self.process.stdin.write(json.dumps({"id": self.next_id, "sql": sql, "params": params, "mode": mode}) + "\n")
        answer: dict[str, Any] = json.loads(self._line())
        assert answer["id"] == self.next_id, answer
        return answer

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        stop(self.process, timeout=30, terminate=False)  # it ends once its input closes
        self._stderr.close()


@pytest.fixture(scope="module")
def d1(d1_state: D1State) -> Iterator[D1Runner]:
    runner = D1Runner(d1_state)
    yield runner
    runner.close()


# ---------------------------------------------------------------------------------------
# (a) migrations


def _forward_migrations() -> list[str]:
    return sorted(path.name for path in (ROOT / "migrations" / "sqlite").glob("*.sql"))


def test_wrangler_applies_every_migration_locally(d1_state: D1State) -> None:
    for name in _forward_migrations():
        assert name in d1_state.apply_output
    assert "rollback" not in d1_state.apply_output  # the rollback/ folder is not wrangler's
    listed = _wrangler(
        d1_state.npx, d1_state.home, "d1", "migrations", "list", DATABASE, "--local", "--persist-to", str(d1_state.persist),
    )
    assert "No migrations to apply" in listed.stdout, listed.stdout
    executed = _wrangler(
        d1_state.npx, d1_state.home, "d1", "execute", DATABASE, "--local", "--persist-to", str(d1_state.persist),
        "--json", "--command", "select name from d1_migrations order by id",
    )
    rows = json.loads(executed.stdout)[0]["results"]
    assert [row["name"] for row in rows] == _forward_migrations()


# ---------------------------------------------------------------------------------------
# (b) every query, on D1 and on SQLite


def _export_artifact(tmp: Path) -> dict[str, Any]:
    out = tmp / "d1-queries.json"
    command = [sys.executable, "-m", "vesta_sql", "export", "d1", "--out", str(out)]
    subprocess.run(command, cwd=ROOT, check=True, timeout=TIMEOUT_S)
    artifact: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return artifact


def _specs() -> dict[tuple[str, str], QuerySpec]:
    from vesta_sql.admin.export.d1 import package_specs

    return {(spec.namespace, spec.name): spec for spec in package_specs()}


def _vec(seed: int) -> Any:
    vector = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
    return vector / np.linalg.norm(vector)


def _wire(value: Any) -> Any:
    """A bound or returned value as JSON (blobs as {"$blob": base64})."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$blob": base64.b64encode(bytes(value)).decode("ascii")}
    return value


_CONSTRAINT = re.compile(r"(UNIQUE|FOREIGN KEY|CHECK|NOT NULL) constraint failed(?::\s*\w+\.\w+(?:,\s*\w+\.\w+)*)?")


def _error_key(message: str) -> str:
    match = _CONSTRAINT.search(message)
    return match.group(0) if match else message


@dataclass
class Outcome:
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    changes: int | None = None
    error: str | None = None

    def key(self) -> tuple[Any, ...]:
        return (self.columns, self.rows, self.changes, None if self.error is None else _error_key(self.error))

    def summary(self) -> str:
        if self.error is not None:
            return f"error: {self.error[:160]}"
        if self.changes is not None:
            return f"{self.changes} changed"
        return f"{len(self.rows)} row(s)"


def _is_write(sql: str) -> str | None:
    code = re.sub(r"--[^\n]*", "", sql).strip().lower()
    for verb in ("insert", "update", "delete"):
        if code.startswith(verb) or re.match(rf"with\b.*?\)\s*{verb}\b", code, re.DOTALL):
            return verb
    return None


class Pair:
    """The same calls on D1 and on a yoyo-migrated SQLite file, with the same encoded values."""

    def __init__(self, d1: D1Runner, sqlite_path: Path, artifact: dict[str, Any]) -> None:
        self.d1 = d1
        self.conn = sqlite_connect(str(sqlite_path))
        self.entries = {(q["namespace"], q["name"]): q for q in artifact["queries"]}
        self.specs = _specs()
        self.ticks = 0
        self.report: dict[str, list[str]] = {}
        self.differences: list[str] = []
        self.notes: set[str] = set()

    def _clock(self) -> datetime:
        self.ticks += 1
        return T0 + timedelta(seconds=self.ticks)

    def _new_id(self) -> str:
        self.ticks += 1
        return f"id-{self.ticks:06d}"

    def bind(self, spec: QuerySpec, account: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        binder = make_binder(spec.qualified_name, spec.params, SQLiteCodec(), self._new_id, self._clock)
        allowed = {name for name, param in spec.params.items() if param.kind != "now"}
        return binder(account, {k: v for k, v in kwargs.items() if k in allowed})

    def sqlite(self, spec: QuerySpec, named: dict[str, Any]) -> Outcome:
        try:
            cursor = self.conn.execute(spec.sql, named)
            if spec.op == "count":
                return Outcome(changes=cursor.rowcount)
            rows = [[_wire(v) for v in row] for row in cursor.fetchall()]
            return Outcome([d[0] for d in cursor.description or ()], rows)
        except sqlite3.Error as exc:
            return Outcome(error=f"{type(exc).__name__}: {exc}")

    def on_d1(self, spec: QuerySpec, entry: dict[str, Any], named: dict[str, Any]) -> Outcome:
        params = [_wire(named[name]) for name in entry["params"]]
        answer = self.d1.request(entry["sql"], params, "changes" if spec.op == "count" else "raw")
        if not answer["ok"]:
            return Outcome(error=answer["error"])
        if spec.op == "count":
            if answer["meta"]["changes"] != answer["changes"]:
                self.notes.add(f"{spec.qualified_name}: D1's meta.changes ({answer['meta']['changes']}) counts trigger and "
                               f"cascade rows; changes() gives the statement's own count ({answer['changes']})")
            return Outcome(changes=answer["changes"])
        return Outcome(answer["columns"], answer["rows"])

    def call(self, namespace: str, name: str, account: str, kwargs: dict[str, Any], label: str) -> Outcome:
        spec = self.specs[(namespace, name)]
        named = self.bind(spec, account, kwargs)
        local, remote = self.sqlite(spec, named), self.on_d1(spec, self.entries[(namespace, name)], named)
        status = "same" if local.key() == remote.key() else "DIFFERENT"
        line = f"{label}: {status}; sqlite {local.summary()}; d1 {remote.summary()}"
        self.report.setdefault(f"{namespace}.{name}", []).append(line)
        if status != "same":
            self.differences.append(
                f"{namespace}.{name} [{label}]\n    sqlite: {local.key()}\n    d1:     {remote.key()}"
            )
        return local

    def dump(self, table: str) -> tuple[Outcome, Outcome]:
        """A table's rows on both sides, in one order, without columns that hold random values."""
        columns = [row[1] for row in self.conn.execute(f'pragma table_info("{table}")')
                   if (table, row[1]) not in RANDOM_COLUMNS]
        sql = f"select {', '.join(f'{chr(34)}{c}{chr(34)}' for c in columns)} from \"{table}\""
        local = Outcome(columns, sorted(([_wire(v) for v in row] for row in self.conn.execute(sql)), key=repr))
        answer = self.d1.request(sql, [], "raw")
        if not answer["ok"]:
            return local, Outcome(error=answer["error"])
        return local, Outcome(answer["columns"], sorted(answer["rows"], key=repr))


# The seed, per account: (namespace, query, kwargs). Ids are given so that the same rows
# exist on both sides; a step whose query is missing is left out (and reported).
def _seed(p: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("accounts", "register", {}),
        ("creators", "create", {"id": f"{p}-c1", "name": "Ada", "slug": f"{p}-ada", "email": f"ada@{p}.io", "bio": "Writes.",
                                "workos_org_id": f"org_{p}"}),
        ("creators", "create", {"id": f"{p}-c2", "name": "Bob", "slug": f"{p}-bob", "email": f"bob@{p}.io"}),
        ("creators", "add_label", {"id": f"{p}-lbl1", "creator_id": f"{p}-c1", "label": "featured"}),
        ("posts", "create", {"id": f"{p}-post1", "creator_id": f"{p}-c1", "title": "Hello", "body": "First",
                             "status": "published", "embedding": _vec(1)}),
        ("posts", "create", {"id": f"{p}-post2", "creator_id": f"{p}-c1", "title": "Draft", "status": "draft"}),
        ("posts", "create", {"id": f"{p}-post3", "creator_id": f"{p}-c2", "title": "Other", "status": "published",
                             "embedding": _vec(3)}),
        ("posts", "add_update", {"id": f"{p}-upd1", "post_id": f"{p}-post1", "body": "An update"}),
        ("smart_links", "create", {"id": f"{p}-link1", "creator_id": f"{p}-c1", "slug": f"{p}-link", "title": "Links",
                                   "destinations": {"spotify": "https://example.com/s", "apple": "https://example.com/a"}}),
        ("engagement", "like", {"id": f"{p}-like1", "post_id": f"{p}-post1", "user_id": "u1"}),
        ("engagement", "like", {"id": f"{p}-like2", "post_id": f"{p}-post1", "user_id": "u2"}),
        ("engagement", "repost", {"id": f"{p}-rp1", "post_id": f"{p}-post1", "user_id": "u1"}),
        ("engagement", "add_comment", {"id": f"{p}-cm1", "post_id": f"{p}-post1", "user_id": "u1", "body": "Nice"}),
        ("pricing", "create_plan", {"id": f"{p}-plan1", "creator_id": f"{p}-c1", "name": "Pro", "description": "All posts"}),
        ("pricing", "add_tier", {"id": f"{p}-tier1", "plan_id": f"{p}-plan1", "name": "Monthly", "price_amount": 500,
                                 "currency": "EUR", "billing_interval": "month"}),
        ("pricing", "add_tier", {"id": f"{p}-tier2", "plan_id": f"{p}-plan1", "name": "Yearly", "price_amount": 5000,
                                 "currency": "EUR", "billing_interval": "year"}),
        ("subscriptions", "follow", {"id": f"{p}-f1", "creator_id": f"{p}-c1", "follower_id": "u1"}),
        ("subscriptions", "follow", {"id": f"{p}-f2", "creator_id": f"{p}-c1", "follower_id": "u2"}),
        ("subscriptions", "subscribe", {"id": f"{p}-sub1", "tier_id": f"{p}-tier1", "subscriber_id": "u1",
                                        "current_period_start": T0, "current_period_end": T0 + timedelta(days=30)}),
        ("collections", "create", {"id": f"{p}-col1", "creator_id": f"{p}-c1", "title": "Best", "description": "Picks"}),
        ("collections", "add_item", {"id": f"{p}-item1", "collection_id": f"{p}-col1", "post_id": f"{p}-post1"}),
        ("collections", "add_item", {"id": f"{p}-item2", "collection_id": f"{p}-col1", "post_id": f"{p}-post3"}),
        ("stripe_payments", "record", {"id": f"{p}-pay1", "creator_id": f"{p}-c1", "stripe_payment_intent_id": f"pi_{p}_1",
                                       "amount": 1000, "currency": "EUR", "status": "succeeded", "description": "Tip",
                                       "metadata": {"order": "o1"}}),
        ("payment_shares", "create", {"id": f"{p}-sh1", "payment_id": f"{p}-pay1", "recipient_id": "r1", "amount": 700,
                                      "currency": "EUR"}),
        ("payment_shares", "create", {"id": f"{p}-sh2", "payment_id": f"{p}-pay1", "recipient_id": "r2", "amount": 300,
                                      "currency": "EUR"}),
        ("payouts", "create", {"id": f"{p}-po1", "recipient_id": "r1", "amount": 700, "currency": "EUR"}),
        ("payouts", "create", {"id": f"{p}-po2", "recipient_id": "r2", "amount": 300, "currency": "EUR"}),
        ("payout_routes", "upsert", {"id": f"{p}-rt1", "recipient_id": "r1", "destination_type": "stripe_connect",
                                     "destination_ref": "acct_1", "share_bps": 7000}),
        ("payment_settings", "upsert", {"id": f"{p}-ps1", "default_currency": "EUR", "payout_schedule": "weekly",
                                        "statement_descriptor": "VESTA SHOP"}),
        ("payment_system_logs", "append", {"id": f"{p}-log1", "event_type": "payment.recorded", "entity_type": "stripe_payment",
                                           "entity_id": f"{p}-pay1", "payload": {"amount": 1000}}),
        ("purchase_codes", "create", {"id": f"{p}-pc1", "code": f"CODE-{p}-1", "tier_id": f"{p}-tier1",
                                      "expires_at": T0 + timedelta(days=365)}),
        ("purchase_codes", "create", {"id": f"{p}-pc2", "code": f"CODE-{p}-2"}),
        ("account_agents", "add", {"id": f"{p}-ag1", "agent_user_id": "agent_1", "role": "admin"}),
    ]


def _known(p: str) -> dict[str, Any]:
    """Values of existing rows, by `namespace.param`, `namespace.query.param` or `param`."""
    return {
        "account_directory.kind": "smart_link", "account_directory.key": f"{p}-link",
        "creator_id": f"{p}-c1", "post_id": f"{p}-post1", "post_ids": [f"{p}-post1", f"{p}-post2", f"{p}-post3", "missing"],
        "collection_id": f"{p}-col1", "tier_id": f"{p}-tier1", "plan_id": f"{p}-plan1", "payment_id": f"{p}-pay1",
        "recipient_id": "r1", "user_id": "u1", "follower_id": "u1", "subscriber_id": "u1", "item_id": f"{p}-item1",
        "stripe_payment_intent_id": f"pi_{p}_1", "agent_user_id": "agent_1", "code": f"CODE-{p}-1",
        "entity_type": "stripe_payment", "entity_id": f"{p}-pay1", "email": f"ada@{p}.io", "label": "featured",
        "created_from": T0 - timedelta(days=1), "created_until": T0 + timedelta(days=1),
        "current_period_start": T0, "current_period_end": T0 + timedelta(days=60),
        "redeemed_by": "u9", "failure_reason": "card declined", "role": "finance", "include_archived": True, "limit": 10,
        "description": "Changed", "title": "Changed", "body": "Changed", "name": "Changed", "bio": "Changed",
        "price_amount": 750, "destinations": {"web": "https://example.com/w"}, "embedding": _vec(11),
        "posts.status": "published", "stripe_payments.status": "refunded",
        "creators.id": f"{p}-c1", "posts.id": f"{p}-post1", "smart_links.id": f"{p}-link1", "collections.id": f"{p}-col1",
        "payouts.id": f"{p}-po1", "subscriptions.id": f"{p}-sub1", "stripe_payments.id": f"{p}-pay1",
        "engagement.id": f"{p}-cm1", "pricing.id": f"{p}-plan1", "collections.find_item.id": f"{p}-item1",
        "pricing.find_tier.id": f"{p}-tier1",
        "pricing.change_price.id": f"{p}-tier1",
        "creators.slug": f"{p}-ada", "smart_links.slug": f"{p}-link",
        "creators.update.slug": f"{p}-ada-2", "smart_links.update.slug": f"{p}-link-2",
        "creators.update.workos_org_id": f"org_{p}_2",
        # deletes remove the rows the write phase created, so the seed stays for the reads after
        "creators.delete.id": f"{p}-c3", "posts.delete.id": f"{p}-post4", "smart_links.delete.id": f"{p}-link2",
        "collections.delete.id": f"{p}-col2", "collections.delete_item.id": f"{p}-item3",
        # updates run in name order: keep each one's target in the state it needs
        "payouts.mark_paid.id": f"{p}-po2", "pricing.archive_tier.id": f"{p}-tier2", "subscriptions.cancel.id": f"{p}-sub2",
        "engagement.delete_comment.user_id": "u1",
        # renumbering: move item1 (position 0) to position 1
        "collections.lift_positions.low": 0, "collections.lift_positions.high": 1, "collections.lift_positions.lift": 100,
        "collections.settle_positions.lift": 100, "collections.settle_positions.shift": -1,
        "collections.settle_positions.position": 1,
    }


# Values that make a write create something new (the keys of the seed are taken).
FRESH: dict[str, dict[str, Any]] = {
    "creators.create": {"id": "a-c3", "name": "Cy", "slug": "a-cy", "email": "cy@a.io", "workos_org_id": "org_a_cy"},
    "creators.add_label": {"creator_id": "a-c2", "label": "new"},
    "posts.create": {"id": "a-post4", "creator_id": "a-c2", "title": "Fresh", "status": "published", "embedding": _vec(9)},
    "posts.add_update": {"body": "Another"},
    "smart_links.create": {"id": "a-link2", "creator_id": "a-c2", "slug": "a-link-new", "title": "New"},
    "engagement.like": {"post_id": "a-post3", "user_id": "u3"},
    "engagement.repost": {"post_id": "a-post3", "user_id": "u3"},
    "engagement.add_comment": {"body": "Hey"},
    "pricing.create_plan": {"creator_id": "a-c2", "name": "Basic"},
    "pricing.add_tier": {"name": "Weekly", "price_amount": 100, "currency": "EUR", "billing_interval": "month"},
    "subscriptions.follow": {"creator_id": "a-c2", "follower_id": "u3"},
    "subscriptions.subscribe": {"id": "a-sub2", "tier_id": "a-tier2", "subscriber_id": "u4"},
    "collections.create": {"id": "a-col2", "creator_id": "a-c2", "title": "New"},
    "collections.add_item": {"id": "a-item3", "post_id": "a-post2"},
    "stripe_payments.record": {"stripe_payment_intent_id": "pi_a_new", "amount": 2500, "currency": "USD", "status": "processing",
                               "metadata": {"k": "v"}},
    "payment_shares.create": {"recipient_id": "r3", "amount": 0, "currency": "EUR"},
    "payouts.create": {"recipient_id": "r3", "amount": 100, "currency": "EUR"},
    "payout_routes.upsert": {"destination_type": "bank_account", "destination_ref": "iban_1", "share_bps": 5000},
    "payment_settings.upsert": {"default_currency": "USD", "payout_schedule": "monthly", "statement_descriptor": "NEW DESCR"},
    "payment_system_logs.append": {"event_type": "payout.created", "entity_type": "payout", "entity_id": "a-po1",
                                   "payload": {"k": 1}},
    "purchase_codes.create": {"code": "CODE-a-new", "tier_id": "a-tier2", "expires_at": T0 + timedelta(days=10)},
    "account_agents.add": {"agent_user_id": "agent_2", "role": "support"},
}

# Columns filled from randomblob() by the migrations' triggers: equal on neither side by design.
RANDOM_COLUMNS = {("posts_search_versions", "version"), ("posts_search_changes", "version")}

_BY_KIND: dict[str, Callable[[str], Any]] = {
    "str": lambda name: f"{name}-value", "int": lambda name: 1, "float": lambda name: 0.5, "bool": lambda name: True,
    "datetime": lambda name: T0, "json": lambda name: {"k": "v"}, "vector": lambda name: _vec(5),
    "str_list": lambda name: ["a-post1", "missing"],
}


def _params(spec: QuerySpec, known: dict[str, Any], fresh: bool) -> dict[str, Any]:
    """Realistic values for every parameter: fresh values for creations, seeded rows otherwise."""
    values: dict[str, Any] = {}
    overrides = FRESH.get(spec.qualified_name, {}) if fresh else {}
    for name, param in spec.params.items():
        if name in overrides:
            values[name] = overrides[name]
            continue
        if param.kind in ("now", "new_id"):
            continue  # the clock and the id factory make them
        for key in (f"{spec.qualified_name}.{name}", f"{spec.namespace}.{name}", name):
            if key in known:
                values[name] = known[key]
                break
        else:
            if param.default is not REQUIRED and not param.nullable:
                continue  # the declared default (keyset first page …)
            values[name] = _BY_KIND[param.kind](name)
    return values


@pytest.fixture(scope="module")
def pair(d1: D1Runner, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    tmp = tmp_path_factory.mktemp("d1-compare")
    path = tmp / "compare.db"
    migrate.apply(f"sqlite:///{path}")
    both = Pair(d1, path, _export_artifact(tmp))
    yield both
    both.conn.close()


def test_every_query_gives_the_same_rows_on_d1_and_sqlite(pair: Pair) -> None:
    specs = pair.specs
    runnable = {key: spec for key, spec in specs.items() if spec.runs_on_d1}
    exempt = sorted(f"{ns}.{name}" for (ns, name), spec in specs.items() if not spec.runs_on_d1)
    missing_seed: list[str] = []
    for account, prefix in (("acc-a", "a"), ("acc-b", "b")):
        for namespace, name, kwargs in _seed(prefix):
            if (namespace, name) not in runnable:
                missing_seed.append(f"{namespace}.{name}")
                continue
            outcome = pair.call(namespace, name, account, kwargs, f"seed {account}")
            assert outcome.error is None, f"seed step {namespace}.{name} failed on SQLite: {outcome.error}"

    reads = sorted(key for key, spec in runnable.items() if _is_write(spec.sql) is None)
    writes = sorted((("insert", "update", "delete").index(_is_write(spec.sql) or "insert"), key) for key, spec in runnable.items()
                    if _is_write(spec.sql) is not None)

    def run_reads(stage: str) -> None:
        for namespace, name in reads:
            spec = runnable[(namespace, name)]
            pair.call(namespace, name, "acc-a", _params(spec, _known("a"), False), f"{stage} acc-a")
            pair.call(namespace, name, "acc-b", _params(spec, _known("b"), False), f"{stage} acc-b")
            pair.call(namespace, name, "acc-b", _params(spec, _known("a"), False), f"{stage} acc-b with acc-a's ids")

    run_reads("read")
    for _, (namespace, name) in writes:
        spec = runnable[(namespace, name)]
        pair.call(namespace, name, "acc-a", _params(spec, _known("a"), True), "write acc-a")
    run_reads("read after writes")

    tables = [row[0] for row in pair.conn.execute(
        "select name from pragma_table_list where schema = 'main' and type = 'table'"
        " and name not like 'sqlite%' and name not like '%yoyo%' order by name")]
    for table in tables:
        local, remote = pair.dump(table)
        if local.key() != remote.key():
            pair.differences.append(f"table {table} after the run\n    sqlite: {local.key()}\n    d1:     {remote.key()}")

    lines = ["", "per-query results on the local D1 (same = same rows/counts/errors as SQLite):"]
    for query in sorted(pair.report):
        lines.append(f"  {query}")
        lines.extend(f"      {entry}" for entry in pair.report[query])
    lines.append("exempt ('-- d1: no'): " + (", ".join(exempt) or "none"))
    lines.extend(sorted(pair.notes))
    if missing_seed:
        lines.append("seed steps left out (no such query): " + ", ".join(missing_seed))
    text = "\n".join(lines)
    print(text)
    if os.environ.get("VESTA_D1_REPORT"):
        Path(os.environ["VESTA_D1_REPORT"]).write_text(text + "\n", encoding="utf-8")

    never = sorted(f"{ns}.{name}" for ns, name in runnable if f"{ns}.{name}" not in pair.report)
    assert not never, f"queries never run on D1: {never}"
    failing_on_d1 = sorted(q for q, entries in pair.report.items() if all("d1 error" in e for e in entries))
    assert not pair.differences, "D1 and SQLite differ:\n" + "\n".join(pair.differences)
    assert not failing_on_d1, f"queries that never succeeded on D1: {failing_on_d1}"
