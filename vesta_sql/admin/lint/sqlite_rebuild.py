"""D1 rules no linter has: a table rebuild must not lose the rebuilt table's children or triggers.

SQLite changes most of a table by a rebuild: create a new table, copy the rows, drop the old
one, rename the new one. On D1 each migration file runs in one transaction, where
`pragma foreign_keys = off` has no effect and `defer_foreign_keys` does not stop cascades, so
dropping the old table deletes every row that references it with `on delete cascade` — silently
(real data loss reported by Drizzle users). Dropping a table also drops its triggers and indexes;
a rebuild that does not re-create them loses them silently (e.g. the account-directory triggers).

The schema each file starts from is learned by applying the files before it to an in-memory
database; rollback files are checked the same way, newest first, from the fully migrated schema.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ...migration_files import forward_files
from ..check.d1 import Statement, _strip, split_statements
from ..check.report import Problem

CASCADE_RULE = "d1-rebuild-cascade"
TRIGGER_RULE = "d1-rebuild-triggers"
_NAME = r"[\"`\[]?(\w+)[\"`\]]?"
_DROP = re.compile(rf"^\s*drop\s+table\s+(?:if\s+exists\s+)?(?:main\.)?{_NAME}", re.I)
_CREATE = re.compile(rf"^\s*create\s+table\s+(?:if\s+not\s+exists\s+)?(?:main\.)?{_NAME}", re.I)
_RENAME = re.compile(rf"^\s*alter\s+table\s+(?:main\.)?{_NAME}\s+rename\s+to\s+{_NAME}", re.I)
_INSERT = re.compile(rf"^\s*(?:insert|replace)\s+(?:or\s+\w+\s+)?into\s+(?:main\.)?{_NAME}", re.I)
_FROM = re.compile(rf"\b(?:from|join)\s+(?:main\.)?{_NAME}", re.I)


@dataclass(frozen=True)
class _Step:
    line: int
    code: str  # comments and literals blanked

    def match(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        return pattern.match(self.code)

    def reads(self) -> set[str]:
        return {name.lower() for name in _FROM.findall(self.code)}


def _steps(text: str) -> list[_Step]:
    return [_Step(s.line, _strip(s.text)) for s in split_statements(text) if isinstance(s, Statement)]


def _cascade_children(conn: sqlite3.Connection) -> dict[str, set[str]]:
    """parent → the tables whose rows a delete of its rows deletes (`on delete cascade`)."""
    children: dict[str, set[str]] = {}
    for (table,) in conn.execute("select name from sqlite_master where type = 'table'").fetchall():
        for row in conn.execute("select \"table\", on_delete from pragma_foreign_key_list(?)", (table,)):
            if str(row[1]).upper() == "CASCADE" and str(row[0]).lower() != str(table).lower():
                children.setdefault(str(row[0]).lower(), set()).add(str(table).lower())
    return children


def _triggers(conn: sqlite3.Connection) -> dict[str, set[str]]:
    """table → its triggers and explicit indexes (a drop takes both with it)."""
    found: dict[str, set[str]] = {}
    for name, table in conn.execute(
            "select name, tbl_name from sqlite_master where type in ('trigger', 'index') and sql is not null"):
        found.setdefault(str(table).lower(), set()).add(str(name))
    return found


def _descendants(table: str, children: dict[str, set[str]]) -> list[str]:
    seen: list[str] = []
    todo = sorted(children.get(table, ()))
    while todo:
        child = todo.pop(0)
        if child not in seen and child != table:
            seen.append(child)
            todo += sorted(children.get(child, ()))
    return seen


def _kept(child: str, at: int, steps: list[_Step]) -> bool:
    """Whether the file copies `child`'s rows to another table before step `at` and re-inserts them after it."""
    saved = any((m := s.match(_INSERT) or s.match(_CREATE)) and m.group(1).lower() != child and child in s.reads()
                for s in steps[:at])
    restored = any((m := s.match(_INSERT)) and m.group(1).lower() == child for s in steps[at + 1:])
    return saved and restored


def _rebuilt(table: str, at: int, steps: list[_Step]) -> bool:
    for step in steps[at + 1:]:
        renamed = step.match(_RENAME)
        created = step.match(_CREATE)
        if (renamed and renamed.group(2).lower() == table) or (created and created.group(1).lower() == table):
            return True
    return False


def _file_problems(path: Path, text: str, conn: sqlite3.Connection) -> list[Problem]:
    steps = _steps(text)
    children = _cascade_children(conn)
    before = _triggers(conn)
    problems: list[Problem] = []
    dropped: set[str] = set()
    rebuilds: dict[str, int] = {}
    for index, step in enumerate(steps):
        drop = step.match(_DROP)
        if not drop:
            continue
        table = drop.group(1).lower()
        lost = [c for c in _descendants(table, children) if c not in dropped and not _kept(c, index, steps)]
        dropped.add(table)
        if lost:
            problems.append(Problem(str(path), step.line, CASCADE_RULE, (
                f"dropping {table} deletes every row of {', '.join(lost)} on D1 (they reference it with "
                "`on delete cascade`; in a migration `pragma foreign_keys = off` has no effect and "
                "`defer_foreign_keys` does not stop cascades). The safe way, in this file: copy each child "
                f"to a plain table (`create table {lost[0]}_keep as select * from {lost[0]}`), rebuild {table}, "
                f"re-insert (`insert into {lost[0]} select * from {lost[0]}_keep`), drop the copy")))
        if _rebuilt(table, index, steps) and before.get(table):
            rebuilds[table] = step.line
    conn.executescript(text)
    after = _triggers(conn)
    for table, line in rebuilds.items():
        missing = sorted(before[table] - after.get(table, set()))
        if missing:
            problems.append(Problem(str(path), line, TRIGGER_RULE, (
                f"rebuilding {table} drops its trigger(s) and index(es) {', '.join(missing)}: re-create them in "
                f"this file, after the new table is renamed to {table} (copy their `create trigger` / `create "
                "index` from the migration that made them), or they vanish silently")))
    return problems


def lint_sqlite(folder: Path, *, skip: Iterable[str] = ()) -> list[Problem]:
    """The rebuild rules for `folder`'s forward files, in order, then its rollbacks, newest first."""
    skipped = set(skip)
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("pragma foreign_keys = on")
    problems: list[Problem] = []
    forward = forward_files(folder)
    rollbacks = [folder / "rollback" / p.name for p in reversed(forward) if (folder / "rollback" / p.name).is_file()]
    try:
        for path in [*forward, *rollbacks]:
            text = path.read_text(encoding="utf-8")
            try:
                if path.name in skipped:
                    conn.executescript(text)
                else:
                    problems += _file_problems(path, text, conn)
            except sqlite3.Error as exc:
                problems.append(Problem(str(path), 1, "d1-rebuild", f"does not apply on SQLite ({exc}); later files not checked"))
                break
    finally:
        conn.close()
    return problems
