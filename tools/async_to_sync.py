#!/usr/bin/env python3
"""Write the synchronous modules from their asynchronous sources: the async side is written once, by hand.

    python tools/async_to_sync.py          # rewrite every generated module
    python tools/async_to_sync.py --check  # exit 1, naming them, if any generated module is stale

The rewrite works on tokens, so the generated file keeps the source's layout, comments and
docstrings line for line (a traceback's line numbers are the source's, give or take the
blocks below):

* `async def`, `async with`, `async for` lose their `async`; `await` is dropped.
* Names (not words in prose) are renamed by `NAMES`: `AsyncDatabase` → `Database`,
  `asynccontextmanager` → `contextmanager`, and so on. A string that is exactly one of
  those names (an `__all__` entry) is renamed too.
* Where the two sides really differ, the source says so in a block

      if True:  # ASYNC
          ...what the async side does
      else:
          ...what the sync side does

  which becomes the `else` body (or nothing, without one) in the sync module. At run
  time the async module takes the first branch; type checkers skip the other, and
  vulture, which calls it unreachable, is told so by a `# noqa: V201` on its first line
  (dropped from the sync module, where the line is reached).

Then ruff sorts the imports and drops the ones the sync side no longer uses, and the
first line says where the file comes from.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# source → generated, relative to the repository root
MODULES = {
    "vesta_sql/facade_async.py": "vesta_sql/facade.py",
    "vesta_sql/drivers/postgres_async.py": "vesta_sql/drivers/postgres_sync.py",
}

NAMES = {
    # the standard library
    "AsyncIterator": "Iterator",
    "AsyncGenerator": "Generator",
    "AbstractAsyncContextManager": "AbstractContextManager",
    "asynccontextmanager": "contextmanager",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    # psycopg and psycopg_pool
    "AsyncConnection": "Connection",
    "AsyncConnectionPool": "ConnectionPool",
    # this package
    "AsyncDatabase": "Database",
    "AsyncTransaction": "Transaction",
    "AsyncSession": "Session",
    "AsyncDriver": "Driver",
    "AsyncProgramCall": "ProgramCall",
    "AsyncTxCall": "TxCall",
    "async_query_call": "query_call",
    "drive_async": "drive",
    "observed_async": "observed",
    "configure_async": "configure",
    "AsyncPostgresSession": "PostgresSession",
    "AsyncPostgresDriver": "PostgresDriver",
}

MARKER = "# ASYNC"
_VULTURE_NOQA = re.compile(r"  # noqa: V201\b.*$", re.MULTILINE)
_INDENT = " " * 4


def header(source: str) -> str:
    return f"# generated from {source} by tools/async_to_sync.py — edit that file, not this one\n"


def _is_marker(node: ast.AST, lines: list[str]) -> bool:
    return (isinstance(node, ast.If) and isinstance(node.test, ast.Constant) and node.test.value is True
            and lines[node.lineno - 1].rstrip().endswith(MARKER))


def keep_sync_branches(text: str, origin: str) -> str:
    """Replace each `if True:  # ASYNC` block by its `else` body, one indent less."""
    lines = text.splitlines(keepends=True)
    blocks = [node for node in ast.walk(ast.parse(text, origin)) if isinstance(node, ast.If) and _is_marker(node, lines)]
    for node in sorted(blocks, key=lambda n: n.lineno, reverse=True):
        assert node.end_lineno is not None
        if any(_is_marker(inner, lines) for inner in ast.walk(node) if inner is not node):
            raise SystemExit(f"{origin}:{node.lineno}: an `if True:  {MARKER}` block inside another is not supported")
        if len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If) and node.orelse[0].lineno == _else_line(node, lines):
            raise SystemExit(f"{origin}:{node.lineno}: `elif` after `if True:  {MARKER}` is not supported")
        kept: list[str] = []
        if node.orelse:
            indent = lines[node.lineno - 1][: node.col_offset] + _INDENT
            for line in lines[_else_line(node, lines):node.end_lineno]:
                if line.strip() and not line.startswith(indent):
                    raise SystemExit(f"{origin}: the else branch of line {node.lineno} must be indented 4 spaces more")
                kept.append(_VULTURE_NOQA.sub("", line[len(_INDENT):]) if line.strip() else line)
        lines[node.lineno - 1:node.end_lineno] = kept
    return "".join(lines)


def _else_line(node: ast.If, lines: list[str]) -> int:
    """The 1-based line number of the block's `else:`."""
    assert node.body[-1].end_lineno is not None
    for number in range(node.body[-1].end_lineno, node.orelse[0].lineno):
        if lines[number].strip().startswith("else:"):
            return number + 1
    raise SystemExit(f"line {node.lineno}: cannot find the `else:` of an `if True:  {MARKER}` block")


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def rewrite_tokens(text: str) -> str:
    """Drop `async` and `await`, rename `NAMES`; everything else (comments, spacing, prose) stays as written.

    A continuation line aligned past a dropped word moves left with it, so that
    `async def f(a,` / `            b)` stays aligned.
    """
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def offset(position: tuple[int, int]) -> int:
        return starts[position[0] - 1] + position[1]

    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    edits: list[tuple[int, int, str]] = []
    dropped: list[tuple[int, int, int]] = []  # (row, column, width) of each dropped word, in this logical line
    for index, token in enumerate(tokens):
        if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            dropped = []
        elif dropped and token.start[0] > dropped[-1][0] and tokens[index - 1].end[0] < token.start[0]:
            # the first token of a continuation line: dedent it by what was dropped to its left above
            width = sum(w for row, column, w in dropped if column < token.start[1])
            if width and text[offset((token.start[0], 0)):offset(token.start)].endswith(" " * width):
                edits.append((offset(token.start) - width, offset(token.start), ""))
        if token.type == tokenize.NAME and token.string in ("async", "await"):
            following = tokens[index + 1]
            if token.string == "async" and following.string not in ("def", "with", "for"):
                raise SystemExit(f"line {token.start[0]}: `async` before {following.string!r}")
            edits.append((offset(token.start), offset(following.start), ""))
            dropped.append((token.start[0], token.start[1], offset(following.start) - offset(token.start)))
        elif token.type == tokenize.NAME and token.string in NAMES:
            edits.append((offset(token.start), offset(token.end), NAMES[token.string]))
        elif token.type == tokenize.STRING and token.string[1:-1] in NAMES and token.string[0] == token.string[-1]:
            edits.append((offset(token.start) + 1, offset(token.end) - 1, NAMES[token.string[1:-1]]))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def tidy(text: str, target: str, root: Path = ROOT) -> str:
    """Sorted imports, none unused: what renaming and dropped branches leave to clean up."""
    done = subprocess.run(  # noqa: S603 (a fixed command line: this interpreter's ruff)
        [sys.executable, "-m", "ruff", "check", "--fix-only", "--quiet", "--select", "I,F401", "--stdin-filename", target, "-"],
        input=text, capture_output=True, text=True, cwd=root, check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"ruff could not tidy {target}: {done.stderr.strip()}")
    return done.stdout


def generate(source: str, target: str, root: Path = ROOT) -> str:
    text = (root / source).read_text(encoding="utf-8")
    return tidy(header(source) + rewrite_tokens(keep_sync_branches(text, source)), target, root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that every generated module is up to date")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this tool's)")
    args = parser.parse_args(argv)
    stale = []
    for source, target in MODULES.items():
        text = generate(source, target, args.root)
        path = args.root / target
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        if args.check:
            stale.append(target)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {target} (from {source})")
    if stale:
        print(f"stale: {', '.join(stale)}: edit the async source, then run `python tools/async_to_sync.py`",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
