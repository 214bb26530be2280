"""A table rebuild under `on delete cascade` on the real local D1: the children are lost, or kept the safe way.

Both migrations rebuild `shelves` (which `books` references with `on delete cascade`). The
first is the usual rebuild, `pragma foreign_keys = off` included: on D1 the pragma has no
effect inside the migration's transaction and every book is deleted. The second copies the
books to a plain table, rebuilds, re-inserts, drops the copy: every book is kept. The lint
refuses the first, with the safe way in its message, and accepts the second.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_d1 import ROOT, TIMEOUT_S, _require_node, _wrangler_env
from vesta_sql.admin.lint.sqlite_rebuild import CASCADE_RULE, lint_sqlite

FILES = ROOT / "tests" / "sql" / "rebuild"
CONFIG = """name = "vesta-sql-rebuild-test"
compatibility_date = "2025-01-01"

[[d1_databases]]
binding = "DB"
database_name = "rebuild"
database_id = "00000000-0000-4000-8000-000000000001"
migrations_dir = "migrations"
"""


def _project(tmp_path: Path, rebuild: str) -> Path:
    folder = tmp_path / rebuild
    (folder / "migrations").mkdir(parents=True)
    shutil.copyfile(FILES / "0001_parent_and_children.sql", folder / "migrations" / "0001_parent_and_children.sql")
    shutil.copyfile(FILES / f"{rebuild}.sql", folder / "migrations" / "0002_rebuild_shelves.sql")
    (folder / "wrangler.toml").write_text(CONFIG, encoding="utf-8")
    return folder


def _wrangler(npx: str, project: Path, *args: str) -> str:
    command = [npx, "--no", "--", "wrangler", "d1", *args, "rebuild", "--local",
               "--persist-to", str(project / "state"), "-c", str(project / "wrangler.toml")]
    result = subprocess.run(command, cwd=ROOT, env=_wrangler_env(project), capture_output=True, text=True,
                            timeout=TIMEOUT_S)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _books_after_rebuild(tmp_path: Path, rebuild: str) -> int:
    npx = _require_node()
    project = _project(tmp_path, rebuild)
    applied = _wrangler(npx, project, "migrations", "apply")
    assert "0002_rebuild_shelves.sql" in applied
    out = _wrangler(npx, project, "execute", "--json", "--command", "select count(*) as n from books")
    return int(json.loads(out[out.index("["):])[0]["results"][0]["n"])


@pytest.mark.parametrize(("rebuild", "books", "refused"), [("lost", 0, True), ("kept", 3, False)])
def test_a_rebuild_of_a_cascaded_parent_on_d1(tmp_path: Path, rebuild: str, books: int, refused: bool) -> None:
    assert _books_after_rebuild(tmp_path, rebuild) == books
    problems = lint_sqlite(tmp_path / rebuild / "migrations")
    if refused:
        assert [(Path(p.file).name, p.line, p.query) for p in problems] == [("0002_rebuild_shelves.sql", 10, CASCADE_RULE)]
        assert "create table books_keep as select * from books" in problems[0].message
        assert "insert into books select * from books_keep" in problems[0].message
    else:
        assert problems == []
