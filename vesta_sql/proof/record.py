"""The proof record: hashes of the query texts the proof accepted, so `connect` need not run sqlglot on them.

The record is made at build time (`python -m vesta_sql.admin.check.proof_record`) and committed;
`scripts/test` makes it again and fails when it differs, so a hand-edited record cannot
let a text through. Each entry is a hash of one query's exact text with what the proof
reads besides (dialect, whether it is a directory query, the record class and its
fields). The whole record is ignored when it was made by another version of the proof
(a hash of the proof's own source) or for another schema (a hash of the migrations):
every text is then proven at load. Any text not in the record is proven at load.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..migration_files import forward_files
from ..resources import migrations_dir

if TYPE_CHECKING:  # the tables are needed only to prove a text not in the record: imported then
    from .tables import Tables

RECORD_PATH = Path(__file__).with_name("record.json")
FORMAT = "vesta-sql/proof-record"
# the sources whose behaviour the record vouches for: the parser and the proof itself
_PROOF_SOURCES = (
    Path(__file__).parent.parent / "sqlfile.py",
    Path(__file__).parent.parent / "migration_files.py",  # which migration files the tables are learned from
    *sorted(Path(__file__).parent.glob("*.py")),
    *sorted((Path(__file__).parent.parent / "schema").glob("*.py")),  # what the proof learns the tables with
)


@dataclass(frozen=True)
class ProofInput:
    """What the proof reads of one query."""

    sql: str
    binds: Sequence[str]  # the bind names the package's parser found, in order
    directory: bool = False  # the account directory's queries follow their own rule
    record: type | None = None

    def key(self, dialect: str) -> str:
        record = ""
        if self.record is not None:
            fields = ",".join(field.name for field in dataclasses.fields(self.record))
            record = f"{self.record.__module__}.{self.record.__qualname__}({fields})"
        text = "\0".join((dialect, "directory" if self.directory else "tenant", record, self.sql))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def proof_version() -> str:
    digest = hashlib.sha256()
    for path in _PROOF_SOURCES:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@cache
def schema_digest(dialect: str) -> str:
    digest = hashlib.sha256()
    for path in forward_files(migrations_dir(dialect)):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class ProofRecord:
    accepted: dict[str, frozenset[str]]  # dialect -> keys of accepted texts
    tables_json: dict[str, dict[str, Any]]  # dialect -> the schema the texts were proven against, as recorded

    def accepts(self, dialect: str, query: ProofInput) -> bool:
        return query.key(dialect) in self.accepted.get(dialect, frozenset())

    def tables(self, dialect: str) -> Tables | None:
        """The recorded schema of `dialect`, to prove a text against (None when the record has none)."""
        data = self.tables_json.get(dialect)
        return None if data is None else tables_from_json(dialect, data)


EMPTY = ProofRecord({}, {})


@cache
def load_record(path: Path = RECORD_PATH) -> ProofRecord:
    """The committed record, keeping only the dialects whose schema and proof version it was made for."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return EMPTY
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("proof_version") != proof_version():
        return EMPTY
    accepted: dict[str, frozenset[str]] = {}
    tables: dict[str, dict[str, Any]] = {}
    for dialect, entry in (data.get("dialects") or {}).items():
        if not isinstance(entry, dict) or entry.get("schema") != schema_digest(dialect):
            continue
        accepted[dialect] = frozenset(entry.get("accepted") or ())
        tables[dialect] = entry.get("tables") or {}
    return ProofRecord(accepted, tables)


def tables_to_json(tables: Tables) -> dict[str, Any]:
    return {
        "tables": {name: {"columns": sorted(info.column_names), "kind": info.kind}
                   for name, info in sorted(tables.tables.items())},
        "triggered": sorted(tables.triggered),
    }


def tables_from_json(dialect: str, data: dict[str, Any]) -> Tables:
    from ..schema.model import Column, Trigger
    from .tables import TableInfo, Tables

    known = {name: TableInfo(name, info["kind"], tuple(Column(c) for c in info["columns"]))
             for name, info in data.get("tables", {}).items()}
    return Tables(dialect, known, tuple(Trigger("", table) for table in data.get("triggered", ())))


def render_record(accepted: Mapping[str, Iterable[str]], tables: Mapping[str, Tables]) -> str:
    """The record's text for the given accepted keys (deterministic, so a stale record shows as a diff)."""
    dialects = {
        dialect: {"schema": schema_digest(dialect), "tables": tables_to_json(tables[dialect]), "accepted": sorted(set(keys))}
        for dialect, keys in sorted(accepted.items())
    }
    data = {"format": FORMAT, "proof_version": proof_version(), "dialects": dialects}
    return json.dumps(data, indent=1, sort_keys=True) + "\n"
