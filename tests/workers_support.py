"""The generated TypeScript client inside workerd: the test Worker, its local D1, and the Python side of the same file.

`wrangler d1 migrations apply --local` migrates the local D1; the test Worker
(tests/workers/worker.ts, bundled by wrangler) runs the committed client on it in one
long-lived workerd (tests/workers/runner.mjs); the Python façade opens the same SQLite file
(yoyo's record is added to it, so `vesta_sql.connect` accepts it), so both sides read and
write the same rows.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import sqlite3
import subprocess
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import vesta_sql
from vesta_sql.admin.export.typescript.naming import camel
from vesta_sql.dialects.sqlite import SQLiteCodec
from vesta_sql.schema_version import expected

from .processes import stop
from .test_d1 import TIMEOUT_S, _require_node, _wrangler_env

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "tests" / "workers" / "wrangler.toml"
RUNNER = ROOT / "tests" / "workers" / "runner.mjs"
CODEC = SQLiteCodec()


def _sqlite_file(persist: Path) -> Path:
    files = [path for path in persist.glob("v3/d1/miniflare-D1DatabaseObject/*.sqlite") if path.name != "metadata.sqlite"]
    assert len(files) == 1, files
    return files[0]


def _stamp_yoyo(path: Path) -> None:
    """Record the migrations wrangler applied the way yoyo does, so the façade's schema check accepts the file."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("create table _yoyo_migration (migration_hash text primary key, migration_id text, applied_at_utc text)")
        conn.executemany("insert into _yoyo_migration values (?, ?, '2025-01-01 00:00:00')",
                         [(name, name) for name in expected("sqlite")])
    conn.close()


@dataclass
class Workers:
    url: str
    path: Path  # the local D1's SQLite file
    db: vesta_sql.Database

    def post(self, body: Mapping[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(self.url, data=json.dumps(body).encode(), method="POST",
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            answer: dict[str, Any] = json.loads(response.read())
        return answer

    def calls(self, calls: list[tuple[str, str, Any]], **extra: Any) -> dict[str, Any]:
        body = {"calls": [{"namespace": camel(ns), "name": camel(name), "args": to_ts(args)} for ns, name, args in calls],
                **extra}
        return self.post(body)

    def call(self, namespace: str, name: str, args: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.calls([(namespace, name, args)])["results"][0]
        return result

    def value(self, namespace: str, name: str, args: Any) -> Any:
        result = self.call(namespace, name, args)
        assert result["ok"], result
        return result["value"]


@pytest.fixture(scope="session")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    npx = _require_node()
    home = tmp_path_factory.mktemp("workers")
    persist = home / "state"
    command = [npx, "--no", "--", "wrangler", "d1", "migrations", "apply", "vesta", "--local", "--persist-to", str(persist),
               "-c", str(CONFIG)]
    applied = subprocess.run(command, cwd=ROOT, env=_wrangler_env(home), capture_output=True, text=True, timeout=TIMEOUT_S)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    path = _sqlite_file(persist)
    _stamp_yoyo(path)
    log = (home / "runner.log").open("w")
    process = subprocess.Popen(["node", str(RUNNER), "--config", str(CONFIG), "--persist", str(persist)], cwd=ROOT,
                               env=_wrangler_env(home), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)
    assert process.stdout is not None and process.stdin is not None
    line = process.stdout.readline()
    while line and not line.startswith('{"ready"'):  # wrangler writes its warnings to stdout too
        line = process.stdout.readline()
    assert line, f"the test Worker did not start:\n{(home / 'runner.log').read_text()[-4000:]}"
    db = vesta_sql.connect(f"sqlite:///{path}")
    try:
        yield Workers(json.loads(line)["url"], path, db)
    finally:
        db.close()
        process.stdin.close()
        stop(process, timeout=30, terminate=False)  # it ends once its input closes
        log.close()


# ---------------------------------------------------------------------------------------
# values both ways: Python → the Worker's JSON arguments, and both sides' results → one form


def to_ts(value: Any) -> Any:
    """Python arguments as the Worker takes them: camelCase keys, Timestamps, {"$f32": [...]} vectors."""
    if isinstance(value, dict):
        return {camel(key): to_ts(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_ts(item) for item in value]
    if isinstance(value, datetime):
        return CODEC.datetime_in(value)
    if isinstance(value, np.ndarray):
        return {"$f32": [float(item) for item in value]}
    return value


def _f32(array: Any) -> dict[str, str]:
    return {"$f32": base64.b64encode(np.asarray(array, dtype="<f4").tobytes()).decode("ascii")}


def from_python(value: Any) -> Any:
    """A façade result in the Worker's answer form: records as camelCase objects, datetimes as Timestamps."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {camel(field.name): from_python(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, list):
        return [from_python(item) for item in value]
    if isinstance(value, datetime):
        return CODEC.datetime_in(value)
    if isinstance(value, np.ndarray):
        return _f32(value)
    return value


def python_call(db: vesta_sql.Database, namespace: str, name: str, account: str | None, kwargs: Mapping[str, Any]) -> Any:
    """The façade's result (or ('error', class name)) for one call."""
    try:
        if namespace == "account_directory":
            return from_python(db.resolve_account(kwargs["kind"], kwargs["key"]))
        return from_python(getattr(getattr(db, namespace), name)(account_id=account, **kwargs))
    except vesta_sql.VestaError as exc:
        return ("error", type(exc).__name__)


_TS_ERRORS = {"IntegrityError": ("IntegrityError", "UniqueViolation", "ForeignKeyViolation", "UnknownAccount",
                                 "CheckViolation", "NotNullViolation")}


def same_error(ts: dict[str, Any], python: Any) -> bool:
    """A TypeScript error matches the façade's when it is the same class or its D1-side family."""
    if not (isinstance(python, tuple) and python[0] == "error") or ts["ok"]:
        return False
    name = ts["error"]["name"]
    return python[1] == name or python[1] in _TS_ERRORS.get(name, ())


UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
