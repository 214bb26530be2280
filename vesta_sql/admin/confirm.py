"""Confirmation before a command changes a protected database, or destroys data anywhere.

On a protected database the confirmation is the environment's name, typed; elsewhere
(`rollback --all`, `account delete`) a typed `yes`. Without a terminal nothing is asked:
the command needs `--yes`.
"""

from __future__ import annotations

import sys

from ..environments import Target
from ..errors import ConfigError


class NotConfirmed(ConfigError):
    """The user did not confirm; nothing was changed."""


def interactive() -> bool:
    return sys.stdin.isatty()


def confirm(target: Target, action: str, *, yes: bool, always: bool = False) -> None:
    """Return when `action` on `target` may go ahead; raise NotConfirmed (nothing changed) otherwise."""
    if yes or not (always or target.protected_as):
        return
    word = target.protected_as or "yes"
    where = f"protected environment {target.protected_as!r}" if target.protected_as else target.describe()
    if not interactive():
        raise NotConfirmed(f"{action} on {where} needs confirmation: pass --yes (standard input is not a terminal)")
    sys.stderr.write(f"{action} on {where}.\nType {word!r} to continue: ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip()
    if answer != word:
        raise NotConfirmed(f"not confirmed (expected {word!r}); nothing was changed")
