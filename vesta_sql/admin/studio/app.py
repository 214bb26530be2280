"""Start the studio: open the database, bind 127.0.0.1 (another address only when asked, with a warning), print the URL."""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable
from pathlib import Path

from ...config import redact
from ...errors import ConfigError
from .audit import Audit, default_path
from .database import Studio
from .routes import build_app
from .security import WILDCARDS, allowed_hosts, new_token

LOOPBACK = "127.0.0.1"


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc} (pick another --port)") from None
    sock.listen(128)
    return sock


def serve(owner_url: str, *, describe: str, app_url: str | None = None, app_role: str | None = None, write: bool = False,
          host: str = LOOPBACK, port: int = 4983, audit_path: Path | None = None, environment: str = "",
          timeout_ms: int = 5_000, say: Callable[[str], None] = print) -> int:
    """Run until interrupted; the URL printed carries the session's token."""
    import uvicorn

    studio = Studio(owner_url, app_url=app_url, app_role=app_role, write=write, timeout_ms=timeout_ms)
    sock = bind(host, port)
    port = sock.getsockname()[1]
    token = new_token()
    audit = Audit(audit_path or default_path(owner_url), owner_url, environment or describe) if write else None
    app = build_app(studio, token=token, hosts=allowed_hosts(host, port), audit=audit, describe=redact(owner_url))
    if host != LOOPBACK:
        print(f"vesta-sql: warning: the studio listens on {host}, not only on this machine's loopback: anyone who can reach "
              "it and learns the token reads the database", file=sys.stderr)
    shown = socket.gethostname() if host in WILDCARDS else f"[{host}]" if ":" in host else host
    say(f"vesta-sql studio: {'read-write, audit trail ' + str(audit.path) if audit else 'read-only'}")
    say(f"open http://{shown}:{port}/?token={token}")
    sys.stdout.flush()
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        studio.close()
    return 0
