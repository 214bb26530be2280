"""A real PgBouncer in transaction mode in front of the test Postgres, started on a free port.

Debian's `pgbouncer` (1.18 on bookworm). It refuses to run as root, so as root it runs as
the user owning the embedded server's socket folder (that user can reach the socket);
its configuration lives in a private folder given to that user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from .processes import stop

DEFAULT_POOL_SIZE = 2  # PgBouncer's own default is 20: 2 makes the client pools far larger than the server pool


@dataclass(frozen=True)
class PgBouncer:
    host: str
    port: int

    def url(self, database: str, user: str, password: str) -> str:
        return f"postgresql://{quote(user)}:{quote(password)}@{self.host}:{self.port}/{database}"


def _server_address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = parts.hostname or parse_qs(parts.query).get("host", ["/tmp"])[0]
    return host, parts.port or int(parse_qs(parts.query).get("port", ["5432"])[0])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_as(server_host: str) -> str | None:
    """The user to drop to when we are root: the owner of the server's socket folder."""
    if os.geteuid() != 0:
        return None
    if server_host.startswith("/"):
        return pwd.getpwuid(os.stat(server_host).st_uid).pw_name
    return "nobody"


def _ready(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited: {log.read_text() if log.exists() else ''}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"pgbouncer did not listen on {port}: {log.read_text() if log.exists() else ''}")


@contextlib.contextmanager
def start_pgbouncer(server_url: str, databases: dict[str, str], users: dict[str, str], *,
                    ignore_startup_parameters: str | None) -> Iterator[PgBouncer]:
    """`databases`: alias -> extra connection settings (`dbname=… timezone=…`); `users`: name -> password."""
    binary = shutil.which("pgbouncer") or next((p for p in ("/usr/sbin/pgbouncer",) if Path(p).exists()), None)
    if binary is None:
        pytest.skip("pgbouncer is not installed (scripts/test installs it where it can: apt-get install pgbouncer)")
    host, port = _server_address(server_url)
    user = _run_as(host)
    with tempfile.TemporaryDirectory(prefix="vesta-pgbouncer-") as folder:
        root = Path(folder)
        listen = _free_port()
        lines = ["[databases]"]
        lines += [f"{alias} = host={host} port={port} {settings}" for alias, settings in databases.items()]
        lines += [
            "[pgbouncer]", "listen_addr = 127.0.0.1", f"listen_port = {listen}", "unix_socket_dir =",
            "pool_mode = transaction", f"default_pool_size = {DEFAULT_POOL_SIZE}", "max_client_conn = 500",
            "auth_type = plain", f"auth_file = {root / 'users.txt'}", f"logfile = {root / 'pgbouncer.log'}",
            f"pidfile = {root / 'pgbouncer.pid'}",
            # above the tests' own client-pool wait (120 s), which is the one meant to bound a wait: at 60 s a
            # stall of the host had PgBouncer drop queued clients before their pools' wait was over
            "query_wait_timeout = 150",
        ]
        if ignore_startup_parameters is not None:
            lines.append(f"ignore_startup_parameters = {ignore_startup_parameters}")
        (root / "pgbouncer.ini").write_text("\n".join(lines) + "\n")
        (root / "users.txt").write_text("".join(f'"{name}" "{password}"\n' for name, password in users.items()))
        command = [binary, str(root / "pgbouncer.ini")]
        if user is not None:
            entry = pwd.getpwnam(user)
            for path in (root, *root.iterdir()):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            command[1:1] = ["-u", user]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _ready(listen, process, root / "pgbouncer.log")
            yield PgBouncer("127.0.0.1", listen)
        finally:
            stop(process)

