"""The names a stub binds: where each comes from, checked for clashes; ruff sorts the lines they become."""

from __future__ import annotations

import ast
import builtins
import importlib.util
import inspect
from collections.abc import Iterable, Mapping
from types import ModuleType

from .model import Binding, StubError


class Imports:
    """The names the stub binds, checked for clashes, rendered one import a line (`tidy` sorts and merges them)."""

    def __init__(self, local: Iterable[str]) -> None:
        self.local = set(local)
        self.bound: dict[str, Binding] = {}

    def bind(self, name: str, target: Binding, where: str) -> None:
        if name in self.local:
            raise StubError(f"{where}: the name {name!r} clashes with a name the stub defines")
        if self.bound.setdefault(name, target) != target:
            raise StubError(f"{where}: {name!r} means {_show(target)} here but {_show(self.bound[name])} elsewhere")

    def use(self, annotation: str, scope: Mapping[str, Binding], where: str) -> None:
        """Bind every name of `annotation`, looked up in `scope` (then the stub's own names, then builtins)."""
        for name in sorted(names(annotation, where)):
            if name in scope:
                self.bind(name, scope[name], where)
            elif name not in self.local and not hasattr(builtins, name):
                raise StubError(f"{where}: cannot tell where {name!r} (in {annotation!r}) comes from")

    def shadow_safe(self, annotation: str, members: set[str], where: str) -> str:
        """`annotation` usable inside a class whose members include `members` (a method `list` hides `list`)."""
        clash = names(annotation, where) & members
        if not clash:
            return annotation
        tree = ast.parse(annotation, mode="eval")
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in clash:
                target = self.bound.get(node.id) or (("builtins", node.id) if hasattr(builtins, node.id) else None)
                if target is None or target[1] is None:
                    raise StubError(f"{where}: {node.id!r} is hidden by a method of the same name")
                alias = f"_{node.id}"
                self.bind(alias, target, where)
                node.id = alias
        return ast.unparse(tree)

    def render(self, *, reexport: bool = False, relative_to_package: bool = True) -> list[str]:
        """One import line per bound name; the package's own modules relative unless `relative_to_package=False`
        (an app's stub). `reexport` writes `X as X`. The order is left to ruff."""
        lines = []
        for name, (module, attribute) in sorted(self.bound.items()):
            ours = relative_to_package and module.split(".")[0] == "vesta_sql"
            source = "." + module.removeprefix("vesta_sql").lstrip(".") if ours else module
            if attribute is None and ours:  # a submodule of the package, imported from its parent
                source, _, attribute = source.rpartition(".")
                source = source or "."
            if attribute is None:
                lines.append(f"import {module}" + ("" if name == module else f" as {name}"))
            else:
                lines.append(f"from {source} import {attribute}" + (f" as {name}" if reexport or name != attribute else ""))
        return lines


def _show(target: Binding) -> str:
    return target[0] if target[1] is None else f"{target[0]}.{target[1]}"


def names(annotation: str, where: str) -> set[str]:
    """The names an annotation uses."""
    try:
        tree = ast.parse(annotation, mode="eval")
    except SyntaxError:
        raise StubError(f"{where}: cannot read the annotation {annotation!r}") from None
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def module_bindings(module: ModuleType) -> dict[str, Binding]:
    """What each top-level name of `module` refers to: its imports and its own definitions."""
    tree = ast.parse(inspect.getsource(module))
    package = module.__name__ if hasattr(module, "__path__") else module.__name__.rpartition(".")[0]
    bindings: dict[str, Binding] = {}
    statements = list(tree.body)
    while statements:
        node = statements.pop(0)
        if isinstance(node, ast.If):
            statements[:0] = [*node.body, *node.orelse]
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            source = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            for alias in node.names:
                bindings[alias.asname or alias.name] = (source, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bindings[alias.asname] = (alias.name, None)
                else:
                    top = alias.name.split(".")[0]
                    bindings[top] = (top, None)
        elif isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            bindings[node.name] = (module.__name__, node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Name):
                    bindings[target.id] = (module.__name__, target.id)
    return bindings
