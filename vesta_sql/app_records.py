"""An app's own record classes, as its project file names them for `vesta-sql check` and `vesta-sql stubs`.

```toml
[tool.vesta-sql]                      # or, in vesta-sql.toml, a top-level table
record_classes = { PostWithLikes = "myapp.records:PostWithLikes" }
```

At run time the app hands the same classes to `connect(record_classes=…)`; the admin
commands import them from these `module:attribute` paths, with the project folder (the
one holding the file) on the import path, as the app itself would run.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from .errors import ConfigError


def project_settings(start: Path | None = None) -> tuple[dict[str, Any], Path | None]:
    """The `[tool.vesta-sql]` table of the nearest vesta-sql.toml or pyproject.toml, and the folder holding it."""
    import tomllib

    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        own = candidate / "vesta-sql.toml"
        if own.is_file():
            return tomllib.loads(own.read_text(encoding="utf-8")), candidate
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            tool = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("vesta-sql")
            if isinstance(tool, dict):
                return tool, candidate
    return {}, None


def app_record_classes(start: Path | None = None) -> dict[str, type]:
    """The record classes the project file names (none when it names none)."""
    settings, folder = project_settings(start)
    named = settings.get("record_classes") or {}
    if not isinstance(named, dict):
        raise ConfigError("[tool.vesta-sql] record_classes must be a table: { Name = \"module:Class\" }")
    return {name: _import(name, target, folder) for name, target in named.items()}


def _import(name: str, target: object, folder: Path | None) -> type:
    if not isinstance(target, str) or target.count(":") != 1:
        raise ConfigError(f"record_classes.{name} = {target!r}: write it as \"module:Class\"")
    module_name, attribute = target.split(":")
    if folder is not None and str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"record_classes.{name}: cannot import {module_name} ({exc})") from None
    found = getattr(module, attribute, None)
    if not isinstance(found, type):
        raise ConfigError(f"record_classes.{name}: {module_name} has no class {attribute}")
    return found
