"""Declared query parameters: the `-- param: NAME TYPE[?] [in (…) | lo..hi] [= default]` lines of a query,
parsed into `ParamSpec`s once at load (validation and encoding of values live in `params.py`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal, TypeGuard, get_args

from .errors import QueryLoadError

# The TYPE of a `-- param: NAME TYPE` line (docs/schema-and-queries.md has their table).
ParamKind = Literal["str", "int", "float", "bool", "datetime", "json", "vector", "str_list", "new_id", "now"]
PARAM_TYPES: tuple[ParamKind, ...] = get_args(ParamKind)
MAX_TIME = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)

_PARAM_LINE = re.compile(
    r"^param:\s*(?P<name>\w+)\s+(?P<kind>\w+)(?P<optional>\?)?"
    r"(?:\s+in\s*\((?P<choices>[^)]*)\)|\s+(?P<low>-?\d+(?:\.\d+)?)\s*\.\.\s*(?P<high>-?\d+(?:\.\d+)?))?"
    r"\s*(?:=\s*(?P<default>.+?))?\s*$"
)
_CHOICE = re.compile(r"\s*('(?:[^']|'')*'|-?\d+)\s*(?:,|$)")


class _Missing:
    def __repr__(self) -> str:
        return "<required>"


REQUIRED: Any = _Missing()


@dataclass(frozen=True, slots=True)
class ParamSpec:
    name: str
    kind: ParamKind
    nullable: bool
    default: Any  # REQUIRED when the caller must pass it
    choices: tuple[Any, ...] | None = None  # `in ('a', 'b')`: the only values allowed
    bounds: tuple[int | float, int | float] | None = None  # `1..1000`: inclusive

    @property
    def python_type(self) -> str:
        """The annotation used in the generated stubs."""
        if self.choices is not None:
            literal = f"Literal[{', '.join(repr(choice) for choice in self.choices)}]"
            return f"{literal} | None" if self.nullable else literal
        base = {
            "str": "str", "int": "int", "float": "float", "bool": "bool",
            "datetime": "datetime", "json": "JsonValue", "vector": "VectorLike",
            "str_list": "Sequence[str]", "new_id": "str", "now": "datetime",
        }[self.kind]
        return f"{base} | None" if self.nullable or self.kind == "new_id" else base


def parse_param_lines(doc: str, where: str) -> dict[str, ParamSpec]:
    """Read the `-- param: NAME TYPE[?] [= DEFAULT]` lines of a query's doc comment."""
    specs: dict[str, ParamSpec] = {}
    for line in doc.splitlines():
        if not line.startswith("param:"):
            continue
        match = _PARAM_LINE.match(line)
        if not match:
            raise QueryLoadError(f"{where}: cannot read parameter declaration {line!r}")
        name, kind, optional, default_text = match["name"], match["kind"], match["optional"], match["default"]
        if not _is_param_kind(kind):
            known = ", ".join(PARAM_TYPES)
            raise QueryLoadError(f"{where}: parameter {name!r} has unknown type {kind!r} (one of {known})")
        if name in specs:
            raise QueryLoadError(f"{where}: parameter {name!r} is declared twice")
        if default_text is not None:
            default = _parse_default(default_text, kind, where, name)
        else:  # a nullable parameter may be left out, meaning None
            default = None if optional else REQUIRED
        if kind == "new_id":
            default = None
        spec = ParamSpec(name, kind, optional is not None, default, _choices(match["choices"], kind, where, name),
                         _bounds(match["low"], match["high"], kind, where, name))
        if spec.default not in (None, REQUIRED) and (problem := constraint_problem(spec, spec.default)):
            raise QueryLoadError(f"{where}: parameter {name!r} has a default that {problem}")
        specs[name] = spec
    return specs


def _is_param_kind(text: str) -> TypeGuard[ParamKind]:
    return text in PARAM_TYPES


def _choices(text: str | None, kind: ParamKind, where: str, name: str) -> tuple[Any, ...] | None:
    if text is None:
        return None
    if kind not in ("str", "int"):
        raise QueryLoadError(f"{where}: parameter {name!r}: only str and int parameters take `in (…)`")
    choices: list[Any] = []
    position = 0
    while position < len(text):
        found = _CHOICE.match(text, position)
        if found is None or found.end() == position:
            raise QueryLoadError(f"{where}: parameter {name!r}: cannot read the choices ({text})")
        choices.append(_parse_default(found.group(1), kind, where, name))
        position = found.end()
    if not choices or len(set(choices)) != len(choices):
        raise QueryLoadError(f"{where}: parameter {name!r}: the choices must be distinct and at least one")
    return tuple(choices)


def _bounds(low: str | None, high: str | None, kind: ParamKind, where: str, name: str) -> tuple[int | float, int | float] | None:
    if low is None or high is None:
        return None
    if kind not in ("int", "float"):
        raise QueryLoadError(f"{where}: parameter {name!r}: only int and float parameters take a range")
    parse = int if kind == "int" else float
    try:
        bounds = (parse(low), parse(high))
    except ValueError:
        raise QueryLoadError(f"{where}: parameter {name!r}: an int range takes whole numbers ({low}..{high})") from None
    if bounds[0] > bounds[1]:
        raise QueryLoadError(f"{where}: parameter {name!r}: the range {low}..{high} is empty")
    return bounds


def constraint_problem(spec: ParamSpec, value: Any) -> str | None:
    """Why `value` (of the right type) breaks the declared choices or range; None when it does not."""
    if spec.choices is not None and value not in spec.choices:
        return f"must be one of {', '.join(repr(c) for c in spec.choices)}, got {value!r}"
    if spec.bounds is not None and not spec.bounds[0] <= value <= spec.bounds[1]:
        low, high = (f"{b:g}" if isinstance(b, float) else str(b) for b in spec.bounds)
        return f"must be between {low} and {high}, got {value!r}"
    return None


def _parse_default(text: str, kind: ParamKind, where: str, name: str) -> Any:
    if text == "none":
        return None
    if text == "max" and kind == "datetime":
        return MAX_TIME
    if text in ("true", "false") and kind == "bool":
        return text == "true"
    if re.fullmatch(r"-?\d+", text) and kind in ("int", "float"):
        return int(text)
    if len(text) >= 2 and text[0] == text[-1] == "'" and kind == "str":
        return text[1:-1].replace("''", "'")
    raise QueryLoadError(f"{where}: parameter {name!r} has a default {text!r} that does not fit type {kind!r}")


