"""Make or verify the committed proof record: `python -m vesta_sql.admin.check.proof_record [--check]`.

The record holds a hash of each of the package's query texts that the proof accepts
(see `vesta_sql.proof.record`); `scripts/test` runs this with `--check`, which fails
when the committed record differs from the one the proof makes now.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ...loader import folder_specs
from ...proof.prover import prove
from ...proof.record import RECORD_PATH, render_record
from ...proof.tables import Tables, learn_tables
from ...resources import DIALECTS, queries_dir


def make_record() -> str:
    accepted: dict[str, list[str]] = {}
    tables: dict[str, Tables] = {}
    for dialect in DIALECTS:
        tables[dialect] = learn_tables(dialect)
        accepted[dialect] = [
            spec.proof_input().key(dialect)
            for spec in folder_specs(queries_dir(), dialect)
            if not prove(spec.proof_input(), dialect, tables[dialect])
        ]
    return render_record(accepted, tables)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    text = make_record()
    current = RECORD_PATH.read_text(encoding="utf-8") if RECORD_PATH.exists() else ""
    if "--check" in args:
        if current != text:
            print(f"{RECORD_PATH.name} is stale: run `python -m vesta_sql.admin.check.proof_record` and commit it",
                  file=sys.stderr)
            return 1
        print("proof record: up to date")
        return 0
    RECORD_PATH.write_text(text, encoding="utf-8")
    print(f"proof record: wrote {RECORD_PATH.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
