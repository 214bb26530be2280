"""The one parser of `.sql` query files: blocks, headers, docs, SQL with its line map, and binds.

Loading, the tenant guard, `vesta-sql check`, the stubs and the D1 export all read query
files through this module, so they cannot disagree on where a query starts or which
`:name` is a bind. Files are split as aiosql splits them (a `-- name:` marker, the name
line, an optional `-- record_class:` line, `--` doc lines, then SQL), with one rule
aiosql lacks: a `-- name:` marker anywhere but at the start of a line of code (mid-line,
inside a string literal, inside a block comment) is an error, because aiosql would split
there while a reader of the file would not.

The lexer knows each dialect's comments, string literals (Postgres `E'…'` escapes and
`$tag$…$tag$` quotes) and quoted identifiers, so a `:name` inside any of them is not a
bind. Placeholders other than `:name` (`?`, `?1`, `@x`, `$x` on SQLite, `$1` on Postgres)
are refused: the driver would bind them while the proof cannot see them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .errors import QueryLoadError

Operation = Literal["many", "one", "value", "count", "returning", "many_writes", "script"]

OPERATIONS: dict[str, Operation] = {
    "": "many", "^": "one", "$": "value", "!": "count", "<!": "returning", "*!": "many_writes", "#": "script",
}
_MARKER = re.compile(r"--\s*name\s*:\s*")
_NAME_OP = re.compile(r"^(?P<name>\w+)\s*(?:\((?P<params>\s*(?:\w+\s*(?:,\s*\w+\s*)*)?)\))?\s*(?P<op>\^|\$|!|<!|\*!|#|)$")
_RECORD_LINE = re.compile(r"^\s*--\s*record_class\s*:\s*(\S*)\s*$")
_DOC_LINE = re.compile(r"^\s*--\s?(.*)$")
_IDENT_START = re.compile(r"[A-Za-z_]")
_IDENT_CHAR = re.compile(r"[A-Za-z0-9_$]")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
# What may open a comment, a literal or a quoted identifier; the lexer jumps from one to the next.
_POSTGRES_OPENING = re.compile(r"--|/\*|['\"$]")
_SQLITE_OPENING = re.compile(r"--|/\*|['\"`\[]")
_COMMENT_END = re.compile(r"\*/")
_NESTED_COMMENT_MARK = re.compile(r"/\*|\*/")
_ESCAPED_QUOTE_STOP = re.compile(r"['\\]")
# The characters where a bind or a refused placeholder may start, outside comments and literals.
_POSTGRES_PLACEHOLDER = re.compile(r"[:$]")
_SQLITE_PLACEHOLDER = re.compile(r"[:?@$]")


@dataclass(frozen=True, slots=True)
class Region:
    """A span of text that is not code: a comment, a string literal or a quoted identifier."""

    kind: Literal["comment", "string", "identifier"]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Bind:
    """One `:name` bind of a query's SQL: its name and where it sits in that SQL."""

    name: str
    start: int
    end: int


@dataclass(frozen=True)
class QueryBlock:
    """One query of a file, as written: nothing here depends on the dialect's driver."""

    file: Path
    namespace: str
    name: str
    op: Operation
    declared: tuple[str, ...] | None  # the header's parameter list; None when it has none
    record_class: str | None
    doc: str  # the `--` lines after the header, without their `--`
    line: int  # the header's line in the file (1-based)
    sql: str  # without its comments: what is proven and what runs
    lines: tuple[int, ...]  # the file line of each line of `sql`
    binds: tuple[Bind, ...]

    @property
    def qualified_name(self) -> str:
        return f"{self.namespace}.{self.name}"

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}: query {self.qualified_name}"

    def file_line(self, sql_line: int | None) -> int:
        """The file line of a line of `sql` (1-based), or the header's line when unknown."""
        if sql_line is None or not 1 <= sql_line <= len(self.lines):
            return self.line
        return self.lines[sql_line - 1]

    def bind_names(self) -> list[str]:
        return [bind.name for bind in self.binds]


class SqlSyntaxError(QueryLoadError):
    """A query file the parser cannot split or lex unambiguously."""


# -- lexing --------------------------------------------------------------------------------------


def regions(text: str, dialect: str, where: str = "<sql>") -> list[Region]:
    """The comments, string literals and quoted identifiers of `text`, in order."""
    found: list[Region] = []
    index, size = 0, len(text)
    postgres = dialect == "postgres"
    opening = _POSTGRES_OPENING if postgres else _SQLITE_OPENING
    while (candidate := opening.search(text, index)) is not None:  # jump to the next character that may open one
        index = candidate.start()
        char = text[index]
        if char == "-":
            end = text.find("\n", index)
            end = size if end == -1 else end
            found.append(Region("comment", index, end))
        elif char == "/":
            end = _block_comment_end(text, index, nested=postgres, where=where)
            found.append(Region("comment", index, end))
        elif char == "'":
            escapes = postgres and index > 0 and text[index - 1] in "eE" and not _is_ident_char(text, index - 2)
            found.append(Region("string", index, _quoted_end(text, index, "'", escapes, where)))
        elif char == '"' or char == "`":
            found.append(Region("identifier", index, _quoted_end(text, index, char, False, where)))
        elif char == "[":
            end = text.find("]", index)
            if end == -1:
                raise SqlSyntaxError(f"{where}:{_line(text, index)}: an unterminated [identifier]")
            found.append(Region("identifier", index, end + 1))
        else:  # `$`, on Postgres
            tag = None if _is_ident_char(text, index - 1) else _DOLLAR_TAG.match(text, index)
            if tag is None:
                index += 1
                continue
            close = text.find(tag.group(0), tag.end())
            if close == -1:
                raise SqlSyntaxError(f"{where}:{_line(text, index)}: an unterminated {tag.group(0)} quoted string")
            found.append(Region("string", index, close + len(tag.group(0))))
        index = found[-1].end
    return found


def _is_ident_char(text: str, index: int) -> bool:
    return index >= 0 and _IDENT_CHAR.match(text[index]) is not None


def _line(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _block_comment_end(text: str, start: int, *, nested: bool, where: str) -> int:
    depth, index = 1, start + 2
    marks = _NESTED_COMMENT_MARK if nested else _COMMENT_END
    while (mark := marks.search(text, index)) is not None:
        index = mark.end()
        depth += 1 if mark.group(0) == "/*" else -1
        if depth == 0:
            return index
    raise SqlSyntaxError(f"{where}:{_line(text, start)}: an unterminated /* comment")


def _quoted_end(text: str, start: int, quote: str, escapes: bool, where: str) -> int:
    index = start + 1
    stops = _ESCAPED_QUOTE_STOP if escapes else None
    while True:
        if stops is None:
            index = text.find(quote, index)
        else:
            stop = stops.search(text, index)
            index = -1 if stop is None else stop.start()
        if index == -1:
            break
        if text[index] == "\\":  # only with `escapes`: the next character is taken as it is
            index += 2
            continue
        if text.startswith(quote, index + 1):  # a doubled quote stands for itself
            index += 2
            continue
        return index + 1
    what = "string literal" if quote == "'" else "quoted identifier"
    raise SqlSyntaxError(f"{where}:{_line(text, start)}: an unterminated {what}")


def code_binds(sql: str, dialect: str, where: str = "<sql>") -> list[Bind]:
    """The `:name` binds of `sql` outside comments and literals; other placeholder styles are refused."""
    binds: list[Bind] = []
    marks = _POSTGRES_PLACEHOLDER if dialect == "postgres" else _SQLITE_PLACEHOLDER
    for gap_start, gap_end in _code_spans(sql, regions(sql, dialect, where)):
        cursor = gap_start
        while (mark := marks.search(sql, cursor, gap_end)) is not None:  # the next `:` (or `$`, `?`, `@`)
            cursor = mark.start()
            if sql[cursor] == ":":
                if sql.startswith("::", cursor):
                    cursor += 2
                    continue
                if cursor + 1 < gap_end and _IDENT_START.match(sql[cursor + 1]):
                    end = cursor + 2
                    # the databases read letters beyond ASCII and `$` as part of a name: so do we
                    while end < gap_end and (sql[end].isalnum() or sql[end] in "_$"):
                        end += 1
                    if dialect == "sqlite" and (sql.startswith("::", end) or sql.startswith("(", end)):
                        # SQLite reads `:name::x` and `:name(x)` as one parameter name (its TCL rule)
                        raise SqlSyntaxError(f"{where}: {sql[cursor:end + 2]!r}: SQLite would read this as another "
                                             "parameter's name; write cast(:name as …), with a space before any '('")
                    binds.append(Bind(sql[cursor + 1:end], cursor, end))
                    cursor = end
                    continue
            elif _foreign_placeholder(sql, cursor, dialect):
                raise SqlSyntaxError(
                    f"{where}: the placeholder at {sql[cursor:cursor + 12].split()[0]!r} is not a :name bind; "
                    "write every parameter as :name"
                )
            cursor += 1
    return binds


def _code_spans(text: str, found: list[Region]) -> list[tuple[int, int]]:
    spans, start = [], 0
    for region in found:
        spans.append((start, region.start))
        start = region.end
    spans.append((start, len(text)))
    return spans


def _foreign_placeholder(sql: str, index: int, dialect: str) -> bool:
    char = sql[index]
    if dialect == "postgres":
        return char == "$" and index + 1 < len(sql) and sql[index + 1].isdigit() and not _is_ident_char(sql, index - 1)
    if char == "?":
        return True
    return char in "@$" and index + 1 < len(sql) and (_IDENT_START.match(sql[index + 1]) is not None)


# -- splitting files -----------------------------------------------------------------------------


def parse_text(text: str, file: Path, dialect: str, namespace: str | None = None) -> list[QueryBlock]:
    """Split one file into query blocks; any ambiguity is a `SqlSyntaxError` naming the line."""
    found = regions(text, dialect, str(file))
    headers = _headers(text, found, file)
    blocks = []
    for number, (start, line) in enumerate(headers):
        end = headers[number + 1][0] if number + 1 < len(headers) else len(text)
        blocks.append(_block(text, start, end, line, file, namespace or file.stem, dialect))
    return blocks


def parse_file(path: Path, dialect: str, namespace: str | None = None) -> list[QueryBlock]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryLoadError(f"{path}: cannot read this query file: {exc}") from None
    return parse_text(text, path, dialect, namespace)


def _headers(text: str, found: list[Region], file: Path) -> list[tuple[int, int]]:
    """(offset, line) of each `-- name:` marker; a marker anywhere else is an error."""
    starts = {region.start: region for region in found}
    headers = []
    for match in _MARKER.finditer(text):
        position = match.start()
        line = _line(text, position)
        region = starts.get(position)
        line_start = text.rfind("\n", 0, position) + 1
        at_line_start = text[line_start:position].strip() == ""
        if region is not None and region.kind == "comment" and at_line_start:
            headers.append((position, line))
            continue
        inside = next((r for r in found if r.start <= position < r.end), None)
        if inside is not None and text.startswith("/*", inside.start):
            place = "inside a block comment"
        elif inside is not None and inside.kind != "comment":
            place = "inside a string literal or quoted identifier"
        else:
            place = "in the middle of a line"
        raise SqlSyntaxError(
            f"{file}:{line}: a '-- name:' marker {place}: aiosql would start a new query there; "
            "put each '-- name:' at the start of its own line, and nowhere else"
        )
    return headers


def _block(text: str, start: int, end: int, line: int, file: Path, namespace: str, dialect: str) -> QueryBlock:
    body = text[start:end]
    first_newline = body.find("\n")
    header = (body if first_newline == -1 else body[:first_newline]).rstrip()
    spec = _MARKER.sub("", header, count=1).replace("-", "_")
    where = f"{file}:{line}"
    matched = _NAME_OP.match(spec)
    if matched is None or spec[:1].isdigit():
        raise SqlSyntaxError(f"{where}: invalid query name and operation {spec!r} (e.g. '-- name: find_by_id(account_id, id)^')")
    name, params, op = matched.group("name"), matched.group("params"), matched.group("op")
    declared = None if params is None else tuple(p.strip() for p in params.split(",") if p.strip())
    if declared is None and op not in ("#", "*!", "<!"):
        raise SqlSyntaxError(f"{where}: query {namespace}.{name} has no parameter list: write '-- name: {name}(account_id, …)'")
    rest = [] if first_newline == -1 else body[first_newline + 1:].split("\n")
    first_rest_line = line + 1
    record_class = None
    doc_lines: list[str] = []
    sql_lines: list[tuple[int, str]] = []
    # lines inside a literal or a block comment are SQL, whatever they start with
    in_code = [r for r in regions(body, dialect, where) if r.kind != "comment" or body.startswith("/*", r.start)]
    offset = first_newline + 1
    for index, raw in enumerate(rest):
        number = first_rest_line + index
        stripped = raw.rstrip()
        inside_literal = any(r.start < offset < r.end for r in in_code)
        record = _RECORD_LINE.match(stripped) if not inside_literal else None
        if record and index == 0:
            record_class = record.group(1)
        elif record:
            raise SqlSyntaxError(f"{file}:{number}: '-- record_class:' must be the line right after '-- name:'")
        elif not inside_literal and (doc := _DOC_LINE.match(stripped)):
            doc_lines.append(doc.group(1).strip())
        else:
            sql_lines.append((number, stripped))
        offset += len(raw) + 1
    while sql_lines and not sql_lines[0][1].strip():
        sql_lines.pop(0)
    while sql_lines and not sql_lines[-1][1].strip():
        sql_lines.pop()
    sql = "\n".join(text_line for _, text_line in sql_lines).strip()
    if not sql or not sql.strip(" \t\r\n;"):
        raise SqlSyntaxError(f"{where}: query {namespace}.{name} has no SQL")
    if record_class is not None and not re.fullmatch(r"[A-Za-z_]\w*", record_class):
        raise SqlSyntaxError(f"{file}:{line + 1}: '-- record_class:' needs a class name")
    # What runs is what is proven: the SQL without its comments, which the lexer finds as the database does
    # (SQLite's do not nest, Postgres's do), so no parser can read code into a comment or out of one.
    code = blank_comments(sql, dialect, where)
    binds = tuple(code_binds(code, dialect, f"{where}: query {namespace}.{name}"))
    return QueryBlock(
        file=file, namespace=namespace, name=name, op=OPERATIONS[op], declared=declared, record_class=record_class,
        doc="\n".join(doc_lines), line=line, sql=code, lines=tuple(n for n, _ in sql_lines), binds=binds,
    )


def blank_comments(sql: str, dialect: str, where: str = "<sql>") -> str:
    """`sql` with each comment replaced by a space (and the newlines it held, so lines keep their numbers)."""
    pieces, last = [], 0
    for region in regions(sql, dialect, where):
        if region.kind == "comment":
            pieces.append(sql[last:region.start])
            pieces.append(" " + "\n" * sql.count("\n", region.start, region.end))
            last = region.end
    pieces.append(sql[last:])
    return "".join(pieces).rstrip()


def pyformat(sql: str, binds: tuple[Bind, ...]) -> str:
    """`sql` in psycopg's style: each bind as `%(name)s`, every other `%` doubled."""
    pieces, last = [], 0
    for bind in binds:
        pieces.append(sql[last:bind.start].replace("%", "%%"))
        pieces.append(f"%({bind.name})s")
        last = bind.end
    pieces.append(sql[last:].replace("%", "%%"))
    return "".join(pieces)


def ordered(sql: str, binds: tuple[Bind, ...], marker: str = "?") -> tuple[str, list[str]]:
    """`sql` with numbered placeholders, `?N` (D1) or `$N` (`marker="$"`, Postgres' own), one number per
    distinct name in order of first use; and the names."""
    order: list[str] = []
    pieces, last = [], 0
    for bind in binds:
        if bind.name not in order:
            order.append(bind.name)
        pieces.append(sql[last:bind.start])
        pieces.append(f"{marker}{order.index(bind.name) + 1}")
        last = bind.end
    pieces.append(sql[last:])
    return "".join(pieces), order
