"""Ruff sorts the generated imports and formats the generated files, with fixed settings.

The settings are given here (`--isolated`), not read from the project: the same sources
make the same text in this repository and in an app's. Ruff is a development dependency
(`pip install 'vesta-sql[dev]'`); the stubs are made by developers, never at run time.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys

from .model import LINE_LIMIT, StubError

_SETTINGS = ("--isolated", "--line-length", str(LINE_LIMIT), "--target-version", "py311")


def _ruff() -> list[str]:
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    found = shutil.which("ruff")
    if found is None:
        raise StubError("vesta-sql stubs formats the stubs with ruff, which is not installed: "
                        "pip install 'vesta-sql[dev]' (or pip install ruff), then run it again")
    return [found]


def _run(command: list[str], text: str, filename: str) -> str:
    done = subprocess.run(command, input=text, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
    if done.returncode != 0:
        raise StubError(f"ruff could not format the generated {filename}:\n{done.stderr.strip()}")
    return done.stdout


def tidy(lines: list[str], filename: str) -> str:
    """The generated lines as a file: imports sorted by ruff's isort rules, then formatted by `ruff format`."""
    ruff = _ruff()
    text = "\n".join(lines).strip("\n") + "\n"
    target = ["--stdin-filename", filename, "-"]
    text = _run([*ruff, "check", *_SETTINGS, "--select", "I", "--fix", "--exit-zero", "--quiet", *target], text, filename)
    return _run([*ruff, "format", *_SETTINGS, "--quiet", *target], text, filename)
