"""The SQLite side of `vesta-sql copy`: a SQLite file, or a `wrangler d1 export` dump loaded into a scratch file.

A D1 dump is plain SQL (`PRAGMA defer_foreign_keys=TRUE;`, `CREATE TABLE …`, `INSERT INTO
"t" VALUES(…);`, the indexes and triggers last). It is replayed statement by statement,
in one transaction, into a temporary SQLite file that lives as long as the source is open.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path
from types import TracebackType

from ...config import parse_url, redact
from ...errors import ConfigError

_DUMP_SUFFIX = ".sql"
# Statements of a dump that make no sense when replayed inside our own transaction.
_SKIPPED = ("begin transaction;", "begin;", "commit;", "end transaction;")


def source_path(spec: str) -> Path:
    """`sqlite:///file.db`, `sqlite:////abs/file.db`, or a plain path (a `.sql` path is a dump)."""
    if spec.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        raise ConfigError(f"the source must be SQLite (a file or a `wrangler d1 export` dump), not {redact(spec)}")
    if spec.startswith("sqlite:"):
        target = parse_url(spec)
        if target.sqlite_path in (None, ":memory:"):
            raise ConfigError("an in-memory SQLite database cannot be a copy source; give a file")
        assert target.sqlite_path is not None
        return Path(target.sqlite_path)
    return Path(spec)


class CopySource:
    """An open, read-only view of the source database (use as a context manager)."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.path = source_path(spec)
        self._scratch: str | None = None
        if not self.path.is_file():
            raise ConfigError(f"no such source file: {self.path}")
        if self.path.suffix.lower() == _DUMP_SUFFIX:
            self._scratch = tempfile.mkdtemp(prefix="vesta-copy-")
            loaded = Path(self._scratch) / "d1-export.db"
            try:
                load_dump(self.path, loaded)
            except BaseException:
                shutil.rmtree(self._scratch, ignore_errors=True)
                raise
            self.conn = sqlite3.connect(loaded, isolation_level=None, check_same_thread=False)
        else:
            _check_sqlite_file(self.path)
            uri = self.path.resolve().as_uri() + "?mode=ro"
            self.conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        self.conn.execute("pragma query_only = on")

    def close(self) -> None:
        self.conn.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def __enter__(self) -> CopySource:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def _check_sqlite_file(path: Path) -> None:
    with path.open("rb") as handle:
        header = handle.read(16)
    if header != b"SQLite format 3\x00":
        raise ConfigError(f"{path} is not a SQLite database (nor a .sql dump)")


def load_dump(dump: Path, into: Path) -> int:
    """Replay a SQL dump into a new SQLite file, in one transaction; returns the statements run."""
    conn = sqlite3.connect(into, isolation_level=None)
    count = 0
    try:
        conn.execute("pragma journal_mode = off")
        conn.execute("pragma synchronous = off")
        conn.execute("begin")
        pending = ""
        with dump.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                pending += line
                if not sqlite3.complete_statement(pending):
                    continue
                statement, pending = pending.strip(), ""
                if statement.lower() in _SKIPPED:
                    continue
                try:
                    conn.execute(statement)
                except sqlite3.Error as exc:
                    raise ConfigError(f"{dump}:{number}: cannot load the SQL dump: {exc}") from None
                count += 1
        if pending.strip():
            raise ConfigError(f"{dump}: the SQL dump ends in the middle of a statement")
        conn.execute("commit")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{dump}: not a UTF-8 SQL dump ({exc.reason})") from None
    finally:
        conn.close()
    return count
