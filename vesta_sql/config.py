"""Database URLs: parsing and redaction of passwords (environments are in environments.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from .errors import ConfigError

DEFAULT_URL = "sqlite:///.vesta/dev.db"


@dataclass(frozen=True)
class DatabaseUrl:
    dialect: str  # "sqlite" | "postgres"
    url: str
    sqlite_path: str | None = None  # a file path or ":memory:"

    @property
    def conninfo(self) -> str:
        """What psycopg connects with (plain postgresql://)."""
        return re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", self.url)

    @property
    def yoyo_url(self) -> str:
        if self.dialect == "sqlite":
            return f"sqlite:///{self.sqlite_path}"
        return re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql+psycopg://", self.url)

    def __str__(self) -> str:
        return redact(self.url)


def parse_url(url: str) -> DatabaseUrl:
    """`sqlite:///relative.db`, `sqlite:////abs.db`, `sqlite://:memory:`, `postgresql://…`."""
    if not isinstance(url, str) or not url.strip():
        raise ConfigError("a database URL is required (e.g. sqlite:///vesta.db or postgresql://…)")
    if url.startswith("sqlite:"):
        rest = url[len("sqlite:"):]
        if rest in ("//:memory:", "///:memory:", ":memory:"):
            return DatabaseUrl("sqlite", url, ":memory:")
        if not rest.startswith("///") or len(rest) == 3:
            raise ConfigError(f"cannot read SQLite URL {redact(url)!r}: use sqlite:///relative/path.db or sqlite:////absolute/path.db")
        return DatabaseUrl("sqlite", url, rest[3:])
    if re.match(r"^postgres(ql)?(\+psycopg)?://", url):
        return DatabaseUrl("postgres", url)
    raise ConfigError(f"unsupported database URL {redact(url)!r}: expected sqlite:/// or postgresql://")


def redact(url: str) -> str:
    """The URL with its password replaced by ***, for output and errors."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unreadable URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def redact_error(exc: BaseException | str, url: str, *, one_line: bool = False) -> str:
    """An error's text with the URL's password (as written and percent-decoded) replaced by ***;
    `one_line` joins a driver's multi-line message (psycopg's connection hints) into one line."""
    text = " ".join(str(exc).split()) if one_line else str(exc).strip()
    try:
        password = urlsplit(url).password
    except ValueError:
        return text
    for secret in {password, unquote(password)} if password else ():
        text = text.replace(secret, "***")
    return text
