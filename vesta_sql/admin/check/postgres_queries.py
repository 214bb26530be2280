"""Every Postgres query prepared on the scratch database `check --postgres-url` migrates.

The scope proof reads a query's text, not the schema: a column that does not exist or a
function Postgres lacks (SQLite's `group_concat` in a shared file) would load and fail at
its first call. Preparing each statement (parse, analyse, plan: nothing runs) on the
migrated schema finds those, as the D1 check does on SQLite. Each parameter is given the
type the driver sends for its declared kind (text is left to the server to infer, as
psycopg leaves it); a parameter whose type still cannot be inferred is not reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ...errors import VestaError
from ...loader import QuerySpec, folder_specs
from ...resources import queries_dir
from ...sqlfile import ordered
from .report import Problem, display

_UNTYPED = "could not determine data type of parameter"
# What psycopg sends for each declared kind (0: unknown, the server infers it, as for a str);
# an int goes as int8 here (psycopg picks the smallest type that holds the value).
_TYPES = {"int": "int8", "float": "float8", "bool": "bool", "datetime": "timestamptz", "now": "timestamptz",
          "json": "jsonb", "vector": "vector", "str_list": "_text"}


def postgres_specs(extra: Sequence[str | Path] = ()) -> Iterable[QuerySpec]:
    """The package's Postgres queries and the app's (a folder that does not load is reported by the proof's pass)."""
    for folder in [queries_dir(), *(Path(path) for path in extra)]:
        try:
            yield from list(folder_specs(folder, "postgres"))
        except VestaError:
            continue


def prepare_problems(conn: Any, specs: Iterable[QuerySpec]) -> list[Problem]:
    """What the server says of each statement it cannot prepare, at the query's file and line."""
    from psycopg import pq

    rows = conn.execute("select typname, oid from pg_type where typname = any(%s)", (list(set(_TYPES.values())),))
    oids = {str(name): int(oid) for name, oid in rows.fetchall()}
    problems = []
    for spec in specs:
        if spec.block is None:
            continue
        text, names = ordered(spec.block.sql, spec.block.binds, marker="$")
        kinds = [spec.params[name].kind if name in spec.params else "str" for name in names]
        types = [oids.get(_TYPES.get(kind, ""), 0) for kind in kinds]
        result = conn.pgconn.prepare(b"", text.encode(), param_types=types)
        if result.status == pq.ExecStatus.COMMAND_OK:
            continue
        message = (result.error_message or b"").decode(errors="replace").strip().splitlines()
        first = message[0].removeprefix("ERROR:").strip() if message else "the server refused to prepare it"
        if _UNTYPED not in first:
            problems.append(Problem(display(spec.file), spec.line, spec.qualified_name,
                                    f"does not prepare on the migrated Postgres schema: {first}"))
    return problems
