"""Which database a URL names, however it is spelled: protection compares these, never the URLs' text.

A SQLite database is its file's real path. A Postgres database is its server's (host, port)
pairs and its database name, after libpq's defaults (PGHOST, PGPORT, PGUSER, PGDATABASE, a
service from pg_service.conf) and after normalising: a socket directory by its real path
(trailing slashes, `..`, symlinks), the local server's names (no host, localhost, 127.0.0.1,
::1, the usual default socket directories) as one, host names in lower case, ports as numbers.
A URL that cannot be read has no identity (None): the caller decides what doubt means.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

from .config import DatabaseUrl

LOCAL = "local server"
DEFAULT_PORT = 5432
# where libpq builds look for the server's socket when no host is given (Debian's, then upstream's)
_DEFAULT_SOCKET_DIRS = ("/var/run/postgresql", "/run/postgresql", "/tmp")  # noqa: S108 (names, never written)
_LOOPBACK = ("", "localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class Identity:
    dialect: str
    endpoints: frozenset[tuple[str, int]]  # Postgres: (host, port) pairs; SQLite: the file's real path
    dbname: str

    def same(self, other: Identity) -> bool:
        """Whether the two may be one database: same dialect and name, and a server (or file) in common."""
        return self.dialect == other.dialect and self.dbname == other.dbname and bool(self.endpoints & other.endpoints)


def identity(target: DatabaseUrl) -> Identity | None:
    if target.dialect == "sqlite":
        path = str(target.sqlite_path)
        if path == ":memory:":  # a database of its own each time: the same as nothing else
            return Identity("sqlite", frozenset(), "")
        return Identity("sqlite", frozenset({(os.path.realpath(path), 0)}), "")
    return _postgres(target.conninfo)


def _postgres(conninfo: str) -> Identity | None:
    from psycopg.conninfo import conninfo_to_dict

    try:
        info = {key: str(value) for key, value in conninfo_to_dict(conninfo).items() if value is not None}
    except Exception:  # psycopg raises its ProgrammingError, but anything unreadable is the same doubt
        return None
    service = info.get("service") or os.environ.get("PGSERVICE")
    if service:
        found = _service(service)
        if found is None:
            return None
        info = {**found, **info}  # the URL's own settings win over the service's, as in libpq

    def setting(key: str, variable: str) -> str:
        return info.get(key) or os.environ.get(variable) or ""

    dbname = setting("dbname", "PGDATABASE") or setting("user", "PGUSER") or _os_user()
    endpoints = _endpoints(setting("host", "PGHOST"), setting("port", "PGPORT"))
    addresses = setting("hostaddr", "PGHOSTADDR")
    if endpoints is None or dbname is None:
        return None
    if addresses:  # libpq connects to hostaddr and uses host for authentication: either may name the server
        more = _endpoints(addresses, setting("port", "PGPORT"))
        if more is None:
            return None
        endpoints |= more
    return Identity("postgres", frozenset(endpoints), dbname)


def _endpoints(hosts_text: str, ports_text: str) -> set[tuple[str, int]] | None:
    """(host, port) pairs of libpq's comma-separated lists: one port for every host, or one each."""
    hosts = hosts_text.split(",")
    ports = ports_text.split(",")
    if len(ports) == 1:
        ports *= len(hosts)
    if len(ports) != len(hosts):
        return None
    try:
        numbers = [int(port) if port.strip() else DEFAULT_PORT for port in ports]
    except ValueError:
        return None
    return {(_host(host), number) for host, number in zip(hosts, numbers, strict=True)}


def _host(text: str) -> str:
    host = text.strip()
    if host.startswith("/"):
        path = os.path.realpath(host)
        return LOCAL if path in {os.path.realpath(folder) for folder in _DEFAULT_SOCKET_DIRS} else path
    if host.startswith("@"):  # an abstract socket namespace (Linux): a name, as written
        return host
    host = host.lower().rstrip(".").strip("[]")
    return LOCAL if host in _LOOPBACK else host


def _os_user() -> str | None:
    """libpq's last default for the user (and so the database): the operating system's user name."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None


def _service(name: str) -> dict[str, str] | None:
    """A service's settings from the user's or PGSYSCONFDIR's pg_service.conf; None when it is not found there."""
    import configparser

    files = [os.environ.get("PGSERVICEFILE") or os.path.expanduser("~/.pg_service.conf")]
    if os.environ.get("PGSYSCONFDIR"):
        files.append(os.path.join(os.environ["PGSYSCONFDIR"], "pg_service.conf"))
    for file in files:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(file, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            return None
        if parser.has_section(name):
            return dict(parser[name])
    return None
