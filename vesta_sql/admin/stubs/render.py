"""Stub text shared by the package's stubs and an app's: the classes of one namespace, a method, a docstring."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from .imports import Imports
from .model import LINE_LIMIT, Method

# (class prefix, takes `account_id`, async): the four ways to call a namespace
VARIANTS = (("", True, False), ("Tx", False, False), ("Async", True, True), ("AsyncTx", False, True))
_STYLES = {"": "", "Tx": " inside `db.transaction(…)`: the account is the transaction's",
           "Async": ", awaited", "AsyncTx": " inside `async with db.transaction(…)`, awaited"}


def camel(*names: str) -> str:
    return "".join(part.capitalize() for name in names for part in name.split("_"))


def class_name(namespace: str) -> str:
    return camel(namespace) + "Queries"


def _docstring(doc: str, indent: str) -> list[str]:
    lines: list[str] = []
    for line in doc.strip().replace("\\", "\\\\").replace('"""', '\\"\\"\\"').splitlines():
        lines.extend(textwrap.wrap(line, LINE_LIMIT - len(indent) - 6, break_on_hyphens=False) or [""])
    if not lines:
        return []
    if lines[-1].endswith('"'):
        lines[-1] = lines[-1][:-1] + '\\"'
    if len(lines) == 1:
        return [f'{indent}"""{lines[0]}"""']
    return [f'{indent}"""{lines[0]}', *(f"{indent}{line}" if line else "" for line in lines[1:]), f'{indent}"""']


def define(name: str, params: list[str], returns: str, *, doc: str = "", is_async: bool = False,
           indent: str = "", self_: bool = True, ignore: str = "") -> list[str]:
    """A `def` of a stub; a `# type: ignore[…]` stays on its first line, where mypy looks for it."""
    head = f"{indent}{'async ' if is_async else ''}def {name}("
    params = (["self"] if self_ else []) + params
    tail = f") -> {returns}:"
    comment = f"  # type: ignore[{ignore}]" if ignore else ""
    body = _docstring(doc, indent + "    ")
    one = head + ", ".join(params) + tail + ("" if body else " ...") + comment
    if len(one) - len(comment) <= LINE_LIMIT:
        return [one, *body]
    return [head + comment, *(f"{indent}    {param}," for param in params), indent + tail + ("" if body else " ..."), *body]


def _params(method: Method, account: bool, members: set[str], imports: Imports, where: str) -> list[str]:
    out = ["account_id: str"] if account else []
    for param in method.params:
        annotation = imports.shadow_safe(param.annotation, members, where)
        if param.star:
            out.append(f"**{param.name}: {annotation}")
        else:
            out.append(f"{param.name}: {annotation}{' = ...' if param.optional else ''}")
    keyword_only = [p for p in out if not p.startswith("**")]
    return ["*", *out] if keyword_only else out


def render_namespace(ns: str, calls: Mapping[str, Method], imports: Imports) -> list[str]:
    """The four classes of one namespace, and four call classes (`q(…)` and `q.many(rows=…)`) per `!` query."""
    body: list[str] = []
    members = set(calls)
    for name, method in calls.items():
        if not method.many:
            continue
        where = f"{ns}.{name}"
        for prefix, account, is_async in VARIANTS:
            call_members = {"__call__", "many"}
            body += ["", f"class {prefix}{camel(ns, name)}Call:", f'    """`{ns}.{name}`{_STYLES[prefix]}."""', "",
                     *define("__call__", _params(method, account, call_members, imports, where), method.returns,
                             doc=method.doc, is_async=is_async, indent="    "), "",
                     *define("many", ["*", *(["account_id: str"] if account else []), "rows: Iterable[Mapping[str, Any]]"],
                             "int", doc="Run the query once per row, "
                             + ("in one transaction" if account else "inside the transaction")
                             + "; returns the total row count.", is_async=is_async, indent="    "), ""]
    for prefix, account, is_async in VARIANTS:
        body += ["", f"class {prefix}{class_name(ns)}:", f'    """`{ns}`{_STYLES[prefix]}."""', ""]
        for name, method in calls.items():
            where = f"{ns}.{name}"
            if method.many:
                body += [f"    {name}: {imports.shadow_safe(f'{prefix}{camel(ns, name)}Call', members, where)}", ""]
                continue
            returns = imports.shadow_safe(method.returns, members, where)
            body += [*define(name, _params(method, account, members, imports, where), returns,
                             doc=method.doc, is_async=is_async, indent="    "), ""]
    return body
