"""The committed proof record: the package's own texts load without sqlglot, and the record cannot be bent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from vesta_sql.admin import migrate
from vesta_sql.admin.check import proof_record
from vesta_sql.proof import record


def test_the_committed_record_is_what_the_proof_makes_now() -> None:
    assert proof_record.main(["--check"]) == 0


def test_an_edited_record_is_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(record.RECORD_PATH.read_text(encoding="utf-8"))
    data["dialects"]["sqlite"]["accepted"].append("0" * 64)  # a text nobody proved
    edited = tmp_path / "record.json"
    edited.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    monkeypatch.setattr(proof_record, "RECORD_PATH", edited)
    assert proof_record.main(["--check"]) == 1
    assert "stale" in capsys.readouterr().err


def test_a_record_made_by_another_proof_version_or_schema_is_ignored(tmp_path: Path) -> None:
    data = json.loads(record.RECORD_PATH.read_text(encoding="utf-8"))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**data, "proof_version": "another"}), encoding="utf-8")
    assert record.load_record(other) == record.EMPTY
    data["dialects"]["sqlite"]["schema"] = "another"
    schema = tmp_path / "schema.json"  # (load_record remembers each path it read)
    schema.write_text(json.dumps(data), encoding="utf-8")
    loaded = record.load_record(schema)
    assert "sqlite" not in loaded.accepted and "postgres" in loaded.accepted


def test_the_package_queries_load_without_sqlglot(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate.apply(url)
    code = (f"import sys, vesta_sql; db = vesta_sql.connect({url!r}); db.close(); "
            "print(sorted(m for m in ('sqlglot', 'psycopg', 'numpy', 'yoyo') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"
