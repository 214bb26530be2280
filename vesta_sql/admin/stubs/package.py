"""The package's own stubs: `_namespaces.pyi` (the typed façade) and `__init__.pyi` (the public names)."""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from .collect import annotation
from .imports import Imports, module_bindings
from .model import HEADER, Methods, StubError
from .render import VARIANTS, camel, class_name, define, render_namespace

TYPED = ("AsyncDatabase", "AsyncTransaction", "Database", "Transaction", "connect", "connect_async")
_BOUND = {"Any": ("typing", "Any"), "TypeAlias": ("typing", "TypeAlias"),
          "Sequence": ("collections.abc", "Sequence"), "np": ("numpy", None),
          "NDArray": ("numpy.typing", "NDArray"), "facade": ("vesta_sql.facade", None),
          "facade_async": ("vesta_sql.facade_async", None),
          "AbstractContextManager": ("contextlib", "AbstractContextManager"),
          "AbstractAsyncContextManager": ("contextlib", "AbstractAsyncContextManager"),
          "Iterable": ("collections.abc", "Iterable"), "Mapping": ("collections.abc", "Mapping")}


def _class_names(methods: Methods) -> list[str]:
    classes = [f"{prefix}{class_name(ns)}" for ns in methods for prefix, _, _ in VARIANTS]
    for ns, calls in methods.items():
        for name, (method, _) in calls.items():
            if method.many:
                classes += [f"{prefix}{camel(ns, name)}Call" for prefix, _, _ in VARIANTS]
    if len(set(classes)) != len(classes):
        twice = sorted({name for name in classes if classes.count(name) > 1})
        raise StubError(f"two namespaces or queries make the same class name: {', '.join(twice)}")
    return classes


def render_namespaces(methods: Methods) -> list[str]:
    """The lines of `_namespaces.pyi`."""
    from ... import facade, facade_async

    connect_module = importlib.import_module("vesta_sql.connect")  # the package's `connect` is the function
    imports = Imports({*_class_names(methods), "VectorLike", *TYPED, "facade", "facade_async"})
    imports.bound.update(_BOUND)
    for ns, calls in methods.items():
        for name, (method, scope) in calls.items():
            for text in [method.returns, *(param.annotation for param in method.params)]:
                imports.use(text, scope, f"{ns}.{name}")

    body: list[str] = ["VectorLike: TypeAlias = Sequence[float] | NDArray[np.floating[Any]]", ""]
    for ns, calls in methods.items():
        body += render_namespace(ns, {name: method for name, (method, _) in calls.items()}, imports)

    for prefix, tx_base, db_base, context, enter in (
        ("", "facade.Transaction", "facade.Database", "AbstractContextManager", ["def __enter__(self) -> Database: ..."]),
        ("Async", "facade_async.AsyncTransaction", "facade_async.AsyncDatabase", "AbstractAsyncContextManager",
         ["async def __aenter__(self) -> AsyncDatabase: ..."]),
    ):
        namespace_attrs = sorted(methods)
        for cls, base, variant in ((f"{prefix}Transaction", tx_base, f"{prefix}Tx"), (f"{prefix}Database", db_base, prefix)):
            members = set(namespace_attrs) | {"transaction", "__enter__", "__aenter__"}
            attrs = [f"    {ns}: {imports.shadow_safe(variant + class_name(ns), members, cls)}" for ns in namespace_attrs]
            body += ["", f"class {cls}({base}):", *attrs]
            if cls.endswith("Database"):
                runtime = getattr(facade_async if prefix else facade, cls)
                params = _signature_params(runtime.transaction, {"account_id": "str"}, skip_self=True)
                returns = imports.shadow_safe(f"{context}[{prefix}Transaction]", members, cls)
                body += ["", *define("transaction", params, returns, indent="    ", ignore="override"),
                         *(f"    {line}" for line in enter)]
            body.append("")
    for function, returns, is_async in ((connect_module.connect, "Database", False),
                                        (connect_module.connect_async, "AsyncDatabase", True)):
        scope = module_bindings(connect_module)
        params = _signature_params(function, {}, skip_self=False)
        for param in inspect.signature(function).parameters.values():
            imports.use(annotation(param.annotation, function.__name__, param.name), scope, function.__name__)
        body += ["", *define(function.__name__, params, returns, doc=inspect.getdoc(function) or "",
                             is_async=is_async, self_=False)]
    doc = '"""The façade typed from the query files (see `vesta_sql.admin.stubs`)."""'
    return [HEADER, doc, "", *imports.render(), "", *body]


def _signature_params(function: Callable[..., Any], replace: Mapping[str, str], *, skip_self: bool) -> list[str]:
    """A runtime signature for a stub: annotations as written (or replaced, then required), defaults as `...`."""
    out: list[str] = []
    star_done = False
    for index, param in enumerate(inspect.signature(function).parameters.values()):
        if skip_self and index == 0:
            continue
        if param.kind == param.KEYWORD_ONLY and not star_done:
            out.append("*")
        star_done = star_done or param.kind in (param.KEYWORD_ONLY, param.VAR_POSITIONAL)
        written = replace.get(param.name) or annotation(param.annotation, function.__name__, param.name)
        has_default = param.default is not param.empty and param.name not in replace
        star = "*" if param.kind == param.VAR_POSITIONAL else "**" if param.kind == param.VAR_KEYWORD else ""
        out.append(f"{star}{param.name}: {written}{' = ...' if has_default else ''}")
    return out


def render_init() -> list[str]:
    """The lines of `__init__.pyi`: the package's public names, re-exported; the typed ones from `_namespaces`."""
    import vesta_sql

    tree = ast.parse(inspect.getsource(vesta_sql))
    imports = Imports(())
    for node in ast.walk(tree):  # the submodules `__init__` imports are attributes of the package at runtime
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module and "." not in node.module:
            if node.module not in vesta_sql.__all__:
                imports.bound[node.module] = (f"vesta_sql.{node.module}", None)
    for name in vesta_sql.__all__:
        module = "vesta_sql._namespaces" if name in TYPED else getattr(getattr(vesta_sql, name), "__module__", "")
        if not module.startswith("vesta_sql"):
            raise StubError(f"vesta_sql.{name}: cannot tell which module defines it")
        imports.bound[name] = (module, name)
    names = "".join(f'    "{name}",\n' for name in vesta_sql.__all__)
    doc = (vesta_sql.__doc__ or "").strip()
    return [HEADER, f'"""{doc}"""', "", *imports.render(reexport=True), "", f"__all__ = [\n{names}]", ""]
