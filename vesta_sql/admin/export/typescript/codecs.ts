// ---- parameters --------------------------------------------------------------------------

export interface ParamSpec {
  kind: "str" | "int" | "float" | "bool" | "datetime" | "json" | "vector" | "str_list" | "new_id" | "now";
  nullable: boolean;
  required: boolean;
  default?: string | number | boolean | null;
  choices?: readonly (string | number)[];
  bounds?: readonly [number, number];
}

const encoder = new TextEncoder();

function utf8Bytes(query: string, name: string, text: string): number {
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text)) {
    throw new InvalidInputError(`${query}: parameter '${name}' is not valid text (it holds a lone surrogate)`);
  }
  return encoder.encode(text).length;
}

function checkSize(query: string, name: string, size: number): void {
  if (size > MAX_VALUE_BYTES) {
    throw new InvalidInputError(
      `${query}: parameter '${name}' is ${size.toLocaleString("en-US")} bytes encoded; the limit for one value is ` +
      `${MAX_VALUE_BYTES.toLocaleString("en-US")} bytes (split it, or store it elsewhere and keep a reference)`);
  }
}

function mustBe(query: string, name: string, expected: string, value: unknown): InvalidInputError {
  return new InvalidInputError(`${query}: parameter '${name}' must be ${expected}, got ${typeName(value)}`);
}

/** JSON text as Python's `json.dumps` writes it (ASCII only, `separator` between items). */
export function pythonJson(value: unknown, separator: string, colon: string): string {
  const walk = (item: unknown): string => {
    if (item === null) return "null";
    if (typeof item === "boolean") return item ? "true" : "false";
    if (typeof item === "number") {
      if (!Number.isFinite(item)) throw new TypeError(`Out of range float values are not JSON compliant: ${item}`);
      return Number.isInteger(item) && Math.abs(item) < 1e16 ? String(item) : pythonFloat(item);
    }
    if (typeof item === "string") {
      return JSON.stringify(item).replace(/[\u007f-\uffff]/g, (char) => "\\u" + char.charCodeAt(0).toString(16).padStart(4, "0"));
    }
    if (Array.isArray(item)) return "[" + item.map(walk).join(separator) + "]";
    if (typeof item === "object" && Object.getPrototypeOf(item) === Object.prototype) {
      return "{" + Object.entries(item as Record<string, unknown>).map(([key, inner]) => walk(key) + colon + walk(inner))
        .join(separator) + "}";
    }
    throw new TypeError(`Object of type ${typeName(item)} is not JSON serializable`);
  };
  return walk(value);
}

function pythonFloat(value: number): string {
  // Python's repr of a float: the shortest round-trip digits, as JS, but `1e+16` is `1e+16` and `5e-07` keeps two digits
  const text = String(value);
  return text.replace(/e([+-])(\d)$/, "e$10$2");
}

export function encodeParam(query: string, name: string, spec: ParamSpec, value: unknown): unknown {
  if (value === null || value === undefined) {
    if (spec.nullable || spec.kind === "new_id") return null;
    throw mustBe(query, name, expectedOf(spec.kind), value);
  }
  let encoded: unknown;
  switch (spec.kind) {
    case "str":
    case "new_id":
      if (typeof value !== "string") throw mustBe(query, name, "a string", value);
      if (value.length > MAX_VALUE_BYTES / 4) checkSize(query, name, utf8Bytes(query, name, value));
      encoded = value;
      break;
    case "int":
      if (typeof value !== "number" || !Number.isInteger(value)) throw mustBe(query, name, "an integer number", value);
      if (!Number.isSafeInteger(value)) {
        throw new InvalidInputError(`${query}: parameter '${name}' = ${value} is beyond 2**53 (JavaScript numbers lose digits there)`);
      }
      encoded = value;
      break;
    case "float":
      if (typeof value !== "number") throw mustBe(query, name, "a number", value);
      if (!Number.isFinite(value)) throw new InvalidInputError(`${query}: parameter '${name}' must be finite, got ${value}`);
      encoded = value;
      break;
    case "bool":
      if (typeof value !== "boolean") throw mustBe(query, name, "a boolean", value);
      encoded = value ? 1 : 0;
      break;
    case "datetime":
    case "now":
      encoded = encodeTime(query, name, value);
      break;
    case "json": {
      if (typeof value !== "object" || value instanceof Date || ArrayBuffer.isView(value)) {
        throw mustBe(query, name, "an object or array (JSON)", value);
      }
      let text: string;
      try {
        text = pythonJson(value, ",", ":");
      } catch (error) {
        throw new InvalidInputError(`${query}: parameter '${name}' is not valid JSON: ${(error as Error).message}`);
      }
      checkSize(query, name, text.length);
      encoded = text;
      break;
    }
    case "vector":
      encoded = encodeVector(query, name, value);
      break;
    case "str_list": {
      if (!Array.isArray(value)) throw mustBe(query, name, "an array of strings", value);
      if (value.length > MAX_LIST_ITEMS) {
        throw new InvalidInputError(`${query}: parameter '${name}' has ${value.length} items; the limit is ${MAX_LIST_ITEMS}`);
      }
      let total = 0;
      for (const item of value) {
        if (typeof item !== "string") throw mustBe(query, `${name}[…]`, "a string", item);
        total += item.length;
      }
      if (total > MAX_VALUE_BYTES / 4) checkSize(query, name, value.reduce((sum: number, item: string) => sum + utf8Bytes(query, name, item), 0));
      encoded = pythonJson(value, ", ", ": ");
      break;
    }
  }
  const problem = constraintProblem(spec, value);
  if (problem) throw new InvalidInputError(`${query}: parameter '${name}' ${problem}`);
  return encoded;
}

function expectedOf(kind: ParamSpec["kind"]): string {
  return {
    str: "a string", new_id: "a string", int: "an integer number", float: "a number", bool: "a boolean",
    datetime: "a Date or a Timestamp", now: "a Date or a Timestamp", json: "an object or array (JSON)",
    vector: "a Float32Array or an array of numbers", str_list: "an array of strings",
  }[kind];
}

function encodeTime(query: string, name: string, value: unknown): Timestamp {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new InvalidInputError(`${query}: parameter '${name}' is an invalid Date`);
    return toTimestamp(value);
  }
  if (typeof value === "string") {
    if (!isTimestamp(value)) {
      throw new InvalidInputError(
        `${query}: parameter '${name}' must be a Date or a Timestamp 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (UTC), got ${JSON.stringify(value.slice(0, 40))}`);
    }
    return value;
  }
  throw mustBe(query, name, "a Date or a Timestamp", value);
}

function encodeVector(query: string, name: string, value: unknown): ArrayBuffer {
  if (!(value instanceof Float32Array) && !Array.isArray(value)) {
    throw mustBe(query, name, "a Float32Array or an array of numbers", value);
  }
  const items = value as ArrayLike<unknown>;
  if (items.length !== EMBEDDING_DIMENSIONS) {
    throw new InvalidInputError(`${query}: parameter '${name}' must have ${EMBEDDING_DIMENSIONS} dimensions, got ${items.length}`);
  }
  const out = new Float32Array(EMBEDDING_DIMENSIONS);
  for (let index = 0; index < EMBEDDING_DIMENSIONS; index++) {
    const item = items[index];
    if (typeof item !== "number" || !Number.isFinite(item)) {
      throw new InvalidInputError(`${query}: parameter '${name}' must hold finite numbers (item ${index} is ${String(item)})`);
    }
    out[index] = item;
  }
  return out.buffer; // little-endian on every platform Workers run on, as the SQLite codec stores it
}

function constraintProblem(spec: ParamSpec, value: unknown): string | null {
  if (spec.choices && !spec.choices.includes(value as string | number)) {
    return `must be one of ${spec.choices.map((choice) => typeof choice === "string" ? `'${choice}'` : String(choice)).join(", ")}, ` +
      `got ${typeof value === "string" ? `'${value}'` : String(value)}`;
  }
  if (spec.bounds && !(spec.bounds[0] <= (value as number) && (value as number) <= spec.bounds[1])) {
    return `must be between ${spec.bounds[0]} and ${spec.bounds[1]}, got ${String(value)}`;
  }
  return null;
}

// ---- rows --------------------------------------------------------------------------------

export type FieldKind = "str" | "int" | "float" | "bool" | "datetime" | "json" | "embedding";
/** [column, field, kind, nullable] */
export type FieldSpec = readonly [string, string, FieldKind, boolean];

function bytesOf(value: unknown): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return Uint8Array.from(value as number[]); // D1 returns blobs as arrays of bytes
  throw new DatabaseError(`expected a blob, got ${typeName(value)}`);
}

function decodeField(kind: FieldKind, value: unknown): unknown {
  switch (kind) {
    case "bool":
      return value === 1 || value === true;
    case "json":
      return JSON.parse(value as string);
    case "embedding": {
      const bytes = bytesOf(value);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const out = new Float32Array(bytes.byteLength / 4);
      for (let index = 0; index < out.length; index++) out[index] = view.getFloat32(index * 4, true);
      return out;
    }
    default:
      return value;
  }
}

export function decodeRecord(fields: readonly FieldSpec[], row: Record<string, unknown>, query: string): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [column, field, kind, nullable] of fields) {
    if (!(column in row)) throw new DatabaseError(`${query}: the result has no column ${column}`);
    const value = row[column];
    record[field] = value === null ? (nullable ? null : value) : decodeField(kind, value);
  }
  return record;
}

