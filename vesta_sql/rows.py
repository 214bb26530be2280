"""Row → record conversion, compiled once per query and result shape."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .errors import QueryLoadError

Decoder = Callable[[Any], Any]
RowConverter = Callable[[Sequence[Any]], Any]

_KINDS = {
    "str": "str", "int": "int", "float": "float", "bool": "bool", "datetime": "datetime",
    "JsonValue": "json", "dict[str, Any]": "json", "list[Any]": "json", "Embedding": "embedding",
}


def field_kind(annotation: object) -> tuple[str, bool]:
    """('datetime', True) for a field annotated `datetime | None`."""
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    parts = [part.strip() for part in text.split("|")]
    nullable = "None" in parts
    base = " | ".join(part for part in parts if part != "None")
    if base not in _KINDS:
        raise QueryLoadError(f"record field type {text!r} is not one the package can convert ({', '.join(_KINDS)})")
    return _KINDS[base], nullable


def build_converter(record: type, columns: Sequence[str], decoders: Mapping[str, Decoder | None], query: str) -> RowConverter:
    """A function turning one driver row (a tuple in `columns` order) into `record`."""
    fields = dataclasses.fields(record)
    wanted = [field.name for field in fields]
    if sorted(wanted) != sorted(columns):
        missing = sorted(set(wanted) - set(columns))
        extra = sorted(set(columns) - set(wanted))
        raise QueryLoadError(
            f"{query}: selected columns do not match record {record.__name__}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unexpected {', '.join(extra)}" if extra else "")
        )
    namespace: dict[str, Any] = {"record": record}
    arguments = []
    for field in fields:
        index = list(columns).index(field.name)
        kind, nullable = field_kind(field.type)
        decode = decoders.get(kind)
        if decode is None:
            arguments.append(f"row[{index}]")
            continue
        namespace[f"decode_{index}"] = decode
        if nullable:
            arguments.append(f"(None if row[{index}] is None else decode_{index}(row[{index}]))")
        else:
            arguments.append(f"decode_{index}(row[{index}])")
    # Generated once per query: a straight-line constructor call is the fastest way to
    # build the record, which matters at a few microseconds per call.
    source = f"lambda row: record({', '.join(arguments)})"
    converter: RowConverter = eval(source, namespace)  # noqa: S307 - identifiers only
    return converter
