"""Database URLs: parsing, environments from the project's config, redaction of passwords."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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


def _project_environments(start: Path) -> dict[str, object]:
    import tomllib  # only the CLI and migrations read project files: keep it off `import vesta_sql`

    for folder in (start, *start.parents):
        own = folder / "vesta-sql.toml"
        if own.is_file():
            data = tomllib.loads(own.read_text(encoding="utf-8"))
            return dict(data.get("environments", {}))
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            section = data.get("tool", {}).get("vesta-sql", {})
            if section:
                return dict(section.get("environments", {}))
    return {}


def resolve_url(env: str | None = None, url: str | None = None, *, role: str = "owner", cwd: Path | None = None) -> DatabaseUrl:
    """The URL to use: --url, else the environment's entry, else DATABASE_URL, else the embedded default.

    An environment is either a URL string or a table with `url`, or `owner_url` and
    `app_url` (migrations and admin work run as the owner, the façade as the app role).
    """
    if url:
        return parse_url(url)
    environments = _project_environments(cwd or Path.cwd())
    if env is not None:
        entry = environments.get(env)
        if entry is None and env not in ("dev", "test", "prod"):
            known = ", ".join(sorted(environments)) or "none configured"
            raise ConfigError(f"unknown environment {env!r} (known: {known})")
        if isinstance(entry, str):
            return parse_url(os.path.expandvars(entry))
        if isinstance(entry, dict):
            key = f"{role}_url" if f"{role}_url" in entry else "url"
            if key in entry:
                return parse_url(os.path.expandvars(str(entry[key])))
    from_env = os.environ.get("DATABASE_URL")
    return parse_url(from_env or DEFAULT_URL)
