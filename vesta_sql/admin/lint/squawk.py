"""Squawk (PyPI `squawk-cli`) over the Postgres migrations, its findings as `file:line: rule: what`.

yoyo runs each file in a transaction, so Squawk assumes one — except for a file with yoyo's
`-- transactional: false` header (e.g. `create index concurrently`), which runs without.
Rollback files drop what their forward file made by design, so the rules against that are
off for them. Applied migrations are excluded by name in `.squawk.toml`, each with a reason.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ...migration_files import forward_files
from ..check.report import Problem

# The oldest Postgres the package supports (the app role needs Postgres 16's CREATEROLE rules).
OLDEST_POSTGRES = "16"
ROLLBACK_EXCLUDED = ("ban-drop-table", "ban-drop-function", "require-concurrent-index-deletion")
CONFIG_NAME = ".squawk.toml"
INSTALL_HINT = "pip install 'vesta-sql[dev]' (or pip install squawk-cli)"
_NON_TRANSACTIONAL = re.compile(r"^--\s*transactional\s*:\s*false\s*$", re.I | re.M)
# `-- squawk-ignore rule[, rule] -- why`: Squawk reads the rules, the reason is for reviewers
_IGNORE = re.compile(r"--\s*squawk-ignore(?:-file)?\b([^\n]*)", re.I)


class SquawkMissing(Exception):
    """squawk-cli is not installed."""


def squawk_binary(*, beside: Path | None = None, path: str | None = None) -> str:
    """The `squawk` next to this interpreter (a virtualenv's), else on PATH (both overridable to test)."""
    local = (beside or Path(sys.executable).parent) / "squawk"
    if local.is_file():
        return str(local)
    found = shutil.which("squawk", path=path)
    if found is None:
        raise SquawkMissing(f"squawk is not installed, so the Postgres migrations cannot be linted: {INSTALL_HINT}")
    return found


def is_transactional(path: Path) -> bool:
    """yoyo's header: `-- transactional: false` in the file's leading comments runs it outside a transaction."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("--"):
            return True  # yoyo reads directives from the leading comments only
        if _NON_TRANSACTIONAL.match(line.strip()):
            return False
    return True


def _run(binary: str, root: Path, config: Path, files: Sequence[Path], *, in_transaction: bool,
         excluded: Sequence[str] = ()) -> list[Problem]:
    if not files:
        return []
    command = [binary, "--reporter", "json", "--pg-version", OLDEST_POSTGRES, "--config", str(config),
               "--assume-in-transaction" if in_transaction else "--no-assume-in-transaction",
               "--no-error-on-unmatched-pattern"]
    if excluded:
        command.append("--exclude=" + ",".join(excluded))
    # paths relative to the root, as the config's excluded_paths name them
    command += [str(path.relative_to(root)) for path in files]
    # the command is ours: the squawk binary and file names, no shell
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120)  # noqa: S603
    try:
        findings = json.loads(result.stdout or "[]")
    except json.JSONDecodeError:
        why = result.stderr.strip() or result.stdout.strip()
        return [Problem(str(root / files[0]), 0, "squawk", f"squawk failed (exit {result.returncode}): {why}")]
    problems = []
    for item in findings:
        help_text = f" ({item['help']})" if item.get("help") else ""
        where = root / item["file"]
        # Squawk counts lines from 0
        problems.append(Problem(str(where), int(item.get("line", 0)) + 1, str(item.get("rule_name", "squawk")),
                                f"{item.get('message', '')}{help_text}"))
    return problems


def _unexplained_ignores(path: Path) -> list[Problem]:
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _IGNORE.search(line)
        if match and not re.search(r"\s--\s*\S", match.group(1)):
            problems.append(Problem(str(path), number, "squawk-ignore",
                                    "say why on the same line: `-- squawk-ignore RULE -- the reason`"))
    return problems


def lint_postgres(folder: Path, *, root: Path | None = None) -> list[Problem]:
    """Squawk's findings for `folder`'s forward files and `folder/rollback/`'s (paths relative to `root`)."""
    root = root or folder.parent.parent
    binary = squawk_binary()
    forward = forward_files(folder)
    rollback = sorted((folder / "rollback").glob("*.sql"))
    with tempfile.TemporaryDirectory(prefix="vesta-squawk-") as scratch:
        config = root / CONFIG_NAME
        if not config.is_file():  # a root of its own (e.g. a test's): no exclusions, and never one found further up
            config = Path(scratch) / CONFIG_NAME
            config.write_text("", encoding="utf-8")
        problems: list[Problem] = []
        for files, excluded in ((forward, ()), (rollback, ROLLBACK_EXCLUDED)):
            # a rollback runs as its forward file says (yoyo reads the header there)
            atomic = [p for p in files if is_transactional(folder / p.name if (folder / p.name).is_file() else p)]
            loose = [p for p in files if p not in atomic]
            problems += _run(binary, root, config, atomic, in_transaction=True, excluded=excluded)
            problems += _run(binary, root, config, loose, in_transaction=False, excluded=excluded)
    for path in [*forward, *rollback]:
        problems += _unexplained_ignores(path)
    return problems
