"""Spotting Postgres connections the server has already closed, before a call is sent on them.

A pooled connection idle while the server terminated it (a restart, a failover,
`pg_terminate_backend`) looks healthy to the client until it is used: the server's
goodbye (an error message, then end of file) waits unread in the socket. An idle
connection of ours has nothing else to read (we do not LISTEN), so a readable socket
means the connection is gone, and checking costs one non-blocking `select`.

The drivers' rule, written once here and followed by both:

* Before sending: a connection found dead at checkout is closed and handed back (the pool
  drops it and opens a replacement), and another one is taken. Nothing was sent, so
  this is always safe, for reads and writes alike.
* After sending: when the connection breaks under a call, a read-only query (a plain
  `select`) is run once more on a fresh connection; a write is never retried, because it
  may have been applied before the connection broke: the caller gets
  `vesta_sql.OperationalError` and decides. Transactions are never retried either.
"""

from __future__ import annotations

import select
from typing import Any


def is_dead(conn: Any) -> bool:
    """True when `conn` (an idle psycopg connection) is closed, broken, or closed by the server."""
    if conn.closed or conn.broken:
        return True
    try:
        fd = conn.fileno()
        if fd < 1024:  # select() cannot watch descriptors past FD_SETSIZE; poll() can
            readable, _, _ = select.select([fd], [], [], 0)
            return bool(readable)
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


def is_broken(conn: Any) -> bool:
    """After a failed call: did the connection itself fail (rather than the statement)?"""
    return bool(conn.closed or conn.broken)
