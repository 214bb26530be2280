"""Read `queries/*.sql` (plus dialect overrides and extra folders) into proven query specs.

Files are split by the package's one parser (`sqlfile.py`); this module adds the
package's rules on top: declared parameter types, record classes, dialect overrides, the
quick tenant guard, and the full scope proof. No query loads unless the proof accepted
its exact text, either through the committed proof record or by proving it now: one
unproven query refuses the whole load, with the same `file:line: query: what` lines as
`vesta-sql check`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeGuard, get_args

from . import records
from .errors import QueryLoadError, TenantScopeError
from .guard import DIRECTORY_NAMESPACE, check_query_scoped
from .names import FACADE_NAMES
from .param_declarations import ParamSpec, parse_param_lines
from .programs.registry import step_records
from .proof.record import ProofInput, load_record
from .resources import DIALECTS, queries_dir
from .rows import field_kind
from .sqlfile import Operation, QueryBlock, parse_file, pyformat

# The operations the façade runs (`*!` and `#` parse, but are refused at load).
FacadeOperation = Literal["many", "one", "value", "count", "returning"]
# What a `$` query may declare with `-- returns:`.
ValueType = Literal["bool", "int", "float", "str"]
_FACADE_OPS: tuple[FacadeOperation, ...] = get_args(FacadeOperation)
_VALUE_TYPES: tuple[ValueType, ...] = get_args(ValueType)
_NEEDS_RECORD = ("many", "one", "returning")


def _runs_on_facade(op: Operation) -> TypeGuard[FacadeOperation]:
    return op in _FACADE_OPS


def _is_value_type(text: str) -> TypeGuard[ValueType]:
    return text in _VALUE_TYPES


@dataclass(frozen=True, slots=True)
class QuerySpec:
    """One loaded query for one dialect, built in one go by `load_file` and never changed after."""

    namespace: str
    name: str
    op: FacadeOperation
    sql: str  # in the driver's parameter style
    declared: tuple[str, ...]
    params: Mapping[str, ParamSpec]
    record: type | None
    file: Path
    line: int
    doc: str
    runs_on_d1: bool = True
    source_sql: str = ""  # as written, with `:name` binds
    returns: ValueType | None = None  # `-- returns:` of a `$` query
    block: QueryBlock | None = None

    @property
    def qualified_name(self) -> str:
        return f"{self.namespace}.{self.name}"

    def proof_input(self) -> ProofInput:
        binds = self.block.bind_names() if self.block is not None else []
        return ProofInput(self.source_sql, binds, directory=self.namespace == DIRECTORY_NAMESPACE, record=self.record)


Catalog = dict[str, dict[str, QuerySpec]]


RecordClasses = Mapping[str, type]


def _record_classes(app: RecordClasses | None = None) -> dict[str, type]:
    """The package's record classes, plus an app's (checked: dataclasses of convertible fields, no shadowing)."""
    classes: dict[str, type] = {name: getattr(records, name) for name in records.__all__} | step_records()
    for name, cls in (app or {}).items():
        where = f"record_classes[{name!r}]"
        if name in classes:
            raise QueryLoadError(f"{where}: {name} is already a record of the package; give the app's class another name")
        if not isinstance(cls, type) or not dataclasses.is_dataclass(cls):
            raise QueryLoadError(f"{where}: {cls!r} is not a dataclass (records are frozen dataclasses)")
        for field_ in dataclasses.fields(cls):
            try:
                field_kind(field_.type)
            except QueryLoadError as exc:
                raise QueryLoadError(f"{where}: field {field_.name}: {exc}") from None
        classes[name] = cls
    return classes


def load_file(path: Path, dialect: str, namespace: str | None = None, classes: RecordClasses | None = None) -> list[QuerySpec]:
    """Parse one `.sql` file into guarded (not yet proven) specs for `dialect`."""
    known = dict(classes) if classes is not None else _record_classes()
    return [_spec(block, dialect, known) for block in parse_file(path, dialect, namespace)]


def _spec(block: QueryBlock, dialect: str, classes: RecordClasses) -> QuerySpec:
    where = block.where
    op = block.op
    if not _runs_on_facade(op):
        raise QueryLoadError(f"{where}: operation {op!r} ('*!' or '#') is not supported by the façade")
    record = None
    if block.record_class is not None:
        record = classes.get(block.record_class)
        if record is None:
            raise QueryLoadError(f"{where}: unknown record class {block.record_class} — not in vesta_sql.records; "
                                 f"an app's own class is passed as connect(record_classes={{{block.record_class!r}: …}})")
    if op in _NEEDS_RECORD and record is None:
        raise QueryLoadError(
            f"{where}: a query returning rows ('-- name: {block.name}(…)' with no suffix, '^' or '<!') needs a "
            "'-- record_class:' line right after its name; a write that returns a row count ends its name with '!'")
    doc = block.doc
    returns: ValueType | None = None
    if found := re.search(r"^returns:\s*(.*?)\s*$", doc, re.MULTILINE):
        declared_type = found.group(1)
        if op != "value" or not _is_value_type(declared_type):
            raise QueryLoadError(f"{where}: '-- returns:' is for '$' queries and one of {', '.join(_VALUE_TYPES)}")
        returns = declared_type
    spec = QuerySpec(
        namespace=block.namespace,
        name=block.name,
        op=op,
        sql=pyformat(block.sql, block.binds) if dialect == "postgres" else block.sql,
        declared=block.declared or (),
        params=parse_param_lines(doc, where),
        record=record,
        file=block.file,
        line=block.line,
        doc="\n".join(line for line in doc.splitlines() if not re.match(r"(param|d1|returns):", line)),
        runs_on_d1=not re.search(r"^d1:\s*no\b", doc, re.MULTILINE),
        source_sql=block.sql,
        returns=returns,
        block=block,
    )
    check_query_scoped(spec, block.bind_names())
    _check_declarations(spec, block, where)
    return spec


def _check_declarations(spec: QuerySpec, block: QueryBlock, where: str) -> None:
    """The header's list, the `-- param:` lines and the binds of the SQL name the same parameters."""
    declared = set(spec.declared)
    used = set(block.bind_names())
    if declared != used:
        unused, undeclared = sorted(declared - used), sorted(used - declared)
        raise QueryLoadError(
            f"{where}: the parameter list must name exactly the SQL's binds"
            + (f"; never bound: {', '.join(unused)}" if unused else "")
            + (f"; bound but not in the list: {', '.join(undeclared)}" if undeclared else "")
        )
    typed = declared - {"account_id"}
    if typed != set(spec.params):
        untyped = sorted(typed - set(spec.params))
        stray = sorted(set(spec.params) - typed)
        raise QueryLoadError(
            f"{where}: '-- param:' lines must match the declared parameter list"
            + (f"; no type for {', '.join(untyped)}" if untyped else "")
            + (f"; not in the list: {', '.join(stray)}" if stray else "")
        )


def load_catalog(dialect: str, extra_queries: Sequence[str | Path] | None = None,
                 record_classes: RecordClasses | None = None) -> tuple[Catalog, dict[str, QuerySpec]]:
    """All proven queries for one dialect, by namespace, and the directory's queries apart."""
    if dialect not in DIALECTS:
        raise QueryLoadError(f"unknown dialect {dialect!r}")
    catalog: Catalog = {}
    directory: dict[str, QuerySpec] = {}
    classes = _record_classes(record_classes)
    folders = [queries_dir(), *(Path(folder) for folder in extra_queries or ())]
    for index, folder in enumerate(folders):
        if not folder.is_dir():
            raise QueryLoadError(f"query folder {folder} does not exist")
        for spec in folder_specs(folder, dialect, classes):
            if spec.namespace == DIRECTORY_NAMESPACE:
                if index:
                    raise TenantScopeError(f"{spec.file}:{spec.line}: only the package may define account directory queries")
                directory[spec.name] = spec
                continue
            if spec.namespace in FACADE_NAMES:
                raise QueryLoadError(f"{spec.file}: a query file named {spec.namespace!r} would be hidden by the façade's "
                                     f"own {spec.namespace!r} (db.{spec.namespace}): rename the file")
            queries = catalog.setdefault(spec.namespace, {})
            if spec.name in queries and index:
                raise QueryLoadError(
                    f"{spec.file}:{spec.line}: query {spec.qualified_name} is already defined by {queries[spec.name].file}")
            queries[spec.name] = spec
    require_proven([*directory.values(), *(s for queries in catalog.values() for s in queries.values())], dialect)
    return catalog, directory


def folder_specs(folder: Path, dialect: str, classes: RecordClasses | None = None) -> Iterable[QuerySpec]:
    """The shared files, with same-named queries of `folder/<dialect>/` replacing them."""
    merged: dict[tuple[str, str], QuerySpec] = {}
    for path in [*sorted(folder.glob("*.sql")), *sorted((folder / dialect).glob("*.sql"))]:
        for spec in load_file(path, dialect, classes=classes):
            merged[(spec.namespace, spec.name)] = spec
    return merged.values()


# texts proven in this process (by this very code), so a second `connect` does not prove them again
_proven_here: set[tuple[str, str]] = set()


def unproven(specs: Iterable[QuerySpec], dialect: str) -> list[str]:
    """`file:line: query: what` for each thing the proof does not accept (sqlglot is loaded only when needed)."""
    record = load_record()
    problems: list[str] = []
    tables = None
    for spec in specs:
        query = spec.proof_input()
        if record.accepts(dialect, query) or (dialect, query.key(dialect)) in _proven_here:
            continue
        from .proof.prover import prove
        from .proof.tables import learn_tables

        if tables is None:
            tables = record.tables(dialect) or learn_tables(dialect)
        findings = prove(query, dialect, tables)
        if not findings:
            _proven_here.add((dialect, query.key(dialect)))
        for finding in findings:
            line = spec.block.file_line(finding.line) if spec.block is not None else spec.line
            problems.append(f"{spec.file}:{line}: query {spec.qualified_name}: {finding.message}")
    return problems


def require_proven(specs: Iterable[QuerySpec], dialect: str) -> None:
    problems = unproven(specs, dialect)
    if problems:
        raise TenantScopeError(
            "\n".join(problems) + f"\nthe scope proof refused {len(problems)} thing(s) on {dialect}: no query was loaded "
            "(`vesta-sql check DIR` shows the same)"
        )
