"""The README's main job: `vesta-sql demo` on the embedded default, twice."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_demo_runs_twice(tmp_path: Path) -> None:
    for run in range(2):
        result = subprocess.run([sys.executable, "-m", "vesta_sql", "demo"], cwd=tmp_path, capture_output=True, text=True,
                                timeout=120, env={"PATH": "/usr/bin:/bin"})
        assert result.returncode == 0, result.stderr
        assert ("8 applied" if run == 0 else "up to date") in result.stdout or "applied" in result.stdout
        assert "resolve_account('stripe_payment_intent', 'pi_demo_south') -> acc_demo_south" in result.stdout
        assert "refused before any SQL: TenantScopeError" in result.stdout
    assert (tmp_path / ".vesta" / "dev.db").is_file()
