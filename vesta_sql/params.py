"""Declared query parameters: validating and encoding values (the `-- param:` lines are parsed in
`param_declarations.py`).

Validation happens in Python before any SQL runs, so a bad value never reaches the
database and the error names the query and the parameter. Encoding to the dialect's
storage form (ISO text, JSON text, float32 blob...) is delegated to a `Codec`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from functools import partial
from typing import Any, Protocol

from .errors import InvalidInputError
from .param_declarations import (  # re-exported: the loader, stubs and checks read them from here
    REQUIRED,
    ParamKind,
    ParamSpec,
    constraint_problem,
)
from .records._types import EMBEDDING_DIMENSIONS

# D1's limit for one value; checked on every dialect so that what runs here runs there.
MAX_VALUE_BYTES = 2_000_000
# A str of this many characters is within MAX_VALUE_BYTES whatever it holds (UTF-8 is at
# most 4 bytes a character): only a longer one is encoded to be measured.
MAX_TEXT_CHARS = MAX_VALUE_BYTES // 4
MAX_LIST_ITEMS = 1_000
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Codec(Protocol):
    """How one dialect stores the values that differ between dialects."""

    def datetime_in(self, value: datetime) -> Any: ...
    def json_text(self, value: Any) -> str: ...  # compact, ASCII-only JSON text (raises on NaN)
    def json_bind(self, text: str) -> Any: ...
    def vector_in(self, value: Any) -> Any: ...
    def str_list_in(self, value: list[str]) -> Any: ...


def _type_error(query: str, name: str, expected: str, value: object) -> InvalidInputError:
    return InvalidInputError(f"{query}: parameter {name!r} must be {expected}, got {type(value).__name__}")


def make_encoder(query: str, spec: ParamSpec, codec: Codec) -> Callable[[Any], Any]:
    """A function that validates one value and returns what the driver binds."""
    name, kind = spec.name, spec.kind

    def check_str(value: Any) -> Any:
        if type(value) is not str:
            raise _type_error(query, name, "a str", value)
        check_size(query, name, check_text(query, name, value))
        return value

    def check_int(value: Any) -> Any:
        if type(value) is not int:
            raise _type_error(query, name, "an int", value)
        if not INT64_MIN <= value <= INT64_MAX:
            raise InvalidInputError(f"{query}: parameter {name!r} = {value} does not fit in a 64-bit integer")
        return value

    def check_float(value: Any) -> Any:
        if type(value) not in (float, int):
            raise _type_error(query, name, "a float", value)
        if not math.isfinite(value):
            raise InvalidInputError(f"{query}: parameter {name!r} must be finite, got {value}")
        return float(value)

    def check_bool(value: Any) -> Any:
        if type(value) is not bool:
            raise _type_error(query, name, "a bool", value)
        return value

    def check_datetime(value: Any) -> Any:
        if not isinstance(value, datetime):
            raise _type_error(query, name, "a datetime", value)
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInputError(
                f"{query}: parameter {name!r} must be a timezone-aware datetime (naive datetimes are ambiguous)")
        if value.year in (1, 9999):  # SQLite stores UTC text: 9999-12-31 23:00 at -14:00 has no UTC form
            _check_utc_form(query, name, value)
        return codec.datetime_in(value)

    def check_json(value: Any) -> Any:
        if not isinstance(value, (dict, list)):
            raise _type_error(query, name, "a dict or list (JSON)", value)
        try:
            text = codec.json_text(value)
        except (TypeError, ValueError, RecursionError) as exc:
            raise InvalidInputError(f"{query}: parameter {name!r} is not valid JSON: {exc}") from None
        check_size(query, name, len(text))  # ASCII-only text: one byte a character
        if "\\u0000" in text or "\\ud" in text:  # escapes of NUL or surrogates (pairs are fine): look closer
            _check_json_strings(query, name, value)
        return codec.json_bind(text)

    def check_vector(value: Any) -> Any:
        return codec.vector_in(validate_vector(query, name, value))

    def check_str_list(value: Any) -> Any:
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise _type_error(query, name, "a list of str", value)
        if len(value) > MAX_LIST_ITEMS:
            raise InvalidInputError(f"{query}: parameter {name!r} has {len(value)} items; the limit is {MAX_LIST_ITEMS}")
        total = 0
        for item in value:
            if type(item) is not str:
                raise _type_error(query, f"{name}[…]", "a str", item)
            total += check_text(query, f"{name}[…]", item)
        check_size(query, name, total)
        return codec.str_list_in(list(value))

    checks: dict[ParamKind, Callable[[Any], Any]] = {
        "str": check_str, "new_id": check_str, "int": check_int, "float": check_float,
        "bool": check_bool, "datetime": check_datetime, "now": check_datetime,
        "json": check_json, "vector": check_vector, "str_list": check_str_list,
    }
    check = checks[kind]
    if spec.choices is not None or spec.bounds is not None:
        check = _constrained(query, spec, check)
    if not spec.nullable:
        return check

    def nullable(value: Any) -> Any:
        return None if value is None else check(value)

    return nullable


def _constrained(query: str, spec: ParamSpec, check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def constrained(value: Any) -> Any:
        encoded = check(value)
        problem = constraint_problem(spec, value)
        if problem:
            raise InvalidInputError(f"{query}: parameter {spec.name!r} {problem}")
        return encoded

    return constrained


def text_bytes(query: str, name: str, value: str) -> int:
    """The UTF-8 size of `value` (what the database stores), refusing text that has none."""
    try:
        return len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidInputError(f"{query}: parameter {name!r} is not valid text (it holds a lone surrogate)") from None


def check_text(query: str, name: str, value: str) -> int:
    """The UTF-8 size of `value`, refusing text a dialect cannot store: NUL (Postgres refuses it, SQLite
    would keep it: the same value must fare alike on both) and lone surrogates (no UTF-8 form)."""
    if "\x00" in value:
        raise InvalidInputError(f"{query}: parameter {name!r} holds a NUL character (U+0000) at position "
                                f"{value.index(chr(0))}, which Postgres cannot store in text; remove it")
    return len(value) if value.isascii() else text_bytes(query, name, value)


def _check_utc_form(query: str, name: str, value: datetime) -> None:
    """Refuse a datetime whose UTC form falls outside the years 1–9999 (Postgres would take it, SQLite cannot)."""
    try:
        value.astimezone(timezone.utc)
    except OverflowError:
        raise InvalidInputError(f"{query}: parameter {name!r} = {value.isoformat()} is out of range: in UTC it "
                                "falls outside the years 1 to 9999") from None


def _check_json_strings(query: str, name: str, value: Any) -> None:
    """Every key and string inside a JSON value, checked as text (called only when its JSON text shows an escape)."""
    if isinstance(value, str):
        check_text(query, name, value)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                check_text(query, name, key)
            _check_json_strings(query, name, item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_json_strings(query, name, item)


def check_size(query: str, name: str, size: int) -> None:
    if size > MAX_VALUE_BYTES:
        raise InvalidInputError(
            f"{query}: parameter {name!r} is {size:,} bytes encoded; the limit for one value is {MAX_VALUE_BYTES:,} "
            "bytes (split it, or store it elsewhere and keep a reference)")


def validate_vector(query: str, name: str, value: Any) -> Any:
    """A float32 array of the embedding size, finite and not all zero (cosine needs a norm)."""
    import numpy

    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise _type_error(query, name, f"a sequence of {EMBEDDING_DIMENSIONS} floats", value)
    try:
        array = numpy.asarray(value, dtype=numpy.float32)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{query}: parameter {name!r} must hold only numbers") from None
    if array.shape != (EMBEDDING_DIMENSIONS,):
        raise InvalidInputError(
            f"{query}: parameter {name!r} must have {EMBEDDING_DIMENSIONS} dimensions, got shape {array.shape}")
    if not numpy.isfinite(array).all():
        raise InvalidInputError(f"{query}: parameter {name!r} contains NaN or infinity")
    if not array.any():
        raise InvalidInputError(f"{query}: parameter {name!r} is all zeros (cosine distance is undefined)")
    return array


def make_binder(
    query: str,
    specs: Mapping[str, ParamSpec],
    codec: Codec,
    new_id: Callable[[], str],
    clock: Callable[[], datetime],
    *,
    trusted_clock: bool = False,
) -> Callable[[str, Mapping[str, Any]], dict[str, Any]]:
    """Compile the per-call binding of one query: all lookups are done here, once.

    `trusted_clock`: the clock is the package's own (aware UTC by construction), so its
    value is encoded without the checks a caller-supplied clock's values go through.

    The binder is generated as straight-line code (one block per parameter), because it
    runs on every call and a loop over a plan costs more than the SQLite lookup it guards.
    Values of the common types are checked inline; anything else (or anything that fails
    the inline check) goes through the parameter's encoder, which validates, converts and
    raises the error naming the parameter. Constant defaults are encoded once, here.
    """
    allowed = frozenset(spec.name for spec in specs.values() if spec.kind != "now") | {"account_id"}
    namespace: dict[str, Any] = {
        "allowed": allowed, "new_id": new_id, "clock": clock, "MISSING": _ABSENT, "str": str, "int": int,
        "bool": bool, "type": type, "len": len, "unknown": partial(_unknown, query, allowed),
        "missing": partial(_missing, query, allowed), "MAX_TEXT": MAX_TEXT_CHARS, "INT_MIN": INT64_MIN, "INT_MAX": INT64_MAX,
        "encode_now": codec.datetime_in if trusted_clock
        else make_encoder(query, ParamSpec("now", "now", False, REQUIRED), codec),
    }
    # The unknown-parameter check counts instead of comparing sets: the required
    # parameters are there once the code passes their checks, optional ones add 1 when given.
    required = sum(1 for spec in specs.values() if spec.kind not in ("now", "new_id") and spec.default is REQUIRED)
    optional = any(spec.kind == "new_id" or (spec.kind != "now" and spec.default is not REQUIRED) for spec in specs.values())
    lines = ["def bind(account_id, kwargs):"]
    if optional:
        lines.append(f"    found = {required}")
    result = ["'account_id': account_id"]
    auto_now: list[str] = []
    for index, spec in enumerate(specs.values()):
        if spec.kind == "now":
            auto_now.append(spec.name)
            continue
        value, encoder = f"v{index}", f"encode_{index}"
        namespace[encoder] = encode = make_encoder(query, spec, codec)
        counted = spec.kind == "new_id" or spec.default is not REQUIRED
        count = "found += 1; " if counted else ""
        lines.append(f"    {value} = kwargs.get({spec.name!r}, MISSING)")
        lines.append(f"    if {value} is MISSING:")
        if spec.kind == "new_id":
            lines.append(f"        {value} = new_id()")
        elif spec.default is REQUIRED:
            lines.append(f"        missing({spec.name!r}, kwargs)")
        else:
            try:
                namespace[f"default_{index}"] = encode(spec.default)
                lines.append(f"        {value} = default_{index}")
            except InvalidInputError:  # a default its own type refuses: report it on each call, as before
                namespace[f"default_{index}"] = spec.default
                lines.append(f"        {value} = {encoder}(default_{index})")
        fast = _FAST_CHECKS.get(spec.kind)
        if spec.choices is not None:
            namespace[f"choices_{index}"] = frozenset(spec.choices)
            fast = f"{fast} and {{v}} in choices_{index}" if fast else None
        elif spec.bounds is not None:
            namespace[f"low_{index}"], namespace[f"high_{index}"] = spec.bounds
            fast = f"{fast} and low_{index} <= {{v}} <= high_{index}" if fast else None
        if fast:
            lines.append(f"    elif {fast.format(v=value)}:")
            lines.append(f"        {count or 'pass'}")
        lines.append("    else:")
        if spec.kind == "new_id":  # an explicit None asks for a fresh id
            lines.append(f"        {count}{value} = new_id() if {value} is None else {encoder}({value})")
        else:
            lines.append(f"        {count}{value} = {encoder}({value})")
        result.append(f"{spec.name!r}: {value}")
    lines.append(f"    if len(kwargs) != {'found' if optional else required} and not allowed.issuperset(kwargs):")
    lines.append("        unknown(kwargs)")
    if auto_now:
        lines.append("    stamp = encode_now(clock())")
        result.extend(f"{name!r}: stamp" for name in auto_now)
    lines.append(f"    return {{{', '.join(result)}}}")
    exec("\n".join(lines), namespace)  # noqa: S102 - generated from validated identifiers only
    bind: Callable[[str, Mapping[str, Any]], dict[str, Any]] = namespace["bind"]
    return bind


# Inline checks for the common types; a value failing them goes to its encoder (which raises).
# str: ASCII without NUL is storable text as it stands; anything else goes through check_text
_FAST_CHECKS: dict[ParamKind, str] = {
    "str": "type({v}) is str and len({v}) <= MAX_TEXT and {v}.isascii() and '\\x00' not in {v}",
    "new_id": "type({v}) is str and len({v}) <= MAX_TEXT and {v}.isascii() and '\\x00' not in {v}",
    "int": "type({v}) is int and INT_MIN <= {v} <= INT_MAX",
    "bool": "type({v}) is bool",
}
_ABSENT: Any = object()


def _unknown(query: str, allowed: frozenset[str], kwargs: Mapping[str, Any]) -> None:
    unknown = sorted(set(kwargs) - allowed)
    raise InvalidInputError(f"{query}: unknown parameter(s) {', '.join(unknown)}; expected {', '.join(sorted(allowed))}")


def _missing(query: str, allowed: frozenset[str], name: str, kwargs: Mapping[str, Any]) -> None:
    if not allowed.issuperset(kwargs):  # a misspelt name is the likelier mistake: say so first
        _unknown(query, allowed, kwargs)
    raise InvalidInputError(f"{query}: missing parameter {name!r}")
