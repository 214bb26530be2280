"""The functions a query may call, per dialect: an allowlist, as D1 has one.

Refused, whatever else the query does: anything that runs SQL text (`query_to_xml`,
`ts_stat`, …), changes settings (`set_config`, except the planner settings below),
reads per-connection state shared across accounts (`last_insert_rowid`, `changes`,
`total_changes`), exposes table-wide statistics (`bm25` over every account's posts),
schema-qualified calls (which may reach the owner's own functions) and any name not
listed here. sqlglot parses well-known functions into typed nodes (their class names
below) and everything else into `Anonymous` nodes (listed by lower-case name).
"""

from __future__ import annotations

from sqlglot import exp

from .scope import Finding, line_of

_CLASSES_COMMON = frozenset({
    # logic and structure
    "And", "Or", "Xor", "Case", "If", "Cast", "TryCast", "Exists", "Coalesce", "Nullif", "Greatest", "Least",
    # aggregates and windows
    "Count", "Sum", "Avg", "Max", "Min", "GroupConcat", "ArrayAgg", "JSONArrayAgg", "LogicalAnd", "LogicalOr",
    "RowNumber", "Rank", "DenseRank", "Lag", "Lead", "FirstValue", "LastValue", "NthValue", "PercentRank", "CumeDist",
    "Ntile",
    # text
    "Lower", "Upper", "Length", "Substring", "Trim", "Replace", "StrPosition", "Concat", "ConcatWs", "Chr", "Left",
    "Right", "Pad", "Initcap", "Reverse", "Unicode", "SplitPart", "StartsWith", "MD5",
    # numbers
    "Abs", "Round", "Ceil", "Floor", "Sqrt", "Pow", "Sign", "Ln", "Log", "Exp",
    # time
    "CurrentTimestamp", "CurrentDate", "TimeToStr", "StrToTime", "TimestampTrunc", "DateTrunc", "Extract",
    "TsOrDsToTimestamp", "TsOrDsToDate", "Date",
    # JSON and arrays
    "JSONExtract", "JSONExtractScalar", "JSONBExtract", "JSONBExtractScalar", "JSONObject", "JSONArray",
    "JSONBContains", "ParseJSON", "ArraySize", "Array", "ArrayContains", "Unnest",
})

CLASSES: dict[str, frozenset[str]] = {
    "sqlite": _CLASSES_COMMON | {
        "Typeof", "Rand", "Collate", "Format", "Hex", "LowerHex", "JSONObjectAgg", "JSONRemove", "JSONSet", "JSONType",
        "Trunc",
    },
    "postgres": _CLASSES_COMMON | {
        "MatchAgainst",  # `@@`, the tsvector match
        "ArrayAppend", "ArrayConcat", "ArrayContainsAll", "ArrayOverlaps", "ArrayPosition", "ArrayRemove",
        "ArrayToString", "BitLength", "CosineDistance", "Decode", "Encode", "Explode", "Format", "JSONBContainsTopKey",
        "JSONBDeleteAtPath", "JSONBExists", "JSONBObjectAgg", "JustifyDays", "MakeInterval", "PercentileCont",
        "PercentileDisc", "Rand", "RegexpReplace", "Repeat", "StringToArray", "ToNumber", "Translate", "Trunc",
        "UnixToTime", "Uuid", "GenerateSeries", "ExplodingGenerateSeries",
    },
}

NAMES: dict[str, frozenset[str]] = {
    "sqlite": frozenset({
        "json_each", "json_tree", "json", "json_array_length", "json_type", "json_valid", "json_group_object",
        "datetime", "date", "time", "julianday", "unixepoch", "strftime", "printf", "format", "instr", "substr",
        "ifnull", "iif", "nullif", "glob", "like", "char", "hex", "unhex", "highlight", "snippet", "json_array",
        "json_insert", "json_replace", "json_patch", "json_quote", "likely", "unlikely", "likelihood", "octet_length",
        "quote", "total", "randomblob",
    }),
    "postgres": frozenset({
        "to_tsvector", "to_tsquery", "plainto_tsquery", "phraseto_tsquery", "websearch_to_tsquery", "ts_rank",
        "ts_rank_cd", "setweight", "jsonb_build_object", "jsonb_build_array", "json_build_object", "jsonb_agg",
        "json_agg", "jsonb_object_agg", "jsonb_array_elements", "jsonb_array_elements_text", "jsonb_each",
        "jsonb_each_text", "jsonb_array_length", "jsonb_typeof", "jsonb_set", "jsonb_strip_nulls", "to_jsonb",
        "to_json", "cardinality", "array_length", "array_position", "array_remove", "array_append", "array_cat",
        "date_part", "make_interval", "age", "to_timestamp", "to_char", "clock_timestamp", "statement_timestamp",
        "transaction_timestamp", "btrim", "ltrim", "rtrim", "strpos", "num_nulls", "num_nonnulls", "bool_and",
        "bool_or", "every", "string_agg", "l2_distance", "cosine_distance", "inner_product", "vector_norm",
        "vector_dims", "l2_normalize", "generate_subscripts", "all", "array_dims", "array_lower", "array_upper",
        "isfinite", "octet_length", "ts_headline", "generate_series",
        "querytree", "regexp_matches",  # pure functions of their arguments (the text leg of hybrid search)
    }),
}

# `set_config(name, value, true)` for these planner settings only: transaction-local, literal name
PLANNER_SETTINGS: dict[str, frozenset[str]] = {
    "sqlite": frozenset(),
    "postgres": frozenset({
        "hnsw.ef_search", "hnsw.iterative_scan", "hnsw.max_scan_tuples", "hnsw.scan_mem_multiplier",
        "ivfflat.probes", "ivfflat.iterative_scan", "ivfflat.max_probes", "plan_cache_mode",
        "max_parallel_workers_per_gather",
    }),
}

_WHY = {
    "last_insert_rowid": "it reads the connection's last insert, which may be another account's",
    "changes": "it reads the connection's state, shared by every account",
    "total_changes": "it reads the connection's state, shared by every account",
    "bm25": "its statistics span every account's rows",
    "current_setting": "it reads settings, the account setting among them",
    "query_to_xml": "it runs SQL text",
    "query_to_xml_and_xmlschema": "it runs SQL text",
    "cursor_to_xml": "it runs SQL text",
    "table_to_xml": "it reads a whole table",
    "ts_stat": "it runs SQL text",
    "load_extension": "it loads code",
}


def function_findings(statement: exp.Expression, dialect: str) -> list[Finding]:
    """Every call in `statement` that is not on the dialect's allowlist."""
    findings: list[Finding] = []
    classes, names = CLASSES[dialect], NAMES[dialect]
    for node in statement.walk():
        if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Func):
            shown = node.sql(dialect=dialect)
            findings.append(Finding(f"calls {shown}: schema-qualified functions are not allowed", line_of(node)))
            continue
        if not isinstance(node, exp.Expression) or not isinstance(node, exp.Func):
            continue
        if isinstance(node, exp.Anonymous):
            name = node.name.lower()
            if name == "set_config":
                problem = _set_config_problem(node, dialect)
                if problem:
                    findings.append(Finding(problem, line_of(node)))
                continue
            if name in names:
                continue
            why = _WHY.get(name, "it is not on this dialect's allowlist of functions")
            findings.append(Finding(f"calls {name}(): {why}", line_of(node)))
        elif type(node).__name__ not in classes:
            shown = node.sql_name().lower() if hasattr(node, "sql_name") else type(node).__name__
            findings.append(Finding(f"calls {shown}(): it is not on this dialect's allowlist of functions", line_of(node)))
    return _unique(findings)


def _set_config_problem(node: exp.Anonymous, dialect: str) -> str | None:
    allowed = PLANNER_SETTINGS[dialect]
    args = node.expressions
    name = args[0] if args else None
    if not isinstance(name, exp.Literal) or not name.is_string:
        return "calls set_config() with a computed name: only literal planner settings may be set"
    setting = name.this
    if setting not in allowed:
        return (f"calls set_config('{setting}', …): only these planner settings may be set: {', '.join(sorted(allowed))}"
                if allowed else "calls set_config(): no setting may be changed on this dialect")
    local = args[2] if len(args) == 3 else None
    if not isinstance(local, exp.Boolean) or local.this is not True:
        return f"calls set_config('{setting}', …) without true as its third argument: only transaction-local settings"
    return None


def _unique(findings: list[Finding]) -> list[Finding]:
    seen: list[Finding] = []
    for finding in findings:
        if finding not in seen:
            seen.append(finding)
    return seen
