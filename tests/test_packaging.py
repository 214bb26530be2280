"""The wheel carries the SQL: a non-editable install must find queries/ and migrations/."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_queries_and_migrations(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(ROOT)],
                   check=True, timeout=300)
    wheel = next(tmp_path.glob("vesta_sql-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in (ROOT / "queries").rglob("*.sql"):
        assert f"vesta_sql/_sql/queries/{path.relative_to(ROOT / 'queries').as_posix()}" in names
    for path in (ROOT / "migrations").rglob("*.sql"):
        assert f"vesta_sql/_sql/migrations/{path.relative_to(ROOT / 'migrations').as_posix()}" in names
    assert any(name.endswith("entry_points.txt") for name in names)
    assert "vesta_sql/proof/record.json" in names  # the package's queries load without sqlglot
    studio = ROOT / "vesta_sql" / "admin" / "studio"
    for path in [*(studio / "templates").iterdir(), *(studio / "static").iterdir()]:  # the studio works offline
        assert f"vesta_sql/admin/studio/{path.relative_to(studio).as_posix()}" in names
    for template in ("runtime.ts", "codecs.ts", "queries.ts", "client.ts", "programs.ts"):  # `export typescript` from a wheel
        assert f"vesta_sql/admin/export/typescript/{template}" in names
