"""Cloudflare D1 rules for the SQLite migrations and for every query that runs on SQLite.

The SQL is compiled by SQLite itself (an in-memory database built from the migrations)
with an authorizer, the mechanism D1's runtime uses to refuse statements: so a function,
pragma or transaction hidden anywhere in a statement is seen exactly as D1 would see it.
Text checks cover what the authorizer does not see (statement size, bound parameters,
`_cf_` names, functions inside trigger bodies). Each problem reads `file:line: what`.

Queries whose header says `-- d1: no` are exempt from the D1 rules; `d1_exempt` lists them.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from ...errors import QueryLoadError
from ...loader import QuerySpec
from ...migration_files import forward_files
from ...resources import migrations_dir
from ..export.d1 import bind_names, package_specs, to_ordered

MAX_BOUND_PARAMETERS = 100
MAX_STATEMENT_BYTES = 100_000
VIRTUAL_TABLE_MODULES = frozenset({"fts5", "fts5vocab"})
RESERVED_PREFIX = "_cf_"

# D1's PRAGMA allowlist (Cloudflare's D1 "SQL statements" reference).
PRAGMAS = frozenset({
    "table_list", "table_info", "table_xinfo", "index_list", "index_info", "index_xinfo",
    "quick_check", "foreign_key_check", "foreign_key_list", "case_sensitive_like",
    "ignore_check_constraints", "legacy_alter_table", "recursive_triggers",
    "reverse_unordered_selects", "foreign_keys", "defer_foreign_keys", "optimize", "data_version",
})

# Functions D1 refuses even though SQLite has them: they reveal the build, or load code.
REFUSED_FUNCTIONS = frozenset({
    "sqlite_version", "sqlite_source_id", "sqlite_compileoption_get", "sqlite_compileoption_used",
    "sqlite_offset", "load_extension",
})

# D1's function allowlist: SQLite's core scalar, date, aggregate, window, math and JSON
# functions, FTS5's auxiliary functions, and the operators SQLite reports as functions.
FUNCTIONS = frozenset({
    # core scalar
    "abs", "changes", "char", "coalesce", "concat", "concat_ws", "format", "glob", "hex", "ifnull",
    "iif", "instr", "last_insert_rowid", "length", "like", "likelihood", "likely", "lower", "ltrim",
    "max", "min", "max_scalar", "min_scalar", "nullif", "octet_length", "printf", "quote", "random",
    "randomblob", "replace", "round", "rtrim", "sign", "soundex", "substr", "substring", "total_changes",
    "trim", "typeof", "unhex", "unicode", "unlikely", "upper", "zeroblob",
    # date and time
    "date", "time", "datetime", "julianday", "unixepoch", "strftime", "timediff",
    "current_date", "current_time", "current_timestamp",
    # aggregate
    "avg", "count", "group_concat", "string_agg", "sum", "total",
    # window
    "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead",
    "first_value", "last_value", "nth_value",
    # math
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "ceil", "ceiling", "cos", "cosh",
    "degrees", "exp", "floor", "ln", "log", "log10", "log2", "mod", "pi", "pow", "power", "radians",
    "sin", "sinh", "sqrt", "tan", "tanh", "trunc",
    # JSON
    "json", "json_array", "json_array_length", "json_extract", "->", "->>", "json_insert",
    "json_object", "json_patch", "json_remove", "json_replace", "json_set", "json_type", "json_valid",
    "json_quote", "json_group_array", "json_group_object", "json_each", "json_tree",
    # FTS5
    "match", "highlight", "bm25", "snippet",
    # used internally by ALTER TABLE
    "sqlite_rename_column", "sqlite_rename_table", "sqlite_rename_test", "sqlite_drop_column",
    "sqlite_rename_quotefix",
}) - REFUSED_FUNCTIONS

_TEMP_ACTIONS = {
    sqlite3.SQLITE_CREATE_TEMP_INDEX: "temporary index",
    sqlite3.SQLITE_CREATE_TEMP_TABLE: "temporary table",
    sqlite3.SQLITE_CREATE_TEMP_TRIGGER: "temporary trigger",
    sqlite3.SQLITE_CREATE_TEMP_VIEW: "temporary view",
}
_NAMED_ACTIONS = {  # action -> which argument holds an object name
    sqlite3.SQLITE_CREATE_TABLE: (0,), sqlite3.SQLITE_CREATE_INDEX: (0, 1), sqlite3.SQLITE_CREATE_TRIGGER: (0, 1),
    sqlite3.SQLITE_CREATE_VIEW: (0,), sqlite3.SQLITE_CREATE_VTABLE: (0,), sqlite3.SQLITE_ALTER_TABLE: (1,),
    sqlite3.SQLITE_INSERT: (0,), sqlite3.SQLITE_UPDATE: (0,), sqlite3.SQLITE_DELETE: (0,), sqlite3.SQLITE_READ: (0,),
}

# Words that may stand before "(" without being a function call.
_NOT_FUNCTIONS = frozenset({
    "as", "and", "or", "not", "in", "exists", "values", "on", "using", "check", "key", "unique",
    "references", "over", "filter", "cast", "when", "then", "else", "select", "where", "from", "join",
    "table", "index", "view", "into", "set", "by", "is", "between", "case", "end", "returning",
    "conflict", "do", "update", "with", "default", "primary", "foreign", "window", "partition",
    "recursive", "materialized", "if", "begin", "collate", "like", "glob", "match", "escape", "group",
    "order", "having", "limit", "union", "all", "except", "intersect", "distinct", "generated", "always",
    "stored", "virtual", "raise", "delete", "insert", "replace", "ignore", "abort", "fail", "rollback",
    "row", "each", "for", "after", "before", "instead", "of", "nothing", "excluded", "new", "old",
})
_IDENT_CALL = re.compile(r"(?<![\w.\"`\]])([a-z_][a-z0-9_]*)\s*\(", re.IGNORECASE)
_RESERVED = re.compile(r"(?<![\w$])[\"`\[]?(_cf_\w*)", re.IGNORECASE)


@dataclass
class Statement:
    text: str
    line: int  # line of the statement's first token in its file


@dataclass
class _Authorizer:
    """Collects D1 refusals while SQLite compiles a statement (and denies them, so nothing forbidden runs)."""

    problems: list[str] = field(default_factory=list)

    def __call__(self, action: int, arg1: str | None, arg2: str | None, _db: str | None, _source: str | None) -> int:
        problem = self._problem(action, arg1, arg2)
        if problem is None:
            return sqlite3.SQLITE_OK
        if problem not in self.problems:
            self.problems.append(problem)
        return sqlite3.SQLITE_DENY

    def _problem(self, action: int, arg1: str | None, arg2: str | None) -> str | None:
        if action == sqlite3.SQLITE_TRANSACTION:
            verb = (arg1 or "transaction").upper()
            return f"{verb}: transaction statements are not allowed on D1 (each migration and query runs in its own transaction)"
        if action == sqlite3.SQLITE_SAVEPOINT:
            verb = "SAVEPOINT" if (arg1 or "").upper() == "BEGIN" else (arg1 or "").upper()
            return f"{verb} {arg2 or ''}: savepoint statements are not allowed on D1".replace("  ", " ")
        if action == sqlite3.SQLITE_PRAGMA:
            name = (arg1 or "").lower()
            if name not in PRAGMAS:
                return f"PRAGMA {name}: not in D1's pragma allowlist ({', '.join(sorted(PRAGMAS))})"
            return None
        if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
            verb = "ATTACH" if action == sqlite3.SQLITE_ATTACH else "DETACH"
            return f"{verb}: D1 has one database per binding; attach/detach are not allowed"
        if action in _TEMP_ACTIONS:
            return f"{_TEMP_ACTIONS[action]} {arg1 or ''}: TEMP objects are not allowed on D1".replace("  ", " ")
        if action == sqlite3.SQLITE_CREATE_VTABLE and (arg2 or "").lower() not in VIRTUAL_TABLE_MODULES:
            return f"virtual table {arg1} using {arg2}: D1 only allows FTS5 virtual tables"
        if action == sqlite3.SQLITE_FUNCTION:
            return _function_problem(arg2 or "")
        for index in _NAMED_ACTIONS.get(action, ()):
            named = (arg1, arg2)[index]
            if named and named.lower().startswith(RESERVED_PREFIX):
                return _reserved(named)
        return None


def _reserved(name: str) -> str:
    return f"{name}: names starting with {RESERVED_PREFIX} are reserved by D1"


def _function_problem(name: str) -> str | None:
    lowered = name.lower()
    if lowered in REFUSED_FUNCTIONS:
        return f"function {lowered}(): refused by D1"
    if lowered not in FUNCTIONS:
        return f"function {lowered}(): not in D1's function allowlist"
    return None


def _strip(sql: str) -> str:
    """The SQL with comments and string literals blanked (same length, so offsets and lines hold)."""
    out = list(sql)
    index = 0
    while index < len(sql):
        char = sql[index]
        if char == "'":
            end = index + 1
            while end < len(sql):
                if sql[end] == "'" and not (end + 1 < len(sql) and sql[end + 1] == "'"):
                    break
                end += 2 if sql[end] == "'" else 1
            for pos in range(index + 1, min(end, len(sql))):
                out[pos] = " " if sql[pos] != "\n" else "\n"
            index = end + 1
        elif sql.startswith("--", index) or sql.startswith("/*", index):
            end = sql.find("\n", index) if sql.startswith("--", index) else sql.find("*/", index + 2) + 2
            end = len(sql) if end < index + 1 else end
            for pos in range(index, end):
                out[pos] = " " if sql[pos] != "\n" else "\n"
            index = end
        else:
            index += 1
    return "".join(out)


def split_statements(text: str) -> Iterator[Statement]:
    """The statements of a migration file, each with the line of its first token."""
    buffer: list[str] = []
    first = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        if not buffer:
            if not line.strip() or line.lstrip().startswith("--"):
                continue
            first = number
        buffer.append(line)
        if sqlite3.complete_statement("".join(buffer)):
            yield Statement("".join(buffer).strip(), first)
            buffer = []
    if buffer and _strip("".join(buffer)).strip():
        yield Statement("".join(buffer).strip(), first)


def _line_of(statement: Statement, needle: str) -> int:
    """The line of `needle`'s first appearance in the statement's code, else the statement's line."""
    tail = r"(?!\w)" if needle[-1:].isalnum() or needle.endswith("_") else ""
    match = re.search(rf"(?<!\w){re.escape(needle)}{tail}", _strip(statement.text), re.IGNORECASE)
    return statement.line + statement.text.count("\n", 0, match.start()) if match else statement.line


def _text_problems(statement: Statement, d1_sql: str, bound: int) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    size = len(d1_sql.encode("utf-8"))
    if size > MAX_STATEMENT_BYTES:
        found.append((statement.line, f"statement is {size} bytes; D1's limit is {MAX_STATEMENT_BYTES}"))
    if bound > MAX_BOUND_PARAMETERS:
        found.append((statement.line, f"{bound} bound parameters; D1 allows at most {MAX_BOUND_PARAMETERS} per statement"))
    for match in _RESERVED.finditer(_strip(statement.text)):
        found.append((_line_of(statement, match.group(1)), _reserved(match.group(1))))
    return found


def _trigger_function_problems(statement: Statement, schema_names: set[str]) -> list[tuple[int, str]]:
    """Functions in a trigger body (SQLite resolves them only when the trigger fires)."""
    code = _strip(statement.text)
    if not re.match(r"\s*create\s+(temp\w*\s+)?trigger\b", code, re.IGNORECASE):
        return []
    found: list[tuple[int, str]] = []
    for match in _IDENT_CALL.finditer(code):
        name = match.group(1).lower()
        if name in _NOT_FUNCTIONS or name in schema_names:
            continue
        problem = _function_problem(name)
        if problem:
            found.append((statement.line + code.count("\n", 0, match.start()), problem))
    return found


class _Linter:
    def __init__(self) -> None:
        self.conn = sqlite3.connect(":memory:", isolation_level=None)
        self.authorizer = _Authorizer()
        self.problems: list[str] = []

    def close(self) -> None:
        self.conn.close()

    def _report(self, file: Path, line: int, what: str) -> None:
        message = f"{file}:{line}: {what}"
        if message not in self.problems:
            self.problems.append(message)

    def _schema_names(self) -> set[str]:
        rows = self.conn.execute("select name, tbl_name from sqlite_master").fetchall()
        return {str(name).lower() for row in rows for name in row}

    def _compile(self, statement: Statement, file: Path, run: Callable[[], object], prefix: str = "") -> None:
        self.authorizer.problems = []
        self.conn.set_authorizer(self.authorizer)
        try:
            run()
        except sqlite3.Error as exc:
            if not self.authorizer.problems:
                message = str(exc)
                missing = re.match(r"no such function: (\S+)", message)
                if missing:
                    problem = _function_problem(missing.group(1))
                    detail = problem or f"function {missing.group(1).lower()}() is missing from SQLite {sqlite3.sqlite_version}"
                    self._report(file, _line_of(statement, missing.group(1)), prefix + detail)
                else:
                    self._report(file, statement.line, f"{prefix}does not compile on SQLite: {message}")
        finally:
            self.conn.set_authorizer(None)
        for problem in self.authorizer.problems:
            needle = re.match(r"(?:function |PRAGMA |virtual table |temporary \w+ )?([\w>-]+)", problem)
            line = _line_of(statement, needle.group(1)) if needle else statement.line
            self._report(file, line, prefix + problem)

    def migration(self, path: Path) -> None:
        for statement in split_statements(path.read_text(encoding="utf-8")):
            names = bind_names(statement.text)
            for line, what in _text_problems(statement, statement.text, len(set(names))):
                self._report(path, line, what)
            if names:
                self._report(path, statement.line, "a migration cannot bind parameters (wrangler runs the file as it is)")
                continue
            for line, what in _trigger_function_problems(statement, self._schema_names()):
                self._report(path, line, what)
            self._compile(statement, path, partial(self.conn.execute, statement.text))

    def query(self, spec: QuerySpec) -> None:
        prefix = f"query {spec.qualified_name}: "
        statement = Statement(spec.sql.strip(), _sql_line(spec))
        try:
            d1_sql, order = to_ordered(spec.sql)
        except QueryLoadError as exc:
            self._report(spec.file, spec.line, prefix + str(exc))
            return
        for line, what in _text_problems(statement, d1_sql, len(order)):
            self._report(spec.file, line, prefix + what)
        parts = [part for part in split_statements(spec.sql) if _strip(part.text).strip(" \n;")]
        if len(parts) > 1:
            self._report(spec.file, spec.line, prefix + f"{len(parts)} statements; a D1 prepared statement holds exactly one")
            return
        binds: dict[str, None] = dict.fromkeys(order)

        def compile_query() -> object:
            return self.conn.execute("explain " + spec.sql, binds)

        self._compile(statement, spec.file, compile_query, prefix)


def _sql_line(spec: QuerySpec) -> int:
    """The line where the query's SQL starts in its file (after the header and doc comment)."""
    try:
        lines = spec.file.read_text(encoding="utf-8").splitlines()
    except OSError:
        return spec.line
    for number in range(spec.line, len(lines)):
        stripped = lines[number].strip()
        if stripped and not stripped.startswith("--"):
            return number + 1
    return spec.line


def _specs(queries: Iterable[QuerySpec] | None, extra_queries: Sequence[str | Path] | None) -> list[QuerySpec]:
    return list(queries) if queries is not None else package_specs(extra_queries)


def check_d1(
    *,
    migrations: Path | None = None,
    queries: Iterable[QuerySpec] | None = None,
    extra_queries: Sequence[str | Path] | None = None,
) -> list[str]:
    """Every D1 problem of the SQLite migrations (in file order) and of the queries that run on D1.

    `migrations` defaults to the package's SQLite folder (rollbacks, in its `rollback/`
    subfolder, are not D1's business: wrangler never runs them); `queries` defaults to
    every SQLite query of the package (plus `extra_queries` folders). The migrations also
    build the schema the queries are compiled against.
    """
    folder = migrations if migrations is not None else migrations_dir("sqlite")
    linter = _Linter()
    try:
        for path in forward_files(folder):
            linter.migration(path)
        for spec in _specs(queries, extra_queries):
            if spec.runs_on_d1:
                linter.query(spec)
        return linter.problems
    finally:
        linter.close()


def d1_exempt(queries: Iterable[QuerySpec] | None = None, extra_queries: Sequence[str | Path] | None = None) -> list[str]:
    """The queries marked `-- d1: no`, which the D1 checks and the D1 test run skip, one line each."""
    return [
        f"{spec.file}:{spec.line}: query {spec.qualified_name} is marked '-- d1: no' and is not checked or run on D1"
        for spec in _specs(queries, extra_queries)
        if not spec.runs_on_d1
    ]
