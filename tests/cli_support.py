"""Helpers for the CLI tests: a project folder with its own config, the CLI run in-process, a typed answer."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from vesta_sql.admin import cli


@dataclass
class Run:
    code: int
    out: str
    err: str


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    """`vesta-sql ARGV…` in-process; argparse's own exits (help, version, usage) come back as codes."""
    capsys.readouterr()
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def project(folder: Path, config: str, name: str = "vesta-sql.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(config, encoding="utf-8")
    return folder


class Terminal(io.StringIO):
    """Standard input as a person at a terminal types it (the confirmation reads one line)."""

    def isatty(self) -> bool:
        return True


def typing(monkeypatch: pytest.MonkeyPatch, answer: str) -> None:
    monkeypatch.setattr(sys, "stdin", Terminal(answer + "\n"))
