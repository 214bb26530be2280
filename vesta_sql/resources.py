"""Where the package's SQL lives: inside the wheel, or at the repository root when run from a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
DIALECTS = ("sqlite", "postgres")


def _root() -> Path:
    bundled = _PACKAGE / "_sql"
    return bundled if bundled.is_dir() else _PACKAGE.parent


def queries_dir() -> Path:
    return _root() / "queries"


def migrations_dir(dialect: str) -> Path:
    return _root() / "migrations" / dialect


def inside_installed_package(path: Path) -> bool:
    """Whether `path` lies inside an installed package (a wheel's copy), not a checkout."""
    resolved = path.resolve()
    return any(part in ("site-packages", "dist-packages") for part in resolved.parts) or "_sql" in resolved.parts
