"""The library side stays light: an app's `import vesta_sql`, `connect()` and a call on SQLite load none of
the admin side, nor the drivers and tools only other paths need. A separate process, so this suite's own
imports don't count."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from vesta_sql.admin import migrate

HEAVY = ("yoyo", "psycopg", "psycopg_pool", "pgvector", "numpy", "sqlglot", "aiosqlite")

PROGRAM = """
import json, sys
import vesta_sql
extra = sys.argv[2:] or None
db = vesta_sql.connect(sys.argv[1], extra_queries=extra)
db.accounts.register(account_id="acct-footprint")
db.creators.list(account_id="acct-footprint")
db.close()
loaded = sorted(name for name in sys.modules
                if name.split(".")[0] in {heavy} or name.startswith("vesta_sql.admin"))
print(json.dumps(loaded))
"""


def _loaded(url: str, *extra: str) -> list[str]:
    program = PROGRAM.replace("{heavy}", repr(set(HEAVY)))
    result = subprocess.run([sys.executable, "-c", program, url, *extra], capture_output=True, text=True, check=True)
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_a_sqlite_call_imports_no_admin_module_and_no_heavy_dependency(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate.apply(url)
    assert _loaded(url) == []


def test_only_an_app_query_missing_from_the_proof_record_brings_sqlglot(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate.apply(url)
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "reports.sql").write_text(
        "-- name: creator_count(account_id)$\nselect count(*) from creators where account_id = :account_id;\n", encoding="utf-8")
    loaded = _loaded(url, str(folder))
    assert [name for name in loaded if name.split(".")[0] == "sqlglot"], "the app's query was not proven"
    assert [name for name in loaded if name.split(".")[0] != "sqlglot"] == []
