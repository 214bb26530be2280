"""`.pyi` generation: the façade typed from the query files and the registered programs.

`vesta-sql stubs` writes two files beside the package:

- `_namespaces.pyi`: one class per namespace and calling style (`CreatorsQueries`,
  `TxCreatorsQueries`, `AsyncCreatorsQueries`, `AsyncTxCreatorsQueries`) with one method
  per query and program (a `!` query is a call class, `CreatorsDeleteCall`, since it also
  has `.many(rows=…)`), and typed subclasses of the runtime `Database`, `Transaction`,
  `AsyncDatabase`, `AsyncTransaction`, returned by typed `connect` / `connect_async`;
- `__init__.pyi`: the package's public names, with those six taken from `_namespaces`.

Only the package's `__init__` is described by a stub, so the runtime modules (`facade`,
`connect`, …) stay type-checked as they are. Outside a transaction every method takes a
required keyword `account_id: str`; inside one it takes none, so mypy flags a call that
forgets the account (or names one in a transaction). Parameters are keyword-only, typed
from their `-- param:` lines (`now` ones are left out: the clock fills them). Results: a
list of records, `Record | None` for `^` and for `<!` unless the SQL is a plain
`insert … values …` (an update that matches nothing returns None), `int` for `!`, `Any`
for `$`. The output depends only on the query files and the programs registry (their
declared steps, never their source text): every run of the same sources writes the
same text. The modules: `collect` (what to describe), `imports` (where each name comes
from), `render` and `package` (the text), `tidy` (ruff sorts and formats it).
"""

from __future__ import annotations

from pathlib import Path

from .collect import facade_methods
from .model import StubError
from .package import render_init, render_namespaces
from .render import camel, class_name
from .tidy import tidy

__all__ = ["StubError", "camel", "class_name", "facade_methods", "generate", "stale_stubs", "write_stubs"]

PACKAGE_DIR = Path(__file__).resolve().parent.parent.parent  # the stubs sit beside the package's `__init__.py`


def generate() -> dict[str, str]:
    """The stub files' text, by file name (relative to the package)."""
    methods = facade_methods()
    namespaces = render_namespaces({ns: dict(sorted(calls.items())) for ns, calls in methods.items()})
    return {"_namespaces.pyi": tidy(namespaces, "vesta_sql/_namespaces.pyi"),
            "__init__.pyi": tidy(render_init(), "vesta_sql/__init__.pyi")}


def stale_stubs(folder: Path | None = None) -> list[Path]:
    """The stub files (in the package unless `folder`) whose content differs from what `generate()` makes now."""
    folder = folder or PACKAGE_DIR
    return [folder / name for name, text in generate().items()
            if not (folder / name).is_file() or (folder / name).read_text(encoding="utf-8") != text]


def write_stubs(folder: Path | None = None) -> list[Path]:
    """Write the stub files that changed (in the package unless `folder`); returns them."""
    folder = folder or PACKAGE_DIR
    written = []
    for name, text in generate().items():
        path = folder / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
