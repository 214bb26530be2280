"""Which database a command (or `connect(env=…)`) means: environments from the project's config, never a guess.

An environment lives in `[tool.vesta-sql.environments]` of pyproject.toml or `[environments]`
of vesta-sql.toml, as a URL string or a table with `url`, `owner_url`, `app_url` and
`protected`. Admin commands run as the owner (`owner_url`, else `url`); the app connects
with `app_url`, else `url`. `prod` is protected unless it says `protected = false`.
`DATABASE_URL` and the embedded default apply only when no environment and no URL is named
(an empty one is an error). Protection compares databases, not URL text (identity.py).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import DEFAULT_URL, DatabaseUrl, parse_url, redact
from .errors import ConfigError
from .identity import identity

PROTECTED_BY_DEFAULT = ("prod",)
UNSET_PLACEHOLDER = "vesta-unset-variable"  # names no real host or database
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Environment:
    name: str
    entry: dict[str, Any]  # url / owner_url / app_url as written (before ${VAR} expansion)
    protected: bool
    config_file: Path

    def url_for(self, role: str) -> DatabaseUrl:
        """The owner's (admin commands) or the app's URL; an error when this environment has none for that role."""
        key = f"{role}_url" if f"{role}_url" in self.entry else "url"
        if key not in self.entry:
            if role == "owner" and "app_url" in self.entry:
                raise ConfigError(f"environment {self.name!r} ({self.config_file}) has only an app_url; admin commands run as "
                                  "the owner: add owner_url (or url) to it")
            raise ConfigError(f"environment {self.name!r} ({self.config_file}) has no url (or {role}_url)")
        return expand(str(self.entry[key]), base=self.config_file.parent, where=f"environment {self.name!r}")

    def urls(self) -> list[DatabaseUrl]:
        """Every URL it names, for comparing databases: an unset ${VAR} (a password, usually) stands as a
        placeholder, so that the host and database still compare; a URL that does not read is left out."""
        found = []
        for key in ("url", "owner_url", "app_url"):
            if key in self.entry:
                try:
                    found.append(expand(str(self.entry[key]), base=self.config_file.parent, unset=UNSET_PLACEHOLDER))
                except ConfigError:
                    continue
        return found


@dataclass(frozen=True)
class Target:
    """A database a command will use, where it came from, and whether it is protected."""

    url: DatabaseUrl
    source: str  # "environment 'prod' (vesta-sql.toml)", "--url", "DATABASE_URL", "the embedded default"
    protected_as: str | None = None  # the protected environment naming the same database, if any

    def describe(self) -> str:
        guard = f", protected as {self.protected_as!r}" if self.protected_as else ""
        return f"{redact(self.url.url)} (from {self.source}{guard})"


def coerce_url(text: str) -> str:
    """A database URL, or a plain SQLite file path turned into one (`vesta.db` → `sqlite:///vesta.db`)."""
    if "://" in text or text.startswith("sqlite:"):
        return text
    return f"sqlite:///{text}"


def expand(text: str, *, base: Path | None = None, where: str = "the URL", unset: str | None = None) -> DatabaseUrl:
    """`${VAR}` expanded (an unset variable is an error naming it, or `unset` when given); a relative SQLite
    path resolved against `base`."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            if unset is not None:
                return unset
            raise ConfigError(f"{where}: environment variable {name} is not set (the URL uses ${{{name}}})")
        return os.environ[name]

    target = parse_url(coerce_url(_VARIABLE.sub(value, text)))
    path = target.sqlite_path
    if base is not None and path not in (None, ":memory:") and not Path(str(path)).is_absolute():
        return parse_url(f"sqlite:///{(base / str(path)).resolve()}")
    return target


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # only the CLI and `connect(env=…)` read project files: keep it off `import vesta_sql`

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None


def find_config(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """(config file, its environments table): the nearest vesta-sql.toml or pyproject.toml with [tool.vesta-sql]."""
    for folder in (start, *start.parents):
        own = folder / "vesta-sql.toml"
        if own.is_file():
            return own, dict(_read_toml(own).get("environments", {}))
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            section = _read_toml(pyproject).get("tool", {}).get("vesta-sql")
            if section is not None:
                return pyproject, dict(section.get("environments", {}))
    return None


def environments(cwd: Path | None = None) -> dict[str, Environment]:
    found = find_config((cwd or Path.cwd()).resolve())
    if found is None:
        return {}
    path, table = found
    result = {}
    for name, raw in table.items():
        entry: dict[str, Any] = {"url": raw} if isinstance(raw, str) else dict(raw) if isinstance(raw, dict) else {}
        if not entry:
            raise ConfigError(f"{path}: environment {name!r} must be a URL or a table with url / owner_url / app_url")
        protected = entry.pop("protected", name in PROTECTED_BY_DEFAULT)
        if not isinstance(protected, bool):
            raise ConfigError(f"{path}: environment {name!r}: protected must be true or false")
        result[name] = Environment(name, entry, protected, path)
    return result


def _unknown(name: str, known: dict[str, Environment]) -> ConfigError:
    if not known:
        return ConfigError(f"unknown environment {name!r}: no environments are configured (add [tool.vesta-sql.environments] "
                           "to pyproject.toml or [environments] to vesta-sql.toml)")
    listed = ", ".join(sorted(known))
    return ConfigError(f"unknown environment {name!r} (configured in {next(iter(known.values())).config_file}: {listed})")


def protected_match(target: DatabaseUrl, known: dict[str, Environment]) -> str | None:
    """The protected environment any of whose URLs (url, owner_url, app_url) names the same database as `target`,
    however either is spelled; a target that cannot be read is taken for the first protected one of its dialect."""
    wanted = identity(target)
    for environment in known.values():
        if not environment.protected:
            continue
        for theirs in environment.urls():
            if theirs.dialect != target.dialect:
                continue
            if wanted is None:  # in doubt, protected: it may be this database
                return environment.name
            named = identity(theirs)
            if named is not None and named.same(wanted):
                return environment.name
    return None


EMPTY_URL = ("--url is empty (an unset variable?): give a database URL or a SQLite file path, or leave --url out "
             "to use DATABASE_URL or the embedded default")
EMPTY_ENV = ("--env is empty (an unset variable?): give a configured environment's name, or leave --env out "
             "to use DATABASE_URL or the embedded default")

EMPTY_DATABASE_URL = ("DATABASE_URL is set but empty (an unset variable?): give it a database URL, unset it to use "
                      "the embedded default, or pass --env NAME or --url")


def resolve(env: str | None = None, url: str | None = None, *, role: str = "owner", cwd: Path | None = None) -> Target:
    """The database meant by `--env` / `--url`, else DATABASE_URL, else the embedded default."""
    known = environments(cwd)
    if url is not None and env is not None:  # which one was meant? never guess between two databases
        raise ConfigError(f"both --env {env!r} and --url were given: give one of them (--env NAME for a configured "
                          "environment, --url for any other database)")
    if url is not None:
        if not url.strip():  # `--url "$UNSET"`: never the default's or DATABASE_URL's database instead
            raise ConfigError(EMPTY_URL)
        target, source = expand(url, where="--url"), "--url"
    elif env is not None:
        if not env.strip():
            raise ConfigError(EMPTY_ENV)
        if env not in known:
            raise _unknown(env, known)
        environment = known[env]
        target = environment.url_for(role)
        source = f"environment {env!r} ({environment.config_file.name})"
        if environment.protected:
            return Target(target, source, env)
    elif "DATABASE_URL" in os.environ:
        if not os.environ["DATABASE_URL"].strip():  # `DATABASE_URL=$UNSET`: never the embedded default instead
            raise ConfigError(EMPTY_DATABASE_URL)
        target, source = expand(os.environ["DATABASE_URL"], where="DATABASE_URL"), "DATABASE_URL"
    else:
        target, source = parse_url(DEFAULT_URL), "the embedded default"
    return Target(target, source, protected_match(target, known))
