"""The README's and the extending page's snippets work as written, on a fresh database: the migrate command,
then the Python."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

import vesta_sql
from vesta_sql.admin import cli

ROOT = Path(__file__).resolve().parent.parent


def blocks(path: Path, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


def run_python(code: str, where: str) -> None:
    """Run a snippet; a last line that says it raises TenantScopeError must do exactly that."""
    lines = code.rstrip().splitlines()
    if "TenantScopeError" in lines[-1].partition("#")[2]:
        namespace: dict[str, Any] = {}
        exec(compile("\n".join(lines[:-1]), where, "exec"), namespace)  # the README's own code
        with pytest.raises(vesta_sql.TenantScopeError):
            exec(compile(lines[-1], where, "exec"), namespace)
    else:
        exec(compile(code, where, "exec"), {})


def test_the_readme_snippet_runs_after_its_migrate_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a fresh machine: nothing migrated yet
    readme = ROOT / "README.md"
    (command,) = [line for block in blocks(readme, "sh") for line in block.splitlines() if "migrate --url" in line]
    argv = shlex.split(command)
    assert argv[0] == "vesta-sql" and cli.main(argv[1:]) == 0
    (snippet,) = [block for block in blocks(readme, "python") if "vesta_sql.connect(" in block]
    run_python(snippet, str(readme))


def test_the_extending_pages_error_and_json_snippet_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    page = ROOT / "docs" / "extending.md"
    (command,) = [line for block in blocks(page, "sh") for line in block.splitlines() if "migrate --url" in line]
    assert cli.main(shlex.split(command)[1:]) == 0
    (snippet,) = [block for block in blocks(page, "python") if "vesta_sql.connect(\"sqlite" in block]
    capsys.readouterr()
    run_python(snippet, str(page))
    printed = capsys.readouterr().out
    assert '"slug": "ada"' in printed and 'Z"' in printed
