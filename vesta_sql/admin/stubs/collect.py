"""What the stubs describe: every query and program of the façade, as one method the same on every dialect."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import keyword
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ...loader import QuerySpec, load_catalog
from ...param_declarations import REQUIRED
from ...programs.registry import ProgramSpec, dialect_steps, missing_steps, programs_for
from ...resources import DIALECTS
from .imports import module_bindings
from .model import Binding, Method, Methods, Param, StubError

_RETURNS = {"count": "int", "value": "Any"}
_PARAM_NAMES = {
    "Any": ("typing", "Any"), "Literal": ("typing", "Literal"), "Sequence": ("collections.abc", "Sequence"),
    "datetime": ("datetime", "datetime"),
    "JsonValue": ("vesta_sql.records._types", "JsonValue"),
}


def facade_methods(extra_queries: Sequence[str | Path] | None = None,
                   record_classes: Mapping[str, type] | None = None) -> Methods:
    """Per namespace, per call: its method, the same on every dialect (or StubError).

    A call is a query or a program (a dialect's program may stand in for the other
    dialect's query). A query of one dialect only is refused, unless that dialect's
    programs declare it as a step: then it is their helper, and left out of the stubs
    (code calling it would not run on the other dialect). A declared step that is not a
    query of its dialect is refused too.
    """
    catalogs = {dialect: load_catalog(dialect, extra_queries, record_classes)[0] for dialect in DIALECTS}
    programs = {dialect: {key: spec for key, spec in programs_for(dialect).items()
                          if spec.function.__module__.split(".")[0] == "vesta_sql"} for dialect in DIALECTS}
    keys = {dialect: {(ns, name) for ns, specs in catalogs[dialect].items() for name in specs} | set(programs[dialect])
            for dialect in DIALECTS}
    first, *others = DIALECTS
    common = keys[first].intersection(*(keys[dialect] for dialect in others))
    problems = [line for dialect in DIALECTS for line in missing_steps(dialect, catalogs[dialect])]
    for dialect in DIALECTS:
        helpers = dialect_steps(dialect)
        for ns, name in sorted(keys[dialect] - common):
            missing = ", ".join(d for d in DIALECTS if (ns, name) not in keys[d])
            if (ns, name) in programs[dialect]:
                problems.append(f"program {ns}.{name} exists for {dialect} but not for {missing}")
            elif (ns, name) not in helpers:
                spec = catalogs[dialect][ns][name]
                problems.append(f"{spec.file}:{spec.line}: query {ns}.{name} exists for {dialect} but not for {missing};"
                                f" every query needs a version for each dialect (or is a step of {dialect}'s own programs)")
    if problems:
        raise StubError("\n".join(problems))
    methods: Methods = {}
    for ns, name in sorted(common):
        made = {dialect: _program_method(programs[dialect][(ns, name)], dialect)
                if (ns, name) in programs[dialect] else _query_method([catalogs[dialect][ns][name]]) for dialect in DIALECTS}
        if not any((ns, name) in programs[dialect] for dialect in DIALECTS):  # `<!`: None if any dialect may give none
            joint = _query_method([catalogs[dialect][ns][name] for dialect in DIALECTS])
            made = {dialect: (dataclasses.replace(method, returns=joint[0].returns), scope)
                    for dialect, (method, scope) in made.items()}
        shapes = {dialect: _shape(method) for dialect, (method, _) in made.items()}
        if len(set(shapes.values())) > 1:
            raise StubError(f"{ns}.{name} differs between dialects: "
                            + "; ".join(f"{dialect} {shape}" for dialect, shape in shapes.items())
                            + "; the stubs need one signature")
        methods.setdefault(ns, {})[name] = made[first]
    return methods


def _shape(method: Method) -> str:
    params = ", ".join(f"{p.star}{p.name}: {p.annotation}{' = ...' if p.optional else ''}" for p in method.params)
    return f"({params}) -> {method.returns}" + (" (with .many)" if method.many else "")


def _query_method(specs: list[QuerySpec]) -> tuple[Method, dict[str, Binding]]:
    spec = specs[0]
    where = f"{spec.file}:{spec.line}: query {spec.qualified_name}"
    scope: dict[str, Binding] = {name: (module, attr) for name, (module, attr) in _PARAM_NAMES.items()}
    params = []
    for name in spec.declared:
        param = spec.params.get(name)
        if param is None or param.kind == "now":
            continue
        if keyword.iskeyword(name):
            raise StubError(f"{where}: parameter {name!r} is a Python keyword and cannot be passed by name")
        params.append(Param(name, param.python_type, param.default is not REQUIRED))
    if spec.op == "value" and spec.returns:
        always = all(always_one_value(s.source_sql or s.sql) for s in specs)
        returns = spec.returns if always else f"{spec.returns} | None"
    elif spec.op in _RETURNS:
        returns = _RETURNS[spec.op]
    else:
        assert spec.record is not None
        record = spec.record.__name__
        scope[record] = (spec.record.__module__, record)
        always = spec.op == "returning" and all(_always_returns_row(s.source_sql or s.sql) for s in specs)
        returns = f"list[{record}]" if spec.op == "many" else record if always else f"{record} | None"
    return Method(spec.name, tuple(params), returns, spec.doc, many=spec.op == "count"), scope


def always_one_value(sql: str) -> bool:
    """A `$` query that always returns one row whose value is not null: `count(…)`, `exists (…)`, `coalesce(…, literal)`.

    An aggregate without `group by` returns one row even over no rows; so does a select with no `from`.
    """
    import sqlglot
    from sqlglot import exp

    try:
        node = sqlglot.parse_one(sql, read="sqlite")
    except sqlglot.errors.ParseError:
        return False
    if not isinstance(node, exp.Select) or len(node.expressions) != 1:
        return False
    if any(node.args.get(key) for key in ("group", "having", "limit", "offset", "qualify")):
        return False
    value = node.expressions[0].unalias()

    def not_null(expression: exp.Expression) -> bool:
        if isinstance(expression, exp.Cast):
            return not_null(expression.this)
        if isinstance(expression, exp.Coalesce):
            return any(isinstance(arg, exp.Literal) for arg in expression.expressions)
        return isinstance(expression, exp.Count | exp.Exists | exp.Literal | exp.Boolean)

    one_row = node.args.get("from_") is None or value.find(exp.AggFunc) is not None
    return one_row and not_null(value)


def _always_returns_row(sql: str) -> bool:
    """An `insert … values … returning` without a filter returns its row (or raises); anything else may return none."""
    text = re.sub(r"--[^\n]*", "", sql).lower()
    return (re.match(r"\s*insert\s+into\b", text) is not None and re.search(r"\bvalues\b", text) is not None
            and re.search(r"\bwhere\b|\bdo\s+nothing\b", text) is None)


def _program_method(program: ProgramSpec, dialect: str) -> tuple[Method, dict[str, Binding]]:
    function = program.function
    module = sys.modules[function.__module__]
    where = f"{inspect.getsourcefile(function)}: program {program.qualified_name} ({dialect})"
    signature = inspect.signature(function)
    _steps, *rest = signature.parameters.values()
    params = []
    for param in rest:
        if param.kind in (param.POSITIONAL_ONLY, param.VAR_POSITIONAL):
            raise StubError(f"{where}: parameter {param.name!r} must be keyword-only (after `*`)")
        params.append(Param(param.name, annotation(param.annotation, where, param.name),
                            param.default is not param.empty, "**" if param.kind == param.VAR_KEYWORD else ""))
    returns = annotation(signature.return_annotation, where, "return")
    tree = ast.parse(returns, mode="eval").body
    if not (isinstance(tree, ast.Subscript) and (getattr(tree.value, "id", None) == "Program"
                                                  or getattr(tree.value, "attr", None) == "Program")):
        raise StubError(f"{where}: the return annotation must be Program[T], got {returns!r}")
    return Method(program.name, tuple(params), ast.get_source_segment(returns, tree.slice) or "Any",
                  inspect.getdoc(function) or ""), module_bindings(module)


def annotation(value: Any, where: str, what: str) -> str:
    """An annotation as the source wrote it."""
    if value is inspect.Parameter.empty:
        raise StubError(f"{where}: {what} has no annotation")
    return value if isinstance(value, str) else inspect.formatannotation(value)
