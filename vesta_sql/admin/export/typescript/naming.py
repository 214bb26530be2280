"""Names and types as the TypeScript client spells them: camelCase members, PascalCase types."""

from __future__ import annotations

import json

from ....param_declarations import REQUIRED, ParamSpec


def camel(name: str) -> str:
    """`find_by_id` → `findById`; the SQL keeps its snake_case columns."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def pascal(name: str) -> str:
    camelled = camel(name)
    return camelled[:1].upper() + camelled[1:]


_PARAM_TYPES = {
    "str": "string", "new_id": "string", "int": "number", "float": "number", "bool": "boolean",
    "datetime": "Date | Timestamp", "json": "JsonValue", "vector": "VectorLike", "str_list": "readonly string[]",
}
_FIELD_TYPES = {
    "str": "string", "int": "number", "float": "number", "bool": "boolean", "datetime": "Timestamp",
    "json": "JsonValue", "embedding": "Float32Array",
}
VALUE_TYPES = {"bool": "boolean", "int": "number", "float": "number", "str": "string"}


def param_type(spec: ParamSpec) -> str:
    if spec.choices is not None:
        base = " | ".join(json.dumps(choice) for choice in spec.choices)
    else:
        base = _PARAM_TYPES[spec.kind]
    return f"{base} | null" if spec.nullable else base


def param_optional(spec: ParamSpec) -> bool:
    return spec.kind == "new_id" or spec.nullable or spec.default is not REQUIRED


def field_type(kind: str, nullable: bool) -> str:
    return f"{_FIELD_TYPES[kind]} | null" if nullable else _FIELD_TYPES[kind]


def doc_comment(text: str, indent: str) -> list[str]:
    """A JSDoc block (nothing for an empty text); `*/` in the text cannot end it early."""
    lines = [line.rstrip().replace("*/", "*\\/") for line in text.strip().splitlines()]
    if not lines:
        return []
    return [f"{indent}/**", *(f"{indent} * {line}".rstrip() for line in lines), f"{indent} */"]

