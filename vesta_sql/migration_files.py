"""A migrations folder's numbering: `0001_name.sql` upward with no gap or repeat, each with its rollback.

yoyo applies whatever files it finds, sorted by name, and applies a file that appears later
(restored, or merged from another branch) after the ones already applied. So a folder with a
missing number, or a database with a migration skipped, would be migrated out of order without
a word: the commands check both first (the database side is in `admin/migrate.py`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from .errors import MigrationError

_NAME = re.compile(r"^(\d{4})_\w+\.sql$")


def forward_files(folder: Path) -> list[Path]:
    """The forward migration files of a folder, in order (rollbacks live in `rollback/`)."""
    return sorted(folder.glob("*.sql"))


def _spans(numbers: list[int]) -> str:
    """1, 2, 3, 7 → "0001–0003, 0007": missing numbers, briefly."""
    spans: list[list[int]] = []
    for number in numbers:
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(f"{a:04d}" if a == b else f"{a:04d}–{b:04d}" for a, b in spans)


def _gap(numbers: list[int], hinted: list[str]) -> list[str]:
    missing = _missing(numbers)
    if not missing:
        return []
    hint = f" (rollback/ still holds {', '.join(hinted)})" if hinted else ""
    return [f"no file numbered {_spans(missing)}{hint}: restore the missing file(s); the numbers must run "
            f"0001–{numbers[-1]:04d} without a gap (a new migration takes the next number: `vesta-sql new NAME`)"]


def _missing(numbers: list[int]) -> list[int]:
    return sorted(set(range(1, max(numbers, default=0) + 1)) - set(numbers))


def problems(folder: Path) -> list[str]:
    """What is wrong with `folder`'s numbering and pairing, one sentence each (none: it may be applied)."""
    forward = [p.name for p in forward_files(folder)]
    back = folder / "rollback"
    rollbacks = {p.name for p in back.glob("*.sql")} if back.is_dir() else set()
    found = [f"{name}: not named NNNN_name.sql (four digits, an underscore, a name): rename it"
             for name in forward if not _NAME.match(name)]
    by_number: dict[int, list[str]] = defaultdict(list)
    for name in forward:
        if _NAME.match(name):
            by_number[int(name[:4])].append(name)
    found += [f"{number:04d} is used by {' and '.join(names)}: give all but one the next free number"
              for number, names in sorted(by_number.items()) if len(names) > 1]
    orphans = sorted(rollbacks - set(forward))
    # a rollback left without its forward file names what went missing
    missing = set(_missing(sorted(by_number)))
    hinted = [name for name in orphans if _NAME.match(name) and int(name[:4]) in missing]
    found += _gap(sorted(by_number), hinted)
    found += [f"{name}: has no rollback file at rollback/{name}: write it" for name in forward if name not in rollbacks]
    found += [f"rollback/{name}: has no forward file {name}: restore it, or delete the rollback"
              for name in orphans if name not in hinted]
    return found


def check_folder(folder: Path) -> None:
    """Refuse a migrations folder with a gap, a repeated number, a misnamed file or a missing rollback."""
    found = problems(folder)
    if found:
        raise MigrationError(f"{folder}: refusing these migrations (nothing was changed): {'; '.join(found)}")
