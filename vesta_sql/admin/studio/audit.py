"""The audit trail of `--write`: one JSON line per change, appended (and flushed to disk) before it commits.

SQLite: `<database>.studio-audit.jsonl` next to the database file. Postgres: `--audit FILE`,
else `.vesta/studio-audit.jsonl` in the current folder. A file (not a table) keeps the
schema unchanged on both dialects and survives a rollback of the change it records.
"""

from __future__ import annotations

import getpass
import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ...config import parse_url, redact


def default_path(url: str) -> Path:
    target = parse_url(url)
    if target.dialect == "sqlite" and target.sqlite_path not in (None, ":memory:"):
        return Path(str(target.sqlite_path) + ".studio-audit.jsonl")
    return Path(".vesta") / "studio-audit.jsonl"


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment nor the password database
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    obj = getattr(value, "obj", None)  # psycopg's Jsonb wrapper
    if obj is not None:
        return obj
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)


class Audit:
    def __init__(self, path: Path, url: str, environment: str) -> None:
        self.path, self.database, self.environment = path, redact(url), environment
        self._lock = threading.Lock()

    def record(self, *, account: str, table: str, action: str, key: dict[str, Any], before: dict[str, Any] | None,
               after: dict[str, Any] | None) -> None:
        line = {
            "at": datetime.now(timezone.utc).isoformat(timespec="microseconds"),
            "who": _who(), "environment": self.environment, "database": self.database,
            "account_id": account, "table": table, "action": action,
            "key": {k: _plain(v) for k, v in key.items()},
            "before": None if before is None else {k: _plain(v) for k, v in before.items()},
            "after": None if after is None else {k: _plain(v) for k, v in after.items()},
        }
        text = json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
