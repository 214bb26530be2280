"""Read `queries/*.sql` (plus dialect overrides and extra folders) into guarded query specs.

aiosql parses the files (names, operations, declared parameter lists, record classes,
parameter style for the driver); this module adds the package's own rules on top:
declared parameter types, dialect overrides, and the tenant guard.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosql.query_loader import _QUERY_DEF, QueryLoader
from aiosql.types import SQLOperationType
from aiosql.utils import SQLLoadException, SQLParseException

from . import records
from .errors import QueryLoadError
from .guard import DIRECTORY_NAMESPACE, check_query_scoped
from .params import ParamSpec, parse_param_lines
from .resources import DIALECTS, queries_dir

_OPS = {
    SQLOperationType.SELECT: "many",
    SQLOperationType.SELECT_ONE: "one",
    SQLOperationType.SELECT_VALUE: "value",
    SQLOperationType.INSERT_UPDATE_DELETE: "count",
    SQLOperationType.INSERT_RETURNING: "returning",
}
_NEEDS_RECORD = ("many", "one", "returning")


@dataclass
class QuerySpec:
    """One loaded query for one dialect."""

    namespace: str
    name: str
    op: str
    sql: str
    declared: tuple[str, ...]
    params: dict[str, ParamSpec]
    record: type | None
    file: Path
    line: int
    doc: str
    runs_on_d1: bool = True
    source_sql: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def qualified_name(self) -> str:
        return f"{self.namespace}.{self.name}"


Catalog = dict[str, dict[str, QuerySpec]]


def _adapter(dialect: str) -> Any:
    # aiosql's adapters decide the driver's parameter style: `:name` for sqlite3, `%(name)s` for psycopg
    from aiosql.adapters.pyformat import PyFormatAdapter
    from aiosql.adapters.sqlite3 import SQLite3Adapter

    return SQLite3Adapter() if dialect == "sqlite" else PyFormatAdapter()  # type: ignore[no-untyped-call]


def _record_classes() -> dict[str, type]:
    return {name: getattr(records, name) for name in records.__all__}


class _Loader(QueryLoader):
    """aiosql's loader, minus its block-comment scan on files that have no block comment.

    The scan (a regex visiting every token of the file) was most of the cost of `connect`;
    without a `/*` in the file there is nothing for it to remove, so its result is the file.
    """

    def load_query_data_from_sql(self, sql: str, ns_parts: list[str], fname: Path | str = "<unknown>") -> list[Any]:
        if "/*" in sql:
            return super().load_query_data_from_sql(sql, ns_parts, fname)
        parts = _QUERY_DEF.split(sql)
        lineno = 1 + parts[0].count("\n")
        data = []
        for part in parts[1:]:  # what comes before the first query definition is dropped
            data.append(self._make_query_datum(part, ns_parts, (fname, lineno)))
            lineno += part.count("\n")
        return data


class _IdentityAdapter:
    """Keeps `:name` binds as written, for the guard and the static checks."""

    def process_sql(self, query_name: str, op_type: SQLOperationType, sql: str) -> str:
        return sql


_HEADER = re.compile(r"^[ \t]*--\s*name\s*:\s*([\w-]+)\s*(?:\(([^)]*)\))?\s*(\S*)", re.MULTILINE)


def _guard_text(text: str, path: Path, namespace: str) -> dict[str, int]:
    """The tenant guard on the raw file, before parsing, so its error names the exact line.

    Returns each query's line, for the other errors' messages.
    """
    lines: dict[str, int] = {}
    headers = list(_HEADER.finditer(text))
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        body = "\n".join(line for line in text[header.end():end].splitlines()[1:] if not line.lstrip().startswith("--"))
        declared = tuple(p.strip() for p in (header.group(2) or "").split(",") if p.strip())
        name, line = header.group(1).replace("-", "_"), text.count("\n", 0, header.start()) + 1
        lines.setdefault(name, line)
        op = "value" if header.group(3) == "$" else "many"
        check_query_scoped(QuerySpec(namespace, name, op, "", declared, {}, None, path, line, ""), body)
    return lines


def load_file(path: Path, dialect: str, namespace: str | None = None) -> list[QuerySpec]:
    """Parse one `.sql` file into guarded specs for `dialect`."""
    namespace = namespace or path.stem
    text = path.read_text(encoding="utf-8")
    lines = _guard_text(text, path, namespace)
    classes = _record_classes()
    try:
        # parsed once, keeping `:name` binds; the dialect's adapter then rewrites each query's
        # SQL as aiosql would (parsing is most of the cost of `connect`)
        raw = _Loader(_IdentityAdapter(), classes).load_query_data_from_sql(text, [], path)  # type: ignore[arg-type]
        adapter = _adapter(dialect)
        data = [datum._replace(sql=adapter.process_sql(datum.query_name, datum.operation_type, datum.sql)) for datum in raw]
    except (SQLParseException, SQLLoadException) as exc:
        raise QueryLoadError(f"{path}: {exc}") from None
    specs = []
    for datum, raw_datum in zip(data, raw, strict=True):
        line = lines.get(datum.query_name, datum.floc[1])
        where = f"{path}:{line}: query {namespace}.{datum.query_name}"
        op = _OPS.get(datum.operation_type)
        if op is None:
            raise QueryLoadError(f"{where}: operation {datum.operation_type.name} is not supported by the façade")
        doc = datum.doc_comments
        if re.search(r"^record_class:", doc, re.MULTILINE):
            raise QueryLoadError(f"{where}: unknown record class ({doc.splitlines()[0]}) — not in vesta_sql.records")
        if op in _NEEDS_RECORD and datum.record_class is None:
            raise QueryLoadError(f"{where}: a query returning rows needs a '-- record_class:' line right after its name")
        spec = QuerySpec(
            namespace=namespace,
            name=datum.query_name,
            op=op,
            sql=datum.sql,
            declared=tuple(datum.parameters or ()),
            params={},
            record=datum.record_class,
            file=path,
            line=line,
            doc="\n".join(line for line in doc.splitlines() if not re.match(r"(param|d1|returns):", line)),
            runs_on_d1=not re.search(r"^d1:\s*no\b", doc, re.MULTILINE),
            source_sql=raw_datum.sql,
        )
        returns = re.search(r"^returns:\s*(.*?)\s*$", doc, re.MULTILINE)
        if returns:
            if op != "value" or returns.group(1) not in ("bool", "int", "float", "str"):
                raise QueryLoadError(f"{where}: '-- returns:' is for '$' queries and one of bool, int, float, str")
            spec.extra["returns"] = returns.group(1)
        spec.params = parse_param_lines(doc, where)
        declared = set(spec.declared) - {"account_id"}
        if declared != set(spec.params):
            undeclared = sorted(declared - set(spec.params))
            stray = sorted(set(spec.params) - declared)
            raise QueryLoadError(
                f"{where}: '-- param:' lines must match the declared parameter list"
                + (f"; no type for {', '.join(undeclared)}" if undeclared else "")
                + (f"; not in the list: {', '.join(stray)}" if stray else "")
            )
        specs.append(spec)
    return specs


def load_catalog(dialect: str, extra_queries: Sequence[str | Path] | None = None) -> tuple[Catalog, dict[str, QuerySpec]]:
    """All queries for one dialect, by namespace, and the directory's queries apart."""
    if dialect not in DIALECTS:
        raise QueryLoadError(f"unknown dialect {dialect!r}")
    catalog: Catalog = {}
    directory: dict[str, QuerySpec] = {}
    folders = [queries_dir(), *(Path(folder) for folder in extra_queries or ())]
    for index, folder in enumerate(folders):
        if not folder.is_dir():
            raise QueryLoadError(f"query folder {folder} does not exist")
        for spec in _folder_specs(folder, dialect):
            if spec.namespace == DIRECTORY_NAMESPACE:
                if index:
                    raise QueryLoadError(f"{spec.file}: only the package may define account directory queries")
                directory[spec.name] = spec
                continue
            queries = catalog.setdefault(spec.namespace, {})
            if spec.name in queries and index:
                raise QueryLoadError(
                    f"{spec.file}:{spec.line}: query {spec.qualified_name} is already defined by {queries[spec.name].file}")
            queries[spec.name] = spec
    return catalog, directory


def _folder_specs(folder: Path, dialect: str) -> Iterable[QuerySpec]:
    """The shared files, with same-named queries of `folder/<dialect>/` replacing them."""
    merged: dict[tuple[str, str], QuerySpec] = {}
    for path in sorted(folder.glob("*.sql")):
        for spec in load_file(path, dialect):
            merged[(spec.namespace, spec.name)] = spec
    for path in sorted((folder / dialect).glob("*.sql")):
        for spec in load_file(path, dialect):
            merged[(spec.namespace, spec.name)] = spec
    return merged.values()
