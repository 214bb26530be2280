"""Row → record conversion, compiled once per query and result shape."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from types import MemberDescriptorType
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


def _slot_setters(record: type, names: Sequence[str]) -> list[Callable[[Any, Any], None]] | None:
    """Each field's slot `__set__`, when every field is a slot (else None)."""
    setters = []
    for name in names:
        slot = next((klass.__dict__[name] for klass in record.__mro__ if name in klass.__dict__), None)
        if not isinstance(slot, MemberDescriptorType):
            return None
        setters.append(slot.__set__)
    return setters


def _plain_init(record: type, fields: Sequence[dataclasses.Field[Any]]) -> bool:
    """Whether `__init__` only stores its arguments: the dataclass-generated one, every field an argument,
    no `__post_init__`. Only then may a row skip it (an app's record may validate in its own)."""
    init = record.__dict__.get("__init__") or getattr(record, "__init__", None)
    code = getattr(init, "__code__", None)
    return (code is not None and code.co_filename == "<string>" and not hasattr(record, "__post_init__")
            and all(field.init for field in fields))


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
    namespace: dict[str, Any] = {"record": record, "new": object.__new__, "set_attribute": object.__setattr__}
    values = []  # one expression per field, in field order
    seen_text: dict[str, str] = {}  # decoder kind -> the last field's raw value name (see below)
    lines = [f"    {', '.join(f'c{index}' for index in range(len(columns)))}, = row"]
    for number, field in enumerate(fields):
        index = list(columns).index(field.name)
        kind, nullable = field_kind(field.type)
        decode = decoders.get(kind)
        if decode is None:
            values.append(f"c{index}")
            continue
        namespace[f"decode_{index}"] = decode
        expression = f"decode_{index}(c{index})"
        if kind == "datetime" and kind in seen_text:
            # `updated_at` is most often the very text of `created_at`: share the (immutable) datetime
            previous = seen_text[kind]
            expression = f"v{previous} if c{index} == c{previous} else {expression}"
        if nullable:
            expression = f"None if c{index} is None else {expression}"
        lines.append(f"    v{index} = {expression}")
        values.append(f"v{index}")
        if kind == "datetime":
            seen_text[kind] = str(index)
        del number
    setters = _slot_setters(record, wanted) if _plain_init(record, fields) else None
    if setters is not None:
        # Building the instance and filling its slots directly costs about half of a frozen
        # dataclass's `__init__` (one `object.__setattr__` lookup per field); the result is
        # the same instance, and `fields`, `replace` and `asdict` see no difference.
        lines.append("    instance = new(record)")
        for number, (setter, value) in enumerate(zip(setters, values, strict=True)):
            namespace[f"set_{number}"] = setter
            lines.append(f"    set_{number}(instance, {value})")
        lines.append("    return instance")
    elif _plain_init(record, fields):
        lines.append("    instance = new(record)")
        items = ", ".join(f"{name!r}: {value}" for name, value in zip(wanted, values, strict=True))
        lines.append(f"    set_attribute(instance, '__dict__', {{{items}}})")
        lines.append("    return instance")
    else:
        lines.append(f"    return record({', '.join(values)})")
    source = "def convert(row):\n" + "\n".join(lines) + "\n"
    exec(source, namespace)  # noqa: S102 - generated from field and column positions only
    converter: RowConverter = namespace["convert"]
    return converter
