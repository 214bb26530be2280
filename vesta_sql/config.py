"""Database URLs: parsing and redaction of passwords (environments are in environments.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, unquote_plus, urlsplit, urlunsplit

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


# query parameters whose value is a secret (libpq's `password` and the client key's `sslpassword`)
SECRET_PARAMETERS = ("password", "sslpassword")
_SECRET_QUERY = re.compile(r"(?i)(^|[?&])((?:" + "|".join(SECRET_PARAMETERS) + r")=)[^&#]*")


def redact(url: str) -> str:
    """The URL with its passwords (`user:pass@` and `password=`-style query parameters) replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unreadable URL>"
    if parts.password is not None:
        url = urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))
    base, mark, query = url.partition("?")  # as text: urlunsplit drops an empty netloc's `//` (postgresql:///db)
    return base + mark + _SECRET_QUERY.sub(r"\1\2***", query)


def secrets(url: str) -> set[str]:
    """The URL's passwords, as written and percent-decoded (what a driver's message might echo)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return set()
    written = [parts.password] if parts.password else []
    written += [match.group(0).split("=", 1)[1] for match in _SECRET_QUERY.finditer(parts.query)]
    found = {value for text in written for value in (text, unquote(text), unquote_plus(text))}
    return {value for value in found if value}


def redact_error(exc: BaseException | str, url: str, *, one_line: bool = False) -> str:
    """An error's text with the URL's passwords (as written and percent-decoded) replaced by ***;
    `one_line` joins a driver's multi-line message (psycopg's connection hints) into one line."""
    text = " ".join(str(exc).split()) if one_line else str(exc).strip()
    text = text.replace(url, redact(url))  # a message quoting the whole URL keeps its shape
    for secret in sorted(secrets(url), key=len, reverse=True):  # the longest first: a decoded one may be inside
        text = text.replace(secret, "***")
    return text
