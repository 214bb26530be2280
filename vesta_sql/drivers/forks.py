"""Process lifecycle: a driver opened before a fork never shares a connection with the child.

After `os.fork()` (gunicorn `--preload`, multiprocessing's fork start method) the child
holds copies of the parent's sockets and SQLite handles. Using them would interleave two
processes' traffic on one connection; even closing them is harmful (libpq says goodbye to
the server on the parent's session). So in the child every driver is told once, by a
fork hook, to leave what it inherited alone: the sync drivers open fresh connections on
their next call, the async ones refuse with a clear error (their event loop and worker
threads stayed in the parent).
"""

from __future__ import annotations

import os
import weakref
from typing import Any, Protocol


class ForkAware(Protocol):
    def after_fork(self) -> None: ...


_DRIVERS: weakref.WeakSet[Any] = weakref.WeakSet()
# What the child inherited and must neither use nor close: kept alive so that no
# finalizer runs on it (a psycopg connection's would end the parent's session).
INHERITED: list[Any] = []


def track(driver: ForkAware) -> None:
    _DRIVERS.add(driver)


def detach_socket(fileno: int) -> None:
    """Point the child's copy of a socket at /dev/null: whatever is later written or closed there is harmless."""
    try:
        null = os.open(os.devnull, os.O_RDWR)
    except OSError:
        return
    try:
        os.dup2(null, fileno)
    except OSError:
        pass
    finally:
        os.close(null)


def _after_fork_in_child() -> None:
    for driver in list(_DRIVERS):
        driver.after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


FORKED_ASYNC = ("this async database was opened in another process (before a fork); its connections, event loop "
                "and worker threads stayed there: open a new one in this process with `await vesta_sql.connect_async(…)`")
