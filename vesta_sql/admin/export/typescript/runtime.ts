// ---------------------------------------------------------------------------------------
// Runtime: the D1 interface, the tenant guard, parameter validation, codecs, ids and clock.
// The same rules as the Python façade, so a row written on one side reads the same on the other.

/** The part of a D1 prepared statement the client uses (Cloudflare's `D1PreparedStatement` fits). */
export interface D1PreparedStatementLike {
  bind(...values: unknown[]): D1PreparedStatementLike;
  all(): Promise<{ results: unknown[] }>;
}

/** A D1 database or a D1 session (`env.DB` or `env.DB.withSession(bookmark)`). */
export interface D1BindingLike {
  prepare(query: string): D1PreparedStatementLike;
  batch(statements: D1PreparedStatementLike[]): Promise<{ results: unknown[] }[]>;
  getBookmark?(): string | null;
}

export class VestaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
/** A call without one valid account. */
export class TenantScopeError extends VestaError {}
/** A parameter of the wrong type, size, choice or range. */
export class InvalidInputError extends VestaError {}
/** The database refused or failed the statement (the message is D1's). */
export class DatabaseError extends VestaError {}
/** A unique, foreign-key, check or not-null constraint refused the statement. */
export class IntegrityError extends DatabaseError {}
/** The database is not at the schema version this client was generated for. */
export class SchemaVersionError extends VestaError {}

/** Fixed-width ISO text in UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ`: what the database stores, microseconds kept. */
export type Timestamp = string;
export type JsonValue = { [key: string]: Json } | Json[];
export type Json = string | number | boolean | null | JsonValue;
/** An embedding parameter: 384 finite numbers. */
export type VectorLike = Float32Array | readonly number[];

export const MAX_ACCOUNT_CHARS = 128;
export const MAX_VALUE_BYTES = 2_000_000;
export const MAX_LIST_ITEMS = 1_000;
export const EMBEDDING_DIMENSIONS = 384;
const MAX_TIME: Timestamp = "9999-12-31T23:59:59.999999Z";
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z$/;
const CONTROL = /\p{Cc}/u;
// what Python's str.isprintable refuses besides controls: format, surrogate, private, unassigned, separators but the space
const NOT_PRINTABLE = /[\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]|(?! )\p{Zs}/u;

/** The call-time rule of the Python façade: one account, 1–128 printable characters, no surrounding whitespace. */
export function requireAccount(accountId: unknown): string {
  if (accountId === undefined || accountId === null) {
    throw new TenantScopeError("accountId is required: every call is scoped to one account");
  }
  if (typeof accountId !== "string") throw new TenantScopeError(`accountId must be a string, got ${typeName(accountId)}`);
  if (accountId.trim() === "") throw new TenantScopeError("accountId must not be empty or blank");
  if (accountId !== accountId.trim()) throw new TenantScopeError("accountId must not have surrounding whitespace");
  const length = [...accountId].length;
  if (length > MAX_ACCOUNT_CHARS) {
    throw new TenantScopeError(`accountId is ${length} characters long; at most ${MAX_ACCOUNT_CHARS} are allowed`);
  }
  const control = CONTROL.exec(accountId);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    throw new TenantScopeError(`accountId must not contain control characters (found U+${code} at position ${control.index})`);
  }
  if (NOT_PRINTABLE.test(accountId)) {
    throw new TenantScopeError("accountId must hold only printable characters (it has one that is not printable)");
  }
  return accountId;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (value instanceof Date) return "Date";
  return typeof value;
}

// ---- timestamps, ids -------------------------------------------------------------------

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

/** A `Timestamp` from epoch microseconds (Date keeps milliseconds only, so the clock counts microseconds). */
export function timestampFromMicros(micros: number): Timestamp {
  const ms = Math.floor(micros / 1000);
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  return `${pad(year, 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}T${pad(date.getUTCHours(), 2)}:` +
    `${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}.${pad(date.getUTCMilliseconds() * 1000 + (micros - ms * 1000), 6)}Z`;
}

/** A `Date` → `Timestamp` (its microseconds are 000). */
export function toTimestamp(date: Date): Timestamp {
  return timestampFromMicros(date.getTime() * 1000);
}

/** A `Timestamp` → `Date` (the microseconds beyond the millisecond are dropped; keep the text to keep them). */
export function toDate(timestamp: Timestamp): Date {
  return new Date(timestamp.slice(0, 23) + "Z");
}

function isTimestamp(text: string): boolean {
  const match = TIMESTAMP.exec(text);
  if (!match) return false;
  const date = toDate(text);
  return !Number.isNaN(date.getTime()) && toTimestamp(date).slice(0, 23) === text.slice(0, 23);
}

/**
 * The client's clock and id factory: `now` in microseconds, strictly increasing within one client
 * (workerd's clock does not move during synchronous code), and UUIDv7 ids in creation order.
 */
export class Clock {
  private lastMicros = 0;
  private lastMs = 0;
  private counter = 0;

  now(): Timestamp {
    const micros = Math.max(Date.now() * 1000, this.lastMicros + 1);
    this.lastMicros = micros;
    return timestampFromMicros(micros);
  }

  newId(): string {
    const nowMs = Date.now();
    const random = new Uint8Array(10);
    crypto.getRandomValues(random);
    if (nowMs > this.lastMs) {
      this.lastMs = nowMs;
      this.counter = ((random[8] << 8) | random[9]) & 0x3ff;
    } else if (++this.counter > 0xfff) {
      this.lastMs += 1;
      this.counter = 0;
    }
    const hex = (value: number, width: number): string => value.toString(16).padStart(width, "0");
    const ms = hex(this.lastMs, 12);
    const tail = [...random.slice(0, 8)].map((byte) => hex(byte, 2)).join("");
    const variant = hex(0x80 | (random[0] & 0x3f), 2) + tail.slice(2, 4);
    return `${ms.slice(0, 8)}-${ms.slice(8)}-7${hex(this.counter, 3)}-${variant}-${tail.slice(4, 16)}`;
  }
}

