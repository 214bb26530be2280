"""Typed access to an app's own queries: `vesta-sql stubs --queries DIR --out DIR`.

Writes a small module (`vesta_app.py` by default) whose `connect` / `connect_async` load
the app's folders (and its record classes, from `[tool.vesta-sql] record_classes`), and
its stub (`vesta_app.pyi`): typed subclasses of the package's `Database`,
`Transaction`, `AsyncDatabase` and `AsyncTransaction` with the app's namespaces, so mypy
refuses a call of the app's own query without `account_id` exactly as for the package's.
A namespace the app adds queries to (say `posts`) extends the package's typed class.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..app_records import app_record_classes
from ..loader import _record_classes, folder_specs
from ..resources import DIALECTS
from .stubs.collect import facade_methods
from .stubs.imports import Imports
from .stubs.model import HEADER, Methods, StubError
from .stubs.render import VARIANTS, class_name, define, render_namespace
from .stubs.tidy import tidy

APP_HEADER = HEADER.replace("`vesta-sql stubs`", "`vesta-sql stubs --queries …`")


def app_keys(folders: Sequence[Path], classes: Mapping[str, type]) -> set[tuple[str, str]]:
    """(namespace, query) of every query the app's folders define, on any dialect."""
    known = _record_classes(classes)
    return {(spec.namespace, spec.name) for folder in folders for dialect in DIALECTS
            for spec in folder_specs(folder, dialect, known)}


def generate_app(folders: Sequence[Path], out: Path, module: str = "vesta_app",
                 classes: Mapping[str, type] | None = None) -> dict[Path, str]:
    """The module and its stub, by path."""
    for folder in folders:
        if not folder.is_dir():
            raise StubError(f"query folder {folder} does not exist")
    records = dict(app_record_classes()) if classes is None else dict(classes)
    keys = app_keys(folders, records)
    if not keys:
        raise StubError(f"no queries in {', '.join(map(str, folders))}")
    everything = facade_methods(extra_queries=folders, record_classes=records)
    package = set(facade_methods())
    methods: Methods = {ns: {name: everything[ns][name] for name in sorted(calls) if (ns, name) in keys}
                        for ns, calls in sorted(everything.items())}
    methods = {ns: calls for ns, calls in methods.items() if calls}
    return {out / f"{module}.py": tidy(_runtime_module(folders, out, records), f"{module}.py"),
            out / f"{module}.pyi": tidy(_stub(methods, package), f"{module}.pyi")}


def _runtime_module(folders: Sequence[Path], out: Path, records: Mapping[str, type]) -> list[str]:
    relative = [Path(os.path.relpath(folder.resolve(), out.resolve())).as_posix() for folder in folders]
    imports = [f"from {cls.__module__} import {cls.__qualname__}" for cls in records.values()]  # ruff sorts them
    classes = ", ".join(f"{name!r}: {cls.__qualname__}" for name, cls in sorted(records.items()))
    return [
        APP_HEADER,
        '"""The vesta-sql façade with this app\'s own queries (typed by the `.pyi` beside this file)."""',
        "",
        "from __future__ import annotations",
        "",
        "from pathlib import Path",
        "from typing import Any",
        "",
        "import vesta_sql",
        *imports,
        "",
        "_HERE = Path(__file__).resolve().parent",
        f"QUERIES = [{', '.join(f'_HERE / {path!r}' for path in relative)}]",
        f"RECORD_CLASSES: dict[str, type] = {{{classes}}}",
        "",
        "",
        "def connect(url: str | None = None, **options: Any) -> vesta_sql.Database:",
        '    """`vesta_sql.connect` with the app\'s queries and record classes."""',
        "    return vesta_sql.connect(url, extra_queries=QUERIES, record_classes=RECORD_CLASSES, **options)",
        "",
        "",
        "async def connect_async(url: str | None = None, **options: Any) -> vesta_sql.AsyncDatabase:",
        '    """`vesta_sql.connect_async` with the app\'s queries and record classes."""',
        "    return await vesta_sql.connect_async(url, extra_queries=QUERIES, record_classes=RECORD_CLASSES, **options)",
        "",
    ]


def _stub(methods: Methods, package: set[str]) -> list[str]:
    classes = [f"{prefix}{class_name(ns)}" for ns in methods for prefix, _, _ in VARIANTS]
    imports = Imports({*classes, "Database", "Transaction", "AsyncDatabase", "AsyncTransaction", "connect", "connect_async"})
    for name, target in {
        "Any": ("typing", "Any"), "Sequence": ("collections.abc", "Sequence"), "Iterable": ("collections.abc", "Iterable"),
        "Mapping": ("collections.abc", "Mapping"), "AbstractContextManager": ("contextlib", "AbstractContextManager"),
        "AbstractAsyncContextManager": ("contextlib", "AbstractAsyncContextManager"),
        "VectorLike": ("vesta_sql._namespaces", "VectorLike"), "vesta_sql": ("vesta_sql", None),
        "_namespaces": ("vesta_sql._namespaces", None),
    }.items():
        imports.bound[name] = target
    for ns, calls in methods.items():
        for name, (method, scope) in calls.items():
            for text in [method.returns, *(param.annotation for param in method.params)]:
                imports.use(text, scope, f"{ns}.{name}")
    body: list[str] = []
    for ns, calls in methods.items():
        lines = render_namespace(ns, {name: method for name, (method, _) in calls.items()}, imports)
        if ns in package:  # the app adds queries to a package namespace: extend its typed class
            for prefix, _, _ in VARIANTS:
                name = f"{prefix}{class_name(ns)}"
                lines = [f"class {name}(_namespaces.{name}):" if line == f"class {name}:" else line for line in lines]
        body += lines
    for prefix, context, enter in (("", "AbstractContextManager", "def __enter__(self) -> Database: ..."),
                                   ("Async", "AbstractAsyncContextManager",
                                    "async def __aenter__(self) -> AsyncDatabase: ...")):
        for cls, variant in ((f"{prefix}Transaction", f"{prefix}Tx"), (f"{prefix}Database", prefix)):
            body += ["", f"class {cls}(vesta_sql.{cls}):", *(f"    {ns}: {variant}{class_name(ns)}" for ns in methods)]
            if cls.endswith("Database"):
                body += ["", *define("transaction", ["account_id: str", "*", "write: bool = ..."],
                                   f"{context}[{prefix}Transaction]", indent="    ", ignore="override"),
                         f"    {enter}"]
            body.append("")
    body += ["", *define("connect", ["url: str | None = ...", "**options: Any"], "Database", self_=False),
             *define("connect_async", ["url: str | None = ...", "**options: Any"], "AsyncDatabase", is_async=True, self_=False)]
    return [APP_HEADER, '"""The app\'s queries, typed (see `vesta_sql.admin.app_stubs`)."""', "",
            *imports.render(relative_to_package=False), "", *body]


def write_app_stubs(folders: Sequence[Path], out: Path, module: str = "vesta_app") -> list[Path]:
    if not out.is_dir():
        raise StubError(f"the output folder {out} does not exist")
    written = []
    for path, text in generate_app(folders, out, module).items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
